/**
 * Listing records (the engine behind `GET /api/collections/{c}/records`) and listing plain tables
 * (`_collections`, `_logs`) with upstream's filter/sort/pagination semantics.
 */
import type { Database } from "bun:sqlite";
import {
  FilterError,
  parseGoBool,
  parseGoInt,
  parseSort,
  runSearch,
  SelectQuery,
  SimpleFieldResolver,
  buildFilterExpr,
  type SearchResult,
} from "../tools/search/index.ts";
import type { App } from "./app.ts";
import type { Collection } from "./collection.ts";
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

/** Wraps filter errors and SQLite failures as upstream's generic 400; other errors pass through. */
function toListError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  if (err instanceof FilterError || (err instanceof Error && err.name === "SQLiteError")) return badRequest("", {}, err);
  return err;
}

/**
 * One page of a collection's records: the rule (for non-superusers) ANDed with the client filter,
 * sorted, paginated and counted as upstream's records list.
 *
 * Throws ApiError: 403 for a null rule or superuser-only client filter fields, 400 (generic
 * message) for malformed parameters, invalid filters/sorts or failing SQL.
 */
export function searchRecords(app: App, collection: Collection, opts: SearchRecordsOptions = {}): SearchResult<Record> {
  const requestInfo = opts.requestInfo ?? null;
  const isSuperuser = requestInfo?.hasSuperuserAuth() ?? false;

  if (opts.rule === null && !isSuperuser) throw forbidden(ONLY_SUPERUSERS_MESSAGE);
  if (opts.isClientQuery && !isSuperuser) checkSuperuserOnlyFilterFields(opts.filter, opts.sort);

  const parsed = parseListParams(opts);
  const query = new SelectQuery(collection.name);
  const resolver = new RecordFieldResolver(app, collection, requestInfo, true);

  try {
    if (!isSuperuser && opts.rule) query.andWhere(buildFilterExpr(opts.rule, resolver, query.params));
    // hidden fields (and joins into collections without a list rule) are off-limits to clients
    resolver.allowHiddenFields = opts.isClientQuery ? isSuperuser : true;
    const result = runSearch<{ [k: string]: unknown }>(app.db, query, resolver, {
      ...parsed,
      filter: opts.filter ? [opts.filter] : [],
      sort: opts.sort ? parseSort(opts.sort) : [],
      // rowid needs no covering index; views have none
      countCol: collection.isView() ? "id" : "_rowid_",
    });
    return { ...result, items: result.items.map((row) => Record.fromRow(collection, row)) };
  } catch (err) {
    throw toListError(err);
  }
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
 * `db` is the App (its data.db) or any Database (e.g. `app.auxDb` for `_logs`).
 */
export function searchTable(
  db: App | Database,
  table: string,
  opts: ListParams = {},
  allowedFields: readonly string[] = [],
): SearchResult<{ [k: string]: unknown }> {
  const database = "auxDb" in db ? db.db : db;
  const parsed = parseListParams(opts);
  const query = new SelectQuery(table);
  const resolver = new SimpleFieldResolver(allowedFields);
  try {
    return runSearch(database, query, resolver, {
      ...parsed,
      filter: opts.filter ? [opts.filter] : [],
      sort: opts.sort ? parseSort(opts.sort) : [],
    });
  } catch (err) {
    throw toListError(err);
  }
}

/**
 * The SQL condition of a filter over a plain table (for callers running their own query, such as
 * the logs stats). Throws FilterError when invalid.
 */
export function buildTableFilter(filter: string, allowedFields: readonly string[], query: SelectQuery): string {
  return buildFilterExpr(filter, new SimpleFieldResolver(allowedFields), query.params);
}
