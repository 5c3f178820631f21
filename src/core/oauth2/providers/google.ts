/** Google (OAuth2 v2 endpoints; the email only when Google marks it verified). */
import { jsonBool, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" fill="none" stroke-width="9">' +
  '<path stroke="#ea4335" d="M47.3 19.1A20 20 0 0 0 14.7 22"/><path stroke="#fbbc05" d="M14.7 22A20 20 0 0 0 14.7 42"/>' +
  '<path stroke="#34a853" d="M14.7 42A20 20 0 0 0 46.1 46.1"/><path stroke="#4285f4" d="M46.1 46.1A20 20 0 0 0 52 32H33"/></svg>';

export class GoogleProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Google",
      logo: LOGO,
      order: 2,
      pkce: true,
      scopes: ["https://www.googleapis.com/auth/userinfo.profile", "https://www.googleapis.com/auth/userinfo.email"],
      authURL: "https://accounts.google.com/o/oauth2/v2/auth",
      tokenURL: "https://oauth2.googleapis.com/token",
      userInfoURL: "https://www.googleapis.com/oauth2/v3/userinfo",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    return this.newUser(token, raw, {
      id: jsonStr(raw, "sub"),
      name: jsonStr(raw, "name"),
      avatarURL: jsonStr(raw, "picture"),
      email: jsonBool(raw, "email_verified") ? jsonStr(raw, "email") : "",
    });
  }
}
