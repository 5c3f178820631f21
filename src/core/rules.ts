/**
 * API rules: validating a rule against a collection and checking records against rules
 * (upstream's collectionValidator.checkRule, App.CanAccessRecord and the rule parts of
 * apis/record_crud.go and apis/record_helpers.go).
 *
 * Rule values: null = superusers only, "" = everyone, an expression = a filter the record must match
 * (superusers always pass).
 */
import { buildFilterExpr, FilterError, SelectQuery, SqlParams } from "../tools/search/index.ts";
import type { App } from "./app.ts";
import type { Collection } from "./collection.ts";
import { DbError, queryAll, queryGet } from "./db/index.ts";
import { forbidden } from "./errors.ts";
import { Record } from "./record.ts";
import { findRecordById } from "./record_query.ts";
import { RecordFieldResolver } from "./record_field_resolver.ts";
import { RequestInfo } from "./request_info.ts";

/** The 403 message for a null rule. */
export const ONLY_SUPERUSERS_MESSAGE = "Only superusers can perform this action.";

/**
 * Throws an Error when `rule` is not a valid filter for `collection` (message as upstream:
 * "Invalid rule. Raw error: <reason>"). An empty rule is always valid.
 * The collection-validation code reports the message under the rule's key with code `validation_invalid_rule`.
 */
export function checkRule(app: App, collection: Collection, rule: string): void {
  if (rule === "") return;
  try {
    const resolver = new RecordFieldResolver(app, collection, new RequestInfo(), true);
    buildFilterExpr(rule, resolver, new SqlParams(app.db.dialect));
  } catch (err) {
    throw new Error("Invalid rule. Raw error: " + ((err as Error)?.message ?? String(err)));
  }
}

/** Throws upstream's 403 when `rule` is null and the request is not a superuser's. */
export function requireRuleAccess(rule: string | null, requestInfo: RequestInfo | null): void {
  if (rule === null && !requestInfo?.hasSuperuserAuth()) throw forbidden(ONLY_SUPERUSERS_MESSAGE);
}

/**
 * Adds `rule` (resolved for `collection`) to `query`. API rules may use hidden fields and reach any
 * collection; client filters (`allowHiddenFields` false) may not.
 */
function applyRule(
  app: App,
  collection: Collection,
  query: SelectQuery,
  requestInfo: RequestInfo | null,
  rule: string,
  allowHiddenFields = true,
): void {
  const resolver = new RecordFieldResolver(app, collection, requestInfo, allowHiddenFields);
  query.andWhere(buildFilterExpr(rule, resolver, query.params));
  resolver.updateQuery(query);
}

const isExpectedFailure = (err: unknown) => err instanceof FilterError || err instanceof DbError;

/** `SELECT (1) FROM <table> WHERE id = <record.id>`: the stored row a rule is checked against. */
function storedRecordQuery(app: App, record: Record): SelectQuery {
  const table = record.collection.name;
  const query = new SelectQuery(table, new SqlParams(app.db.dialect), ["(1)"]);
  query.andWhere(`${app.db.dialect.quoteColumn(table + ".id")} = ${query.params.add(record.id)}`);
  return query;
}

/** Whether `query` still yields a row once `rule` is applied; an invalid rule (or SQL error) → false. */
async function rowMatches(
  app: App,
  collection: Collection,
  query: SelectQuery,
  requestInfo: RequestInfo | null,
  rule: string,
  allowHiddenFields = true,
): Promise<boolean> {
  try {
    applyRule(app, collection, query, requestInfo, rule, allowHiddenFields);
    query.limit = 1;
    return (await queryGet(app.db, query, { distinct: false })) !== null;
  } catch (err) {
    if (isExpectedFailure(err)) return false;
    throw err;
  }
}

/**
 * Whether `requestInfo` may access the stored `record` under `rule` (upstream's CanAccessRecord):
 * superusers always, null → nobody else, "" → everyone, otherwise the rule must match the record's row.
 * An invalid rule denies access.
 */
export async function canAccessRecord(
  app: App,
  record: Record,
  requestInfo: RequestInfo | null,
  rule: string | null,
  opts: RecordSource = {},
): Promise<boolean> {
  if (requestInfo?.hasSuperuserAuth()) return true;
  if (rule === null) return false;
  if (rule === "") return true;
  const { query, collection } = recordQuery(app, record, opts);
  return rowMatches(app, collection, query, requestInfo, rule);
}

