/**
 * `$dbx` expressions and `$app.db()` queries, built by scripts as plain specs (see the prelude)
 * and turned into SQL here with dbx's conventions: `{{table}}` and `[[column]]` quoting, `{:name}`
 * placeholders bound from `bind({...})`. Writes outside a transaction take the app's write lock.
 */
import type { App } from "../core/app.ts";
import type { Db } from "../core/db/index.ts";
import { JSONRaw } from "../core/fields/index.ts";
import { Record } from "../core/record.ts";
import { byteCompare } from "../tools/json.ts";
import { dbxQuote, type DbxQuote } from "../tools/sql/dbx.ts";
import type { Dialect } from "../tools/sql/dialect.ts";

/** A `$dbx` expression as the prelude encodes it. */
export interface DbxExp {
  __dbx: "exp" | "hash" | "not" | "and" | "or" | "in" | "like" | "exists" | "between";
  [k: string]: unknown;
}

export interface QuerySpec {
  kind: "raw" | "select" | "insert" | "upsert" | "update" | "delete" | "createTable";
  sql?: string;
  params?: { [k: string]: unknown };
  table?: string;
  cols?: { [k: string]: unknown };
  where?: DbxExp | null;
  constraints?: string[];
  options?: string[];
  select?: string[];
  distinct?: boolean;
  option?: string;
  from?: string[];
  joins?: { type: string; table: string; on: DbxExp | null }[];
  orderBy?: string[];
  groupBy?: string[];
  having?: DbxExp | null;
  limit?: number;
  offset?: number;
  /** Runs on auxiliary.db (`$app.logQuery()`), read-only. */
  aux?: boolean;
}

/** Named parameters collected while building (`{:name}` placeholders), and the quoting to build with. */
class Params {
  values: { [k: string]: unknown } = {};
  private n = 0;
  readonly q: DbxQuote;
  constructor(readonly dialect: Dialect) {
    this.q = dbxQuote(dialect);
  }
  add(v: unknown): string {
    const name = `p${this.n++}`;
    this.values[name] = v;
    return `{:${name}}`;
  }
  merge(p: { [k: string]: unknown } | undefined): void {
    if (p) Object.assign(this.values, p);
  }
}

export function isDbxExp(v: unknown): v is DbxExp {
  return !!v && typeof v === "object" && typeof (v as DbxExp).__dbx === "string";
}

/** An expression's SQL (with `{:p}` placeholders added to `params`); "" when it is empty. */
export function buildExp(e: unknown, params: Params): string {
  if (!isDbxExp(e)) return "";
  switch (e.__dbx) {
    case "exp":
      params.merge(e.params as { [k: string]: unknown });
      return String(e.sql ?? "");
    case "hash": {
      const h = (e.h ?? {}) as { [k: string]: unknown };
      const parts: string[] = [];
      for (const k of Object.keys(h).sort(byteCompare)) {
        const v = h[k];
        if (isDbxExp(v)) {
          const sql = buildExp(v, params);
          if (sql) parts.push(sql);
        } else if (v === null || v === undefined) parts.push(`${params.q.column(k)} IS NULL`);
        else if (Array.isArray(v)) parts.push(inExp(k, v, false, params));
        else parts.push(`${params.q.column(k)}=${params.add(v)}`);
      }
      return joinParts(parts, "AND");
    }
    case "not": {
      const sql = buildExp(e.e, params);
      return sql ? `NOT (${sql})` : "";
    }
    case "and":
    case "or": {
      const parts = ((e.list ?? []) as unknown[]).map((x) => buildExp(x, params)).filter((s) => s !== "");
      return joinParts(parts, e.__dbx === "and" ? "AND" : "OR");
    }
    case "in":
      return inExp(String(e.col), (e.values ?? []) as unknown[], !!e.not, params);
    case "like": {
      const values = (e.values ?? []) as string[];
      if (values.length === 0) return "";
      const escapes = (e.escapes as string[] | undefined) ?? ["\\", "\\\\", "%", "\\%", "_", "\\_"];
      const parts = values.map((v) => {
        let s = String(v);
        for (let i = 0; i + 1 < escapes.length; i += 2) s = s.split(escapes[i]!).join(escapes[i + 1]!);
        if (e.left !== false) s = "%" + s;
        if (e.right !== false) s = s + "%";
        // SQLite's LIKE ignores ASCII case; PostgreSQL's ILIKE is its counterpart (`\` escapes by default)
        const op = params.dialect.name === "postgres" ? "ILIKE" : "LIKE";
        return `${params.q.column(String(e.col))} ${e.not ? "NOT " : ""}${op} ${params.add(s)}`;
      });
      return joinParts(parts, e.or ? "OR" : "AND");
    }
    case "exists": {
      const sql = buildExp(e.e, params);
      return sql ? `${e.not ? "NOT EXISTS" : "EXISTS"} (${sql})` : "";
    }
    case "between":
      return `${params.q.column(String(e.col))} ${e.not ? "NOT BETWEEN" : "BETWEEN"} ${params.add(e.a)} AND ${params.add(e.b)}`;
  }
  return "";
}

