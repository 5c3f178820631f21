/**
 * HS256 JWTs, synchronous (node:crypto HMAC) because JS hooks call `$security.createJWT` and
 * `parseJWT` synchronously and the auth check runs on every request. Semantics follow upstream's
 * tools/security/jwt.go (golang-jwt v5): `exp`, `nbf` and `iat` are checked when present.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type Claims = Record<string, unknown>;

const HEADER = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

function b64url(s: string | Buffer): string {
  return Buffer.from(s).toString("base64url");
}

function sign(data: string, key: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

/** Signs `payload` with `exp` = now + duration seconds (payload keys win, as upstream merges them last). */
export function newJWT(payload: Claims, signingKey: string, durationSeconds: number): string {
  const claims: Claims = { exp: Math.floor(Date.now() / 1000) + Math.trunc(durationSeconds), ...payload };
  const sorted: Claims = {};
  for (const k of Object.keys(claims).sort()) sorted[k] = claims[k]; // Go marshals map claims sorted
  const body = `${HEADER}.${b64url(JSON.stringify(sorted))}`;
  return `${body}.${sign(body, signingKey).toString("base64url")}`;
}

/** Decodes without verifying the signature, but checks the time claims. Throws on anything malformed. */
export function parseUnverifiedJWT(token: string): Claims {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("token contains an invalid number of segments");
  let header: Claims, claims: Claims;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
  } catch {
    throw new Error("token is malformed");
  }
  if (!header || typeof header !== "object" || !claims || typeof claims !== "object" || Array.isArray(claims)) {
    throw new Error("token is malformed");
  }
  validateTimeClaims(claims);
  return claims;
}

/** Verifies an HS256 token with `key` and returns its claims. Throws when invalid or expired. */
export function parseJWT(token: string, key: string): Claims {
  const claims = parseUnverifiedJWT(token);
  const parts = token.split(".");
  const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8"));
  if (header.alg !== "HS256") throw new Error("signing method is invalid");
  // Buffer's decoder skips padding and anything after it, so `sig=junk` would still verify; only
  // plain unpadded base64url is a signature (as golang-jwt's RawURLEncoding)
  if (!/^[A-Za-z0-9_-]*$/.test(parts[2]!)) throw new Error("signature is invalid");
  const expected = sign(`${parts[0]}.${parts[1]}`, key);
  const given = Buffer.from(parts[2]!, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new Error("signature is invalid");
  }
  return claims;
}

/** Throws when `exp`, `nbf` or `iat` say the token is not valid now. */
export function validateTimeClaims(claims: Claims): void {
  const now = Date.now() / 1000;
  const num = (k: string) => {
    const v = claims[k];
    if (v === undefined) return undefined;
    if (typeof v !== "number") throw new Error(`invalid type for claim ${k}`);
    return v;
  };
  const exp = num("exp");
  if (exp !== undefined && now >= exp) throw new Error("token is expired");
  const nbf = num("nbf");
  if (nbf !== undefined && now < nbf) throw new Error("token is not valid yet");
  const iat = num("iat");
  if (iat !== undefined && now < iat) throw new Error("token used before issued");
}
