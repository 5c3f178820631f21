import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "./app.ts";
import { formatDateTime } from "./fields/datetime.ts";
import { createMFA, deleteExpiredMFAs, findMFAById, mfaHasExpired } from "./mfa.ts";
import { createOTP, deleteExpiredOTPs, findAllOTPsByRecord, findOTPById, otpHasExpired } from "./otp.ts";
import { Record } from "./record.ts";
import { saveRecord } from "./record_save.ts";

let dir: string;
let app: App;
let user: Record;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pb-otp-"));
  app = new App({ dataDir: dir });
  await app.bootstrap();
  user = new Record(app.findCollection("users")!);
  user.set("email", "ann@example.com");
  await user.setPassword("1234567890");
  await saveRecord(app, user);
});
afterAll(async () => {
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

/** Moves a row's `created` back by `seconds`. */
async function age(table: string, id: string, seconds: number) {
  await app.db.run(`UPDATE \`${table}\` SET created = ? WHERE id = ?`, [
    formatDateTime(new Date(Date.now() - seconds * 1000)),
    id,
  ]);
}

test("OTPs: hashed with the field's cost, newest first, expired by the collection's otp.duration", async () => {
  const a = await createOTP(app, user, "123456");
  const b = await createOTP(app, user, "654321");
  expect(a.getString("password")).toMatch(/^\$2a\$08\$/);
  expect(await (await findOTPById(app, a.id))!.validatePassword("123456")).toBe(true);
  await age("_otps", a.id, 10);
  expect((await findAllOTPsByRecord(app, user)).map((o) => o.id)).toEqual([b.id, a.id]);
  await age("_otps", a.id, user.collection.otp.duration + 5);
  expect(otpHasExpired((await findOTPById(app, a.id))!, user.collection.otp.duration)).toBe(true);
  expect(otpHasExpired((await findOTPById(app, b.id))!, user.collection.otp.duration)).toBe(false);
});

test("the cleanups delete expired OTPs and MFA sessions only", async () => {
  const old = await createMFA(app, user, "password");
  const fresh = await createMFA(app, user, "otp");
  await age("_mfas", old.id, user.collection.mfa.duration + 5);
  expect(mfaHasExpired((await findMFAById(app, old.id))!, user.collection.mfa.duration)).toBe(true);
  const otpsBefore = (await findAllOTPsByRecord(app, user)).length;
  expect(await deleteExpiredOTPs(app)).toBe(1);
  expect(await deleteExpiredMFAs(app)).toBe(1);
  expect(await findMFAById(app, old.id)).toBeNull();
  expect(await findMFAById(app, fresh.id)).not.toBeNull();
  expect((await findAllOTPsByRecord(app, user)).length).toBe(otpsBefore - 1);
});
