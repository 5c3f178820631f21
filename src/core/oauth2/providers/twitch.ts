/** Twitch (Helix `users`, which needs the Client-Id header). */
import { jsonObjArr, jsonStr } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path fill="#9146ff" d="M12 5h44v34L43 52h-9l-8 7h-6v-7H12z"/>' +
  '<path fill="#fff" d="M17 10h34v27l-8 8h-10l-7 6v-6h-9z"/><path stroke="#9146ff" stroke-width="4.5" d="M31 19v13M42 19v13"/></svg>';

export class TwitchProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Twitch",
      logo: LOGO,
      order: 23,
      pkce: true,
      scopes: ["user:read:email"],
      authURL: "https://id.twitch.tv/oauth2/authorize",
      tokenURL: "https://id.twitch.tv/oauth2/token",
      userInfoURL: "https://api.twitch.tv/helix/users",
    });
  }

  override fetchRawUserInfo(token: OAuth2Token): Promise<string> {
    return this.sendRawUserInfoRequest(this.userInfoURL, token, { headers: { "Client-Id": this.clientId } });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const data = jsonObjArr(raw, "data");
    if (data.length === 0) throw new OAuth2Error("failed to fetch AuthUser data");
    const u = data[0]!;
    return this.newUser(token, raw, {
      id: jsonStr(u, "id"),
      name: jsonStr(u, "display_name"),
      username: jsonStr(u, "login"),
      email: jsonStr(u, "email"),
      avatarURL: jsonStr(u, "profile_image_url"),
    });
  }
}
