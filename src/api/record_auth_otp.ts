/** `request-otp` and `auth-with-otp` (upstream apis/record_auth_otp_request.go, record_auth_with_otp.go). */
import { badRequest, forbidden, noRows } from "../core/errors.ts";
import { RecordAuthWithOTPRequestEvent, RecordCreateOTPRequestEvent } from "../core/events.ts";
import { logMailError, sendRecordOTP } from "../core/mails/index.ts";
import { MFA_METHOD_OTP } from "../core/mfa.ts";
import { createOTP, findAllOTPsByRecord, findOTPById, otpHasExpired } from "../core/otp.ts";
import { newRecordId, type Record } from "../core/record.ts";
import { findAuthRecordByEmail, findRecordById } from "../core/record_query.ts";
import { deleteRecord, saveRecord } from "../core/record_save.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { emailFormat } from "../core/validators/is.ts";
import { length, required, validateStruct } from "../core/validators/validation.ts";
import { randomString } from "../tools/security/random.ts";
import { checkRateLimit } from "./middlewares/rate_limit.ts";
import { authResponse } from "./record_auth_response.ts";
import { bindForm, findAuthCollection, fireAndForget, respondAfterTx, throwIfInvalid } from "./record_auth_forms.ts";
import { setRequestContext } from "./record_helpers.ts";

/** Unexpired OTPs a record may hold before requests reuse the newest instead of mailing another. */
const MAX_RECENT_OTPS = 10;

export async function recordRequestOTP(e: RequestEvent): Promise<void> {
  const collection = findAuthCollection(e);
  if (!collection.otp.enabled) throw forbidden("The collection is not configured to allow OTP authentication.");
  const form = await bindForm(e, { email: "string" });
  throwIfInvalid(validateStruct([["email", form.email, required, length(1, 255), emailFormat]]));

  const record = await findAuthRecordByEmail(e.app, collection, form.email);
  const event = new RecordCreateOTPRequestEvent(
    e,
    collection,
    record,
    randomString(collection.otp.length, "1234567890"),
  );
  await e.app.onRecordRequestOTPRequest.hook.trigger(event, async (oe) => {
    const authRecord = oe.record;
    if (!authRecord) {
      // a fake id for unknown emails, so the answer tells nothing about which accounts exist
      oe.json(200, { otpId: newRecordId() });
      throw new Error(`missing or invalid ${collection.name} OTP auth record with email ${form.email}`);
    }

    let otp: Record | null = null;
    if (!oe.app.isDev) {
      const otps = await findAllOTPsByRecord(oe.app, authRecord);
      const recent = otps.filter((o) => !otpHasExpired(o, collection.otp.duration)).length;
      if (recent >= MAX_RECENT_OTPS) {
        otp = otps[0]!;
        console.warn(
          `Too many OTP requests - reusing the last issued (email ${form.email}, recordId ${authRecord.id}, otpId ${otp.id})`,
        );
      }
    }

    if (!otp) {
      const created = await createOTP(oe.app, authRecord, oe.password);
      otp = created;
      const app = oe.app;
      const password = oe.password;
      // mailed in the background: the answer takes the same time whether the email exists or not
      fireAndForget(
        () => sendRecordOTP(app, authRecord, created.id, password),
        async (err) => {
          logMailError("OTP", err);
          const stale = await findOTPById(app, created.id);
          if (stale) await deleteRecord(app, stale);
        },
      );
    }
    const otpId = otp.id;
    await respondAfterTx(oe.app, () => void oe.json(200, { otpId }));
  });
}

/** Tries per record and IP on auth-with-otp (always on: OTPs are short digit codes). */
export const OTP_ATTEMPTS_RULE = { audience: "", maxRequests: 5, duration: 180 };

export async function recordAuthWithOTP(e: RequestEvent): Promise<void> {
  const collection = findAuthCollection(e);
  if (!collection.otp.enabled) throw forbidden("The collection is not configured to allow OTP authentication.");
  const form = await bindForm(e, { otpId: "string", password: "string" });
  throwIfInvalid(
    validateStruct([
      ["otpId", form.otpId, required, length(1, 255)],
      ["password", form.password, required, length(1, 71)],
    ]),
  );
  setRequestContext(e, "otp");

  // one generic answer for every failure, so OTP ids can't be probed
  // (the reason only goes to the request log)
  const invalid = (reason: Error) => badRequest("Invalid or expired OTP", {}, reason);
  const otp = await findOTPById(e.app, form.otpId);
  if (!otp) throw invalid(noRows());
  if (otp.getString("collectionRef") !== collection.id)
    throw invalid(new Error("the OTP is for a different collection"));
  if (otpHasExpired(otp, collection.otp.duration)) throw invalid(new Error("the OTP is expired"));
  const record = await findRecordById(e.app, collection, otp.getString("recordRef"));
  if (!record) throw invalid(noRows("missing auth record"));

  await checkRateLimit(
    e,
    "@pb_otp_" + record.id,
    OTP_ATTEMPTS_RULE,
    "Too many attempts, please try again later with a new OTP.",
  );
  if (!(await otp.validatePassword(form.password))) throw invalid(new Error("incorrect password"));

  const event = new RecordAuthWithOTPRequestEvent(e, collection, record, otp);
  await e.app.onRecordAuthWithOTPRequest.hook.trigger(event, async (oe) => {
    const authRecord = oe.record ?? record;
    const sentTo = oe.otp.getString("sentTo");
    // deleted first, so the password change below does not delete it a second time
    try {
      await deleteRecord(oe.app, oe.otp);
    } catch (err) {
      console.error("Failed to delete used OTP:", err instanceof Error ? err.message : err);
    }
    // an OTP mailed to the record's current address proves it owns it
    if (!authRecord.verified() && sentTo !== "" && authRecord.email() === sentTo) {
      authRecord.set("verified", true);
      // when used on its own, OTP verification also drops any password set by someone else
      if (!authRecord.collection.mfa.enabled) await setRandomPassword(authRecord);
      try {
        await saveRecord(oe.app, authRecord);
      } catch (err) {
        console.error(
          "Failed to update the record verified state after a successful OTP:",
          err instanceof Error ? err.message : err,
        );
      }
    }
    await authResponse(e, authRecord, undefined, undefined, MFA_METHOD_OTP);
  });
}

/** Replaces the password with a random one nobody knows (the tokenKey rotates with it). */
export async function setRandomPassword(record: Record): Promise<void> {
  await record.setPassword(randomString(30));
  record.clearPlainPassword(); // skip the password field's validators for the generated value
  record.refreshTokenKey();
}