function joinParts(parts: string[], op: string): string {
  if (parts.length === 0) return "";
  if (parts.length === 1) return parts[0]!;
  return parts.map((p) => `(${p})`).join(` ${op} `);
}

function inExp(col: string, values: unknown[], not: boolean, params: Params): string {
  if (values.length === 0) return not ? "" : "0=1";
  const q = params.q.column(col);
  if (values.length === 1) return `${q}${not ? "<>" : "="}${params.add(values[0])}`;
  return `${q} ${not ? "NOT IN" : "IN"} (${values.map((v) => params.add(v)).join(", ")})`;
}

/** The SQL text and named parameters of a query spec. */
export function buildQuery(dialect: Dialect, spec: QuerySpec): { sql: string; params: { [k: string]: unknown } } {
  const params = new Params(dialect);
  const q = params.q;
  let sql = "";
  switch (spec.kind) {
    case "raw":
      sql = spec.sql ?? "";
      break;
    case "select": {
      const cols = spec.select?.length
        ? spec.select.map((c) => (c.includes("(") || c.includes(" ") || c.includes("{{") ? c : q.column(c))).join(", ")
        : "*";
      sql = `SELECT ${spec.distinct ? "DISTINCT " : ""}${spec.option ? spec.option + " " : ""}${cols}`;
      if (spec.from?.length)
        sql += ` FROM ${spec.from.map((t) => (t.includes(" ") || t.includes("(") || t.includes("{{") ? t : q.table(t))).join(", ")}`;
      for (const j of spec.joins ?? []) {
        const on = buildExp(j.on, params);
        sql += ` ${j.type} ${j.table.includes(" ") || j.table.includes("{{") ? j.table : q.table(j.table)}${on ? ` ON ${on}` : ""}`;
      }
      const where = buildExp(spec.where, params);
      if (where) sql += ` WHERE ${where}`;
      if (spec.groupBy?.length) sql += ` GROUP BY ${spec.groupBy.map((t) => orderTerm(q, t)).join(", ")}`;
      const having = buildExp(spec.having, params);
      if (having) sql += ` HAVING ${having}`;
      if (spec.orderBy?.length) sql += ` ORDER BY ${spec.orderBy.map((t) => orderTerm(q, t)).join(", ")}`;
      const limit = spec.limit ?? -1;
      const offset = spec.offset ?? -1;
      if (limit >= 0 || offset > 0) sql += ` LIMIT ${limit >= 0 ? Math.trunc(limit) : dialect.limitAll}`;
      if (offset > 0) sql += ` OFFSET ${Math.trunc(offset)}`;
      break;
    }
    case "insert":
    case "upsert": {
      const cols = Object.keys(spec.cols ?? {}).sort(byteCompare);
      const values = cols.map((c) =>
        isDbxExp(spec.cols![c]) ? buildExp(spec.cols![c], params) : params.add(spec.cols![c]),
      );
      sql = `INSERT INTO ${q.table(spec.table!)} (${cols.map((c) => q.column(c)).join(", ")}) VALUES (${values.join(", ")})`;
      if (spec.kind === "upsert") {
        const set = cols.map((c) => `${q.column(c)}=excluded.${q.column(c)}`).join(", ");
        // PostgreSQL's DO UPDATE needs a conflict target: without one named, the primary key every
        // pb table has (id), when the row sets it
        let target = spec.constraints ?? [];
        if (target.length === 0 && dialect.name === "postgres" && cols.includes("id")) target = ["id"];
        sql += ` ON CONFLICT${target.length ? ` (${target.map((c) => q.column(c)).join(", ")})` : ""} DO UPDATE SET ${set}`;
      }
      break;
    }
    case "update": {
      const cols = Object.keys(spec.cols ?? {}).sort(byteCompare);
      const set = cols.map(
        (c) =>
          `${q.column(c)}=${isDbxExp(spec.cols![c]) ? buildExp(spec.cols![c], params) : params.add(spec.cols![c])}`,
      );
      sql = `UPDATE ${q.table(spec.table!)} SET ${set.join(", ")}`;
      const where = buildExp(spec.where, params);
      if (where) sql += ` WHERE ${where}`;
      break;
    }
    case "delete": {
      sql = `DELETE FROM ${q.table(spec.table!)}`;
      const where = buildExp(spec.where, params);
      if (where) sql += ` WHERE ${where}`;
      break;
    }
    case "createTable": {
      const cols = Object.keys(spec.cols ?? {})
        .sort(byteCompare)
        .map((c) => `${q.column(c)} ${spec.cols![c]}`);
      sql = `CREATE TABLE ${q.table(spec.table!)} (${cols.join(", ")})${spec.options?.length ? " " + spec.options.join(" ") : ""}`;
      break;
    }
  }
  params.merge(spec.params);
  return { sql, params: params.values };
}

