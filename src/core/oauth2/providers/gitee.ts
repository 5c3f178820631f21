/** Gitee. A public, well-formed email is used as is; otherwise the confirmed primary one is looked up. */
import { jsonArr, jsonInt, jsonStr, type JSONObject } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";
import { isEmail } from "../../superusers.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="29" fill="#c71d23"/>' +
  '<path fill="none" stroke="#fff" stroke-width="5" stroke-linejoin="round" d="M45 19H27a8 8 0 0 0-8 8v10a8 8 0 0 0 8 8h10a8 8 0 0 0 8-8v-4H31"/></svg>';

export class GiteeProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Gitee",
      logo: LOGO,
      order: 10,
      pkce: true,
      scopes: ["user_info", "emails"],
      authURL: "https://gitee.com/oauth/authorize",
      tokenURL: "https://gitee.com/oauth/token",
      userInfoURL: "https://gitee.com/api/v5/user",
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
    const email = jsonStr(raw, "email");
    user.email = email !== "" && isEmail(email) ? email : await this.fetchPrimaryEmail(token);
    return user;
  }

  private async fetchPrimaryEmail(token: OAuth2Token): Promise<string> {
    const res = await this.authorizedFetch("https://gitee.com/api/v5/emails", token);
    if (res.status === 401 || res.status === 403 || res.status === 404) return "";
    let list: unknown;
    try {
      list = JSON.parse(await res.text());
    } catch {
      return "";
    }
    // a private address comes back as an object, not a list: no usable email then
    if (!Array.isArray(list)) return "";
    for (const item of list as JSONObject[]) {
      if (!item || typeof item !== "object") continue;
      let scopes: unknown[];
      let state: string;
      let email: string;
      try {
        scopes = jsonArr(item, "scope");
        state = jsonStr(item, "state");
        email = jsonStr(item, "email");
      } catch {
        return "";
      }
      if (state === "confirmed" && scopes.includes("primary") && isEmail(email)) return email;
    }
    return "";
  }
}
