/** Spotify. No email: Spotify does not say whether the address is verified. */
import { jsonObjArr, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="29" fill="#1db954"/>' +
  '<path fill="none" stroke="#000" stroke-linecap="round" d="M16 24c11-3 23-2 32 3" stroke-width="5.5"/>' +
  '<path fill="none" stroke="#000" stroke-linecap="round" d="M18 33c9-2 18-1 26 3" stroke-width="4.5"/>' +
  '<path fill="none" stroke="#000" stroke-linecap="round" d="M20 42c7-1 13 0 19 3" stroke-width="3.5"/></svg>';

export class SpotifyProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Spotify",
      logo: LOGO,
      order: 21,
      pkce: true,
      scopes: ["user-read-private"],
      authURL: "https://accounts.spotify.com/authorize",
      tokenURL: "https://accounts.spotify.com/api/token",
      userInfoURL: "https://api.spotify.com/v1/me",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const images = jsonObjArr(raw, "images");
    return this.newUser(token, raw, {
      id: jsonStr(raw, "id"),
      name: jsonStr(raw, "display_name"),
      avatarURL: images.length > 0 ? jsonStr(images[0]!, "url") : "",
    });
  }
}