function orderTerm(q: DbxQuote, t: string): string {
  const m = /^\s*([\w.`"\[\]{}]+)(\s+(asc|desc))?\s*$/i.exec(t);
  if (!m || t.includes("(")) return t;
  return q.column(m[1]!) + (m[3] ? " " + m[3].toUpperCase() : "");
}

type SqlArg = string | number | bigint | boolean | null | Uint8Array;

function sqlValue(v: unknown): SqlArg {
  if (v === undefined || v === null) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "string" || typeof v === "bigint") return v;
  if (v instanceof Uint8Array) return v;
  if (v instanceof JSONRaw) return v.dbValue();
  if (v instanceof Record) return v.id;
  return JSON.stringify(v);
}

/** The final SQL with `?` placeholders and its positional arguments. */
export function finalize(
  dialect: Dialect,
  sql: string,
  params: { [k: string]: unknown },
): { sql: string; args: SqlArg[] } {
  const args: SqlArg[] = [];
  const out = dbxQuote(dialect)
    .expand(sql)
    .replace(/\{:(\w+)\}/g, (_m, name: string) => {
      if (!(name in params)) throw new Error(`Named parameter "${name}" is not found`);
      args.push(sqlValue(params[name]));
      return "?";
    });
  return { sql: out, args };
}

function isRead(sql: string): boolean {
  return /^\s*(select|with|pragma|explain|values)\b/i.test(sql);
}

/** A spec's database (auxiliary.db for `$app.logQuery()`) and its final SQL. */
function prepare(app: App, spec: QuerySpec): { db: Db; sql: string; args: SqlArg[] } {
  const db = spec.aux ? app.auxDb : app.db;
  const { sql, params } = buildQuery(db.dialect, spec);
  return { db, ...finalize(db.dialect, sql, params) };
}

/**
 * Runs `fn` as a write of `sql` would: a statement that may write runs in a transaction (holding the
 * write lock across the call; inside an open one it joins it); reads run as they are.
 */
function asWrite<T>(app: App, sql: string, fn: () => Promise<T>): Promise<T> {
  return isRead(sql) ? fn() : app.runInTransaction(fn);
}

/** Runs a statement; writes outside a transaction go through the write lock. */
export async function executeSpec(app: App, spec: QuerySpec): Promise<{ lastInsertId: number; rowsAffected: number }> {
  const q = prepare(app, spec);
  // the logs writer thread owns writes to auxiliary.db
  if (spec.aux && !isRead(q.sql)) throw new Error("the logs query is read-only");
  const run = async () => {
    const r = await q.db.run(q.sql, q.args);
    return { lastInsertId: r.lastInsertId ?? 0, rowsAffected: r.changes };
  };
  return spec.aux ? run() : asWrite(app, q.sql, run);
}

/** Runs a query and returns its rows as objects. */
export async function querySpec(app: App, spec: QuerySpec): Promise<{ [k: string]: unknown }[]> {
  const q = prepare(app, spec);
  if (spec.aux && !isRead(q.sql)) throw new Error("the logs query is read-only");
  const run = () => q.db.all<{ [k: string]: unknown }>(q.sql, q.args);
  return spec.aux ? run() : asWrite(app, q.sql, run);
}

/** Runs a query and returns its rows as arrays of column values. */
export async function queryValues(app: App, spec: QuerySpec): Promise<unknown[][]> {
  const q = prepare(app, spec);
  const run = () => q.db.values(q.sql, q.args);
  // a writing statement (`INSERT ... RETURNING`) must not land inside another request's transaction
  return spec.aux ? run() : asWrite(app, q.sql, run);
}

/** A WHERE clause of `$dbx` expressions ANDed (for findAllRecords / countRecords). */
export function whereOf(dialect: Dialect, exprs: unknown[]): { sql: string; args: SqlArg[] } {
  const params = new Params(dialect);
  const parts = exprs.map((e) => buildExp(e, params)).filter((s) => s !== "");
  const sql = joinParts(parts, "AND");
  return sql ? finalize(dialect, sql, params.values) : { sql: "", args: [] };
}
