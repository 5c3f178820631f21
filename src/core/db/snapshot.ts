/**
 * A consistent copy of a live SQLite database, for backups: `VACUUM INTO` on a worker thread (one
 * read transaction, so writers on the main connection are not blocked). SQLite-only, hence here.
 */
import { open, rm, stat } from "node:fs/promises";
import type { Db } from "./driver.ts";
import { SqliteDb } from "./sqlite.ts";
import { runSqliteJob } from "./sqlite_worker.ts";

/** SQLite's default automatic checkpoint threshold (pages), restored after a snapshot. */
const DEFAULT_AUTOCHECKPOINT = 1000;

/** Writes a consistent copy of `db`'s file to `dest`; nothing when the file does not exist (yet). */
export async function snapshotDatabase(db: Db, dest: string): Promise<void> {
  if (!(db instanceof SqliteDb)) throw new Error(`cannot snapshot a ${db.dialect.name} database into a file`);
  const src = db.location;
  try {
    await stat(src);
  } catch {
    return; // no such database (yet): nothing to snapshot
  }
  await rm(dest, { force: true });
  // While the copy holds its read snapshot the WAL keeps every new write; the first commit after
  // it would then checkpoint all of that on the JS thread. The live connection's automatic
  // checkpoints pause meanwhile, and the worker folds the WAL back once its copy is done.
  db.setAutoCheckpoint(0);
  try {
    await runSqliteJob({ kind: "vacuumInto", path: src, dest });
    // written unsynced: flush it now, off the JS thread, rather than make the kernel throttle the
    // server's own writes (or stall the unlink later) over hundreds of MB of dirty pages
    const fh = await open(dest, "r+");
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  } finally {
    try {
      db.setAutoCheckpoint(DEFAULT_AUTOCHECKPOINT);
    } catch {
      // closed meanwhile
    }
  }
}
