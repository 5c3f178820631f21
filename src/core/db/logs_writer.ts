/**
 * The `_logs` writer thread: batches of log entries are inserted into auxiliary.db by a worker with
 * its own connection, so neither the inserts nor the WAL checkpoints they trigger ever run on the
 * JS thread that serves requests. The main thread only hands over small arrays. Deletes of old
 * logs run there too, in order with the inserts.
 *
 * The worker's code is the self-contained `writerMain` below, started from a Blob URL (no extra
 * entrypoint in the compiled binary); it must not use imports or closures.
 */

/** One entry as handed to the writer: level, message, the data as JSON text, the time in ms. */
export type LogRow = [level: number, message: string, data: string, timeMs: number];

import type { Db } from "./driver.ts";

async function writerMain() {
  const { Database } = await import("bun:sqlite");
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  // 15 characters of [a-z0-9], as upstream's ids, but time-ordered: 9 of milliseconds in base 36
  // (then 6 unbiased random ones), so inserts append to the primary key's b-tree instead of
  // splitting pages all over it (random ids made each insert 1.5–3× slower as the table grew)
  const newId = (ms: number) => {
    let out = Math.max(0, Math.floor(ms)).toString(36).padStart(9, "0").slice(-9);
    while (out.length < 15) {
      for (const b of crypto.getRandomValues(new Uint8Array(12))) {
        if (b < 252 && out.length < 15) out += alphabet[b % 36];
      }
    }
    return out;
  };
  let db: InstanceType<typeof Database> | null = null;
  let insert: ReturnType<InstanceType<typeof Database>["query"]> | null = null;
  (globalThis as unknown as Worker).onmessage = (ev: MessageEvent) => {
    const msg = ev.data as {
      open?: string;
      close?: boolean;
      seq?: number;
      rows?: LogRow[];
      exec?: string;
      params?: unknown[];
    };
    if (msg.open) {
      db = new Database(msg.open, { create: true });
      db.run("PRAGMA busy_timeout = 10000");
      db.run("PRAGMA journal_mode = WAL");
      db.run("PRAGMA synchronous = NORMAL");
      db.run("PRAGMA journal_size_limit = 200000000");
      insert = db.query("INSERT INTO `_logs` (`id`, `level`, `message`, `data`, `created`) VALUES (?, ?, ?, ?, ?)");
      return;
    }
    if (msg.close) {
      insert?.finalize();
      db?.close();
      db = null;
      insert = null;
      postMessage({ closed: true });
      return;
    }
    let error = "";
    if (msg.exec !== undefined) {
      try {
        if (!db) throw new Error("the log writer is not open");
        db.query(msg.exec).run(...((msg.params ?? []) as never[]));
      } catch (err) {
        error = String((err as Error)?.message ?? err);
      }
      postMessage({ seq: msg.seq, error });
      return;
    }
    try {
      if (!db || !insert) throw new Error("the log writer is not open");
      db.run("BEGIN IMMEDIATE");
      try {
        for (const r of msg.rows ?? [])
          insert.run(newId(r[3]), r[0], r[1], r[2], new Date(r[3]).toISOString().replace("T", " "));
        db.run("COMMIT");
      } catch (err) {
        if (db.inTransaction) db.run("ROLLBACK");
        throw err;
      }
    } catch (err) {
      error = String((err as Error)?.message ?? err);
    }
    postMessage({ seq: msg.seq, error });
  };
  postMessage({ ready: true });
}

let writerURL: string | null = null;

/** At most this many batches wait on the writer; past it new batches are dropped (memory stays bounded). */
const MAX_IN_FLIGHT = 100;

/** A writer thread bound to one auxiliary.db path. */
export class LogWriter implements LogSink {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private seq = 0;
  private readonly waiting = new Map<number, () => void>();
  private readonly failures = new Map<number, (err: Error) => void>();
  private closing: (() => void) | null = null;
  private dropped = 0;

  constructor(readonly path: string) {
    writerURL ??= URL.createObjectURL(new Blob([`(${writerMain.toString()})()`], { type: "application/javascript" }));
    this.worker = new Worker(writerURL);
    // the writer must not keep the process alive on shutdown
    (this.worker as unknown as { unref?: () => void }).unref?.();
    let markReady!: () => void;
    this.ready = new Promise<void>((r) => (markReady = r));
    this.worker.onmessage = (ev: MessageEvent) => {
      const msg = ev.data as { ready?: boolean; seq?: number; error?: string; closed?: boolean };
      if (msg.ready) {
        this.worker.postMessage({ open: this.path });
        markReady();
      } else if (msg.closed) {
        this.closing?.();
      } else if (msg.seq !== undefined) {
        const done = this.waiting.get(msg.seq);
        this.waiting.delete(msg.seq);
        const failed = this.failures.get(msg.seq);
        this.failures.delete(msg.seq);
        if (msg.error) {
          if (failed) failed(new Error(msg.error));
          else console.error("Failed to write logs:", msg.error);
        }
        done?.();
      }
    };
    this.worker.onerror = (ev: ErrorEvent) => console.error("The log writer failed:", ev.message);
  }

