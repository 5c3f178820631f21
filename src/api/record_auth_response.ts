/**
 * The response every successful authentication ends in (upstream's RecordAuthResponse in
 * apis/record_helpers.go): the superuser IP whitelist, the collection's authRule, the
 * onRecordAuthRequest hook, MFA, enrichment of the record for itself, the new-login alert, then
 * `{meta?, record, token}`.
 */
import type { App } from "../core/app.ts";
import {
  findAllAuthOriginsByRecord,
  authOriginFingerprint,
  newAuthOrigin,
  truncateUserAgent,
} from "../core/auth_origin.ts";
import { badRequest, forbidden, noRows } from "../core/errors.ts";
import { RecordAuthRequestEvent, RecordEnrichEvent } from "../core/events.ts";
import { nowDateTime } from "../core/fields/index.ts";
import { logMailError, sendRecordAuthAlert } from "../core/mails/index.ts";
import { SendmailNotFoundError } from "../tools/mailer/index.ts";
import { createMFA, findMFAById, mfaHasExpired } from "../core/mfa.ts";
import type { Record } from "../core/record.ts";
import { RecordFieldResolver } from "../core/record_field_resolver.ts";
import { expandRecords } from "../core/record_expand.ts";
import { deleteRecord, saveRecord } from "../core/record_save.ts";
import type { RequestEvent } from "../core/request_event.ts";
import type { RequestInfo } from "../core/request_info.ts";
import { canAccessRecord } from "../core/rules.ts";
import { newAuthToken } from "../core/tokens.ts";
import { queryGet } from "../core/db/index.ts";
import { buildFilterExpr, SelectQuery, SqlParams } from "../tools/search/index.ts";
import { ipInList } from "./middlewares/real_ip.ts";
import { expandFetch } from "./record_helpers.ts";
import { respondAfterTx } from "./record_auth_forms.ts";

/**
 * Thrown (after the 401 `{"mfaId"}` answer was written) when a first factor passed and a second one
 * is required, so outer middlewares know the auth did not complete. Let it propagate.
 */
export class MFARequiredError extends Error {
  constructor(readonly mfaId: string) {
    super("mfa required");
  }
}

/**
 * Answers a successful authentication of `record`.
 *
 * - `token`: the token to return; a new refreshable auth token when omitted or "".
 * - `meta`: extra data under `meta` (OAuth2 user info); left out when undefined or null.
 * - `authMethod`: "password", "otp", "oauth2"… — drives MFA and login alerts; "" (refresh,
 *   impersonate) skips both.
 *
 * Throws 403 for a non-whitelisted superuser IP or an unsatisfied authRule, 400 for MFA session
 * errors, and MFARequiredError after writing 401 `{"mfaId"}` when a second factor is needed.
 */
export async function authResponse(
  e: RequestEvent,
  record: Record,
  token?: string,
  meta?: unknown,
  authMethod = "",
): Promise<void> {
  const app = e.app;
  if (record.collection.name === "_superusers") {
    const ips = app.settings().superuserIPs ?? [];
    if (ips.length && !ipInList(ips, e.realIP)) throw forbidden("", {}, new Error("superuser IP is not whitelisted"));
  }
  const info = await e.requestInfo();
  if (!(await canAccessRecord(app, record, info, record.collection.authRule))) {
    throw forbidden("The request doesn't satisfy the collection requirements to authenticate.");
  }

  const event = new RecordAuthRequestEvent(
    e,
    record.collection,
    record,
    token || newAuthToken(record),
    meta,
    authMethod,
  );
  await app.onRecordAuthRequest.hook.trigger(event, async (ae) => {
    if (ae.written) return;
    const authRecord = ae.record ?? record;

    const mfaId = await checkMFA(ae, authRecord, ae.authMethod);
    if (mfaId) {
      ae.json(401, { mfaId });
      throw new MFARequiredError(mfaId);
    }

    const selfInfo = info.clone();
    selfInfo.auth = authRecord;
    await triggerEnrich(app, selfInfo, authRecord, async () => {
      if (authRecord.collection.name === "_superusers")
        authRecord.unhide(...authRecord.collection.fields.map((f) => f.name));
      authRecord.ignoreEmailVisibility = true;
      const expands = (e.url.searchParams.get("expand") ?? "").split(",").filter(Boolean);
      if (expands.length) {
        const failed = await expandRecords(app, [authRecord], expands, expandFetch(app, selfInfo));
        if (failed.size && app.isDev) console.warn("[authResponse] failed to expand relations", failed);
      }
    });

    if (ae.authMethod && authRecord.collection.authAlert.enabled) {
      try {
        await authAlert(ae, authRecord);
      } catch (err) {
        // a missing sendmail is said once (at start): not again for every login alert
        if (err instanceof SendmailNotFoundError) logMailError("login alert", err, true);
        else console.warn("[authResponse] Failed to send login alert:", err instanceof Error ? err.message : err);
      }
    }

    const body: { [k: string]: unknown } = {};
    if (ae.meta !== undefined && ae.meta !== null) body.meta = ae.meta;
    body.record = authRecord;
    body.token = ae.token;
    await respondAfterTx(app, () => void ae.json(200, body));
  });
}

