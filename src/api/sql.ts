/**
 * The SQL console (upstream's apis/sql.go), superusers only: `POST /api/sql {query}` runs a query
 * text against data.db. A text starting with INSERT, CREATE, UPDATE, DELETE, DROP, DETACH, ALTER or
 * REPLACE runs as a write, in a transaction, and reports `affectedRows`. Anything else is a read:
 * each statement runs in turn on a worker thread (the server keeps serving, a 3-minute timeout
 * applies) and the last one's first 1000 rows come back, every cell as text or null.
 *
 * On PostgreSQL the text is PostgreSQL's SQL: a read runs in a read-only transaction with the same
 * timeout, column types are the server's type names, errors carry the SQLSTATE, and the answer names
 * the engine (`dialect: "postgres"`).
 */
import type { App } from "../core/app.ts";
import { DbError, QueryTimeoutError } from "../core/db/index.ts";
import { ApiError, badRequest, forbidden } from "../core/errors.ts";
import { lookupKey } from "../core/fields/index.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { SqliteJobError } from "../core/db/sqlite_worker.ts";
import { goFormatFloatV, length, required, validateStruct } from "../core/validators/validation.ts";
import { requireSuperuserAuth } from "./collections.ts";
import type { Router } from "./router.ts";

export const SQL_MAX_ROWS = 1000;
export const SQL_TIMEOUT_MS = 3 * 60_000;
const WRITE_PREFIXES = ["INSERT", "CREATE", "UPDATE", "DELETE", "DROP", "DETACH", "ALTER", "REPLACE"];
/** PostgreSQL's other statements that change something (a read-only transaction would refuse them). */
const PG_WRITE_PREFIXES = ["TRUNCATE", "COMMENT", "GRANT", "REVOKE"];

export function bindSqlApi(router: Router): void {
  router.post("/api/sql", runSql, requireSuperuserAuth());
}

/** The console's answer, in upstream's key order. */
export interface SqlResult {
  execTime: number;
  affectedRows: number;
  columns: { name: string; type: string; nullable: boolean }[];
  rows: (string | null)[][];
  /** The engine that ran it, when not SQLite (upstream's answer has no such key). */
  dialect?: string;
}

async function runSql(e: RequestEvent): Promise<void> {
  if (!e.hasSuperuserAuth()) throw forbidden();
  let body: { [key: string]: unknown };
  try {
    body = await e.bindBody();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest("An error occurred while loading the submitted data.", {}, err);
  }
  const raw = lookupKey(body, "query");
  if (raw !== undefined && raw !== null && typeof raw !== "string") {
    throw badRequest("An error occurred while loading the submitted data.");
  }
  const query = typeof raw === "string" ? raw : "";
  const errs = validateStruct([["query", query, required, length(0, 5000)]]);
  if (errs) throw badRequest("An error occurred while validating the submitted data.", errs.toJSON(), errs);
  let result: SqlResult;
  try {
    result = await executeQuery(e.app, query, SQL_MAX_ROWS);
  } catch (err) {
    const text = e.app.db.dialect.name === "sqlite" ? sqliteErrorText(err) : postgresErrorText(err);
    throw badRequest("Failed to execute query. Raw error:\n" + text, {}, err);
  }
  e.json(200, result);
}

