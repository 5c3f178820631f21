/**
 * One-off SQLite jobs on a throwaway worker thread, for work that must not stall the server's one
 * JS thread and may run long: `VACUUM INTO` snapshots for backups, and the SQL console's reads
 * (with their column metadata and a row cap). A job past its timeout is stopped by ending the worker.
 *
 * The worker's code is the self-contained `workerMain` below, started from a Blob URL: that way the
 * compiled binary needs no extra embedded entrypoint. It must not use imports or closures.
 * Jobs: `VACUUM INTO` snapshots for backups, the SQL console's reads, and maintenance statements
 * (WAL checkpoints) that would otherwise block the JS thread.
 */

/** A console read: the statements run in turn, the last one's rows are returned. */
export interface ReadJob {
  kind: "read";
  path: string;
  statements: string[];
  maxRows: number;
}

/** A consistent copy of the database at `path` written to `dest`. */
export interface VacuumIntoJob {
  kind: "vacuumInto";
  path: string;
  dest: string;
}

/** Statements run in turn on a read-write connection (maintenance such as checkpoints). */
export interface ExecJob {
  kind: "exec";
  path: string;
  statements: string[];
}

export type SqliteJob = ReadJob | VacuumIntoJob | ExecJob;

/** A console read's result: column names and declared types, and up to `maxRows` rows. */
export interface ReadResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

/** An SQLite failure reported by the worker, with its (extended) result code. */
export class SqliteJobError extends Error {
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
  }
}

/** Runs in the worker; only built-ins and `bun:sqlite` are available there. */
async function workerMain() {
  const { Database } = await import("bun:sqlite");
  (globalThis as unknown as Worker).onmessage = (ev: MessageEvent) => {
    const job = ev.data as SqliteJob;
    let db: InstanceType<typeof Database> | null = null;
    try {
      if (job.kind === "vacuumInto") {
        db = new Database(job.path);
        db.run("PRAGMA busy_timeout = 10000");
        db.query("VACUUM INTO ?").run(job.dest);
        // The copy held a read snapshot, so the WAL kept every write made meanwhile. Fold it back
        // here: otherwise the next commit on the main thread runs that whole checkpoint itself.
        // (PASSIVE never waits for writers; a failure only leaves the work to the main thread.)
        try {
          db.run("PRAGMA wal_checkpoint(PASSIVE)");
        } catch {
          // ignore
        }
        postMessage({ ok: true });
        return;
      }
      // integers as bigint, so INTEGER and REAL values stay apart (1 vs 1.0)
      if (job.kind === "exec") {
        db = new Database(job.path);
        db.run("PRAGMA busy_timeout = 10000");
        for (const sql of job.statements) db.run(sql);
        postMessage({ ok: true });
        return;
      }
      db = new Database(job.path, { readonly: true, safeIntegers: true });
      db.run("PRAGMA busy_timeout = 10000");
      let result = { columns: [] as { name: string; type: string }[], rows: [] as unknown[][] };
      for (const sql of job.statements) {
        const stmt = db.query(sql);
        const names = stmt.columnNames;
        const types = stmt.declaredTypes;
        let rows: unknown[][];
        if (names.length === 0) {
          stmt.run();
          rows = [];
        } else if (/^\s*(select|with|values)\b/i.test(sql)) {
          // cap the rows inside SQLite; names and types come from the statement as written
          rows = db.query("SELECT * FROM (\n" + sql + "\n) LIMIT " + job.maxRows).values();
        } else {
          rows = stmt.values().slice(0, job.maxRows);
        }
        result = { columns: names.map((n, i) => ({ name: n, type: (types[i] ?? "").toUpperCase() })), rows };
      }
      postMessage({ ok: true, result });
    } catch (err) {
      const e = err as { message?: string; errno?: number };
      postMessage({ ok: false, error: String(e?.message ?? err), errno: typeof e?.errno === "number" ? e.errno : 0 });
    } finally {
      db?.close();
    }
  };
  postMessage({ ready: true });
}

let workerURL: string | null = null;

/** Runs `job` on a new worker; rejects with SqliteJobError, or a timeout error after `timeoutMs` (0 = none). */
export function runSqliteJob(job: ReadJob, timeoutMs?: number): Promise<ReadResult>;
export function runSqliteJob(job: VacuumIntoJob | ExecJob, timeoutMs?: number): Promise<void>;
export function runSqliteJob(job: SqliteJob, timeoutMs = 0): Promise<ReadResult | void> {
  workerURL ??= URL.createObjectURL(new Blob([`(${workerMain.toString()})()`], { type: "application/javascript" }));
  const worker = new Worker(workerURL);
  return new Promise<ReadResult | void>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const finish = (fn: () => void) => {
      if (timer) clearTimeout(timer);
      worker.terminate();
      fn();
    };
    if (timeoutMs > 0) {
      timer = setTimeout(
        () => finish(() => reject(new Error(`the query exceeded the ${Math.round(timeoutMs / 1000)}s timeout`))),
        timeoutMs,
      );
    }
    worker.onmessage = (ev: MessageEvent) => {
      const msg = ev.data as { ready?: boolean; ok?: boolean; result?: ReadResult; error?: string; errno?: number };
      if (msg.ready) {
        worker.postMessage(job);
        return;
      }
      if (msg.ok) finish(() => resolve(msg.result));
      else finish(() => reject(new SqliteJobError(msg.error ?? "unknown error", msg.errno ?? 0)));
    };
    worker.onerror = (ev: ErrorEvent) => finish(() => reject(new Error(ev.message || "the SQLite worker failed")));
  });
}
