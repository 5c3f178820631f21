/** monday.com. The user comes from a GraphQL `me` query; only enabled accounts, email when verified. */
import { jsonBool, jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><g stroke-width="11" stroke-linecap="round">' +
  '<path stroke="#ff3d57" d="M10 44l9-20"/><path stroke="#ffcb00" d="M27 44l9-20"/></g><circle cx="50" cy="42" r="6.5" fill="#00d647"/></svg>';

const ME_QUERY = '{"query": "query { me { id enabled name email is_verified photo_small }}"}';

export class MondayProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "monday.com",
      logo: LOGO,
      order: 18,
      pkce: true,
      scopes: ["me:read"],
      authURL: "https://auth.monday.com/oauth2/authorize",
      tokenURL: "https://auth.monday.com/oauth2/token",
      userInfoURL: "https://api.monday.com/v2",
    });
  }

  override fetchRawUserInfo(token: OAuth2Token): Promise<string> {
    return this.sendRawUserInfoRequest(this.userInfoURL, token, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: ME_QUERY,
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const me = jsonObj(jsonObj(raw, "data"), "me");
    if (!jsonBool(me, "enabled")) throw new OAuth2Error("the monday.com user account is not enabled");
    return this.newUser(token, raw, {
      id: jsonStr(me, "id"),
      name: jsonStr(me, "name"),
      avatarURL: jsonStr(me, "photo_small"),
      email: jsonBool(me, "is_verified") ? jsonStr(me, "email") : "",
    });
  }
}
