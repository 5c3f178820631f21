/** `request-email-change` and `confirm-email-change` (upstream apis/record_auth_email_change_*.go). */
import type { Collection } from "../core/collection.ts";
import { badRequest, unauthorized } from "../core/errors.ts";
import { RecordConfirmEmailChangeRequestEvent, RecordRequestEmailChangeRequestEvent } from "../core/events.ts";
import { sendRecordChangeEmail } from "../core/mails/index.ts";
import type { Record } from "../core/record.ts";
import { findAuthRecordByEmail } from "../core/record_query.ts";
import { saveRecord } from "../core/record_save.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { findAuthRecordByTokenOrError, TokenError } from "../core/tokens.ts";
import { emailFormat } from "../core/validators/is.ts";
import { length, newError, notIn, required, validateStruct, type Rule } from "../core/validators/validation.ts";
import { bindForm, findAuthCollection, respondAfterTx, throwIfInvalid, peekClaims } from "./record_auth_forms.ts";
import { writeError } from "./records.ts";

export async function recordRequestEmailChange(e: RequestEvent): Promise<void> {
  const collection = findAuthCollection(e);
  if (collection.name === "_superusers") throw badRequest("All superusers can change their emails directly.");
  const record = e.auth;
  if (!record) throw unauthorized("The request requires valid auth record.");

  const form = await bindForm(e, { newEmail: "string" });
  // looked up before the (synchronous) struct validation
  const found = form.newEmail ? await findAuthRecordByEmail(e.app, record.collection, form.newEmail) : null;
  const unique: Rule = (v) => {
    if (!v) return null;
    return found && found.id !== record.id
      ? newError("validation_invalid_new_email", "Invalid new email address.")
      : null;
  };
  throwIfInvalid(
    validateStruct([["newEmail", form.newEmail, required, length(1, 255), emailFormat, notIn(record.email()), unique]]),
  );

  const event = new RecordRequestEmailChangeRequestEvent(e, collection, record, form.newEmail);
  await e.app.onRecordRequestEmailChangeRequest.hook.trigger(event, async (ce) => {
    // sent while the client waits: the new address must be reachable
    try {
      await sendRecordChangeEmail(ce.app, ce.record ?? record, ce.newEmail);
    } catch (err) {
      throw writeError("Failed to request email change.", err);
    }
    await respondAfterTx(ce.app, () => void ce.noContent(204));
  });
}

/** The record and new email an email change token is for, or the validation error explaining why not. */
async function parseEmailChangeToken(
  e: RequestEvent,
  collection: Collection,
  token: string,
): Promise<{ record: Record; newEmail: string } | ReturnType<typeof newError>> {
  const newEmail = peekClaims(token).newEmail;
  if (typeof newEmail !== "string" || newEmail === "") {
    return newError("validation_invalid_token_payload", "Invalid token payload - newEmail must be set.");
  }
  const record = await findAuthRecordByTokenOrError(e.app, token, "emailChange");
  if (record instanceof TokenError) return newError("validation_invalid_token", "Invalid or expired token.");
  if (record.collection.id !== collection.id) {
    return newError("validation_token_collection_mismatch", "The provided token is for different auth collection.");
  }
  if (await findAuthRecordByEmail(e.app, collection, newEmail))
    return newError("validation_invalid_token_email", "The new email address is invalid.");
  return { record, newEmail };
}

export async function recordConfirmEmailChange(e: RequestEvent): Promise<void> {
  const collection = findAuthCollection(e);
  if (collection.name === "_superusers") throw badRequest("All superusers can change their emails directly.");
  const form = await bindForm(e, { token: "string", password: "string" });

  // the token and the async password check done before the struct validation (rules are synchronous)
  const checked = await parseEmailChangeToken(e, collection, form.token);
  const checkToken: Rule = () => ("record" in checked ? null : checked);
  let passwordOk = false;
  if (form.password) {
    passwordOk = "record" in checked && (await checked.record.validatePassword(form.password));
  }
  const checkPassword: Rule = (v) =>
    !v || passwordOk ? null : newError("validation_invalid_password", "Missing or invalid auth record password.");
  throwIfInvalid(
    validateStruct([
      ["token", form.token, required, checkToken],
      ["password", form.password, required, length(1, 100), checkPassword],
    ]),
  );

  // read again after the slow password check, as the record may have changed meanwhile
  const p = await parseEmailChangeToken(e, collection, form.token);
  if (!("record" in p)) throw badRequest("Invalid or expired token.");
  const event = new RecordConfirmEmailChangeRequestEvent(e, collection, p.record, p.newEmail);
  await e.app.onRecordConfirmEmailChangeRequest.hook.trigger(event, async (ce) => {
    const authRecord = ce.record ?? p.record;
    authRecord.set("email", ce.newEmail);
    authRecord.set("verified", true);
    try {
      await saveRecord(ce.app, authRecord);
    } catch (err) {
      throw writeError("Failed to confirm email change.", err);
    }
    await respondAfterTx(ce.app, () => void ce.noContent(204));
  });
}
