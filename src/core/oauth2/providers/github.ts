/**
 * GitHub. The verified primary address always comes from `/user/emails` (the profile's `email`
 * may be unverified on enterprise setups); a scope error there just leaves the email empty.
 */
import { jsonBool, jsonInt, jsonStr, type JSONObject } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="29" fill="#24292f"/>' +
  '<path fill="#fff" d="M19 23l2-10 8 6h6l8-6 2 10c2 3 3 6 3 9 0 9-7 14-17 14s-17-5-17-14c0-3 1-6 3-9z"/>' +
  '<circle cx="26" cy="33" r="2.6" fill="#24292f"/><circle cx="38" cy="33" r="2.6" fill="#24292f"/>' +
  '<path fill="none" stroke="#fff" stroke-width="4" stroke-linecap="round" d="M28 46v9M36 46v9"/></svg>';

export class GithubProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "GitHub",
      logo: LOGO,
      order: 7,
      pkce: true, // GitHub ignores the PKCE parameters, so sending them is harmless
      scopes: ["read:user", "user:email"],
      authURL: "https://github.com/login/oauth/authorize",
      tokenURL: "https://github.com/login/oauth/access_token",
      userInfoURL: "https://api.github.com/user",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const user = this.newUser(token, raw, {
      id: jsonInt(raw, "id"),
      name: jsonStr(raw, "name"),
      username: jsonStr(raw, "login"),
      avatarURL: jsonStr(raw, "avatar_url"),
    });
    user.email = await this.fetchVerifiedPrimaryEmail(token);
    return user;
  }

  private async fetchVerifiedPrimaryEmail(token: OAuth2Token): Promise<string> {
    const res = await this.authorizedFetch(this.userInfoURL + "/emails", token);
    if (res.status === 401 || res.status === 403 || res.status === 404) return "";
    const text = await res.text();
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      throw new OAuth2Error("invalid emails JSON", text);
    }
    if (!Array.isArray(list)) throw new OAuth2Error("the emails JSON is not a list", text);
    for (const item of list as JSONObject[]) {
      if (item && jsonBool(item, "verified") && jsonBool(item, "primary")) return jsonStr(item, "email");
    }
    return "";
  }
}
