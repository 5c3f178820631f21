/**
 * The search provider: filter + sort + pagination over a base query (upstream's search.Provider).
 * It parses the list parameters, applies them through a FieldResolver and runs the page query and,
 * unless skipped, the COUNT query.
 */
import type { SqlBindings } from "../sql/dialect.ts";
import { ERR_FILTER_LENGTH_LIMIT, ERR_SORT_EXPR_LIMIT, ERR_SORT_FIELD_LENGTH_LIMIT, FilterError } from "./errors.ts";
import { buildFilterExpr, DEFAULT_FILTER_EXPR_LIMIT } from "./filter.ts";
import type { FieldResolver } from "./resolver.ts";
import { buildSortExpr, parseSort, ROWID_SORT_KEY, type SortField } from "./sort.ts";
import type { SelectQuery, SqlValue } from "./sql.ts";

/** Default page size. */
export const DEFAULT_PER_PAGE = 30;
/** Largest page size; bigger requests are clamped to it (and the clamped value is echoed). */
export const MAX_PER_PAGE = 1000;
/** Most sort fields per request. */
export const DEFAULT_SORT_EXPR_LIMIT = 8;
/** Longest filter text, in UTF-8 bytes (Go's len). */
export const MAX_FILTER_LENGTH = 3500;
/** Longest sort field, in UTF-8 bytes. */
export const MAX_SORT_FIELD_LENGTH = 255;

/** One page of results, in upstream's JSON key order. */
export interface SearchResult<T> {
  items: T[];
  page: number;
  perPage: number;
  /** -1 when the count was skipped. */
  totalItems: number;
  /** -1 when the count was skipped. */
  totalPages: number;
}

/** The list parameters, already parsed. */
export interface SearchParams {
  page?: number;
  perPage?: number;
  sort?: SortField[];
  filter?: string[];
  skipTotal?: boolean;
}

/** Go's strconv.Atoi: optional sign and decimal digits, within int64. */
export function parseGoInt(raw: string): number | null {
  if (!/^[+-]?\d+$/.test(raw)) return null;
  const n = BigInt(raw);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return null;
  return Number(n);
}

const TRUE_BOOLS = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_BOOLS = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** Go's strconv.ParseBool; null on syntax error. */
export function parseGoBool(raw: string): boolean | null {
  if (TRUE_BOOLS.has(raw)) return true;
  if (FALSE_BOOLS.has(raw)) return false;
  return null;
}

/**
 * Reads `page`, `perPage`, `sort`, `filter` and `skipTotal` from query values (the first value of
 * each key), as upstream's Provider.Parse. Empty values are ignored; malformed numbers or booleans
 * throw FilterError.
 */
export function parseSearchQuery(query: { readonly [key: string]: string | undefined }): SearchParams {
  const out: SearchParams = {};
  const skip = query.skipTotal;
  if (skip) {
    const v = parseGoBool(skip);
    if (v === null) throw new FilterError(`invalid skipTotal value ${JSON.stringify(skip)}`);
    out.skipTotal = v;
  }
  if (query.page) {
    const v = parseGoInt(query.page);
    if (v === null) throw new FilterError(`invalid page value ${JSON.stringify(query.page)}`);
    out.page = v;
  }
  if (query.perPage) {
    const v = parseGoInt(query.perPage);
    if (v === null) throw new FilterError(`invalid perPage value ${JSON.stringify(query.perPage)}`);
    out.perPage = v;
  }
  if (query.sort) out.sort = parseSort(query.sort);
  if (query.filter) out.filter = [query.filter];
  return out;
}

/** Options of `runSearch`. */
export interface RunSearchOptions extends SearchParams {
  /** The column counted (DISTINCT) for totalItems, on the FROM table; default `id`. */
  countCol?: string;
  /**
   * True when countCol is unique and never NULL (a primary key or rowid): without joins the count
   * is then a plain COUNT(*), which SQLite answers far faster (no DISTINCT b-tree), with the same result.
   */
  countColUnique?: boolean;
  maxFilterExprLimit?: number;
  maxSortExprLimit?: number;
}

/** The statements of one search, ready to run. */
export interface SearchPlan {
  page: number;
  perPage: number;
  /** The COUNT statement; null with skipTotal. */
  count: { sql: string; bindings: Record<string, SqlValue> } | null;
  items: { sql: string; bindings: Record<string, SqlValue> };
}

/**
 * Applies filters and sort to `query` through `resolver` and renders the count and page statements
 * (page/perPage normalized as upstream: ≤0 → defaults, perPage clamped to 1000).
 * Throws FilterError for invalid filters/sorts.
 */
