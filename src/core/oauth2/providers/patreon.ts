/** Patreon (API v2 identity). Email only when verified. */
import { jsonBool, jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="39" cy="26" r="17" fill="#ff424d"/>' +
  '<rect x="8" y="9" width="9" height="47" fill="#052d49"/></svg>';

export class PatreonProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Patreon",
      logo: LOGO,
      order: 24,
      pkce: true,
      scopes: ["identity", "identity[email]"],
      authURL: "https://www.patreon.com/oauth2/authorize",
      tokenURL: "https://www.patreon.com/api/oauth2/token",
      userInfoURL:
        "https://www.patreon.com/api/oauth2/v2/identity?fields%5Buser%5D=full_name,email,vanity,image_url,is_email_verified",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const data = jsonObj(raw, "data");
    const attrs = jsonObj(data, "attributes");
    return this.newUser(token, raw, {
      id: jsonStr(data, "id"),
      username: jsonStr(attrs, "vanity"),
      name: jsonStr(attrs, "full_name"),
      avatarURL: jsonStr(attrs, "image_url"),
      email: jsonBool(attrs, "is_email_verified") ? jsonStr(attrs, "email") : "",
    });
  }
}
