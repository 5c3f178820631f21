/** Strava (athlete profile; Strava shares no email). */
import { jsonInt, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path fill="#fc4c02" d="M26 5L9 38h11l6-12 6 12h11z"/>' +
  '<path fill="#fc4c02" fill-opacity=".6" d="M43 38l-6 11-6-11h-8l14 22 14-22z"/></svg>';

export class StravaProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Strava",
      logo: LOGO,
      order: 25,
      pkce: true,
      scopes: ["profile:read_all"],
      authURL: "https://www.strava.com/oauth/authorize",
      tokenURL: "https://www.strava.com/api/v3/oauth/token",
      userInfoURL: "https://www.strava.com/api/v3/athlete",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const id = jsonInt(raw, "id");
    return this.newUser(token, raw, {
      id: id === "0" ? "" : id,
      name: jsonStr(raw, "firstname") + " " + jsonStr(raw, "lastname"),
      username: jsonStr(raw, "username"),
      avatarURL: jsonStr(raw, "profile"),
    });
  }
}