export function planSearch(query: SelectQuery, resolver: FieldResolver, opts: RunSearchOptions = {}): SearchPlan {
  applySearch(query, resolver, opts);

  let page = opts.page ?? 1;
  if (page <= 0) page = 1;
  let perPage = opts.perPage ?? DEFAULT_PER_PAGE;
  if (perPage <= 0) perPage = DEFAULT_PER_PAGE;
  else if (perPage > MAX_PER_PAGE) perPage = MAX_PER_PAGE;

  let count: SearchPlan["count"] = null;
  if (!opts.skipTotal) {
    const d = query.params.dialect;
    const countCol = d.quoteColumn(query.from + "." + (opts.countCol ?? "id"));
    const total = d.quoteIdent("total");
    const plain = opts.countColUnique && !query.distinct && query.joins.length === 0;
    count = query.params.finalize(
      query.sql({
        select: plain ? `COUNT(*) AS ${total}` : `COUNT(DISTINCT ${countCol}) AS ${total}`,
        distinct: false,
        order: false,
        paginate: false,
      }),
    );
  }
  query.limit = perPage;
  query.offset = perPage * (page - 1);
  return { page, perPage, count, items: query.params.finalize(query.sql()) };
}

function toResult<T>(plan: SearchPlan, items: T[], countRow: { total: number } | null): SearchResult<T> {
  const totalItems = plan.count ? Number(countRow?.total ?? 0) : -1;
  const totalPages = plan.count ? Math.ceil(totalItems / plan.perPage) : -1;
  return { items, page: plan.page, perPage: plan.perPage, totalItems, totalPages };
}

/**
 * What runs a search's read statements: the app's database (`Db`, also inside a transaction) or a
 * worker read pool (`ReadPool`, off the JS thread with a query timeout).
 */
export interface SqlReader {
  all<T = Record<string, unknown>>(sql: string, params?: SqlBindings): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: SqlBindings): Promise<T | null>;
  /** Statements run in order in one round trip (when the reader can). */
  batch?(statements: { sql: string; params?: SqlBindings; mode: "all" | "get" }[]): Promise<unknown[]>;
}

/**
 * Applies filters and sort to `query` through `resolver`, then runs it for one page on `reader`: the
 * page and count statements in one round trip when the reader batches (a worker pool), else both
 * at once (concurrently where the reader can). Throws FilterError for invalid filters/sorts; the
 * reader's errors propagate.
 */
export async function runSearch<T = Record<string, unknown>>(
  reader: SqlReader,
  query: SelectQuery,
  resolver: FieldResolver,
  opts: RunSearchOptions = {},
): Promise<SearchResult<T>> {
  const plan = planSearch(query, resolver, opts);
  if (plan.count && reader.batch) {
    // one round trip: the page, then its count, on the same worker
    const [items, countRow] = await reader.batch([
      { sql: plan.items.sql, params: plan.items.bindings, mode: "all" },
      { sql: plan.count.sql, params: plan.count.bindings, mode: "get" },
    ]);
    return toResult(plan, items as T[], countRow as { total: number } | null);
  }
  const [countRow, items] = await Promise.all([
    plan.count ? reader.get<{ total: number }>(plan.count.sql, plan.count.bindings) : null,
    reader.all<T>(plan.items.sql, plan.items.bindings),
  ]);
  return toResult(plan, items, countRow);
}

/** Adds the filters (ANDed) and sort terms to `query`, then lets the resolver add its joins. */
export function applySearch(query: SelectQuery, resolver: FieldResolver, opts: RunSearchOptions): void {
  for (const f of opts.filter ?? []) {
    if (f === "") continue;
    if (byteLength(f) > MAX_FILTER_LENGTH) throw new FilterError(ERR_FILTER_LENGTH_LIMIT);
    query.andWhere(buildFilterExpr(f, resolver, query.params, opts.maxFilterExprLimit ?? DEFAULT_FILTER_EXPR_LIMIT));
  }
  const sort = opts.sort ?? [];
  if (sort.length > (opts.maxSortExprLimit ?? DEFAULT_SORT_EXPR_LIMIT)) throw new FilterError(ERR_SORT_EXPR_LIMIT);
  for (const s of sort) {
    if (byteLength(s.name) > MAX_SORT_FIELD_LENGTH) throw new FilterError(ERR_SORT_FIELD_LENGTH_LIMIT);
    query.andOrderBy(buildSortExpr(s, resolver, query.params, query.from));
  }
  resolver.updateQuery(query);
}

/** UTF-8 length, as Go's len(string). */
function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

export { ROWID_SORT_KEY };
