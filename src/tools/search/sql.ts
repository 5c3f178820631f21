/**
 * A small SQL builder for SQLite SELECTs: quoting, named parameters and a query model.
 * Values never enter the SQL text: every value is bound through `SqlParams` as `:pN`, and the
 * names are numbered in build order so the same filter always yields the same SQL text
 * (which lets prepared statements be reused).
 */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";

/** Backtick-quotes one identifier, doubling embedded backticks. */
export function quoteIdent(name: string): string {
  return "`" + name.replaceAll("`", "``") + "`";
}

/** Quotes a possibly dotted column reference: `a.b` → `` `a`.`b` `` (a `*` part stays bare). */
export function quoteColumn(ref: string): string {
  return ref
    .split(".")
    .map((p) => (p === "*" ? p : quoteIdent(p)))
    .join(".");
}

/** Quotes a table name; a table expression such as `json_each(...)` is left as written. */
export function quoteTable(name: string): string {
  return name.includes("(") ? name : quoteIdent(name);
}

/** A bindable value: what a filter may compare with. */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;

const PARAM_RE = /:(p\d+)\b/g;

/**
 * The parameters of one query being built. `add` returns the placeholder to put in the SQL.
 * Numbers standing for Go float64 values are marked "real": SQLite compares an integer and a real
 * differently against TEXT columns (`'1' = 1` but `'1' != 1.0`), and upstream binds them as real.
 */
export class SqlParams {
  private values = new Map<string, SqlValue>();
  private reals = new Set<string>();
  private counter = 0;
  private aliasCounter = 0;

  /** Binds `value` and returns its placeholder (`:p0`, `:p1`, ...). */
  add(value: unknown, opts: { real?: boolean } = {}): string {
    const name = "p" + this.counter++;
    this.values.set(name, normalizeValue(value));
    if (opts.real && typeof value === "number") this.reals.add(name);
    return ":" + name;
  }

  /** The value bound to a placeholder (`:p0` or `p0`). */
  get(placeholder: string): SqlValue | undefined {
    return this.values.get(placeholder.replace(/^:/, ""));
  }

  /** Replaces the value of an existing placeholder (a LIKE pattern built from it). */
  set(placeholder: string, value: unknown): void {
    const name = placeholder.replace(/^:/, "");
    this.values.set(name, normalizeValue(value));
    this.reals.delete(name);
  }

  /** A fresh alias for a derived table or join, unique within this query (`__sm1`, ...). */
  alias(prefix: string): string {
    return prefix + ++this.aliasCounter;
  }

  /**
   * The final SQL and its bindings: real-valued numbers are forced to REAL in the text
   * (`(:p3 + 0.0)` keeps "no affinity", exactly like a bound double), and only the parameters
   * the SQL uses are bound (a discarded branch may have added some).
   */
  finalize(sql: string): { sql: string; bindings: Record<string, SqlValue> } {
    const bindings: Record<string, SqlValue> = {};
    const out = sql.replace(PARAM_RE, (m, name: string) => {
      const v = this.values.get(name);
      if (v === undefined) return m;
      bindings[name] = v;
      bindings[":" + name] = v; // for a Database opened without `strict`
      return this.reals.has(name) && typeof v === "number" && Number.isInteger(v) ? `(${m} + 0.0)` : m;
    });
    return { sql: out, bindings };
  }
}

/** A non-negative integer SQLite accepts as LIMIT/OFFSET. */
function clampInt(n: number): number {
  if (!Number.isFinite(n)) return Number.MAX_SAFE_INTEGER;
  return Math.min(Math.max(Math.trunc(n), 0), Number.MAX_SAFE_INTEGER);
}

function normalizeValue(v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  switch (typeof v) {
    case "string":
    case "number":
    case "bigint":
      return v;
    case "boolean":
      return v ? 1 : 0;
    default:
      if (v instanceof Uint8Array) return v;
      return JSON.stringify(v) ?? null;
  }
}

/** One `LEFT JOIN <table> <alias> [ON <on>]`. */
export interface Join {
  /** A table name (quoted when built) or a table expression such as `json_each(...)`. */
  table: string;
  alias: string;
  on?: string;
}

/** A SELECT under construction; `build()` renders it. */
export class SelectQuery {
  selects: string[];
  distinct = false;
  /** An optional leading fragment such as a `WITH ... AS (...)` clause. */
  preFragment = "";
  joins: Join[] = [];
  wheres: string[] = [];
  orderBys: string[] = [];
  limit = -1;
  offset = 0;

  constructor(
    /** The FROM table name (unquoted). */
    readonly from: string,
    readonly params: SqlParams = new SqlParams(),
    selects?: string[],
  ) {
    this.selects = selects ?? [quoteIdent(from) + ".*"];
  }

