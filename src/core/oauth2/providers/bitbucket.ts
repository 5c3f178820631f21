/** Bitbucket Cloud (no PKCE). Only active accounts; the email is the confirmed primary one. */
import { jsonBool, jsonObj, jsonObjArr, jsonStr } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, parseJSONObject, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path fill="#2684ff" d="M7 10h50l-8 44H15z"/>' +
  '<path fill="#fff" d="M25 25h14l-2.5 14h-9z"/></svg>';

export class BitbucketProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Bitbucket",
      logo: LOGO,
      order: 9,
      pkce: false,
      scopes: ["account"],
      authURL: "https://bitbucket.org/site/oauth2/authorize",
      tokenURL: "https://bitbucket.org/site/oauth2/access_token",
      userInfoURL: "https://api.bitbucket.org/2.0/user",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    if (jsonStr(raw, "account_status") !== "active") throw new OAuth2Error("the Bitbucket user is not active");
    const email = await this.fetchPrimaryEmail(token);
    return this.newUser(token, raw, {
      id: jsonStr(raw, "uuid"),
      name: jsonStr(raw, "display_name"),
      username: jsonStr(raw, "username"),
      email,
      avatarURL: jsonStr(jsonObj(jsonObj(raw, "links"), "avatar"), "href"),
    });
  }

  private async fetchPrimaryEmail(token: OAuth2Token): Promise<string> {
    const res = await this.authorizedFetch(this.userInfoURL + "/emails", token);
    if (res.status >= 400) return ""; // most likely a missing scope: the email is optional
    const data = parseJSONObject(await res.text());
    for (const v of jsonObjArr(data, "values")) {
      if (jsonBool(v, "is_primary") && jsonBool(v, "is_confirmed")) return jsonStr(v, "email");
    }
    return "";
  }
}
