/**
 * The storage seam's front door: the driver interface, its errors, and the factory that opens the
 * app's databases. Only this folder touches an engine's client library.
 */
import { join } from "node:path";
import type { Db } from "./driver.ts";
import { PostgresDb } from "./postgres.ts";
import { SqliteDb } from "./sqlite.ts";

export type { Db, DbConn, Row, RunResult } from "./driver.ts";
export { DbError, QueryTimeoutError, UniqueViolationError } from "./errors.ts";
export { ReadPool } from "./read_pool.ts";
export { SqliteDb } from "./sqlite.ts";
export { PostgresDb } from "./postgres.ts";
export { queryAll, queryGet } from "./query.ts";

/** Worker connections for reads; two keeps both cores of a small box busy without starving writes. */
const READ_POOL_SIZE = 2;

export interface StorageOptions {
  /** Seconds a pooled read may run before it is abandoned (`--queryTimeout`). */
  queryTimeout: number;
  /** A `postgres://` URL: PostgreSQL instead of the SQLite files in dataDir (`--db`). */
  dbUrl?: string;
}

/** The schema the logs live in on PostgreSQL (SQLite keeps them in their own file, auxiliary.db). */
export const PG_AUX_SCHEMA = "pb_aux";

/** True for the URLs `--db` takes. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * The app's two databases: data.db (collections, records, settings) and auxiliary.db (logs) — or,
 * with a PostgreSQL URL, that database's default schema and its `pb_aux` schema.
 */
export async function openStorage(dataDir: string, opts: StorageOptions): Promise<{ db: Db; auxDb: Db }> {
  if (opts.dbUrl) {
    if (!isPostgresUrl(opts.dbUrl))
      throw new Error(`unsupported --db URL (expected postgres://…): ${redactUrl(opts.dbUrl)}`);
    const db = new PostgresDb(opts.dbUrl, { queryTimeout: opts.queryTimeout, max: 16 });
    const auxDb = new PostgresDb(opts.dbUrl, { schema: PG_AUX_SCHEMA, queryTimeout: opts.queryTimeout, max: 3 });
    try {
      await Promise.all([db.setup(), auxDb.setup()]);
    } catch (err) {
      await db.close().catch(() => {});
      await auxDb.close().catch(() => {});
      // name the server (never the password) and Bun's code: "Failed to connect" alone says little
      const e = err as { message?: string; code?: unknown };
      const code = typeof e.code === "string" && e.code.startsWith("ERR_POSTGRES") ? ` (${e.code})` : "";
      throw new Error(`cannot open the PostgreSQL database ${redactUrl(opts.dbUrl)}: ${e.message ?? err}${code}`, {
        cause: err,
      });
    }
    return { db, auxDb };
  }
  const db = new SqliteDb(join(dataDir, "data.db"), { readPoolSize: READ_POOL_SIZE, queryTimeout: opts.queryTimeout });
  const auxDb = new SqliteDb(join(dataDir, "auxiliary.db"), { readPoolSize: 1, queryTimeout: opts.queryTimeout });
  return { db, auxDb };
}

/** `url` without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}
