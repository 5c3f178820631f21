/** Planning Center (People `me`). Only active people; no email (several, of unknown verification). */
import { jsonObj, jsonStr } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#2266f7"/>' +
  '<circle cx="32" cy="32" r="13" fill="none" stroke="#fff" stroke-width="7"/></svg>';

export class PlanningcenterProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Planning Center",
      logo: LOGO,
      order: 29,
      pkce: true,
      scopes: ["people"],
      authURL: "https://api.planningcenteronline.com/oauth/authorize",
      tokenURL: "https://api.planningcenteronline.com/oauth/token",
      userInfoURL: "https://api.planningcenteronline.com/people/v2/me",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const data = jsonObj(raw, "data");
    const attrs = jsonObj(data, "attributes");
    if (jsonStr(attrs, "status") !== "active") throw new OAuth2Error("the user is not active");
    return this.newUser(token, raw, {
      id: jsonStr(data, "id"),
      name: jsonStr(attrs, "name"),
      avatarURL: jsonStr(attrs, "avatar"),
    });
  }
}
