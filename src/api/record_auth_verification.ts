/** `request-verification` and `confirm-verification` (upstream apis/record_auth_verification_*.go). */
import { badRequest } from "../core/errors.ts";
import { RecordConfirmVerificationRequestEvent, RecordRequestVerificationRequestEvent } from "../core/events.ts";
import { logMailError, sendRecordVerification } from "../core/mails/index.ts";
import { findAuthRecordByEmail } from "../core/record_query.ts";
import { saveRecord } from "../core/record_save.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { findAuthRecordByTokenOrError, TokenError } from "../core/tokens.ts";
import { emailFormat } from "../core/validators/is.ts";
import { length, newError, required, validateStruct, type Rule } from "../core/validators/validation.ts";
import { setRandomPassword } from "./record_auth_otp.ts";
import { writeError } from "./records.ts";
import {
  bindForm,
  clearThrottle,
  findAuthCollection,
  fireAndForget,
  isThrottled,
  respondAfterTx,
  throttle,
  throwIfInvalid,
  verificationResendKey,
  peekClaims,
} from "./record_auth_forms.ts";

export async function recordRequestVerification(e: RequestEvent): Promise<void> {
  const collection = findAuthCollection(e);
  if (collection.name === "_superusers") throw badRequest("All superusers are verified by default.");
  const form = await bindForm(e, { email: "string" });
  throwIfInvalid(validateStruct([["email", form.email, required, length(1, 255), emailFormat]]));

  const record = await findAuthRecordByEmail(e.app, collection, form.email);
  // the same 204 whatever happens next, so the answer tells nothing about which accounts exist
  if (!record) {
    e.noContent(204);
    throw new Error(`failed to fetch ${collection.name} record with email ${form.email}`);
  }
  const resendKey = verificationResendKey(record);
  if (!record.verified() && isThrottled(e.app, resendKey)) {
    e.noContent(204);
    throw new Error("try again later - you've already requested a verification email");
  }

  const event = new RecordRequestVerificationRequestEvent(e, collection, record);
  await e.app.onRecordRequestVerificationRequest.hook.trigger(event, async (ve) => {
    const authRecord = ve.record ?? record;
    if (authRecord.verified()) {
      ve.noContent(204);
      return;
    }
    const app = ve.app;
    fireAndForget(
      async () => {
        try {
          await sendRecordVerification(app, authRecord);
        } finally {
          throttle(app, resendKey);
        }
      },
      (err) => logMailError("verification", err),
    );
    await respondAfterTx(app, () => void ve.noContent(204));
  });
}

export async function recordConfirmVerification(e: RequestEvent): Promise<void> {
  const collection = findAuthCollection(e);
  if (collection.name === "_superusers") throw badRequest("All superusers are verified by default.");
  const form = await bindForm(e, { token: "string" });

  // looked up before the (synchronous) struct validation, and used after it
  const tokenRecord = form.token ? await findAuthRecordByTokenOrError(e.app, form.token, "verification") : null;
  const checkToken: Rule = (v) => {
    const token = v as string;
    if (!token || !tokenRecord) return null;
    const claim = peekClaims(token).email;
    const email = typeof claim === "string" ? claim : claim == null ? "" : String(claim);
    if (!email) return newError("validation_invalid_token_claims", "Missing email token claim.");
    const record = tokenRecord;
    if (record instanceof TokenError) return newError("validation_invalid_token", "Invalid or expired token.");
    if (record.collection.id !== collection.id) {
      return newError("validation_token_collection_mismatch", "The provided token is for different auth collection.");
    }
    if (record.email() !== email) {
      return newError(
        "validation_token_email_mismatch",
        "The record email doesn't match with the requested token claims.",
      );
    }
    return null;
  };
  throwIfInvalid(validateStruct([["token", form.token, required, checkToken]]));

  const record = tokenRecord ?? new TokenError("missing token");
  if (record instanceof TokenError) throw badRequest("Invalid or expired verification token.", {}, record);
  const wasVerified = record.verified();

  const event = new RecordConfirmVerificationRequestEvent(e, collection, record);
  await e.app.onRecordConfirmVerificationRequest.hook.trigger(event, async (ve) => {
    const authRecord = ve.record ?? record;
    if (!wasVerified) {
      authRecord.set("verified", true);
      // as with OTP: without password auth, verifying also drops any password set by someone else
      if (!authRecord.collection.passwordAuth.enabled) await setRandomPassword(authRecord);
      try {
        await saveRecord(ve.app, authRecord);
      } catch (err) {
        throw writeError("An error occurred while saving the verified state.", err);
      }
    }
    clearThrottle(ve.app, verificationResendKey(authRecord));
    await respondAfterTx(ve.app, () => void ve.noContent(204));
  });
}
