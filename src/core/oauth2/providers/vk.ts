/** VK (no PKCE: VK rejects it). The email arrives with the token response, not the profile. */
import { jsonInt, jsonObjArr, jsonStr } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, tokenExtra, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="16" fill="#0077ff"/>' +
  '<path fill="none" stroke="#fff" stroke-width="5" stroke-linecap="round" stroke-linejoin="round" d="M13 22l9 20 9-20M37 20v24M50 21L40 32l10 12"/></svg>';

export class VKProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "ВКонтакте",
      logo: LOGO,
      order: 15,
      pkce: false,
      scopes: ["email"],
      authURL: "https://oauth.vk.com/authorize",
      tokenURL: "https://oauth.vk.com/access_token",
      userInfoURL: "https://api.vk.com/method/users.get?fields=photo_max,screen_name&v=5.131",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const list = jsonObjArr(raw, "response");
    if (list.length === 0) throw new OAuth2Error("missing response entry");
    const u = list[0]!;
    const email = tokenExtra(token, "email");
    return this.newUser(token, raw, {
      id: jsonInt(u, "id"),
      name: (jsonStr(u, "first_name") + " " + jsonStr(u, "last_name")).trim(),
      username: jsonStr(u, "screen_name"),
      avatarURL: jsonStr(u, "photo_max"),
      email: email === undefined || email === null ? "" : String(email),
    });
  }
}
