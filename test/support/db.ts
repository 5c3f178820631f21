/**
 * A pb_data database opened as an outsider (no App): the driver from src/core/db, so tests
 * observe the data the way the server stores it without a client library of their own.
 */
import { join } from "node:path";
import type { Db } from "../../src/core/db/driver.ts";
import { PG_AUX_SCHEMA } from "../../src/core/db/index.ts";
import { PostgresDb } from "../../src/core/db/postgres.ts";
import { SqliteDb } from "../../src/core/db/sqlite.ts";
import { dbEnvFor } from "../harness.ts";

/** Opens the database at `path`, runs `fn` on it and closes it again (its WAL folded back into the file). */
export async function withDb<T>(path: string, fn: (db: SqliteDb) => Promise<T> | T): Promise<T> {
  const db = new SqliteDb(path);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/**
 * Opens the database the servers of this test run keep `dataDir`'s data in — data.db (or auxiliary.db
 * for `aux`), or on `PB_TEST_DB=postgres` that pb_data's PostgreSQL database (its `pb_aux` schema for
 * `aux`) — runs `fn` on it and closes it again.
 */
export async function withDataDb<T>(
  dataDir: string,
  fn: (db: Db) => Promise<T> | T,
  which: "data" | "aux" = "data",
): Promise<T> {
  const url = (await dbEnvFor(dataDir)).PB_DB_URL;
  const db: Db = url
    ? new PostgresDb(url, { max: 1, schema: which === "aux" ? PG_AUX_SCHEMA : undefined })
    : new SqliteDb(join(dataDir, which === "aux" ? "auxiliary.db" : "data.db"));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
