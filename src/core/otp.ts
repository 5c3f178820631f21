/**
 * One-time passwords (`_otps`, upstream core/otp_*.go): a row per issued code, pointing at its auth
 * record, with the code bcrypt-hashed (the field's cost, 8) and `sentTo` set once it was mailed.
 */
import type { App } from "./app.ts";
import { COLLECTION_NAME_OTPS } from "./collection.ts";
import { formatDateTime } from "./fields/datetime.ts";
import { Record } from "./record.ts";
import { findRecordsNewestFirst } from "./record_query.ts";
import { deleteRecord, saveRecord } from "./record_save.ts";

function otpsCollection(app: App) {
  const c = app.findCollection(COLLECTION_NAME_OTPS);
  if (!c) throw new Error(`missing ${COLLECTION_NAME_OTPS} collection`);
  return c;
}

/** The rows matching `where`, newest first. */
function rows(app: App, where: (q: (name: string) => string) => string, ...args: string[]): Promise<Record[]> {
  return findRecordsNewestFirst(app, otpsCollection(app), where, args);
}

/** The OTP with `id`, or null. */
export async function findOTPById(app: App, id: string): Promise<Record | null> {
  if (!id) return null;
  return (await rows(app, (q) => `${q("id")} = ?`, id))[0] ?? null;
}

/** Every OTP of an auth record, newest first. */
export function findAllOTPsByRecord(app: App, authRecord: Record): Promise<Record[]> {
  return rows(
    app,
    (q) => `${q("collectionRef")} = ? AND ${q("recordRef")} = ?`,
    authRecord.collection.id,
    authRecord.id,
  );
}

/** Issues a new OTP for `authRecord` with the plain `password` (hashed on save). */
export async function createOTP(app: App, authRecord: Record, password: string): Promise<Record> {
  const otp = new Record(otpsCollection(app));
  otp.set("collectionRef", authRecord.collection.id);
  otp.set("recordRef", authRecord.id);
  otp.set("password", password);
  await saveRecord(app, otp);
  return otp;
}

/** True when `created` (an upstream datetime) is more than `seconds` ago. */
export function createdMoreThan(record: Record, seconds: number): boolean {
  const created = Date.parse(record.getString("created").replace(" ", "T"));
  if (!Number.isFinite(created)) return true;
  return Date.now() - created > seconds * 1000;
}

/** True when the OTP is older than `durationSeconds` (the collection's `otp.duration`). */
export function otpHasExpired(otp: Record, durationSeconds: number): boolean {
  return createdMoreThan(otp, durationSeconds);
}

/** Deletes every OTP of an auth record (with hooks). */
export async function deleteAllOTPsByRecord(app: App, authRecord: Record): Promise<void> {
  for (const otp of await findAllOTPsByRecord(app, authRecord)) await deleteRecord(app, otp);
}

/** Deletes the OTPs older than their collection's `otp.duration` (the hourly cleanup). */
export async function deleteExpiredOTPs(app: App): Promise<number> {
  if (!app.findCollection(COLLECTION_NAME_OTPS)) return 0;
  let n = 0;
  for (const c of app.collections()) {
    if (c.type !== "auth") continue;
    const minValid = formatDateTime(new Date(Date.now() - c.otp.duration * 1000));
    for (const otp of await rows(app, (q) => `${q("collectionRef")} = ? AND ${q("created")} < ?`, c.id, minValid)) {
      await deleteRecord(app, otp);
      n++;
    }
  }
  return n;
}
