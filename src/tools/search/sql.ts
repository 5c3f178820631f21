/**
 * A small SQL builder for SELECTs: named parameters and a query model. Values never enter the SQL
 * text: every value is bound through `SqlParams` as `:pN`, and the names are numbered in build order
 * so the same filter always yields the same SQL text (which lets prepared statements be reused).
 * Whatever differs between engines (quoting, REAL params, "no limit") comes from the params' Dialect.
 */
import type { Dialect, SqlValue } from "../sql/dialect.ts";
import { joinOn } from "./resolver.ts";

export type { SqlValue } from "../sql/dialect.ts";

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

  /** `dialect`: how the query this builds is rendered (the database's `db.dialect`). */
  constructor(readonly dialect: Dialect) {}

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

  /** True when the placeholder's number is bound as a REAL. */
  isReal(placeholder: string): boolean {
    return this.reals.has(placeholder.replace(/^:/, ""));
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
   * The final SQL and its bindings: real-valued numbers are forced to REAL in the text (the
   * dialect's realParam: SQLite's `(:p3 + 0.0)` keeps "no affinity", exactly like a bound double),
   * and only the parameters the SQL uses are bound (a discarded branch may have added some).
   */
  finalize(sql: string): { sql: string; bindings: Record<string, SqlValue> } {
    const bindings: Record<string, SqlValue> = {};
    const out = sql.replace(PARAM_RE, (m, name: string) => {
      const v = this.values.get(name);
      if (v === undefined) return m;
      bindings[name] = v;
      bindings[":" + name] = v; // for a Database opened without `strict`
      return this.reals.has(name) && typeof v === "number" && Number.isInteger(v) ? this.dialect.realParam(m) : m;
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
    /** The query's parameters; their dialect renders the query. */
    readonly params: SqlParams,
    selects?: string[],
  ) {
    this.selects = selects ?? [params.dialect.quoteIdent(from) + ".*"];
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
    const d = this.params.dialect;
    const distinct = opts.distinct ?? this.distinct;
    const prefix = this.preFragment ? this.preFragment + " " : "";
    const selects = opts.select ?? this.selects.join(", ");
    let from = " FROM " + d.quoteIdent(this.from);
    for (const j of this.joins) from += " LEFT JOIN " + d.quoteTable(j.table) + " " + d.quoteIdent(j.alias) + joinOn(d, j.on);
    const where = this.whereSql();
    if (where) from += " WHERE " + where;
    let sql: string;
    if (opts.order !== false && this.orderBys.length > 0 && distinct && d.strictTypes) {
      sql = prefix + this.pgDistinctOrdered(from, selects);
    } else {
      sql = prefix + "SELECT " + (distinct ? "DISTINCT " : "") + selects + from;
      if (opts.order !== false && this.orderBys.length > 0) sql += " ORDER BY " + this.orderBys.join(", ");
    }
    if (opts.paginate !== false && (this.limit >= 0 || this.offset > 0)) {
      // literal integers, as upstream's builder writes them: a bound LIMIT/OFFSET doubled the cost
      // of a primary-key lookup in bun:sqlite (each bound number costs µs), and the statement
      // cache keeps the few distinct pages that matter
      sql += " LIMIT " + (this.limit >= 0 ? clampInt(this.limit) : d.limitAll);
      sql += " OFFSET " + clampInt(this.offset);
    }
    return sql;
  }

  /**
   * PostgreSQL refuses SELECT DISTINCT ordered by what it does not select (a joined column), so the
   * rows are made distinct by the FROM table's id instead, keeping each row's first sort values
   * (the smallest for ASC, the largest for DESC, as SQLite's DISTINCT keeps the first row in order),
   * and ordered outside. `fromWhere` is the query's FROM ... WHERE part.
   */
  private pgDistinctOrdered(fromWhere: string, selects: string): string {
    const d = this.params.dialect;
    const table = d.quoteIdent(this.from);
    // the record id, not the row key: a view has no row key
    const rowid = `${table}.${d.quoteIdent("id")}`;
    const keys: string[] = [];
    const outer: string[] = [];
    const innerOrder: string[] = [rowid];
    this.orderBys.forEach((term, i) => {
      const m = / (ASC|DESC)((?: NULLS (?:FIRST|LAST))?)$/i.exec(term);
      const expr = m ? term.slice(0, m.index) : term;
      const alias = d.quoteIdent("__pb_sort" + i);
      keys.push(`${expr} AS ${alias}`);
      innerOrder.push(term);
      outer.push(m ? `${alias} ${m[1]}${m[2]}` : alias);
    });
    return (
      `SELECT ${selects} FROM (SELECT DISTINCT ON (${rowid}) ${table}.*, ${keys.join(", ")}${fromWhere}` +
      ` ORDER BY ${innerOrder.join(", ")}) ${table} ORDER BY ${outer.join(", ")}`
    );
  }
}
