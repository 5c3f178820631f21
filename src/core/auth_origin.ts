/**
 * Known login origins (`_authOrigins`, upstream core/auth_origin_*.go): a fingerprint of the
 * client IP and user agent per successful login, used to alert users about logins from new places.
 */
import { createHash } from "node:crypto";
import type { App } from "./app.ts";
import { COLLECTION_NAME_AUTH_ORIGINS } from "./collection.ts";
import { Record } from "./record.ts";
import { findRecordsNewestFirst } from "./record_query.ts";

function originsCollection(app: App) {
  const c = app.findCollection(COLLECTION_NAME_AUTH_ORIGINS);
  if (!c) throw new Error(`missing ${COLLECTION_NAME_AUTH_ORIGINS} collection`);
  return c;
}

/** Every known origin of an auth record, newest first. */
export function findAllAuthOriginsByRecord(app: App, authRecord: Record): Promise<Record[]> {
  return findRecordsNewestFirst(
    app,
    originsCollection(app),
    (q) => `${q("collectionRef")} = ? AND ${q("recordRef")} = ?`,
    [authRecord.collection.id, authRecord.id],
  );
}

/** A new (unsaved) origin row for `authRecord`. */
export function newAuthOrigin(app: App, authRecord: Record, fingerprint: string): Record {
  const origin = new Record(originsCollection(app));
  origin.set("collectionRef", authRecord.collection.id);
  origin.set("recordRef", authRecord.id);
  origin.set("fingerprint", fingerprint);
  return origin;
}

/** The user agent as it enters a fingerprint: cut at 200 bytes (then "..."). */
export function truncateUserAgent(userAgent: string): string {
  const bytes = Buffer.from(userAgent, "utf8");
  return bytes.length > 200 ? bytes.subarray(0, 200).toString("utf8") + "..." : userAgent;
}

/** md5 hex of the client IP and (truncated) user agent. */
export function authOriginFingerprint(ip: string, userAgent: string): string {
  return createHash("md5")
    .update(Buffer.concat([Buffer.from(ip, "utf8"), uaBytes(userAgent)]))
    .digest("hex");
}

function uaBytes(userAgent: string): Buffer {
  const bytes = Buffer.from(userAgent, "utf8");
  return bytes.length > 200 ? Buffer.concat([bytes.subarray(0, 200), Buffer.from("...")]) : bytes;
}
