/**
 * `POST /api/collections/{collection}/auth-with-oauth2` (upstream apis/record_auth_with_oauth2.go):
 * exchanges the authorization code (with the PKCE verifier), fetches the provider's user, then
 * signs in the linked record, links the caller's own record or one with the same verified email,
 * or creates a record through the records API (createRule, `@request.context = "oauth2"`).
 * Responds with the auth response plus the OAuth2 user as `meta`.
 */
import type { Collection } from "../core/collection.ts";
import { ApiError, ValidationErrors, badRequest, forbidden, notFound } from "../core/errors.ts";
import { RecordAuthWithOAuth2RequestEvent, type OAuth2User } from "../core/events.ts";
import { TextField } from "../core/fields/index.ts";
import { findSingleColumnUniqueIndex } from "../core/collection_index.ts";
import { takeAppleRedirectName } from "../core/oauth2/apple_names.ts";
import { createExternalAuth, deleteExternalAuthsByRecord, findExternalAuth } from "../core/oauth2/external_auths.ts";
import type { OAuth2Provider } from "../core/oauth2/provider.ts";
import { initProvider } from "../core/oauth2/registry.ts";
import { safeFileFromURL } from "../core/oauth2/safe_fetch.ts";
import type { Record } from "../core/record.ts";
import { findAuthRecordByEmail, findRecordById } from "../core/record_query.ts";
import { saveRecord } from "../core/record_save.ts";
import { REQUEST_INFO_CONTEXT_KEY, RequestEvent } from "../core/request_event.ts";
import { length, newError, required, validateStruct, type Rule } from "../core/validators/validation.ts";
import { byteCompare } from "../tools/json.ts";
import { randomString } from "../tools/security/random.ts";
import { collectionPathRateLimit, RATE_LIMIT_MIDDLEWARE_ID } from "./middlewares/rate_limit.ts";
import { authResponse, findAuthCollection } from "./record_auth.ts";
import { setRequestContext } from "./record_helpers.ts";
import { recordCreate } from "./records.ts";
import type { Router } from "./router.ts";

/** The whole code exchange and user fetch must finish within this. */
const OAUTH2_TIMEOUT_MS = 30_000;

export function bindRecordAuthOAuth2Api(router: Router) {
  router
    .post("/api/collections/{collection}/auth-with-oauth2", recordAuthWithOAuth2)
    .unbind(RATE_LIMIT_MIDDLEWARE_ID)
    .bind(collectionPathRateLimit("authWithOAuth2", "auth"));
}

interface OAuth2LoginForm {
  provider: string;
  code: string;
  codeVerifier: string;
  redirectURL: string;
  /** Deprecated spelling of redirectURL (pre-v0.23 clients). */
  redirectUrl: string;
  createData: { [k: string]: unknown } | null;
}

async function recordAuthWithOAuth2(e: RequestEvent) {
  const collection = findAuthCollection(e);
  if (!collection.oauth2.enabled) throw forbidden("The collection is not configured to allow OAuth2 authentication.");

  const fallbackAuthRecord = e.auth && e.auth.collection.id === collection.id ? e.auth : null;
  setRequestContext(e, "oauth2");

  const form = await readLoginForm(e);
  if (form.redirectUrl !== "" && form.redirectURL === "") form.redirectURL = form.redirectUrl;
  const invalid = validateStruct([
    ["provider", form.provider, required, length(0, 100), enabledProvider(collection)],
    ["code", form.code, required],
  ]);
  if (invalid) throw badRequest("An error occurred while loading the submitted data.", invalid.toJSON(), invalid);

  const config = (collection.oauth2.providers ?? []).find((p) => p.name === form.provider);
  if (!config) throw new ApiError(500, "Missing or invalid provider config.");
  let provider: OAuth2Provider;
  try {
    provider = initProvider(config);
  } catch (err) {
    throw new ApiError(500, `Failed to init provider ${form.provider}`, {}, err);
  }
  provider.signal = AbortSignal.any([e.request.signal, AbortSignal.timeout(OAUTH2_TIMEOUT_MS)]);
  provider.redirectURL = form.redirectURL;

  let token;
  try {
    token = await provider.fetchToken(form.code, provider.pkce ? { code_verifier: form.codeVerifier } : {});
  } catch (err) {
    throw badRequest("Failed to fetch OAuth2 token.", {}, err);
  }
  let authUser: OAuth2User;
  try {
    authUser = await provider.fetchAuthUser(token);
  } catch (err) {
    throw badRequest("Failed to fetch OAuth2 user.", {}, err);
  }

  // Apple sends the name only with the first redirect (kept by /api/oauth2-redirect)
  if (form.provider === "apple" && authUser.name === "") {
    const name = takeAppleRedirectName(e.app, form.code);
    if (name !== null) authUser.name = name;
  }

  let externalAuth = await findExternalAuth(e.app, collection.id, form.provider, authUser.id);
  let authRecord: Record | null = null;
  if (externalAuth) {
    authRecord = await findRecordById(e.app, collection, externalAuth.getString("recordRef"));
    if (!authRecord) throw notFound();
  } else if (fallbackAuthRecord) {
    authRecord = fallbackAuthRecord;
  } else if (authUser.email !== "") {
    authRecord = await findAuthRecordByEmail(e.app, collection, authUser.email);
  }

  const event = new RecordAuthWithOAuth2RequestEvent(
    e,
    collection,
    authRecord,
    form.provider,
    provider,
    authUser,
    form.createData ?? {},
    authRecord === null,
  );
  await e.app.onRecordAuthWithOAuth2Request.hook.trigger(event, async (ev) => {
    try {
      await ev.app.runInTransaction(() => oauth2Submit(ev, externalAuth));
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw badRequest("Failed to authenticate.", err instanceof ValidationErrors ? err.toJSON() : {}, err);
    }
    await authResponse(ev, ev.record!, undefined, oauth2Meta(ev.oAuth2User, ev.isNewRecord), "oauth2");
  });
}

