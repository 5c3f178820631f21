/**
 * Shared steps of the record APIs (upstream apis/record_helpers.go): enriching records for a
 * response (onRecordEnrich, visibility flags, `?expand=` with each collection's view rule), the
 * superuser-only filter check, and the auth response.
 */
import type { App } from "../core/app.ts";
import type { Collection } from "../core/collection.ts";
import { forbidden, noRows } from "../core/errors.ts";
import { RecordEnrichEvent } from "../core/events.ts";
import type { Record } from "../core/record.ts";
import { expandRecords, type ExpandFetch } from "../core/record_expand.ts";
import { REQUEST_INFO_CONTEXT_KEY, type RequestEvent } from "../core/request_event.ts";
import { RequestInfo } from "../core/request_info.ts";
import { findRecordsByIdsWithRule } from "../core/rules.ts";

/** Runs onRecordEnrich around each record, then the default enrichment (flags and `?expand=`). */
export async function enrichRecords(e: RequestEvent, records: Record[], ...defaultExpands: string[]): Promise<void> {
  if (records.length === 0) return;
  const info = await e.requestInfo();
  await triggerEnrichHooks(e.app, info, records, async () => {
    const expands = [...defaultExpands];
    const param = info.query.expand;
    if (param) expands.push(...param.split(","));
    await autoResolveRecordsFlags(e.app, records, info);
    if (expands.length) {
      const failed = await expandRecords(e.app, records, expands, expandFetch(e.app, info));
      if (failed.size && e.app.isDev) console.warn("failed to expand", failed);
    }
  });
}

/** Each record's enrich chain wraps the next record's, the last one wrapping `finalizer` (upstream's order). */
async function triggerEnrichHooks(
  app: App,
  info: RequestInfo,
  records: Record[],
  finalizer: () => Promise<void>,
): Promise<void> {
  const hook = app.onRecordEnrich.hook;
  // nothing bound: no chain per record to build (a list would nest one per record)
  if (hook.length === 0) return finalizer();
  const iterate = async (i: number): Promise<void> => {
    const record = records[i];
    if (!record) return;
    await hook.trigger(new RecordEnrichEvent(app, record, info), async () => {
      if (i + 1 < records.length) await iterate(i + 1);
      else await finalizer();
    });
  };
  await iterate(0);
}

/** How expand fetches related records: each related collection's view rule applies (superusers skip it). */
export function expandFetch(app: App, original: RequestInfo): ExpandFetch {
  const info = original.clone();
  info.context = "expand";
  return async (collection, ids) => {
    if (ids.length === 0) return [];
    if (!info.hasSuperuserAuth() && collection.viewRule === null) {
      throw new Error(`only superusers can view collection "${collection.name}" records`);
    }
    const records = await findRecordsByIdsWithRule(
      app,
      collection,
      ids,
      info,
      info.hasSuperuserAuth() ? "" : collection.viewRule,
    );
    await triggerEnrichHooks(app, info, records, () => autoResolveRecordsFlags(app, records, info));
    return records;
  };
}

/** Superusers see hidden fields and emails; auth records show their email to themselves and managers. */
export async function autoResolveRecordsFlags(app: App, records: Record[], info: RequestInfo): Promise<void> {
  if (records.length === 0) return;
  const collection = records[0]!.collection;
  if (info.hasSuperuserAuth()) {
    const names = collection.fields.map((f) => f.name);
    for (const r of records) {
      r.unhide(...names);
      r.ignoreEmailVisibility = true;
    }
  }
  if (collection.type !== "auth") return;
  const own = info.auth
    ? records.find((r) => r.id === info.auth!.id && r.collection.id === info.auth!.collection.id)
    : undefined;
  if (own) own.ignoreEmailVisibility = true;
  if (!collection.manageRule || !info.auth) return;
  const managed = await findRecordsByIdsWithRule(
    app,
    collection,
    records.map((r) => r.id),
    info,
    collection.manageRule,
  );
  const ids = new Set(managed.map((r: Record) => r.id));
  for (const r of records) if (ids.has(r.id)) r.ignoreEmailVisibility = true;
}

const RULE_QUERY_PARAMS = ["filter", "sort"];
const SUPERUSER_ONLY_RULE_FIELDS = ["@collection.", "@request."];

/** Non-superusers may not use `@collection.*` or `@request.*` in client filters and sorts. */
export function checkForSuperuserOnlyRuleFields(info: RequestInfo): void {
  if (info.hasSuperuserAuth()) return;
  for (const param of RULE_QUERY_PARAMS) {
    const v = info.query[param];
    if (!v) continue;
    for (const field of SUPERUSER_ONLY_RULE_FIELDS) {
      if (v.includes(field)) throw forbidden(`Only superusers can filter by ${field}`);
    }
  }
}

/** The collection named by the `{collection}` path param, or upstream's 404. */
export function collectionFromPath(e: RequestEvent): Collection {
  const c = e.app.findCollection(e.params.collection ?? "");
  if (!c) throw e.notFoundError("Missing collection context.", {}, noRows());
  return c;
}

/** Sets the `@request.context` of this request. */
export function setRequestContext(e: RequestEvent, context: string): void {
  e.store.set(REQUEST_INFO_CONTEXT_KEY, context);
}
