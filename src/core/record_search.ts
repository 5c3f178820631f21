/**
 * Listing records (the engine behind `GET /api/collections/{c}/records`) and listing plain tables
 * (`_collections`, `_logs`) with upstream's filter/sort/pagination semantics.
 */
import {
  FilterError,
  parseGoBool,
  parseGoInt,
  parseSort,
  runSearch,
  SelectQuery,
  SimpleFieldResolver,
  SqlParams,
  buildFilterExpr,
  buildSortExpr,
  type RunSearchOptions,
  type SearchResult,
  type SqlReader,
} from "../tools/search/index.ts";
import type { App } from "./app.ts";
import type { Collection } from "./collection.ts";
import { DbError, queryAll, type Db } from "./db/index.ts";
import { ApiError, badRequest, forbidden } from "./errors.ts";
import { Record } from "./record.ts";
import { RecordFieldResolver } from "./record_field_resolver.ts";
import type { RequestInfo } from "./request_info.ts";
import { ONLY_SUPERUSERS_MESSAGE } from "./rules.ts";

export type { SearchResult } from "../tools/search/index.ts";

/** The list parameters: raw query strings (parsed the Go way) or already typed values. */
export interface ListParams {
  /** The client's filter (ANDed with the rule); "" or absent = none. */
  filter?: string;
  /** `-created,title`; "" or absent = no ORDER BY (upstream has no default order). */
  sort?: string;
  /** Default 1; ≤0 → 1. A string must be a Go int ("abc" → 400). */
  page?: number | string;
  /** Default 30; ≤0 → 30; >1000 → 1000 (echoed clamped). */
  perPage?: number | string;
  /** true → no COUNT query and totalItems/totalPages = -1. A string uses Go's ParseBool. */
  skipTotal?: boolean | string;
}

/** Options of searchRecords. */
export interface SearchRecordsOptions extends ListParams {
  /** The request; gives `@request.*` values and tells superusers apart. */
  requestInfo?: RequestInfo | null;
  /**
   * The access rule to apply (normally `collection.listRule`): null = superusers only (403 for
   * others), "" = everyone, an expression = an extra condition for non-superusers.
   * Undefined = no rule at all (internal queries).
   */
  rule?: string | null;
  /**
   * True for filters and sorts that come from an API client: non-superusers then get upstream's
   * extra limits (no `@request.`/`@collection.`, no hidden fields, joined collections' list rules
   * enforced, auth emails only where visible). False (default) = a trusted internal query.
   */
  isClientQuery?: boolean;
}

const SUPERUSER_ONLY_FILTER_TOKENS = ["@collection.", "@request."];

/**
 * Throws the 403 upstream gives non-superusers whose client `filter`/`sort` mention
 * `@collection.` or `@request.` (a plain substring check, as upstream).
 */
export function checkSuperuserOnlyFilterFields(filter: string | undefined, sort: string | undefined): void {
  for (const v of [filter, sort]) {
    if (!v) continue;
    for (const token of SUPERUSER_ONLY_FILTER_TOKENS) {
      if (v.includes(token)) throw forbidden("Only superusers can filter by " + token);
    }
  }
}

interface ParsedListParams {
  page?: number;
  perPage?: number;
  skipTotal?: boolean;
}

/** page/perPage/skipTotal as upstream parses them; malformed values → 400. */
function parseListParams(p: ListParams): ParsedListParams {
  const out: ParsedListParams = {};
  if (typeof p.skipTotal === "boolean") out.skipTotal = p.skipTotal;
  else if (p.skipTotal) {
    const v = parseGoBool(p.skipTotal);
    if (v === null) throw badRequest("", {}, new FilterError(`invalid skipTotal value ${JSON.stringify(p.skipTotal)}`));
    out.skipTotal = v;
  }
  for (const key of ["page", "perPage"] as const) {
    const raw = p[key];
    if (typeof raw === "number") out[key] = Number.isFinite(raw) ? Math.trunc(raw) : 0;
    else if (raw) {
      const v = parseGoInt(raw);
      if (v === null) throw badRequest("", {}, new FilterError(`invalid ${key} value ${JSON.stringify(raw)}`));
      out[key] = v;
    }
  }
  return out;
}

/** Wraps filter errors and database failures as upstream's generic 400; other errors pass through. */
function toListError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof FilterError || err instanceof DbError) return badRequest("", {}, err);
  return err;
}

