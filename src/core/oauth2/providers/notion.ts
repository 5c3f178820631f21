/** Notion (the `users/me` bot endpoint; the person is the bot's owner). Needs the Notion-Version header. */
import { jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect x="8" y="8" width="48" height="48" rx="7" fill="#fff" stroke="#000" stroke-width="4"/>' +
  '<path fill="none" stroke="#000" stroke-width="5" stroke-linejoin="bevel" d="M23 46V19l18 27V18"/></svg>';

export class NotionProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Notion",
      logo: LOGO,
      order: 17,
      pkce: true,
      scopes: [],
      authURL: "https://api.notion.com/v1/oauth/authorize",
      tokenURL: "https://api.notion.com/v1/oauth/token",
      userInfoURL: "https://api.notion.com/v1/users/me",
    });
  }

  override fetchRawUserInfo(token: OAuth2Token): Promise<string> {
    return this.sendRawUserInfoRequest(this.userInfoURL, token, { headers: { "Notion-Version": "2022-06-28" } });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const owner = jsonObj(jsonObj(jsonObj(raw, "bot"), "owner"), "user");
    return this.newUser(token, raw, {
      id: jsonStr(owner, "id"),
      name: jsonStr(owner, "name"),
      email: jsonStr(jsonObj(owner, "person"), "email"),
      avatarURL: jsonStr(owner, "avatar_url"),
    });
  }
}