export interface RecordSource {
  /**
   * The record's row is gone (deleted through another node of a cluster): rules are checked
   * against the record's values, as they were stored, instead of its row.
   */
  snapshot?: boolean;
}

function recordQuery(app: App, record: Record, opts: RecordSource): { query: SelectQuery; collection: Collection } {
  if (opts.snapshot) return valuesQuery(app, record, true);
  return { query: storedRecordQuery(app, record), collection: record.collection };
}

/**
 * Whether the stored `record` matches a subscriber's own `filter` (upstream's realtimeCanAccessRecord,
 * after the access rule): resolved as a client filter for everyone, superusers included, so hidden
 * fields are refused, emails match only under emailVisibility and every joined collection's list
 * rule applies. Which events arrive must not tell more than the list API would. Invalid → false.
 */
export function matchesClientFilter(
  app: App,
  record: Record,
  requestInfo: RequestInfo | null,
  filter: string,
  opts: RecordSource = {},
): Promise<boolean> {
  const { query, collection } = recordQuery(app, record, opts);
  return rowMatches(app, collection, query, requestInfo, filter, false);
}

/**
 * The record with `id` if `requestInfo` passes `rule` for it (view/update/delete), else null —
 * a failing rule looks exactly like a missing record (upstream answers 404 for both).
 * A null rule yields null for non-superusers: check `requireRuleAccess` first to answer 403.
 * For update, pass a RequestInfo whose body is the new (modifier-resolved) data.
 */
export async function findRecordByIdWithRule(
  app: App,
  collection: Collection,
  id: string,
  requestInfo: RequestInfo | null,
  rule: string | null,
): Promise<Record | null> {
  if (id === "") return null;
  const isSuperuser = requestInfo?.hasSuperuserAuth() ?? false;
  if (rule === null && !isSuperuser) return null;
  try {
    // no rule to apply: the plain lookup by id
    if (isSuperuser || !rule) return await findRecordById(app, collection, id);
    const query = new SelectQuery(collection.name, new SqlParams(app.db.dialect));
    query.andWhere(`${app.db.dialect.quoteColumn(collection.name + ".id")} = ${query.params.add(id)}`);
    applyRule(app, collection, query, requestInfo, rule);
    query.limit = 1;
    const row = await queryGet(app.db, query);
    return row ? Record.fromRow(collection, row) : null;
  } catch (err) {
    if (isExpectedFailure(err)) return null;
    throw err;
  }
}

/**
 * The records with the given ids that `requestInfo` may see under `rule`, in table order (callers
 * reorder as needed). For expand, pass the target collection's viewRule and a RequestInfo clone
 * with `context = "expand"`. Throws when the rule is null for a non-superuser (upstream fails the
 * whole expand path then) or invalid.
 */
export async function findRecordsByIdsWithRule(
  app: App,
  collection: Collection,
  ids: readonly string[],
  requestInfo: RequestInfo | null,
  rule: string | null,
): Promise<Record[]> {
  const unique = [...new Set(ids.filter((id) => id !== ""))];
  if (unique.length === 0) return [];
  const isSuperuser = requestInfo?.hasSuperuserAuth() ?? false;
  if (rule === null && !isSuperuser) {
    throw new FilterError(`only superusers can view collection ${JSON.stringify(collection.name)} records`);
  }
  const d = app.db.dialect;
  const query = new SelectQuery(collection.name, new SqlParams(app.db.dialect));
  // one bound JSON array: the same SQL text for any number of ids
  query.andWhere(
    `${d.quoteColumn(collection.name + ".id")} IN (SELECT ${d.quoteIdent("value")} FROM ${d.jsonEachParam(query.params.add(JSON.stringify(unique)))})`,
  );
  if (!isSuperuser && rule) applyRule(app, collection, query, requestInfo, rule);
  return (await queryAll<{ [k: string]: unknown }>(app.db, query)).map((row) => Record.fromRow(collection, row));
}

/**
 * The ids among `ids` of auth records the requester manages through the collection's manageRule
 * (used to show their emails regardless of emailVisibility). Empty without a non-empty manageRule.
 */
