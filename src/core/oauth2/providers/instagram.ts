/** Instagram Login (`instagram2`; the old Basic Display provider is gone). Granted permissions join the raw user. */
import { jsonStr } from "../json_fields.ts";
import { OAuth2Provider, tokenExtra, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><defs><linearGradient id="pbOAuth2InstagramGrad" x1="0" y1="1" x2="1" y2="0">' +
  '<stop offset="0" stop-color="#feda75"/><stop offset=".5" stop-color="#d62976"/><stop offset="1" stop-color="#4f5bd5"/></linearGradient></defs>' +
  '<g fill="none" stroke="url(#pbOAuth2InstagramGrad)" stroke-width="5"><rect x="7" y="7" width="50" height="50" rx="15"/><circle cx="32" cy="32" r="11.5"/></g>' +
  '<circle cx="46" cy="18" r="3.2" fill="#d62976"/></svg>';

export class InstagramProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Instagram",
      logo: LOGO,
      order: 6,
      pkce: true,
      scopes: ["instagram_business_basic"],
      authURL: "https://www.instagram.com/oauth/authorize",
      tokenURL: "https://api.instagram.com/oauth/access_token",
      userInfoURL:
        "https://graph.instagram.com/me?fields=id,username,account_type,user_id,name,profile_picture_url,followers_count,follows_count,media_count",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    if (!("permissions" in raw)) {
      const permissions = tokenExtra(token, "permissions");
      if (permissions !== undefined && permissions !== null) raw.permissions = permissions;
    }
    return this.newUser(token, raw, {
      id: jsonStr(raw, "user_id"),
      username: jsonStr(raw, "username"),
      name: jsonStr(raw, "name"),
      avatarURL: jsonStr(raw, "profile_picture_url"),
    });
  }
}
