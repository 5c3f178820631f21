/** `request-password-reset` and `confirm-password-reset` (upstream apis/record_auth_password_reset_*.go). */
import { badRequest } from "../core/errors.ts";
import { RecordConfirmPasswordResetRequestEvent, RecordRequestPasswordResetRequestEvent } from "../core/events.ts";
import { PasswordField } from "../core/fields/index.ts";
import { logMailError, sendRecordPasswordReset } from "../core/mails/index.ts";
import { findAuthRecordByEmail } from "../core/record_query.ts";
import { saveRecord } from "../core/record_save.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { findAuthRecordByTokenOrError, TokenError } from "../core/tokens.ts";
import { emailFormat } from "../core/validators/is.ts";
import { length, newError, required, validateStruct, type Rule } from "../core/validators/validation.ts";
import {
  bindForm,
  clearThrottle,
  findAuthCollection,
  fireAndForget,
  isThrottled,
  LOAD_ERROR,
  passwordResetResendKey,
  respondAfterTx,
  throttle,
  throwIfInvalid,
  peekClaims,
} from "./record_auth_forms.ts";
import { writeError } from "./records.ts";

export async function recordRequestPasswordReset(e: RequestEvent): Promise<void> {
  const collection = findAuthCollection(e);
  if (!collection.passwordAuth.enabled)
    throw badRequest("The collection is not configured to allow password authentication.");
  const form = await bindForm(e, { email: "string" });
  throwIfInvalid(validateStruct([["email", form.email, required, length(1, 255), emailFormat]]));

  const record = await findAuthRecordByEmail(e.app, collection, form.email);
  // the same 204 whatever happens next, so the answer tells nothing about which accounts exist
  if (!record) {
    e.noContent(204);
    throw new Error(`failed to fetch ${collection.name} record with email ${form.email}`);
  }
  const resendKey = passwordResetResendKey(record);
  if (isThrottled(e.app, resendKey)) {
    e.noContent(204);
    throw new Error("try again later - you've already requested a password reset email");
  }

  const event = new RecordRequestPasswordResetRequestEvent(e, collection, record);
  await e.app.onRecordRequestPasswordResetRequest.hook.trigger(event, async (pe) => {
    const authRecord = pe.record ?? record;
    const app = pe.app;
    fireAndForget(
      async () => {
        await sendRecordPasswordReset(app, authRecord);
        throttle(app, resendKey); // only a sent email blocks the next request
      },
      (err) => logMailError("password reset", err),
    );
    await respondAfterTx(app, () => void pe.noContent(204));
  });
}

export async function recordConfirmPasswordReset(e: RequestEvent): Promise<void> {
  const collection = findAuthCollection(e);
  // upstream answers this one with its plain message, not the `first API error` one
  const form = await bindForm(e, { token: "string", password: "string", passwordConfirm: "string" }, LOAD_ERROR);

  const field = collection.fields.getByName("password");
  const minLength = field instanceof PasswordField && field.min > 0 ? field.min : 1;
  // looked up before the (synchronous) struct validation, and used after it
  const tokenRecord = form.token ? await findAuthRecordByTokenOrError(e.app, form.token, "passwordReset") : null;
  const checkToken: Rule = (v) => {
    if (!v || !tokenRecord) return null;
    const record = tokenRecord;
    if (record instanceof TokenError) return newError("validation_invalid_token", "Invalid or expired token.");
    if (record.collection.id !== collection.id) {
      return newError("validation_token_collection_mismatch", "The provided token is for different auth collection.");
    }
    return null;
  };
  const equalsPassword: Rule = (v) =>
    v !== form.password ? newError("validation_values_mismatch", "Values don't match.") : null;
  throwIfInvalid(
    validateStruct([
      ["token", form.token, required, checkToken],
      // the password field's own validators check the rest on save
      ["password", form.password, required, length(minLength, 255)],
      ["passwordConfirm", form.passwordConfirm, required, equalsPassword],
    ]),
  );

  const record = tokenRecord ?? new TokenError("missing token");
  if (record instanceof TokenError) throw badRequest("Invalid or expired password reset token.", {}, record);

  const event = new RecordConfirmPasswordResetRequestEvent(e, collection, record);
  await e.app.onRecordConfirmPasswordResetRequest.hook.trigger(event, async (pe) => {
    const authRecord = pe.record ?? record;
    authRecord.set("password", form.password);
    if (!authRecord.verified()) {
      const email = peekClaims(form.token).email;
      if (authRecord.email() === (typeof email === "string" ? email : "")) authRecord.set("verified", true); // the email still matches
    }
    try {
      await saveRecord(pe.app, authRecord);
    } catch (err) {
      throw writeError("Failed to set new password.", err);
    }
    clearThrottle(pe.app, passwordResetResendKey(authRecord));
    await respondAfterTx(pe.app, () => void pe.noContent(204));
  });
}
