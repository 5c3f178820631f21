/**
 * A small pool of read-only SQLite connections on worker threads.
 * bun:sqlite cannot interrupt a running statement, so a timed-out query's worker is abandoned
 * (terminated as soon as SQLite returns) and a fresh one takes its place; the caller gets its error
 * at once. Filters cannot express unbounded queries, so an abandoned statement always ends.
 * bun:sqlite is synchronous and the server is one JS thread, so list queries (COUNT, unindexed
 * filters) run here: the JS thread keeps serving, reads use both cores, and `--queryTimeout` is
 * enforced by ending a stuck worker.
 * Reads see committed data only (WAL); work inside a transaction must use the main connection.
 */

import type { SqlBindings } from "../../tools/sql/dialect.ts";
import { QueryTimeoutError, toDbError } from "./errors.ts";

export { QueryTimeoutError };

/**
 * In the compiled binary a worker entrypoint is addressed by its path below the build's common root
 * (src/, see build.ts); from source it sits next to this file.
 */
const WORKER_SPEC = Bun.isStandaloneExecutable
  ? "./core/db/read_worker.ts"
  : new URL("./read_worker.ts", import.meta.url).href;

interface Pending {
  resolve(rows: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout> | null;
}

class Slot {
  worker!: Worker;
  busy = 0;
  readonly pending = new Map<number, Pending>();
  /** Jobs posted before the worker said it listens (Bun can drop messages to a starting worker). */
  private queue: unknown[] | null = [];

  constructor(private readonly path: string) {
    this.spawn();
  }

  spawn(): void {
    this.worker = new Worker(WORKER_SPEC);
    this.queue = [{ open: this.path }];
    this.worker.onmessage = (ev: MessageEvent) => {
      if ((ev.data as { ready?: boolean }).ready) {
        const queued = this.queue ?? [];
        this.queue = null;
        for (const m of queued) this.worker.postMessage(m);
        return;
      }
      const { id, rows, error, errorName, errno, code } = ev.data as {
        id: number;
        rows?: unknown;
        error?: string;
        errorName?: string;
        errno?: number;
        code?: string;
      };
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      this.busy--;
      if (p.timer) clearTimeout(p.timer);
      // the engine's error as the main connection reports it (DbError, UniqueViolationError)
      if (error !== undefined)
        p.reject(toDbError(Object.assign(new Error(error), { name: errorName, errno, code })) as Error);
      else p.resolve(rows);
    };
    // a worker that died takes its jobs' answers with it: fail them and start a fresh one
    this.worker.onerror = (ev: ErrorEvent) => this.restart(new Error(`read worker failed: ${ev.message}`));
    // a worker must not keep the process alive on shutdown
  }

  post(message: unknown): void {
    if (this.queue) this.queue.push(message);
    else this.worker.postMessage(message);
  }

  /** Ends a stuck worker: everything queued on it fails, and a fresh one takes its place. */
  restart(err: Error): void {
    this.stop(err);
    this.spawn();
  }

  /** Ends the worker; every job still waiting on it fails with `err` (none is left hanging). */
  stop(err: Error): void {
    this.worker.onerror = null;
    this.worker.terminate();
    for (const [, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.busy = 0;
  }
}

export class ReadPool {
  private readonly slots: Slot[];
  private nextId = 1;
  private closed = false;

  constructor(
    dbPath: string,
    size: number,
    /** Seconds before a query is abandoned (0 = never). */
    private readonly timeoutSeconds: number,
  ) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => new Slot(dbPath));
  }

  /** All rows of a SELECT, as objects (params as the `Db`'s: `[a, b]` for `?`, `{ p0 }` for `:p0`). */
  all<T = { [k: string]: unknown }>(sql: string, params?: SqlBindings): Promise<T[]> {
    return this.run(sql, params, "all") as Promise<T[]>;
  }

  /** The first row, or null. */
  get<T = { [k: string]: unknown }>(sql: string, params?: SqlBindings): Promise<T | null> {
    return this.run(sql, params, "get") as Promise<T | null>;
  }

  /**
   * Several statements run in order on one worker, answered in one message (a page and its count:
   * each message costs tens of µs on the JS thread). Results are in statement order; the timeout
   * covers the whole batch.
   */
  batch(statements: { sql: string; params?: SqlBindings; mode: "all" | "get" }[]): Promise<unknown[]> {
    return this.post({
      batch: statements.map((s) => ({ sql: s.sql, params: workerArgs(s.params), mode: s.mode })),
    }) as Promise<unknown[]>;
  }

  private run(sql: string, params: SqlBindings | undefined, mode: "all" | "get"): Promise<unknown> {
    return this.post({ sql, params: workerArgs(params), mode });
  }

  private post(job: object): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("the database connection is closed"));
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer =
        this.timeoutSeconds > 0
          ? setTimeout(() => slot.restart(new QueryTimeoutError(this.timeoutSeconds)), this.timeoutSeconds * 1000)
          : null;
      slot.pending.set(id, { resolve, reject, timer });
      slot.busy++;
      slot.post({ id, ...job });
    });
  }

  /**
   * Ends the workers (they keep the process alive until then: unref'd workers lose replies in Bun 1.4).
   * Queries still running fail instead of never answering (a request in flight during a restore's
   * restart would otherwise hang for good).
   */
  close(): void {
    this.closed = true;
    for (const s of this.slots) s.stop(new Error("the database connection was closed"));
  }
}

function toTransferable(v: unknown): unknown {
  return typeof v === "boolean" ? (v ? 1 : 0) : v;
}

/** The worker spreads its `params` into the statement call: positional values, or one object of named ones. */
function workerArgs(params: SqlBindings | undefined): unknown[] {
  if (!params) return [];
  return Array.isArray(params) ? params.map(toTransferable) : [params];
}
