/**
 * Record tokens as upstream mints and checks them (core/record_tokens.go, record_query.go):
 * HS256, keyed by the record's tokenKey + the collection's per-type secret.
 *
 * | type          | extra claims           | duration from        |
 * |---------------|------------------------|----------------------|
 * | auth          | refreshable            | authToken            |
 * | file          | —                      | fileToken            |
 * | verification  | email                  | verificationToken    |
 * | passwordReset | email                  | passwordResetToken   |
 * | emailChange   | email, newEmail        | emailChangeToken     |
 */
import { newJWT, parseJWT, parseUnverifiedJWT, validateTimeClaims } from "../tools/security/jwt.ts";
import type { App } from "./app.ts";
import type { Collection, TokenConfig } from "./collection.ts";
import type { Record } from "./record.ts";
import { findRecordById } from "./record_query.ts";

export type TokenType = "auth" | "file" | "verification" | "passwordReset" | "emailChange";

/** Claim names (upstream's core.TokenClaim*). */
export const TOKEN_CLAIM_ID = "id";
export const TOKEN_CLAIM_TYPE = "type";
export const TOKEN_CLAIM_COLLECTION_ID = "collectionId";
export const TOKEN_CLAIM_EMAIL = "email";
export const TOKEN_CLAIM_NEW_EMAIL = "newEmail";
export const TOKEN_CLAIM_REFRESHABLE = "refreshable";

const CONFIG_KEY = {
  auth: "authToken",
  file: "fileToken",
  verification: "verificationToken",
  passwordReset: "passwordResetToken",
  emailChange: "emailChangeToken",
} as const satisfies { [T in TokenType]: keyof Collection };

/** The `{secret, duration}` of a collection's token type. */
export function tokenConfig(collection: Collection, type: TokenType): TokenConfig {
  return collection[CONFIG_KEY[type]];
}

/**
 * Mints a token of `type` for an auth record; `extra` claims (refreshable, email, …) are merged in.
 * A duration ≤ 0 (or none) uses the collection's configured one.
 */
export function newRecordToken(
  record: Record,
  type: TokenType,
  extra: { [k: string]: unknown } = {},
  durationSeconds?: number,
): string {
  if (record.collection.type !== "auth") throw new Error("not an auth collection record");
  const cfg = tokenConfig(record.collection, type);
  const key = record.tokenKey() + cfg.secret;
  if (key === "") throw new Error("missing or invalid signing key");
  const claims = { id: record.id, type, collectionId: record.collection.id, ...extra };
  return newJWT(claims, key, durationSeconds !== undefined && durationSeconds > 0 ? durationSeconds : cfg.duration);
}

/** An auth token as a login returns it (`refreshable: true`). */
export function newAuthToken(record: Record): string {
  return newRecordToken(record, "auth", { refreshable: true });
}

/** A non-renewable auth token with a custom duration (impersonation, the installer link); ≤ 0 = the collection's. */
export function newStaticAuthToken(record: Record, durationSeconds: number): string {
  return newRecordToken(record, "auth", { refreshable: false }, durationSeconds);
}

/** A token for the verification email, bound to the record's current email. */
export function newVerificationToken(record: Record): string {
  return newRecordToken(record, "verification", { email: record.email() });
}

/** A token for the password reset email, bound to the record's current email. */
export function newPasswordResetToken(record: Record): string {
  return newRecordToken(record, "passwordReset", { email: record.email() });
}

/** A token for confirming an email change to `newEmail`. */
export function newEmailChangeToken(record: Record, newEmail: string): string {
  return newRecordToken(record, "emailChange", { email: record.email(), newEmail });
}

/** A short-lived token for protected file downloads (`?token=`). */
export function newFileToken(record: Record): string {
  return newRecordToken(record, "file");
}

/** Why a token was refused (upstream's error texts, for logs). */
export class TokenError extends Error {}

/**
 * The auth record a token belongs to, or a TokenError for anything malformed, expired, of a type
 * not in `validTypes` (when given), badly signed, or for a record that no longer exists.
 */
export async function findAuthRecordByTokenOrError(
  app: App,
  token: string,
  ...validTypes: TokenType[]
): Promise<Record | TokenError> {
  if (!token) return new TokenError("missing token");
  const hit = verifiedTokens.get(token);
  let claims;
  try {
    if (hit) validateTimeClaims(hit.claims);
    claims = hit ? hit.claims : parseUnverifiedJWT(token);
  } catch (err) {
    verifiedTokens.delete(token);
    return new TokenError((err as Error).message);
  }
  const id = typeof claims.id === "string" ? claims.id : "";
  const collectionId = typeof claims.collectionId === "string" ? claims.collectionId : "";
  const type = typeof claims.type === "string" ? claims.type : "";
  if (!id || !collectionId || !type) return new TokenError("missing or invalid token claims");
  if (validTypes.length && !validTypes.includes(type as TokenType)) {
    return new TokenError(`invalid token type "${type}", expects "${validTypes.join(",")}"`);
  }
  const collection = app.findCollection(collectionId);
  const record = collection ? await findRecordById(app, collection, id) : null;
  if (!collection || !record) return new TokenError("no rows in result set");
  if (collection.type !== "auth") return new TokenError("the token is not associated to an auth collection record");
  if (!(type in CONFIG_KEY)) return new TokenError("unknown token type " + type);
  const key = record.tokenKey() + tokenConfig(collection, type as TokenType).secret;
  // the signature was checked with this very key before: a new secret or tokenKey misses
  if (hit?.key === key) return record;
  try {
    parseJWT(token, key);
  } catch (err) {
    return new TokenError((err as Error).message);
  }
  if (verifiedTokens.size >= VERIFIED_TOKENS_MAX) verifiedTokens.clear();
  verifiedTokens.set(token, { claims, key });
  return record;
}

/**
 * Tokens whose signature verified, with the key that verified them and their claims: the same
 * token on the next request skips decoding and the HMAC (the record is still loaded, its key
 * compared and the time claims checked every time).
 */
const verifiedTokens = new Map<string, { claims: ReturnType<typeof parseUnverifiedJWT>; key: string }>();
const VERIFIED_TOKENS_MAX = 2048;

/**
 * The auth record a token belongs to, or null for anything invalid, expired, of the wrong type or
 * for a record that no longer exists: callers treat that as a guest, as upstream does.
 */
export async function findAuthRecordByToken(
  app: App,
  token: string,
  ...validTypes: TokenType[]
): Promise<Record | null> {
  const r = await findAuthRecordByTokenOrError(app, token, ...validTypes);
  return r instanceof TokenError ? null : r;
}