  /** Adds a WHERE term, ANDed with the existing ones. */
  andWhere(expr: string): this {
    if (expr !== "") this.wheres.push(expr);
    return this;
  }

  /** Adds (or, for an existing alias, replaces) a LEFT JOIN. */
  leftJoin(join: Join): this {
    const i = this.joins.findIndex((j) => j.alias === join.alias);
    if (i >= 0) this.joins[i] = join;
    else this.joins.push(join);
    return this;
  }

  andOrderBy(expr: string): this {
    this.orderBys.push(expr);
    return this;
  }

  /** The WHERE condition alone ("" when none). */
  whereSql(): string {
    if (this.wheres.length === 0) return "";
    if (this.wheres.length === 1) return this.wheres[0]!;
    return "(" + this.wheres.join(") AND (") + ")";
  }

  /** The SQL text (with placeholders) of this query. */
  sql(opts: { select?: string; distinct?: boolean; order?: boolean; paginate?: boolean } = {}): string {
    const distinct = opts.distinct ?? this.distinct;
    let sql = this.preFragment ? this.preFragment + " " : "";
    sql += "SELECT " + (distinct ? "DISTINCT " : "") + (opts.select ?? this.selects.join(", "));
    sql += " FROM " + quoteIdent(this.from);
    for (const j of this.joins) {
      sql += " LEFT JOIN " + quoteTable(j.table) + " " + quoteIdent(j.alias);
      if (j.on) sql += " ON " + j.on;
    }
    const where = this.whereSql();
    if (where) sql += " WHERE " + where;
    if (opts.order !== false && this.orderBys.length > 0) sql += " ORDER BY " + this.orderBys.join(", ");
    if (opts.paginate !== false && (this.limit >= 0 || this.offset > 0)) {
      // literal integers, as upstream's builder writes them: a bound LIMIT/OFFSET doubled the cost
      // of a primary-key lookup in bun:sqlite (each bound number costs µs), and the statement
      // cache keeps the few distinct pages that matter
      sql += " LIMIT " + (this.limit >= 0 ? clampInt(this.limit) : -1);
      sql += " OFFSET " + clampInt(this.offset);
    }
    return sql;
  }
}

/**
 * Prepared statements by SQL text, per database, least recently used evicted. bun's `db.query()`
 * caches without bound, and client filters can produce many distinct texts.
 */
export class StatementCache {
  private cache = new Map<string, Statement>();
  constructor(
    readonly db: Database,
    readonly max = 500,
  ) {}

  get(sql: string): Statement {
    let st = this.cache.get(sql);
    if (st) {
      this.cache.delete(sql);
      this.cache.set(sql, st);
      return st;
    }
    st = this.db.prepare(sql);
    this.cache.set(sql, st);
    if (this.cache.size > this.max) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.get(oldest)?.finalize();
      this.cache.delete(oldest);
    }
    return st;
  }

  clear(): void {
    for (const st of this.cache.values()) st.finalize();
    this.cache.clear();
  }
}

const caches = new WeakMap<Database, StatementCache>();

/**
 * The statement cache of `db` (created on first use). Statements we prepare ourselves are not
 * finalized by `db.close()`, which would leave the connection open (no WAL checkpoint on close),
 * so the handle's `close` is wrapped to finalize them first.
 */
export function statementCache(db: Database): StatementCache {
  let c = caches.get(db);
  if (!c) {
    const cache = new StatementCache(db);
    caches.set(db, cache);
    const close = db.close.bind(db);
    db.close = (...args: Parameters<Database["close"]>) => {
      cache.clear();
      return close(...args);
    };
    c = cache;
  }
  return c;
}

/** Finalizes the cached statements of `db` (e.g. before closing it by other means). */
export function clearStatementCache(db: Database): void {
  caches.get(db)?.clear();
}

/** Runs a built query and returns all rows. */
export function queryAll<T = Record<string, unknown>>(
  db: Database,
  query: SelectQuery,
  opts?: Parameters<SelectQuery["sql"]>[0],
): T[] {
  const { sql, bindings } = query.params.finalize(query.sql(opts));
  return statementCache(db)
    .get(sql)
    .all(bindings as SQLQueryBindings) as T[];
}

/** Runs a built query and returns its first row (null when none). */
export function queryGet<T = Record<string, unknown>>(
  db: Database,
  query: SelectQuery,
  opts?: Parameters<SelectQuery["sql"]>[0],
): T | null {
  const { sql, bindings } = query.params.finalize(query.sql(opts));
  return (
    (statementCache(db)
      .get(sql)
      .get(bindings as SQLQueryBindings) as T | null) ?? null
  );
}
