/** Facebook (Graph API `me` with the large picture). */
import { jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="29" fill="#1877f2"/>' +
  '<path fill="#fff" d="M35 61V37h8l1-9h-9v-5c0-3 1-5 5-5h4v-8c-1 0-4-1-7-1-7 0-11 4-11 11v8h-8v9h8v24z"/></svg>';

export class FacebookProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Facebook",
      logo: LOGO,
      order: 5,
      pkce: true,
      scopes: ["email"],
      authURL: "https://www.facebook.com/v3.2/dialog/oauth",
      tokenURL: "https://graph.facebook.com/v3.2/oauth/access_token",
      userInfoURL: "https://graph.facebook.com/me?fields=name,email,picture.type(large)",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    return this.newUser(token, raw, {
      id: jsonStr(raw, "id"),
      name: jsonStr(raw, "name"),
      email: jsonStr(raw, "email"),
      avatarURL: jsonStr(jsonObj(jsonObj(raw, "picture"), "data"), "url"),
    });
  }
}