/**
 * The `meta` of the response: the OAuth2 user as upstream marshals it into a map (keys sorted,
 * nested raw user included), plus the legacy `avatarUrl` and `isNew`.
 */
export function oauth2Meta(user: OAuth2User, isNew: boolean): { [k: string]: unknown } {
  return deepSortKeys({ ...user, avatarUrl: user.avatarURL, isNew }) as { [k: string]: unknown };
}

function deepSortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepSortKeys);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: { [k: string]: unknown } = {};
    for (const k of Object.keys(v).sort(byteCompare)) out[k] = deepSortKeys((v as { [k: string]: unknown })[k]);
    return out;
  }
  return v;
}

/** `validation_invalid_provider` unless the name is one of the collection's configured providers. */
function enabledProvider(collection: Collection): Rule {
  return (v) => {
    const name = typeof v === "string" ? v : "";
    if ((collection.oauth2.providers ?? []).some((p) => p.name === name)) return null;
    return newError("validation_invalid_provider", "Provider with name {{.name}} is missing or is not enabled.", {
      name,
    });
  };
}

/** The body as upstream's form binding reads it: JSON values must have the right types; form values are text. */
async function readLoginForm(e: RequestEvent): Promise<OAuth2LoginForm> {
  const loadError = (err?: unknown) => badRequest("An error occurred while loading the submitted data.", {}, err);
  let body: { [k: string]: unknown };
  try {
    body = await e.bindBody();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw loadError(err);
  }
  const isJSON = (e.request.headers.get("content-type") ?? "").startsWith("application/json");
  const str = (key: string): string => {
    const v = body[key];
    if (v === undefined || v === null) return "";
    if (typeof v === "string") return v;
    if (!isJSON && (typeof v === "number" || typeof v === "boolean")) return String(v);
    throw loadError();
  };
  let createData: { [k: string]: unknown } | null = null;
  const raw = body.createData;
  if (raw !== undefined && raw !== null) {
    if (typeof raw === "object" && !Array.isArray(raw)) createData = raw as { [k: string]: unknown };
    else if (isJSON) throw loadError();
  }
  return {
    provider: str("provider"),
    code: str("code"),
    codeVerifier: str("codeVerifier"),
    redirectURL: str("redirectURL"),
    redirectUrl: str("redirectUrl"),
    createData,
  };
}

