/**
 * Record auth routes: auth-with-password and auth-refresh for any auth collection
 * (superusers included). OAuth2, OTP, MFA and the email flows join these later.
 */
import type { Collection } from "../core/collection.ts";
import { ApiError, badRequest, forbidden, notFound, unauthorized, ValidationErrors } from "../core/errors.ts";
import { hashPassword, type Record } from "../core/record.ts";
import { expandRecords } from "../core/record_expand.ts";
import { canAccessRecord } from "../core/rules.ts";
import { expandFetch } from "./record_helpers.ts";
import { randomString } from "../tools/security/random.ts";
import { findFirstRecordByField } from "../core/record_query.ts";
import { BodyBindError, type RequestEvent } from "../core/request_event.ts";
import { newAuthToken } from "../core/tokens.ts";
import { parseUnverifiedJWT } from "../tools/security/jwt.ts";
import { ipInList } from "./middlewares/real_ip.ts";
import { isEmail } from "../core/superusers.ts";
import type { Router } from "./router.ts";

export function bindRecordAuthApi(router: Router) {
  router.post("/api/collections/{collection}/auth-with-password", authWithPassword);
  router.post("/api/collections/{collection}/auth-refresh", authRefresh);
}

/** The auth collection named in the path, or upstream's 404s. */
export function findAuthCollection(e: RequestEvent): Collection {
  const c = e.app.findCollection(e.params.collection ?? "");
  if (!c) throw notFound("Missing or invalid collection context.");
  if (c.type !== "auth") throw notFound("Missing or invalid auth collection context.");
  return c;
}

async function authWithPassword(e: RequestEvent) {
  const collection = findAuthCollection(e);
  const pa = { enabled: collection.passwordAuth.enabled, identityFields: collection.passwordAuth.identityFields ?? [] };
  if (!pa.enabled) throw forbidden("The collection is not configured to allow password authentication.");

  let body: { [k: string]: unknown };
  try {
    body = await e.bindBody();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest("An error occurred while loading the submitted data.", {}, err);
  }
  const identity = typeof body.identity === "string" ? body.identity : body.identity == null ? "" : String(body.identity);
  const password = typeof body.password === "string" ? body.password : body.password == null ? "" : String(body.password);
  const identityField = typeof body.identityField === "string" ? body.identityField : "";
  validateAuthForm(identity, password, identityField, pa.identityFields);

  let record: Record | null = null;
  if (identityField) {
    record = findFirstRecordByField(e.app, collection, identityField, identity);
  } else {
    // email first, as upstream, so older clients keep working
    const fields = [...pa.identityFields].sort((a, b) => (a === "email" ? -1 : b === "email" ? 1 : 0));
    for (const name of fields) {
      if (name === "email" && !isEmail(identity)) continue;
      record = findFirstRecordByField(e.app, collection, name, identity);
      if (record) break;
    }
  }

  if (!record || !(await record.validatePassword(password))) {
    if (!record) await Bun.password.verify(password, await DUMMY_HASH()).catch(() => false); // same timing either way
    throw badRequest("Failed to authenticate.");
  }
  return authResponse(e, record);
}

// Checking a password against a throwaway hash costs what a real check costs: no user enumeration by timing.
let dummyHash: Promise<string> | null = null;
const DUMMY_HASH = () => (dummyHash ??= hashPassword(randomString(20)));

async function authRefresh(e: RequestEvent) {
  requireSameCollectionAuth(e);
  const record = e.auth!;
  // A non-refreshable token (impersonation) is handed back as it is; a login token is renewed.
  let token = bearerToken(e);
  let refreshable = false;
  try {
    refreshable = parseUnverifiedJWT(token).refreshable === true;
  } catch {
    refreshable = false;
  }
  if (refreshable) token = newAuthToken(record);
  return authResponse(e, record, token);
}

/** 401 without an auth record, 403 when it belongs to another collection than the path's. */
export function requireSameCollectionAuth(e: RequestEvent): void {
  if (!e.auth) throw unauthorized("The request requires valid record authorization token.");
  const c = e.app.findCollection(e.params.collection ?? "");
  if (!c || c.id !== e.auth.collection.id) {
    throw forbidden(`The request requires auth record from ${e.auth.collection.name} collection.`);
  }
}

/** The raw token of the Authorization header, without an optional `Bearer ` prefix. */
export function bearerToken(e: RequestEvent): string {
  const h = e.request.headers.get("Authorization") ?? "";
  return h.length > 7 && h.slice(0, 7).toLowerCase() === "bearer " ? h.slice(7) : h;
}

function validateAuthForm(identity: string, password: string, identityField: string, allowed: string[]) {
  const errors: ConstructorParameters<typeof ValidationErrors>[0] = {};
  const len = (v: string, key: string) => {
    if (v === "") errors[key] = { code: "validation_required", message: "Cannot be blank." };
    else if (v.length > 255) errors[key] = { code: "validation_length_out_of_range", message: "The length must be between 1 and 255.", params: { max: 255, min: 1 } };
  };
  len(identity, "identity");
  len(password, "password");
  if (identityField) {
    if (identityField.length > 255) {
      errors.identityField = { code: "validation_length_out_of_range", message: "The length must be between 1 and 255.", params: { max: 255, min: 1 } };
    } else if (!allowed.includes(identityField)) {
      errors.identityField = { code: "validation_in_invalid", message: "Must be a valid value." };
    }
  }
  if (Object.keys(errors).length) throw new ValidationErrors(errors);
}

/**
 * `{record, token}` (plus `meta` when set), as every auth endpoint answers, after upstream's checks:
 * the superuser IP whitelist and the collection's authRule. The record is enriched for itself:
 * its email shown, a superuser's hidden fields too, `?expand=` applied.
 */
export async function authResponse(e: RequestEvent, record: Record, token = newAuthToken(record), meta?: { [k: string]: unknown }) {
  if (record.collection.name === "_superusers") {
    const ips = (e.app.settings().superuserIPs as string[] | undefined) ?? [];
    if (ips.length && !ipInList(ips, e.realIP)) throw forbidden();
  }
  const info = await e.requestInfo();
  if (!(await canAccessRecord(e.app, record, info, record.collection.authRule))) {
    throw forbidden("The request doesn't satisfy the collection requirements to authenticate.");
  }
  const selfInfo = info.clone();
  selfInfo.auth = record;
  if (record.collection.name === "_superusers") record.unhide(...record.collection.fields.map((f) => f.name));
  record.ignoreEmailVisibility = true;
  const expands = (info.query.expand ?? "").split(",").filter(Boolean);
  if (expands.length) await expandRecords(e.app, [record], expands, expandFetch(e.app, selfInfo));
  const body: { [k: string]: unknown } = {};
  if (meta) body.meta = meta;
  body.record = record;
  body.token = token;
  e.json(200, body);
}
