/**
 * SQLite handles with upstream's per-connection pragmas (core/db_connect.go), in upstream's order:
 * busy_timeout must come before journal_mode so a second process blocks instead of failing.
 */
import { Database } from "bun:sqlite";

const PRAGMAS = [
  "PRAGMA busy_timeout = 10000",
  "PRAGMA journal_mode = WAL",
  "PRAGMA journal_size_limit = 200000000",
  "PRAGMA synchronous = NORMAL",
  "PRAGMA foreign_keys = ON",
  "PRAGMA temp_store = MEMORY",
  "PRAGMA cache_size = -32000",
];

/** Opens (creating if needed) a database file with upstream's pragmas. */
export function openDatabase(path: string, opts: { readonly?: boolean } = {}): Database {
  const db = opts.readonly
    ? new Database(path, { readonly: true, strict: true })
    : new Database(path, { create: true, strict: true });
  for (const p of PRAGMAS) {
    if (opts.readonly && p.includes("journal_mode")) continue;
    db.run(p);
  }
  return db;
}
