/** LiveChat (scopes are configured in the LiveChat developer console). Email only when verified. */
import { jsonBool, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path fill="#ff5100" d="M9 12h46v30H31l-13 11V42H9z"/>' +
  '<circle cx="22" cy="27" r="3.5" fill="#fff"/><circle cx="32" cy="27" r="3.5" fill="#fff"/><circle cx="42" cy="27" r="3.5" fill="#fff"/></svg>';

export class LivechatProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "LiveChat",
      logo: LOGO,
      order: 27,
      pkce: true,
      scopes: [],
      authURL: "https://accounts.livechat.com/",
      tokenURL: "https://accounts.livechat.com/token",
      userInfoURL: "https://accounts.livechat.com/v2/accounts/me",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    return this.newUser(token, raw, {
      id: jsonStr(raw, "account_id"),
      name: jsonStr(raw, "name"),
      avatarURL: jsonStr(raw, "avatar_url"),
      email: jsonBool(raw, "email_verified") ? jsonStr(raw, "email") : "",
    });
  }
}