/** Creates or updates the auth record and its `_externalAuths` link (inside the caller's transaction). */
async function oauth2Submit(e: RecordAuthWithOAuth2RequestEvent, optExternalAuth: Record | null): Promise<void> {
  const app = e.app;
  if (!e.record) {
    // never sign superusers up through OAuth2, whoever calls this
    if (e.collection.name === "_superusers") throw new Error("superusers are not allowed to sign-up with OAuth2");
    const payload = await newRecordPayload(e);
    e.record = await sendOAuth2RecordCreateRequest(e, payload);
    if (e.record.email() === e.oAuth2User.email && !e.record.verified()) {
      // the OAuth2 data vouches for the email (or both are empty)
      e.record.set("verified", true);
      await saveRecord(app, e.record);
    }
  } else {
    const record = e.record;
    let needUpdate = false;
    const isLoggedAuthRecord = !!e.auth && e.auth.id === record.id && e.auth.collection.id === record.collection.id;

    // a record pre-created by someone else with a password must not keep it (pre-hijacking)
    if (!isLoggedAuthRecord && !record.verified()) {
      needUpdate = true;
      await setRandomPassword(record);
    }
    // nor other OAuth2 links made before its owner proved the email
    if (!record.verified()) {
      await deleteExternalAuthsByRecord(app, record);
      optExternalAuth = null;
    }
    // fill an empty email (the record may come from a provider that gave none)
    if (record.email() === "" && e.oAuth2User.email !== "") {
      needUpdate = true;
      record.set("email", e.oAuth2User.email);
    }
    if (!record.verified() && (record.email() === "" || record.email() === e.oAuth2User.email)) {
      needUpdate = true;
      record.set("verified", true);
    }
    if (needUpdate) await saveRecord(app, record);
  }

  if (!optExternalAuth) {
    try {
      await createExternalAuth(app, e.record, e.providerName, e.oAuth2User.id);
    } catch (err) {
      if (err instanceof ValidationErrors || err instanceof ApiError) throw err;
      throw new Error(`failed to save linked rel: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** A new random password that skips the password field's validators, with a new tokenKey. */
async function setRandomPassword(record: Record): Promise<void> {
  await record.setPassword(randomString(30));
  record.refreshTokenKey();
  record.clearPlainPassword();
}

/** The create payload: createData, the OAuth2 email unless one was given, and the mapped fields. */
async function newRecordPayload(e: RecordAuthWithOAuth2RequestEvent): Promise<{ [k: string]: unknown }> {
  const payload: { [k: string]: unknown } = { ...e.createData };
  const user = e.oAuth2User;
  const mapped = e.collection.oauth2.mappedFields;

  // an empty or non-string submitted email is replaced, as the update flow would fill it
  if (typeof payload.email !== "string" || payload.email === "") payload.email = user.email;

  if (mapped.id !== "" && !(mapped.id in payload)) payload[mapped.id] = user.id;
  if (mapped.name !== "" && !(mapped.name in payload)) payload[mapped.name] = user.name;
  if (mapped.username !== "" && !(mapped.username in payload) && (await canAssignUsername(e, user.username))) {
    payload[mapped.username] = user.username;
  }
  if (mapped.avatarURL !== "" && !(mapped.avatarURL in payload) && user.avatarURL !== "") {
    const field = e.collection.fields.getByName(mapped.avatarURL);
    if (field && field.type === "file") {
      // the provider is trusted, but its avatar URL is not fetched from private addresses anyway
      try {
        payload[mapped.avatarURL] = await safeFileFromURL(user.avatarURL, { timeoutMs: 10_000 });
      } catch (err) {
        if (e.app.isDev) console.warn("Failed to retrieve OAuth2 avatar", err);
      }
    } else {
      payload[mapped.avatarURL] = user.avatarURL;
    }
  }

  // A random password for the new record. Upstream's records API adds it itself in the "oauth2"
  // context (skipping the password validators); until ours does, it travels in the payload.
  if (!("password" in payload)) {
    const password = randomString(30);
    payload.password = password;
    payload.passwordConfirm = password;
  }
  return payload;
}

/**
 * Whether the provider's username may go into the mapped field: the field exists, a text field
 * accepts the value, and no record holds it already under the field's unique index.
 */
async function canAssignUsername(e: RecordAuthWithOAuth2RequestEvent, username: string): Promise<boolean> {
  const c = e.collection;
  const field = c.fields.getByName(c.oauth2.mappedFields.username);
  if (!field) return false;
  if (field instanceof TextField && field.validatePlainValue(username) !== null) return false;
  const index = findSingleColumnUniqueIndex(c.indexes, field.name);
  if (index) {
    const nocase = (index.columns[0]?.collate ?? "").toLowerCase() === "nocase";
    const d = e.app.db.dialect;
    const q = d.quoteIdent;
    const cmp = nocase ? d.nocaseEq(q(field.name), "?") : `${q(field.name)} = ?`;
    const row = await e.app.db.get(`SELECT 1 FROM ${q(c.name)} WHERE ${cmp} LIMIT 1`, [username]);
    if (row) return false;
  }
  return true;
}

/**
 * Creates the record through the records API create action, as an internal multipart request
 * (files as parts, the rest as `@jsonPayload`) with the caller's auth and the "oauth2" context.
 */
async function sendOAuth2RecordCreateRequest(
  e: RecordAuthWithOAuth2RequestEvent,
  payload: { [k: string]: unknown },
): Promise<Record> {
  const form = new FormData();
  const regular: { [k: string]: unknown } = {};
  for (const [k, v] of Object.entries(payload)) {
    const files = (Array.isArray(v) ? v : [v]).filter((x): x is File => x instanceof File);
    if (files.length > 0 && files.length === (Array.isArray(v) ? v.length : 1))
      for (const f of files) form.append(k, f, f.name);
    else regular[k] = v;
  }
  form.append("@jsonPayload", JSON.stringify(regular));

  const url = new URL(`/api/collections/${encodeURIComponent(e.collection.name)}/records`, e.url);
  const headers = new Headers(e.request.headers);
  headers.delete("content-type");
  headers.delete("content-length");
  const request = new Request(url.toString(), { method: "POST", headers, body: form });

  const sub = new RequestEvent(e.app, request, e.realIP, undefined, e.remoteIP);
  sub.auth = e.auth;
  for (const [k, v] of e.store) sub.store.set(k, v);
  sub.store.set(REQUEST_INFO_CONTEXT_KEY, "oauth2");
  sub.params = { collection: e.collection.name };
  sub.bodyLimit = Number.MAX_SAFE_INTEGER;

  let created: Record | null = null;
  await recordCreate(async (r) => {
    created = r;
  })(sub);
  if (!created || sub.response?.status !== 200) throw new Error("failed to create OAuth2 auth record");
  return created;
}
