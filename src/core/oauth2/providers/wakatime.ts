/** WakaTime. Email when confirmed; the photo only when public. */
import { jsonBool, jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="29" fill="#000"/>' +
  '<path fill="none" stroke="#fff" stroke-width="4.5" stroke-linecap="round" stroke-linejoin="round" d="M13 29l8 12 6-8 6 8 17-21"/></svg>';

export class WakatimeProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "WakaTime",
      logo: LOGO,
      order: 26,
      pkce: true,
      scopes: ["email"],
      authURL: "https://wakatime.com/oauth/authorize",
      tokenURL: "https://wakatime.com/oauth/token",
      userInfoURL: "https://wakatime.com/api/v1/users/current",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const data = jsonObj(raw, "data");
    return this.newUser(token, raw, {
      id: jsonStr(data, "id"),
      name: jsonStr(data, "display_name"),
      username: jsonStr(data, "username"),
      email: jsonBool(data, "is_email_confirmed") ? jsonStr(data, "email") : "",
      avatarURL: jsonBool(data, "photo_public") ? jsonStr(data, "photo") : "",
    });
  }
}