/**
 * One page of a collection's records: the rule (for non-superusers) ANDed with the client filter,
 * sorted, paginated and counted as upstream's records list.
 *
 * The SQL runs on `reader` when given (e.g. the app's worker read pool, which enforces
 * `--queryTimeout` and keeps the JS thread free; it sees committed data only, so not inside a
 * transaction), else on `app.db`. Any failure of a given reader (timeout included) is upstream's
 * generic 400.
 *
 * Throws ApiError: 403 for a null rule or superuser-only client filter fields, 400 (generic
 * message) for malformed parameters, invalid filters/sorts or failing SQL.
 */
export async function searchRecords(
  app: App,
  collection: Collection,
  opts: SearchRecordsOptions & { reader?: SqlReader | null } = {},
): Promise<SearchResult<Record>> {
  const { query, resolver, runOpts } = prepareRecordSearch(app, collection, opts);
  try {
    const result = await runSearch<{ [k: string]: unknown }>(opts.reader ?? app.db, query, resolver, runOpts());
    return { ...result, items: result.items.map((row) => Record.fromRow(collection, row)) };
  } catch (err) {
    const mapped = toListError(err);
    throw opts.reader && !(mapped instanceof ApiError) ? badRequest("", {}, err) : mapped;
  }
}

/** The checks and the query of a records search, before anything runs. */
function prepareRecordSearch(app: App, collection: Collection, opts: SearchRecordsOptions) {
  const requestInfo = opts.requestInfo ?? null;
  const isSuperuser = requestInfo?.hasSuperuserAuth() ?? false;

  if (opts.rule === null && !isSuperuser) throw forbidden(ONLY_SUPERUSERS_MESSAGE);
  if (opts.isClientQuery && !isSuperuser) checkSuperuserOnlyFilterFields(opts.filter, opts.sort);

  const parsed = parseListParams(opts);
  const query = new SelectQuery(collection.name, new SqlParams(app.db.dialect));
  const resolver = new RecordFieldResolver(app, collection, requestInfo, true);
  try {
    if (!isSuperuser && opts.rule) query.andWhere(buildFilterExpr(opts.rule, resolver, query.params));
  } catch (err) {
    throw toListError(err);
  }
  // hidden fields (and joins into collections without a list rule) are off-limits to clients
  resolver.allowHiddenFields = opts.isClientQuery ? isSuperuser : true;
  const runOpts = (): RunSearchOptions => ({
    ...parsed,
    filter: opts.filter ? [opts.filter] : [],
    sort: opts.sort ? parseSort(opts.sort) : [],
    // rowid needs no covering index; views have none
    countCol: collection.isView() ? "id" : "_rowid_",
    countColUnique: !collection.isView(),
  });
  return { query, resolver, runOpts };
}

/** The columns the collections list may filter and sort by. */
export const COLLECTION_LIST_FIELDS = ["id", "created", "updated", "name", "system", "type"];

/** The columns (and JSON paths of `data`) the logs list may filter and sort by. */
export const LOG_LIST_FIELDS = ["id", "created", "level", "message", "data", "^data\\.[\\w\\.\\:]*\\w+$"];

/**
 * One page of rows of a plain table (not a collection): `allowedFields` lists the filterable and
 * sortable columns (a `^...$` entry is a pattern; dotted names are JSON paths). Rows come back as
 * stored. Errors as searchRecords (400 with the generic message).
 *
 * `db` is the App (its data.db) or any Db (e.g. `app.auxDb` for `_logs`).
 */
export async function searchTable(
  db: App | Db,
  table: string,
  opts: ListParams = {},
  allowedFields: readonly string[] = [],
): Promise<SearchResult<{ [k: string]: unknown }>> {
  const database = "auxDb" in db ? db.db : db;
  const parsed = parseListParams(opts);
  const query = new SelectQuery(table, new SqlParams(database.dialect));
  const resolver = new SimpleFieldResolver(allowedFields);
  try {
    return await runSearch(database, query, resolver, {
      ...parsed,
      filter: opts.filter ? [opts.filter] : [],
      sort: opts.sort ? parseSort(opts.sort) : [],
      // `id` is the primary key of the system tables listed this way
      countColUnique: true,
    });
  } catch (err) {
    throw toListError(err);
  }
}

/**
 * Go's strconv.Quote as the filter parser reads it back: a double-quoted text literal with `"`, `\`
 * and control characters escaped, so any value survives as exactly one text token.
 */
function quoteFilterText(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff))
      out += "\\u" + code.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

