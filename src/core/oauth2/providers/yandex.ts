/** Yandex ID. The avatar URL is built from the avatar id unless the avatar is empty. */
import { jsonBool, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="29" fill="#fc3f1d"/>' +
  '<path fill="none" stroke="#fff" stroke-width="5.5" stroke-linejoin="round" d="M22 15l10 19v16M42 15L32 34"/></svg>';

export class YandexProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Yandex",
      logo: LOGO,
      order: 4,
      pkce: true,
      scopes: ["login:email", "login:avatar", "login:info"],
      authURL: "https://oauth.yandex.com/authorize",
      tokenURL: "https://oauth.yandex.com/token",
      userInfoURL: "https://login.yandex.ru/info",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    return this.newUser(token, raw, {
      id: jsonStr(raw, "id"),
      name: jsonStr(raw, "real_name"),
      username: jsonStr(raw, "login"),
      email: jsonStr(raw, "default_email"),
      avatarURL: jsonBool(raw, "is_avatar_empty")
        ? ""
        : `https://avatars.yandex.net/get-yapic/${jsonStr(raw, "default_avatar_id")}/islands-200`,
    });
  }
}
