/** Kakao. The email only when Kakao marks it both valid and verified. */
import { jsonBool, jsonInt, jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#fee500"/>' +
  '<path fill="#191919" d="M32 13c-12 0-21 7-21 16 0 6 4 11 10 14l-2 9 10-7h3c12 0 21-7 21-16s-9-16-21-16z"/></svg>';

export class KakaoProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Kakao",
      logo: LOGO,
      order: 14,
      pkce: true,
      scopes: ["account_email", "profile_nickname", "profile_image"],
      authURL: "https://kauth.kakao.com/oauth/authorize",
      tokenURL: "https://kauth.kakao.com/oauth/token",
      userInfoURL: "https://kapi.kakao.com/v2/user/me",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const profile = jsonObj(raw, "properties");
    const account = jsonObj(raw, "kakao_account");
    const verified = jsonBool(account, "is_email_valid") && jsonBool(account, "is_email_verified");
    return this.newUser(token, raw, {
      id: jsonInt(raw, "id"),
      username: jsonStr(profile, "nickname"),
      avatarURL: jsonStr(profile, "profile_image"),
      email: verified ? jsonStr(account, "email") : "",
    });
  }
}