/** onRecordEnrich around the auth record, with `finalizer` as the innermost step. */
async function triggerEnrich(
  app: App,
  info: RequestInfo,
  record: Record,
  finalizer: () => Promise<void>,
): Promise<void> {
  await app.onRecordEnrich.hook.trigger(new RecordEnrichEvent(app, record, info), finalizer);
}

// --- MFA -------------------------------------------------------------------------------------------

/**
 * Whether the collection's `mfa.rule` asks for MFA for this record (an empty rule: always).
 * Errors count as "yes" (the safer default), as upstream.
 */
async function wantsMFA(e: RequestEvent, record: Record): Promise<boolean> {
  const rule = record.collection.mfa.rule;
  if (!rule) return true;
  const info = await e.requestInfo();
  const c = record.collection;
  const query = new SelectQuery(c.name, new SqlParams(e.app.db.dialect), ["(1)"]);
  query.andWhere(`${e.app.db.dialect.quoteColumn(c.name + ".id")} = ${query.params.add(record.id)}`);
  const resolver = new RecordFieldResolver(e.app, c, info, true);
  query.andWhere(buildFilterExpr(rule, resolver, query.params));
  resolver.updateQuery(query);
  query.limit = 1;
  return (await queryGet(e.app.db, query, { distinct: false })) !== null;
}

/**
 * The MFA step of an auth response: "" when no (further) factor is needed, else the id of the new
 * MFA session to answer with. A second factor brings `mfaId` in the query or the body.
 */
async function checkMFA(e: RequestEvent, record: Record, method: string): Promise<string> {
  const c = record.collection;
  if (!c.mfa.enabled || !method) return "";
  let wants: boolean;
  try {
    wants = await wantsMFA(e, record);
  } catch (err) {
    throw badRequest("Failed to authenticate.", {}, err);
  }
  if (!wants) return "";

  let mfaId = e.url.searchParams.get("mfaId") ?? "";
  if (!mfaId) {
    const body = await e.bindBody();
    const v = body.mfaId ?? Object.entries(body).find(([k]) => k.toLowerCase() === "mfaid")?.[1];
    if (typeof v === "string") mfaId = v;
    else if (
      v !== undefined &&
      v !== null &&
      (e.request.headers.get("content-type") ?? "").startsWith("application/json")
    ) {
      throw badRequest("Failed to read MFA Id.", {}, new Error("mfaId must be a string"));
    } else if (v !== undefined && v !== null) mfaId = String(v);
  }

  if (!mfaId) return (await createMFA(e.app, record, method)).id;

  const mfa = await findMFAById(e.app, mfaId);
  if (!mfa || mfaHasExpired(mfa, c.mfa.duration)) {
    if (mfa) await deleteRecord(e.app, mfa).catch((err) => console.warn("Failed to delete expired MFA record:", err));
    throw badRequest("Invalid or expired MFA session.", {}, mfa ? new Error("the MFA session is expired") : noRows());
  }
  if (mfa.getString("recordRef") !== record.id || mfa.getString("collectionRef") !== c.id) {
    throw badRequest("Invalid MFA session.");
  }
  if (mfa.getString("method") === method) throw badRequest("A different authentication method is required.");
  await deleteRecord(e.app, mfa).catch((err) => console.warn("Failed to delete MFA record:", err));
  return "";
}

// --- login alerts ----------------------------------------------------------------------------------

/** How many origins an auth record keeps (older ones are dropped). */
export const MAX_AUTH_ORIGINS = 5;
/** How long an auth response waits for the alert email before going on without it. */
export const AUTH_ALERT_TIMEOUT_MS = 15_000;

/**
 * Remembers where this login came from and, when the place is new and the record logged in before,
 * mails a new-login alert (waiting up to 15 s for it; a failure leaves the origin unsaved so the next
 * login alerts again). Keeps at most MAX_AUTH_ORIGINS origins.
 */
async function authAlert(e: RequestEvent, record: Record): Promise<void> {
  const ip = e.realIP;
  const rawUA = e.request.headers.get("user-agent") ?? "";
  const fingerprint = authOriginFingerprint(ip, rawUA);
  const alertInfo = `${nowDateTime()} - ${ip} ${truncateUserAgent(rawUA)}`;

  const origins = await findAllAuthOriginsByRecord(e.app, record);
  const isFirstLogin = origins.length === 0;
  const current =
    origins.find((o) => o.getString("fingerprint") === fingerprint) ?? newAuthOrigin(e.app, record, fingerprint);

  if (!isFirstLogin && current.isNew && record.email() !== "") {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("auth alert mail send wait timeout reached")), AUTH_ALERT_TIMEOUT_MS);
      (timer as { unref?: () => void }).unref?.();
    });
    const send = sendRecordAuthAlert(e.app, record, alertInfo);
    send.catch(() => {}); // a late failure after the timeout is not unhandled
    try {
      await Promise.race([send, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  if (current.isNew && origins.length >= MAX_AUTH_ORIGINS) {
    for (let i = origins.length - 1; i >= MAX_AUTH_ORIGINS - 1; i--) {
      await deleteRecord(e.app, origins[i]!).catch((err) => console.warn("Failed to delete old auth origin:", err));
    }
  }
  await saveRecord(e.app, current);
}
