/**
 * `auth-with-password`, `auth-refresh` and `impersonate/{id}` (upstream
 * apis/record_auth_with_password.go, record_auth_refresh.go, record_auth_impersonate.go).
 */
import type { Collection } from "../core/collection.ts";
import { badRequest, forbidden, notFound } from "../core/errors.ts";
import { RecordAuthRefreshRequestEvent, RecordAuthWithPasswordRequestEvent } from "../core/events.ts";
import { MFA_METHOD_PASSWORD } from "../core/mfa.ts";
import { Record } from "../core/record.ts";
import { findFirstRecordByField, findRecordById } from "../core/record_query.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { isEmailFormat } from "../core/validators/is.ts";
import { inList, length, required, validateStruct, min } from "../core/validators/validation.ts";
import { newAuthToken, newStaticAuthToken } from "../core/tokens.ts";
import { authResponse } from "./record_auth_response.ts";
import { bindForm, findAuthCollection, throwIfInvalid, peekClaims } from "./record_auth_forms.ts";
import { setRequestContext } from "./record_helpers.ts";

export async function recordAuthWithPassword(e: RequestEvent): Promise<void> {
  const collection = findAuthCollection(e);
  const pa = collection.passwordAuth;
  if (!pa.enabled) throw forbidden("The collection is not configured to allow password authentication.");
  const identityFields = pa.identityFields ?? [];

  const form = await bindForm(e, { identity: "string", password: "string", identityField: "string" });
  throwIfInvalid(
    validateStruct([
      ["identity", form.identity, required, length(1, 255)],
      ["password", form.password, required, length(1, 255)],
      ["identityField", form.identityField, length(1, 255), inList(...identityFields)],
    ]),
  );
  setRequestContext(e, "password");

  let record: Record | null = null;
  if (form.identityField) {
    record = await findRecordByIdentityField(e, collection, form.identityField, form.identity);
  } else {
    // email first, so that clients of versions before identity fields keep working
    const fields =
      identityFields.length > 1 && identityFields[0] !== "email"
        ? [...identityFields].sort((a, b) => (a === "email" ? -1 : b === "email" ? 1 : 0))
        : identityFields;
    for (const name of fields) {
      if (name === "email" && !isEmailFormat(form.identity)) continue;
      record = await findRecordByIdentityField(e, collection, name, form.identity);
      if (record) break;
    }
  }

  const event = new RecordAuthWithPasswordRequestEvent(
    e,
    collection,
    record,
    form.identity,
    form.identityField,
    form.password,
  );
  await e.app.onRecordAuthWithPasswordRequest.hook.trigger(event, async (pe) => {
    if (!pe.record || !(await pe.record.validatePassword(pe.password))) {
      if (!pe.record) await dummyPasswordCheck(pe, pe.collection);
      throw badRequest("Failed to authenticate.", {}, new Error("invalid login credentials"));
    }
    await authResponse(e, pe.record, undefined, undefined, MFA_METHOD_PASSWORD);
  });
}

async function findRecordByIdentityField(
  e: RequestEvent,
  c: Collection,
  field: string,
  value: string,
): Promise<Record | null> {
  if (!(c.passwordAuth.identityFields ?? []).includes(field)) return null;
  return findFirstRecordByField(e.app, c, field, value);
}

/** A bcrypt check against any record of the collection, so a missing account costs the same time. */
async function dummyPasswordCheck(e: RequestEvent, c: Collection): Promise<void> {
  const row = await e.app.db.get<{ [k: string]: unknown }>(
    `SELECT * FROM ${e.app.db.dialect.quoteIdent(c.name)} LIMIT 1`,
  );
  if (!row) return;
  await Record.fromRow(c, row).validatePassword("");
}

export async function recordAuthRefresh(e: RequestEvent): Promise<void> {
  const record = e.auth;
  if (!record) throw notFound("Missing auth record context.");
  const event = new RecordAuthRefreshRequestEvent(e, record.collection, record);
  await e.app.onRecordAuthRefreshRequest.hook.trigger(event, async (re) => {
    const authRecord = re.record ?? record;
    // only tokens that say so are renewed (impersonation tokens are handed back as they are)
    let token = bearerToken(e);
    const v = peekClaims(token).refreshable;
    const refreshable = v === true || v === "true" || v === 1 || v === "1";
    if (refreshable) token = newAuthToken(authRecord);
    await authResponse(e, authRecord, token, undefined, "");
  });
}

/** The raw token of the Authorization header, without an optional `Bearer ` prefix. */
export function bearerToken(e: RequestEvent): string {
  const h = e.request.headers.get("Authorization") ?? "";
  return h.length > 7 && h.slice(0, 7).toLowerCase() === "bearer " ? h.slice(7) : h;
}

export async function recordAuthImpersonate(e: RequestEvent): Promise<void> {
  if (!e.hasSuperuserAuth()) throw forbidden();
  const collection = findAuthCollection(e);
  const record = await findRecordById(e.app, collection, e.params.id ?? "");
  if (!record) throw notFound();
  const form = await bindForm(e, { duration: "int" });
  throwIfInvalid(validateStruct([["duration", form.duration, min(0)]]));
  const token = newStaticAuthToken(record, form.duration);
  await authResponse(e, record, token, undefined, "");
}
