/**
 * Superuser accounts (`_superusers`): what the CLI's `superuser` command and the installer do.
 * Superusers are always verified; the installer account goes away once a real one exists, and the
 * last superuser cannot be deleted.
 */
import type { App } from "./app.ts";
import { ApiError, ValidationErrors } from "./errors.ts";
import { Record } from "./record.ts";
import { countRecords, findAuthRecordByEmail } from "./record_query.ts";
import { deleteRecord, saveRecord } from "./record_save.ts";
import { INSTALLER_EMAIL, SUPERUSERS } from "./record_system_hooks.ts";
import { randomString } from "../tools/security/random.ts";

export { INSTALLER_EMAIL, SUPERUSERS };

/** Upstream's email format check (a pragmatic RFC 5322 subset, as ozzo-validation's is.EmailFormat). */
export function isEmail(s: string): boolean {
  return (
    /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(
      s,
    ) && s.length <= 254
  );
}

function superusersCollection(app: App) {
  const c = app.findCollection(SUPERUSERS);
  if (!c) throw new Error(`failed to fetch "${SUPERUSERS}" collection`);
  return c;
}

function validatePassword(password: string): void {
  // _superusers' password field: required, 8..71 characters (bcrypt's 72-byte ceiling minus one).
  if (password.length === 0)
    throw new ValidationErrors({ password: { code: "validation_required", message: "Cannot be blank." } });
  if (password.length < 8 || password.length > 71) {
    throw new ValidationErrors({
      password: {
        code: "validation_length_out_of_range",
        message: "The length must be between 8 and 71.",
        params: { max: 71, min: 8 },
      },
    });
  }
}

/** Saves a superuser (the system hooks mark it verified and retire the installer account). */
export async function saveSuperuser(app: App, record: Record): Promise<void> {
  await saveRecord(app, record);
}

/** Creates a superuser; fails when the email is taken. */
export async function createSuperuser(app: App, email: string, password: string): Promise<Record> {
  if (!isEmail(email)) throw new Error("missing or invalid email address");
  if (await findAuthRecordByEmail(app, SUPERUSERS, email)) {
    throw new ValidationErrors({ email: { code: "validation_not_unique", message: "Value must be unique." } });
  }
  validatePassword(password);
  const record = new Record(superusersCollection(app));
  record.set("email", email);
  await record.setPassword(password);
  await saveSuperuser(app, record);
  return record;
}

/** Changes an existing superuser's password; fails when the email is unknown. */
export async function updateSuperuserPassword(app: App, email: string, password: string): Promise<Record> {
  if (!isEmail(email)) throw new Error("missing or invalid email address");
  const record = await findAuthRecordByEmail(app, SUPERUSERS, email);
  if (!record) throw new Error(`superuser with email "${email}" doesn't exist`);
  validatePassword(password);
  await record.setPassword(password);
  await saveSuperuser(app, record);
  return record;
}

/** Creates the superuser, or changes its password when the email exists. */
export async function upsertSuperuser(app: App, email: string, password: string): Promise<Record> {
  if (!isEmail(email)) throw new Error("missing or invalid email address");
  return (await findAuthRecordByEmail(app, SUPERUSERS, email))
    ? updateSuperuserPassword(app, email, password)
    : createSuperuser(app, email, password);
}

/** Deletes a superuser. Returns false when there was none; refuses to delete the last one. */
export async function deleteSuperuser(app: App, email: string): Promise<boolean> {
  if (!isEmail(email)) throw new Error("invalid or missing email address");
  const record = await findAuthRecordByEmail(app, SUPERUSERS, email);
  if (!record) return false;
  await deleteRecord(app, record);
  return true;
}

/** True when the only superusers are the installer placeholder (or none): the installer should run. */
export async function needsInstaller(app: App): Promise<boolean> {
  const where = `${app.db.dialect.quoteIdent("email")} != ?`;
  return (await countRecords(app, SUPERUSERS, where, INSTALLER_EMAIL)) === 0;
}

/** Finds or creates the installer superuser with a random password. */
export async function installerSuperuser(app: App): Promise<Record> {
  const existing = await findAuthRecordByEmail(app, SUPERUSERS, INSTALLER_EMAIL);
  if (existing) return existing;
  const record = new Record(superusersCollection(app));
  record.set("email", INSTALLER_EMAIL);
  await record.setPassword(randomString(30));
  try {
    await saveSuperuser(app, record);
  } catch (err) {
    // another node of a cluster, starting at the same time, created it first
    const created = await findAuthRecordByEmail(app, SUPERUSERS, INSTALLER_EMAIL);
    if (created) return created;
    throw err;
  }
  return record;
}

/** A one-time password for a superuser (OTP must be enabled on `_superusers`); returns the plain password. */
export async function createSuperuserOTP(
  app: App,
  email: string,
): Promise<{ id: string; password: string; duration: number }> {
  if (!isEmail(email)) throw new Error("invalid or missing email address");
  const superuser = await findAuthRecordByEmail(app, SUPERUSERS, email);
  if (!superuser) throw new Error(`superuser with email "${email}" doesn't exist`);
  const { otp } = superuser.collection;
  if (!otp.enabled) throw new Error("OTP auth is not enabled for the _superusers collection");
  const otps = app.findCollection("_otps");
  if (!otps) throw new Error('failed to fetch "_otps" collection');
  const password = randomString(otp.length, "1234567890");
  const record = new Record(otps);
  record.set("collectionRef", superuser.collection.id);
  record.set("recordRef", superuser.id);
  await record.setPassword(password);
  await saveRecord(app, record);
  return { id: record.id, password, duration: otp.duration };
}
