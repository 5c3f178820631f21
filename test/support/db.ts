/**
 * A pb_data database file opened as an outsider (no App): the driver from src/core/db, so tests
 * observe the files the way the server stores them without a client library of their own.
 */
import { SqliteDb } from "../../src/core/db/sqlite.ts";

/** Opens the database at `path`, runs `fn` on it and closes it again (its WAL folded back into the file). */
export async function withDb<T>(path: string, fn: (db: SqliteDb) => Promise<T> | T): Promise<T> {
  const db = new SqliteDb(path);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
