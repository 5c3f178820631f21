/** Lark / Feishu (feishu.cn endpoints by default; larksuite.com works by overriding the URLs). */
import { jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path fill="#00d6b9" d="M9 22c9-9 20-12 29-8l-6 13c-7-4-15-5-23-5z"/>' +
  '<path fill="#3370ff" d="M14 46c12 6 28 3 41-14-9-1-18 1-25 7-5 4-10 6-16 7z"/><path fill="#133c9a" d="M30 39c6-6 14-9 25-7-4-6-10-10-17-11l-6 13z"/></svg>';

export class LarkProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Lark",
      logo: LOGO,
      order: 19,
      pkce: true,
      scopes: [],
      authURL: "https://accounts.feishu.cn/open-apis/authen/v1/authorize",
      tokenURL: "https://open.feishu.cn/open-apis/authen/v2/oauth/token",
      userInfoURL: "https://open.feishu.cn/open-apis/authen/v1/user_info",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const data = jsonObj(raw, "data");
    // union_id is stable across the apps of one developer
    return this.newUser(token, raw, {
      id: jsonStr(data, "union_id"),
      name: jsonStr(data, "name"),
      avatarURL: jsonStr(data, "avatar_url"),
    });
  }
}
