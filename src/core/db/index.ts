/**
 * The storage seam's front door: the driver interface, its errors, and the factory that opens the
 * app's databases. Only this folder touches an engine's client library.
 */
import { join } from "node:path";
import type { Db } from "./driver.ts";
import { SqliteDb } from "./sqlite.ts";

export type { Db, DbConn, Row, RunResult } from "./driver.ts";
export { DbError, QueryTimeoutError, UniqueViolationError } from "./errors.ts";
export { ReadPool } from "./read_pool.ts";
export { SqliteDb } from "./sqlite.ts";
export { queryAll, queryGet } from "./query.ts";

/** Worker connections for reads; two keeps both cores of a small box busy without starving writes. */
const READ_POOL_SIZE = 2;

export interface StorageOptions {
  /** Seconds a pooled read may run before it is abandoned (`--queryTimeout`). */
  queryTimeout: number;
}

/** The app's two databases: data.db (collections, records, settings) and auxiliary.db (logs). */
export function openStorage(dataDir: string, opts: StorageOptions): { db: Db; auxDb: Db } {
  const db = new SqliteDb(join(dataDir, "data.db"), { readPoolSize: READ_POOL_SIZE, queryTimeout: opts.queryTimeout });
  const auxDb = new SqliteDb(join(dataDir, "auxiliary.db"), { readPoolSize: 1, queryTimeout: opts.queryTimeout });
  return { db, auxDb };
}