/** The filter text of a placeholder value (upstream's FilterData placeholder replacement). */
function placeholderLiteral(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "0";
  let text: string;
  if (typeof v === "string") text = v;
  else if (v instanceof Date)
    text = Number.isNaN(v.getTime())
      ? ""
      : v
          .toISOString()
          .replace("T", " ")
          .replace(/\.\d+Z$/, "") + " +0000 UTC";
  else text = "";
  // values cast.ToString cannot print (lists, objects, "") are JSON-encoded
  if (text === "") text = JSON.stringify(v) ?? "";
  return quoteFilterText(text);
}

/** Replaces `{:name}` placeholders with safely quoted literals of `params` (numbers/bools/null as such). */
export function replaceFilterPlaceholders(filter: string, params: { readonly [name: string]: unknown } = {}): string {
  let out = filter;
  for (const [k, v] of Object.entries(params)) out = out.replaceAll(`{:${k}}`, placeholderLiteral(v));
  return out;
}

/**
 * Records of `collection` matching `filter` (upstream's App.FindRecordsByFilter, for hooks and
 * internal code): no rules, hidden fields allowed, `{:name}` placeholders bound from `params`
 * (use them for untrusted values). `sort` as the API's; limit ≤ 0 = no limit. Throws FilterError.
 */
export async function findRecordsByFilter(
  app: App,
  collection: Collection | string,
  filter: string,
  sort = "",
  limit = 0,
  offset = 0,
  params: { readonly [name: string]: unknown } = {},
): Promise<Record[]> {
  const { c, query } = recordsByFilterQuery(app, collection, filter, sort, limit, offset, params);
  return (await queryAll(app.db, query)).map((row) => Record.fromRow(c, row));
}

/**
 * findRecordsByFilter with the query on the app's read pool (another core; `--queryTimeout`
 * applies), so a slow filter or sort does not hold the JS thread. Inside a transaction (the pool sees
 * committed data only), or without a pool, it is findRecordsByFilter.
 */
export async function findRecordsByFilterAsync(
  app: App,
  collection: Collection | string,
  filter: string,
  sort = "",
  limit = 0,
  offset = 0,
  params: { readonly [name: string]: unknown } = {},
): Promise<Record[]> {
  const pool = app.readPool;
  if (app.inTransaction || !pool) return findRecordsByFilter(app, collection, filter, sort, limit, offset, params);
  const { c, query } = recordsByFilterQuery(app, collection, filter, sort, limit, offset, params);
  const { sql, bindings } = query.params.finalize(query.sql());
  return (await pool.all(sql, bindings)).map((row) => Record.fromRow(c, row));
}

function recordsByFilterQuery(
  app: App,
  collection: Collection | string,
  filter: string,
  sort: string,
  limit: number,
  offset: number,
  params: { readonly [name: string]: unknown },
): { c: Collection; query: SelectQuery } {
  const c = typeof collection === "string" ? app.findCollection(collection) : collection;
  if (!c) throw new FilterError(`missing collection ${JSON.stringify(collection)}`);
  const query = new SelectQuery(c.name, new SqlParams(app.db.dialect));
  const resolver = new RecordFieldResolver(app, c, null, true);
  if (filter !== "") {
    try {
      query.andWhere(buildFilterExpr(replaceFilterPlaceholders(filter, params), resolver, query.params));
    } catch (err) {
      throw new FilterError(`invalid filter expression: ${(err as Error).message}`);
    }
  }
  if (sort !== "") for (const s of parseSort(sort)) query.andOrderBy(buildSortExpr(s, resolver, query.params, c.name));
  resolver.updateQuery(query);
  if (limit > 0) query.limit = limit;
  if (offset > 0) query.offset = offset;
  return { c, query };
}

/** The first record matching `filter` (see findRecordsByFilter), or null. */
export async function findFirstRecordByFilter(
  app: App,
  collection: Collection | string,
  filter: string,
  params: { readonly [name: string]: unknown } = {},
): Promise<Record | null> {
  return (await findRecordsByFilter(app, collection, filter, "", 1, 0, params))[0] ?? null;
}

/**
 * The SQL condition of a filter over a plain table (for callers running their own query, such as
 * the logs stats). Throws FilterError when invalid.
 */
export function buildTableFilter(filter: string, allowedFields: readonly string[], query: SelectQuery): string {
  return buildFilterExpr(filter, new SimpleFieldResolver(allowedFields), query.params);
}
