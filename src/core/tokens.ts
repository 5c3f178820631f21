/**
 * Record tokens as upstream mints and checks them (core/record_tokens.go, record_query.go):
 * HS256, keyed by the record's tokenKey + the collection's per-type secret.
 */
import { newJWT, parseJWT, parseUnverifiedJWT } from "../tools/security/jwt.ts";
import type { App } from "./app.ts";
import type { Collection, TokenConfig } from "./collection.ts";
import type { Record } from "./record.ts";
import { findRecordById } from "./record_query.ts";

export type TokenType = "auth" | "file" | "verification" | "passwordReset" | "emailChange";

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

/** Mints a token of `type` for an auth record; `extra` claims (refreshable, email, …) are merged in. */
export function newRecordToken(record: Record, type: TokenType, extra: { [k: string]: unknown } = {}, durationSeconds?: number): string {
  const cfg = tokenConfig(record.collection, type);
  const claims = { id: record.id, type, collectionId: record.collection.id, ...extra };
  return newJWT(claims, record.tokenKey() + cfg.secret, durationSeconds ?? cfg.duration);
}

/** An auth token as a login returns it (`refreshable: true`). */
export function newAuthToken(record: Record): string {
  return newRecordToken(record, "auth", { refreshable: true });
}

/** A non-renewable auth token with a custom duration (impersonation, the installer link). */
export function newStaticAuthToken(record: Record, durationSeconds: number): string {
  const cfg = tokenConfig(record.collection, "auth");
  return newRecordToken(record, "auth", { refreshable: false }, durationSeconds > 0 ? durationSeconds : cfg.duration);
}

/**
 * The auth record a token belongs to, or null for anything invalid, expired, of the wrong type or
 * for a record that no longer exists: callers treat that as a guest, as upstream does.
 */
export function findAuthRecordByToken(app: App, token: string, ...validTypes: TokenType[]): Record | null {
  if (!token) return null;
  let claims;
  try {
    claims = parseUnverifiedJWT(token);
  } catch {
    return null;
  }
  const id = typeof claims.id === "string" ? claims.id : "";
  const collectionId = typeof claims.collectionId === "string" ? claims.collectionId : "";
  const type = typeof claims.type === "string" ? (claims.type as TokenType) : ("" as TokenType);
  if (!id || !collectionId || !type || !(type in CONFIG_KEY)) return null;
  if (validTypes.length && !validTypes.includes(type)) return null;
  const collection = app.findCollection(collectionId);
  if (!collection || collection.type !== "auth") return null;
  const record = findRecordById(app, collection, id);
  if (!record) return null;
  try {
    parseJWT(token, record.tokenKey() + tokenConfig(collection, type).secret);
  } catch {
    return null;
  }
  return record;
}
