/** GitLab (gitlab.com by default; self-hosted instances override the URLs). Email only once confirmed. */
import { jsonInt, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path fill="#e24329" d="M32 56L8 38l5-28 7 20h24l7-20 5 28z"/>' +
  '<path fill="#fc6d26" d="M32 56L20 30h24z"/><path fill="#fca326" d="M8 38l12-8 12 26zM56 38l-12-8-12 26z"/></svg>';

/** Go's time.Parse(time.RFC3339): a full date-time with a zone. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class GitlabProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "GitLab",
      logo: LOGO,
      order: 8,
      pkce: true,
      scopes: ["read_user"],
      authURL: "https://gitlab.com/oauth/authorize",
      tokenURL: "https://gitlab.com/oauth/token",
      userInfoURL: "https://gitlab.com/api/v4/user",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const confirmedAt = jsonStr(raw, "confirmed_at");
    const confirmed =
      RFC3339.test(confirmedAt) &&
      !Number.isNaN(Date.parse(confirmedAt)) &&
      !confirmedAt.startsWith("0001-01-01T00:00:00");
    return this.newUser(token, raw, {
      id: jsonInt(raw, "id"),
      name: jsonStr(raw, "name"),
      username: jsonStr(raw, "username"),
      avatarURL: jsonStr(raw, "avatar_url"),
      email: confirmed ? jsonStr(raw, "email") : "",
    });
  }
}
