/**
 * A read-only SQLite connection on its own thread: runs SELECTs posted by ReadPool so a heavy read
 * (a large COUNT, an unindexed filter) never stalls the JS thread that serves every request.
 */
import { Database } from "bun:sqlite";

declare const self: Worker;

interface Statement {
  sql: string;
  params: unknown[];
  mode: "all" | "get" | "values";
}

/** One statement, or several run in order (`batch`) answered in one message. */
interface Job extends Partial<Statement> {
  id: number;
  batch?: Statement[];
}

let db: Database | null = null;
/** Why the database did not open (e.g. pb_data moved away during a restore): every job gets it. */
let openError = "";

// Errors here only carry a message back; skipping stack capture also avoids a stall seen under `bun test`.
Error.stackTraceLimit = 0;

self.onmessage = (ev: MessageEvent) => {
  const msg = ev.data as { open?: string } & Partial<Job>;
  if (msg.open) {
    try {
      db = new Database(msg.open, { readonly: true, strict: true });
      db.run("PRAGMA busy_timeout = 10000");
      db.run("PRAGMA query_only = ON");
      db.run("PRAGMA temp_store = MEMORY");
      db.run("PRAGMA cache_size = -32000");
    } catch (err) {
      openError = err instanceof Error ? err.message : String(err);
    }
    return;
  }
  const job = msg as Job;
  if (!db) {
    postMessage({ id: job.id, error: openError || "the database is not open" });
    return;
  }
  try {
    const rows = job.batch ? job.batch.map(run) : run(job as Statement);
    postMessage({ id: job.id, rows });
  } catch (err) {
    const e = err as { name?: unknown; errno?: unknown; code?: unknown };
    postMessage({
      id: job.id,
      error: err instanceof Error ? err.message : String(err),
      errorName: typeof e?.name === "string" ? e.name : "Error",
      errno: typeof e?.errno === "number" ? e.errno : 0,
      code: typeof e?.code === "string" ? e.code : "",
    });
  }
};

function run(job: Statement): unknown {
  const stmt = db!.query(job.sql);
  const args = job.params as never[];
  return job.mode === "get" ? stmt.get(...args) : job.mode === "values" ? stmt.values(...args) : stmt.all(...args);
}

// Tell the pool we listen: messages posted to a worker that is still starting can be lost.
postMessage({ ready: true });
