/** mailcow (self-hosted: the URLs come from the collection config). Only active mailboxes. */
import { jsonNum, jsonStr } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect x="7" y="15" width="50" height="34" rx="5" fill="#fcc419"/>' +
  '<path fill="none" stroke="#343a40" stroke-width="3.5" stroke-linejoin="round" d="M10 19l22 17 22-17"/>' +
  '<path fill="#343a40" d="M7 20l-4-7 9 3zM57 20l4-7-9 3z"/></svg>';

export class MailcowProvider extends OAuth2Provider {
  constructor() {
    super({ displayName: "mailcow", logo: LOGO, order: 28, pkce: true, scopes: ["profile"] });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    if (jsonNum(raw, "active") !== 1) throw new OAuth2Error("the mailcow user is not active");
    let username = jsonStr(raw, "username");
    // mailcow usernames are usually the addresses: keep the local part
    if (username.includes("@")) username = username.split("@")[0]!;
    return this.newUser(token, raw, {
      id: jsonStr(raw, "id"),
      name: jsonStr(raw, "full_name"),
      username,
      email: jsonStr(raw, "email"),
    });
  }
}
