/** Discord. The avatar URL is built from the avatar hash; the email only when verified. */
import { jsonBool, jsonStr } from "../json_fields.ts";
import { OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#5865f2"/>' +
  '<path fill="#fff" d="M17 20c4-2 8-3 11-3l1 2h6l1-2c3 0 7 1 11 3 4 7 6 14 5 22-4 3-8 4-11 5l-2-4 4-2-1-1c-7 3-14 3-21 0l-1 1 4 2-2 4c-3-1-7-2-11-5-1-8 1-15 6-22z"/>' +
  '<circle cx="25.5" cy="34" r="3.5" fill="#5865f2"/><circle cx="38.5" cy="34" r="3.5" fill="#5865f2"/></svg>';

export class DiscordProvider extends OAuth2Provider {
  constructor() {
    super({
      displayName: "Discord",
      logo: LOGO,
      order: 12,
      pkce: true,
      scopes: ["identify", "email"],
      authURL: "https://discord.com/api/oauth2/authorize",
      tokenURL: "https://discord.com/api/oauth2/token",
      userInfoURL: "https://discord.com/api/users/@me",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    const id = jsonStr(raw, "id");
    const avatar = jsonStr(raw, "avatar");
    const username = jsonStr(raw, "username");
    const discriminator = jsonStr(raw, "discriminator");
    // the display name, else the (legacy "name#1234") username
    let name = jsonStr(raw, "global_name");
    if (name === "") name = discriminator !== "" && discriminator !== "0" ? `${username}#${discriminator}` : username;
    return this.newUser(token, raw, {
      id,
      name,
      username,
      avatarURL: avatar ? `https://cdn.discordapp.com/avatars/${id}/${avatar}.png` : "",
      email: jsonBool(raw, "verified") ? jsonStr(raw, "email") : "",
    });
  }
}
