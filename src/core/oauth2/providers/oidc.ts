/**
 * Generic OpenID Connect (registered three times: `oidc`, `oidc2`, `oidc3`). The user comes from
 * `userInfoURL` when set, otherwise from the id_token's claims, checked for time and audience, and
 * optionally for `extra.issuers` and a signature from `extra.jwksURL`.
 */
import { parseUnverifiedClaims, validateClaims, verifySignature } from "../id_token.ts";
import { castBool, castString, castStringSlice, jsonAny, jsonStr } from "../json_fields.ts";
import { OAuth2Error, OAuth2Provider, tokenExtra, type OAuth2Token, type OAuth2User } from "../provider.ts";
import { timingSafeEqual } from "node:crypto";

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><path fill="none" stroke="#c8c8c8" stroke-width="6" d="M50 27c-5-3-11-5-18-5-14 0-25 7-25 17 0 8 8 15 19 17"/>' +
  '<path fill="#c8c8c8" d="M57 33L44 19v14z"/><path fill="#f7931e" d="M28 9l8-4v52l-8 4z"/></svg>';

export class OIDCProvider extends OAuth2Provider {
  constructor() {
    super({ displayName: "OIDC", logo: LOGO, order: 99, pkce: true, scopes: ["openid", "email", "profile"] });
  }

  async fetchAuthUser(token: OAuth2Token): Promise<OAuth2User> {
    const raw = await this.fetchRawUserJSON(token);
    return this.newUser(token, raw, {
      id: jsonStr(raw, "sub"),
      name: jsonStr(raw, "name"),
      username: jsonStr(raw, "preferred_username"),
      avatarURL: jsonStr(raw, "picture"),
      // some providers send email_verified as a string
      email: castBool(jsonAny(raw, "email_verified")) ? jsonStr(raw, "email") : "",
    });
  }

  override async fetchRawUserInfo(token: OAuth2Token): Promise<string> {
    if (this.userInfoURL !== "") return super.fetchRawUserInfo(token);
    return JSON.stringify(await this.idTokenClaims(token));
  }

  private async idTokenClaims(token: OAuth2Token): Promise<{ [k: string]: unknown }> {
    const idToken = tokenExtra(token, "id_token");
    if (typeof idToken !== "string" || idToken === "") throw new OAuth2Error("empty id_token");
    const claims = parseUnverifiedClaims(idToken);
    validateClaims(claims, { audience: this.clientId });

    const issuers = castStringSlice(this.extraData?.issuers);
    if (issuers.length > 0) {
      const iss = typeof claims.iss === "string" ? claims.iss : "";
      if (!issuers.some((i) => constantTimeEqual(i, iss))) {
        throw new OAuth2Error(
          `iss must be one of ${JSON.stringify(issuers)}, got ${JSON.stringify(claims.iss ?? null)}`,
        );
      }
    }
    // optional: the token came over TLS straight from the provider
    const jwksURL = castString(this.extraData?.jwksURL);
    if (jwksURL !== "") await verifySignature(idToken, jwksURL, this.signal);
    return claims;
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
