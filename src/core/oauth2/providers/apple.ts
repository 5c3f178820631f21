/**
 * Sign in with Apple. There is no user-info endpoint: the user is the id_token's claims, whose
 * expiry, issuer and audience are checked and whose signature is verified with Apple's JWKS. The
 * name comes only with the first redirect (`user` form value); the redirect handler keeps it briefly
 * and auth-with-oauth2 fills it in. The client secret is itself a JWT (see apple_client_secret.ts).
 */
import { parseUnverifiedClaims, validateClaims, verifySignature } from "../id_token.ts";
import { castBool, jsonAny, jsonStr } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, tokenExtra, type OAuth2Token, type OAuth2User } from "../provider.ts";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path fill="#111" d="M32 21c-3-2-8-4-13-1-7 4-8 14-5 22 3 9 8 16 13 16 2 0 3-1 5-1s3 1 5 1c5 0 10-7 13-15-4-2-7-6-6-11 0-4 3-7 6-9-3-4-8-5-12-4-2 1-4 2-6 2z"/>' +
  '<path fill="#111" d="M32 18c0-6 4-10 10-11 0 6-4 10-10 11z"/></svg>';

export const APPLE_ISSUER = "https://appleid.apple.com";

export class AppleProvider extends OAuth2Provider {
  /** Where Apple publishes the keys its id_tokens are signed with. */
  jwksURL = "https://appleid.apple.com/auth/keys";

  constructor() {
    super({
      displayName: "Apple",
      logo: LOGO,
      order: 1,
      pkce: true,
      scopes: ["name", "email"],
      authURL: "https://appleid.apple.com/auth/authorize",
      tokenURL: "https://appleid.apple.com/auth/token",
    });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    return this.newUser(token, raw, {
      id: jsonStr(raw, "sub"),
      name: jsonStr(raw, "name"),
      // email_verified is a string or a bool
      email: castBool(jsonAny(raw, "email_verified")) ? jsonStr(raw, "email") : "",
    });
  }

  override async fetchRawUserInfo(token: OAuth2Token): Promise<string> {
    const idToken = tokenExtra(token, "id_token");
    if (typeof idToken !== "string" || idToken === "") throw new OAuth2Error("empty id_token");
    const claims = parseUnverifiedClaims(idToken);
    validateClaims(claims, { requireExpiration: true, issuer: APPLE_ISSUER, audience: this.clientId });
    await verifySignature(idToken, this.jwksURL, this.signal);
    return JSON.stringify(claims);
  }
}
