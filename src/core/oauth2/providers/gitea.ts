/** Gitea and Forgejo (gitea.com by default). Only active accounts; the verified primary email. */
import { jsonBool, jsonInt, jsonStr, type JSONObject } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path fill="none" stroke="#609926" stroke-width="4.5" d="M45 23h5a7 7 0 0 1 0 14h-6"/>' +
  '<path fill="#609926" d="M8 18h39v16a16 16 0 0 1-16 16h-7A16 16 0 0 1 8 34z"/><path fill="#fff" d="M20 26l9 4.5-4.5 9-9-4.5z"/></svg>';

export class GiteaProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Gitea/Forgejo",
      logo: LOGO,
      order: 11,
      pkce: true,
      scopes: ["read:user", "user:email"],
      authURL: "https://gitea.com/login/oauth/authorize",
      tokenURL: "https://gitea.com/login/oauth/access_token",
      userInfoURL: "https://gitea.com/api/v1/user",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    if (!jsonBool(raw, "active")) throw new OAuth2Error("user account is not active");
    const user = this.newUser(token, raw, {
      id: jsonInt(raw, "id"),
      name: jsonStr(raw, "full_name"),
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
      throw new OAuth2Error("failed to fetch primary email: invalid JSON", text);
    }
    if (!Array.isArray(list)) throw new OAuth2Error("failed to fetch primary email: not a list", text);
    for (const item of list as JSONObject[]) {
      if (item && jsonBool(item, "verified") && jsonBool(item, "primary")) return jsonStr(item, "email");
    }
    return "";
  }
}
