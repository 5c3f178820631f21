/** Trakt (user settings; every request needs the API key and version headers). */
import { jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="29" fill="#ed1c24"/>' +
  '<circle cx="32" cy="32" r="19" fill="none" stroke="#fff" stroke-width="4"/><path fill="none" stroke="#fff" stroke-width="4.5" d="M23 31l8 8 15-15"/></svg>';

export class TraktProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Trakt",
      logo: LOGO,
      order: 22,
      pkce: true,
      scopes: [],
      authURL: "https://trakt.tv/oauth/authorize",
      tokenURL: "https://api.trakt.tv/oauth/token",
      userInfoURL: "https://api.trakt.tv/users/settings",
    });
  }

  override fetchRawUserInfo(token: OAuth2Token): Promise<string> {
    return this.sendRawUserInfoRequest(this.userInfoURL, token, {
      headers: { "Content-Type": "application/json", "trakt-api-key": this.clientId, "trakt-api-version": "2" },
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const user = jsonObj(raw, "user");
    return this.newUser(token, raw, {
      id: jsonStr(jsonObj(user, "ids"), "uuid"),
      username: jsonStr(user, "username"),
      name: jsonStr(user, "name"),
      avatarURL: jsonStr(jsonObj(jsonObj(user, "images"), "avatar"), "full"),
    });
  }
}
