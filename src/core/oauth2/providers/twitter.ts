/** X (formerly Twitter), OAuth2 with PKCE; the v2 `users/me` endpoint with the confirmed email. */
import { jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#000"/>' +
  '<path fill="#fff" d="M15 14h11l23 36H38z"/><path stroke="#fff" stroke-width="4" d="M47 14L18 50"/></svg>';

export class TwitterProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "X/Twitter",
      logo: LOGO,
      order: 13,
      pkce: true,
      // tweet.read is unused but `users/me` answers 403 without it
      scopes: ["users.read", "users.email", "tweet.read"],
      authURL: "https://x.com/i/oauth2/authorize",
      tokenURL: "https://api.x.com/2/oauth2/token",
      userInfoURL: "https://api.x.com/2/users/me?user.fields=id,name,username,profile_image_url,confirmed_email",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const data = jsonObj(raw, "data");
    return this.newUser(token, raw, {
      id: jsonStr(data, "id"),
      name: jsonStr(data, "name"),
      username: jsonStr(data, "username"),
      email: jsonStr(data, "confirmed_email"),
      avatarURL: jsonStr(data, "profile_image_url"),
    });
  }
}