export async function findManagedRecordIds(
  app: App,
  collection: Collection,
  ids: readonly string[],
  requestInfo: RequestInfo | null,
): Promise<string[]> {
  if (!collection.isAuth() || !collection.manageRule || ids.length === 0) return [];
  const d = app.db.dialect;
  const query = new SelectQuery(collection.name, new SqlParams(app.db.dialect), [
    d.quoteColumn(collection.name + ".id") + " AS " + d.quoteIdent("id"),
  ]);
  query.andWhere(
    `${d.quoteColumn(collection.name + ".id")} IN (SELECT ${d.quoteIdent("value")} FROM ${d.jsonEachParam(query.params.add(JSON.stringify([...ids])))})`,
  );
  try {
    applyRule(app, collection, query, requestInfo, collection.manageRule);
    return (await queryAll<{ id: string }>(app.db, query)).map((r) => String(r.id));
  } catch (err) {
    if (isExpectedFailure(err)) return [];
    throw err;
  }
}

/** The suffix of the CTE standing for a record that is not saved yet. */
const CREATE_CTE_SUFFIX = "__pb_create__rule";

/**
 * A `WITH <name>__pb_create__rule AS (SELECT :v AS col, ...)` query over the values the new record
 * would be stored with (verified forced false, a temporary id if none), and a shallow copy of the
 * collection named after the CTE, so rules resolve their fields against the unsaved record.
 */
function unsavedRecordQuery(app: App, record: Record): { query: SelectQuery; collection: Collection } {
  return valuesQuery(app, record, false);
}

/** The CTE query over the record's values: as a new record would be stored, or (`asStored`) as they are. */
function valuesQuery(app: App, record: Record, asStored: boolean): { query: SelectQuery; collection: Collection } {
  const original = record.collection;
  const row = record.toRow();
  if (!asStored) {
    if (!row.id) row.id = "__temp_id__" + CREATE_CTE_SUFFIX;
    if (original.isAuth() && "verified" in row) row.verified = 0;
  }

  const dummy = Object.assign(Object.create(Object.getPrototypeOf(original)) as Collection, original);
  dummy.id = original.id + CREATE_CTE_SUFFIX;
  dummy.name = original.name + CREATE_CTE_SUFFIX;

  const quoteIdent = app.db.dialect.quoteIdent;
  const params = new SqlParams(app.db.dialect);
  const selects = Object.entries(row).map(([col, v]) => {
    const isNumberField = original.fields.getByName(col)?.type === "number";
    return `${params.add(v, { real: isNumberField })} AS ${quoteIdent(col)}`;
  });
  const query = new SelectQuery(dummy.name, params, ["(1)"]);
  query.preFragment = `WITH ${quoteIdent(dummy.name)} AS (SELECT ${selects.join(", ")})`;
  return { query, collection: dummy };
}

/**
 * The create rule check (non-superusers): whether the not-yet-saved `record` — body applied,
 * modifiers resolved — satisfies `rule` for `requestInfo` (whose body should be the resolved data).
 * null → false for non-superusers; "" → true. An invalid rule fails the check (upstream: 400).
 */
export async function checkCreateRule(
  app: App,
  record: Record,
  requestInfo: RequestInfo | null,
  rule: string | null,
): Promise<boolean> {
  if (requestInfo?.hasSuperuserAuth()) return true;
  if (rule === null) return false;
  if (rule === "") return true;
  return matchesUnsaved(app, record, requestInfo, rule);
}

/**
 * Whether the requester manages `record` through its auth collection's manageRule (upstream's
 * hasAuthManageAccess): an unsaved record is checked through the same CTE as the create rule,
 * a stored one by id. False without auth or without a non-empty manageRule.
 */
export async function hasAuthManageAccess(app: App, record: Record, requestInfo: RequestInfo | null): Promise<boolean> {
  const collection = record.collection;
  if (!collection.isAuth() || !collection.manageRule || !requestInfo?.auth) return false;
  if (record.isNew) return matchesUnsaved(app, record, requestInfo, collection.manageRule);
  return rowMatches(app, collection, storedRecordQuery(app, record), requestInfo, collection.manageRule);
}

function matchesUnsaved(app: App, record: Record, requestInfo: RequestInfo | null, rule: string): Promise<boolean> {
  const { query, collection } = unsavedRecordQuery(app, record);
  return rowMatches(app, collection, query, requestInfo, rule);
}
