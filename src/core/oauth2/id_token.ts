/**
 * OpenID Connect id_tokens (Apple, generic OIDC, Microsoft's email claims): reading the claims,
 * checking the time, audience and issuer claims with a leeway, and verifying the signature against
 * the provider's JWKS with `jose`.
 */
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK } from "jose";
import { OAuth2Error } from "./provider.ts";

export type Claims = { [k: string]: unknown };

let leewaySeconds = 5 * 60;

/**
 * Sets the clock leeway of id_token time checks (upstream reads `PB_ID_TOKEN_LEEWAY`, in seconds;
 * the CLI may pass it on). Default 5 minutes.
 */
export function setIdTokenLeeway(seconds: number): void {
  if (Number.isFinite(seconds) && seconds >= 0) leewaySeconds = seconds;
}

/** The claims of a JWT, without any verification. */
export function parseUnverifiedClaims(token: string): Claims {
  try {
    return decodeJwt(token) as Claims;
  } catch (err) {
    throw new OAuth2Error(`invalid id_token: ${(err as Error).message}`);
  }
}

export interface ClaimChecks {
  /** The `aud` claim (string or list) must hold this value. */
  audience?: string;
  /** The `iss` claim must equal this value. */
  issuer?: string;
  /** Fail when `exp` is missing. */
  requireExpiration?: boolean;
}

function numericDate(claims: Claims, name: string): number | null {
  const v = claims[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "number") throw new OAuth2Error(`invalid type for claim ${name}`);
  return v;
}

/**
 * The registered-claim checks of golang-jwt's validator: `exp` not passed, `iat` and `nbf` not in
 * the future (each with the leeway), then the audience and issuer.
 */
export function validateClaims(claims: Claims, checks: ClaimChecks, now = Date.now() / 1000): void {
  const exp = numericDate(claims, "exp");
  if (exp === null) {
    if (checks.requireExpiration) throw new OAuth2Error("token is missing required claim: exp claim is required");
  } else if (!(now < exp + leewaySeconds)) {
    throw new OAuth2Error("token has invalid claims: token is expired");
  }
  const iat = numericDate(claims, "iat");
  if (iat !== null && now < iat - leewaySeconds)
    throw new OAuth2Error("token has invalid claims: token used before issued");
  const nbf = numericDate(claims, "nbf");
  if (nbf !== null && now < nbf - leewaySeconds)
    throw new OAuth2Error("token has invalid claims: token is not valid yet");
  if (checks.audience !== undefined) {
    const aud = claims.aud;
    const list = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
    if (!list.some((a) => a === checks.audience))
      throw new OAuth2Error("token has invalid claims: token has invalid audience");
  }
  if (checks.issuer !== undefined && claims.iss !== checks.issuer) {
    throw new OAuth2Error("token has invalid claims: token has invalid issuer");
  }
}

/**
 * Verifies `token`'s signature with the key of its `kid` from the JWKS at `jwksURL`; the key must
 * declare its `alg`, which is then the only algorithm accepted.
 */
export async function verifySignature(token: string, jwksURL: string, signal?: AbortSignal): Promise<void> {
  let kid = "";
  try {
    const header = decodeProtectedHeader(token);
    kid = typeof header.kid === "string" ? header.kid : "";
  } catch (err) {
    throw new OAuth2Error(`invalid token header: ${(err as Error).message}`);
  }
  if (!kid) throw new OAuth2Error("missing kid header value");

  const res = await fetch(jwksURL, { signal });
  const text = await res.text();
  if (res.status >= 400)
    throw new OAuth2Error(`failed to fetch JSON Web Key Set from ${jwksURL} (${res.status})`, text);
  let keys: JWK[] = [];
  try {
    const parsed = JSON.parse(text) as { keys?: unknown };
    if (Array.isArray(parsed.keys)) keys = parsed.keys as JWK[];
  } catch {
    throw new OAuth2Error("invalid JSON Web Key Set", text);
  }
  const jwk = keys.find((k) => k && k.kid === kid && typeof k.alg === "string" && k.alg !== "");
  if (!jwk) throw new OAuth2Error(`missing JWK with kid "${kid}" and non-empty alg`);
  try {
    const key = await importJWK(jwk, jwk.alg);
    await compactVerify(token, key, { algorithms: [jwk.alg!] });
  } catch (err) {
    throw new OAuth2Error(`id_token validation failed: ${(err as Error).message}`);
  }
}