  /** Sends a batch; resolves once it is committed (or failed, which is reported). */
  write(rows: LogRow[]): Promise<void> {
    if (this.waiting.size >= MAX_IN_FLIGHT) {
      if (this.dropped++ === 0) console.error("The log writer is falling behind: dropping log entries.");
      return Promise.resolve();
    }
    const seq = ++this.seq;
    const done = new Promise<void>((resolve) => this.waiting.set(seq, resolve));
    void this.ready.then(() => this.worker.postMessage({ seq, rows }));
    return done;
  }

  /**
   * Runs one statement on the writer's connection, in order with the batches (deleting old logs,
   * VACUUM): a long delete never runs on the JS thread. Rejects with the SQLite error.
   */
  exec(sql: string, params: unknown[] = []): Promise<void> {
    const seq = ++this.seq;
    return new Promise<void>((resolve, reject) => {
      let failedWith: Error | null = null;
      this.failures.set(seq, (err) => (failedWith = err));
      this.waiting.set(seq, () => (failedWith ? reject(failedWith) : resolve()));
      void this.ready.then(() => this.worker.postMessage({ seq, exec: sql, params }));
    });
  }

  /** Waits for the pending batches, closes the connection and ends the thread. */
  async close(): Promise<void> {
    await this.ready;
    await Promise.all(
      [...this.waiting.keys()].map(
        (seq) =>
          new Promise<void>((r) => {
            const prev = this.waiting.get(seq);
            this.waiting.set(seq, () => {
              prev?.();
              r();
            });
          }),
      ),
    );
    await Promise.race([
      new Promise<void>((r) => {
        this.closing = r;
        this.worker.postMessage({ close: true });
      }),
      Bun.sleep(5000),
    ]);
    this.worker.terminate();
  }
}

/** What the app's logger hands entries to: the SQLite writer thread, or a server database's pool. */
export interface LogSink {
  write(rows: LogRow[]): Promise<void>;
  exec(sql: string, params?: unknown[]): Promise<void>;
  close(): Promise<void>;
}

const ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A time-ordered 15-character id (the writer thread's scheme: 9 base-36 ms digits, then 6 random). */
function timeOrderedId(ms: number): string {
  let out = Math.max(0, Math.floor(ms)).toString(36).padStart(9, "0").slice(-9);
  while (out.length < 15) {
    for (const b of crypto.getRandomValues(new Uint8Array(12))) {
      if (b < 252 && out.length < 15) out += ID_ALPHABET[b % 36];
    }
  }
  return out;
}

/**
 * Logs into a server database (PostgreSQL's pb_aux): its client is asynchronous and its pool has
 * its own connections, so a thread buys nothing — each batch is one multi-row INSERT, and batches
 * and statements run one at a time in the order handed over, as on the writer thread.
 */
export class DbLogWriter implements LogSink {
  private tail: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private dropped = 0;

  constructor(private readonly db: Db) {}

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(job);
    this.tail = run.catch(() => {});
    return run;
  }

  write(rows: LogRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    if (this.inFlight >= MAX_IN_FLIGHT) {
      if (this.dropped++ === 0) console.error("The log writer is falling behind: dropping log entries.");
      return Promise.resolve();
    }
    this.inFlight++;
    const q = this.db.dialect.quoteIdent;
    const cols = ["id", "level", "message", "data", "created"].map(q).join(", ");
    return this.enqueue(async () => {
      try {
        const values: unknown[] = [];
        for (const r of rows)
          values.push(timeOrderedId(r[3]), r[0], r[1], r[2], new Date(r[3]).toISOString().replace("T", " "));
        const tuples = rows.map(() => "(?, ?, ?, ?, ?)").join(", ");
        await this.db.run(`INSERT INTO ${q("_logs")} (${cols}) VALUES ${tuples}`, values);
      } catch (err) {
        console.error("Failed to write logs:", (err as Error)?.message ?? err);
      } finally {
        this.inFlight--;
      }
    });
  }

  exec(sql: string, params: unknown[] = []): Promise<void> {
    return this.enqueue(async () => {
      await this.db.run(sql, params);
    });
  }

  async close(): Promise<void> {
    await this.tail;
  }
}
