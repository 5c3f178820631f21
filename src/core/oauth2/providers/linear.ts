/** Linear (no PKCE: Linear rejects it). The user comes from a GraphQL `viewer` query. */
import { jsonBool, jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="27" fill="#5e6ad2"/>' +
  '<path stroke="#fff" stroke-width="4.5" d="M11 39l14 14M9 27l28 28M13 17l34 34M21 10l33 33"/><circle cx="32" cy="32" r="27" fill="none" stroke="#5e6ad2" stroke-width="3"/></svg>';

const VIEWER_QUERY = '{"query": "query Me { viewer { id displayName name email avatarUrl active } }"}';

export class LinearProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Linear",
      logo: LOGO,
      order: 16,
      pkce: false,
      scopes: ["read"],
      authURL: "https://linear.app/oauth/authorize",
      tokenURL: "https://api.linear.app/oauth/token",
      userInfoURL: "https://api.linear.app/graphql",
    });
  }

  override fetchRawUserInfo(token: OAuth2Token): Promise<string> {
    return this.sendRawUserInfoRequest(this.userInfoURL, token, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: VIEWER_QUERY,
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const viewer = jsonObj(jsonObj(raw, "data"), "viewer");
    if (!jsonBool(viewer, "active")) throw new OAuth2Error("the Linear user account is not active");
    return this.newUser(token, raw, {
      id: jsonStr(viewer, "id"),
      name: jsonStr(viewer, "name"),
      username: jsonStr(viewer, "displayName"),
      email: jsonStr(viewer, "email"),
      avatarURL: jsonStr(viewer, "avatarUrl"),
    });
  }
}