/** Runs a console query (see the module doc); throws the SQLite error. */
export async function executeQuery(app: App, rawQuery: string, maxRows: number): Promise<SqlResult> {
  const query = rawQuery.trim();
  if (query === "") throw new Error("empty query");
  const upper = query.toUpperCase();
  const writes = app.db.dialect.name === "postgres" ? [...WRITE_PREFIXES, ...PG_WRITE_PREFIXES] : WRITE_PREFIXES;
  const isWrite = !upper.startsWith("SELECT") && writes.some((p) => upper.startsWith(p));
  const started = performance.now();
  const result: SqlResult = { execTime: 0, affectedRows: 0, columns: [], rows: [] };

  if (isWrite) {
    await app.runInTransaction(async () => {
      // every statement of the text runs (as Go's Exec does), their changes summed
      result.affectedRows = Number((await app.db.exec(query)).changes);
    });
  } else {
    const read = await app.db.consoleRead(splitStatements(query), maxRows, SQL_TIMEOUT_MS);
    result.columns = read.columns.map((c) => ({ name: c.name, type: c.type, nullable: true }));
    result.rows = read.rows.map((row) => row.map(cellText));
  }
  result.execTime = Math.trunc(performance.now() - started);
  if (app.db.dialect.name !== "sqlite") result.dialect = app.db.dialect.name;
  return result;
}

/** A cell as Go's database/sql scans it into a *string. */
function cellText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") return goFormatFloatV(v); // a REAL (integers arrive as bigint)
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (v instanceof Date) return v.toISOString(); // PostgreSQL's timestamp columns
  if (typeof v === "object") return JSON.stringify(v); // PostgreSQL's json/jsonb and arrays
  return String(v);
}

/**
 * Splits a query text into its statements on top-level `;` (quotes, brackets and comments
 * respected); empty statements are dropped.
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === "`" || c === "[") {
      const close = c === "[" ? "]" : c;
      i++;
      while (i < n) {
        if (sql[i] === close) {
          if (close !== "]" && sql[i + 1] === close)
            i += 2; // doubled quote
          else break;
        } else i++;
      }
      i++;
    } else if (c === "-" && sql[i + 1] === "-") {
      while (i < n && sql[i] !== "\n") i++;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === ";") {
      out.push(sql.slice(start, i));
      start = ++i;
    } else i++;
  }
  out.push(sql.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== "" && !/^(--[^\n]*\n?|\/\*[\s\S]*?\*\/|\s)*$/.test(s));
}

/** SQLite's text for each primary result code (sqlite3_errstr). */
const ERRSTR: { [code: number]: string } = {
  1: "SQL logic error",
  2: "internal logic error",
  3: "access permission denied",
  4: "query aborted",
  5: "database is locked",
  6: "database table is locked",
  7: "out of memory",
  8: "attempt to write a readonly database",
  9: "interrupted",
  10: "disk I/O error",
  11: "database disk image is malformed",
  12: "unknown operation",
  13: "database or disk is full",
  14: "unable to open database file",
  15: "locking protocol",
  17: "database schema has changed",
  18: "string or blob too big",
  19: "constraint failed",
  20: "datatype mismatch",
  21: "bad parameter or other API misuse",
  22: "large file support is disabled",
  23: "authorization denied",
  25: "column index out of range",
  26: "file is not a database",
};

/** An SQLite error as the Go driver prints it: `<errstr>: <message> (<code>)`. */
export function sqliteErrorText(err: unknown): string {
  const message = String((err as { message?: string } | null)?.message ?? err);
  const errno = err instanceof SqliteJobError || err instanceof DbError ? err.errno : 0;
  if (!errno) return message;
  const str = ERRSTR[errno & 0xff];
  if (!str) return `${message} (${errno})`;
  return message === str ? `${str} (${errno})` : `${str}: ${message} (${errno})`;
}

/**
 * A PostgreSQL error as Go's pgx driver prints it, `ERROR: <message> (SQLSTATE <code>)`: the server's
 * own text with the code that names the condition (42P01 undefined table, 25006 read-only, …).
 */
export function postgresErrorText(err: unknown): string {
  if (err instanceof QueryTimeoutError) return "ERROR: canceling statement due to statement timeout (SQLSTATE 57014)";
  const message = String((err as { message?: string } | null)?.message ?? err);
  if (err instanceof DbError && /^[0-9A-Z]{5}$/.test(err.code)) return `ERROR: ${message} (SQLSTATE ${err.code})`;
  return message;
}
