/**
 * Multi-factor sessions (`_mfas`, upstream core/mfa_*.go): the first factor of a login saves which
 * method it used; the second factor must present that row's id and a different method.
 */
import type { App } from "./app.ts";
import { COLLECTION_NAME_MFAS } from "./collection.ts";
import { formatDateTime } from "./fields/datetime.ts";
import { createdMoreThan } from "./otp.ts";
import { Record } from "./record.ts";
import { findRecordsNewestFirst } from "./record_query.ts";
import { deleteRecord, saveRecord } from "./record_save.ts";

/** The auth method names an MFA row records (upstream's core.MFAMethod*). */
export const MFA_METHOD_PASSWORD = "password";
export const MFA_METHOD_OAUTH2 = "oauth2";
export const MFA_METHOD_OTP = "otp";

function mfasCollection(app: App) {
  const c = app.findCollection(COLLECTION_NAME_MFAS);
  if (!c) throw new Error(`missing ${COLLECTION_NAME_MFAS} collection`);
  return c;
}

/** The rows matching `where`, newest first. */
function rows(app: App, where: (q: (name: string) => string) => string, ...args: string[]): Promise<Record[]> {
  return findRecordsNewestFirst(app, mfasCollection(app), where, args);
}

/** The MFA session with `id`, or null. */
export async function findMFAById(app: App, id: string): Promise<Record | null> {
  if (!id) return null;
  return (await rows(app, (q) => `${q("id")} = ?`, id))[0] ?? null;
}

/** Every MFA session of an auth record, newest first. */
export function findAllMFAsByRecord(app: App, authRecord: Record): Promise<Record[]> {
  return rows(
    app,
    (q) => `${q("collectionRef")} = ? AND ${q("recordRef")} = ?`,
    authRecord.collection.id,
    authRecord.id,
  );
}

/** Opens an MFA session after a first factor passed with `method`. */
export async function createMFA(app: App, authRecord: Record, method: string): Promise<Record> {
  const mfa = new Record(mfasCollection(app));
  mfa.set("collectionRef", authRecord.collection.id);
  mfa.set("recordRef", authRecord.id);
  mfa.set("method", method);
  await saveRecord(app, mfa);
  return mfa;
}

/** True when the session is older than `durationSeconds` (the collection's `mfa.duration`). */
export function mfaHasExpired(mfa: Record, durationSeconds: number): boolean {
  return createdMoreThan(mfa, durationSeconds);
}

/** Deletes the MFA sessions older than their collection's `mfa.duration` (the hourly cleanup). */
export async function deleteExpiredMFAs(app: App): Promise<number> {
  if (!app.findCollection(COLLECTION_NAME_MFAS)) return 0;
  let n = 0;
  for (const c of app.collections()) {
    if (c.type !== "auth") continue;
    const minValid = formatDateTime(new Date(Date.now() - c.mfa.duration * 1000));
    for (const mfa of await rows(app, (q) => `${q("collectionRef")} = ? AND ${q("created")} < ?`, c.id, minValid)) {
      await deleteRecord(app, mfa);
      n++;
    }
  }
  return n;
}
