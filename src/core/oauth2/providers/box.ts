/** Box. Only active accounts; the login is a verified email (Box requires one to authorize). */
import { jsonStr } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#0061d5"/>' +
  '<g fill="none" stroke="#fff" stroke-width="4" stroke-linecap="round"><path d="M9 20v16"/><circle cx="16" cy="36" r="7"/>' +
  '<circle cx="33" cy="36" r="7"/><path d="M45 29l11 14M56 29L45 43"/></g></svg>';

export class BoxProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Box",
      logo: LOGO,
      order: 20,
      pkce: true,
      scopes: ["root_readonly"],
      authURL: "https://account.box.com/api/oauth2/authorize",
      tokenURL: "https://api.box.com/oauth2/token",
      userInfoURL: "https://api.box.com/2.0/users/me",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const status = jsonStr(raw, "status");
    if (status !== "active")
      throw new OAuth2Error(`Box user account is not active (status: ${JSON.stringify(status)})`);
    return this.newUser(token, raw, {
      id: jsonStr(raw, "id"),
      name: jsonStr(raw, "name"),
      avatarURL: jsonStr(raw, "avatar_url"),
      email: jsonStr(raw, "login"),
    });
  }
}
