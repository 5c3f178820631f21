/**
 * The SQLite driver: one bun:sqlite connection behind the async `Db` interface (upstream's twin is
 * core/db_connect.go plus dbx's transaction handling). bun:sqlite is synchronous, so each method
 * runs its statement at once and hands back a settled promise; the only real waiting is for the
 * write lock. Heavy reads go to `readPool` (worker threads with their own connections).
 */
import type { Database, SQLQueryBindings, Statement } from "bun:sqlite";
import { AsyncLocalStorage } from "node:async_hooks";
import { sqliteDialect, type SqlBindings } from "../../tools/sql/dialect.ts";
import { DbCatalog } from "./catalog.ts";
import type { ConsoleReadResult, Db, RunResult } from "./driver.ts";
import { toDbError } from "./errors.ts";
import { Mutex } from "./mutex.ts";
import { openDatabase } from "./open.ts";
import { ReadPool } from "./read_pool.ts";
import { runSqliteJob } from "./sqlite_worker.ts";

const CHECKPOINT = "PRAGMA wal_checkpoint(TRUNCATE)";

/**
 * Prepared statements by SQL text, least recently used evicted (bun's own `db.query()` cache has no
 * bound, and client filters can produce many distinct texts).
 */
class StatementCache {
  private cache = new Map<string, Statement>();
  constructor(
    private readonly db: Database,
    private readonly max = 500,
  ) {}

  /** A cached statement (moved to most recent), or undefined. */
  hit(sql: string): Statement | undefined {
    const st = this.cache.get(sql);
    if (st && this.cache.size > 1) {
      this.cache.delete(sql);
      this.cache.set(sql, st);
    }
    return st;
  }

  get(sql: string): Statement {
    let st = this.cache.get(sql);
    if (st) {
      this.cache.delete(sql);
      this.cache.set(sql, st);
      return st;
    }
    st = this.db.prepare(sql);
    this.cache.set(sql, st);
    if (this.cache.size > this.max) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.get(oldest)?.finalize();
      this.cache.delete(oldest);
    }
    return st;
  }

  clear(): void {
    for (const st of this.cache.values()) st.finalize();
    this.cache.clear();
  }
}

/** Statements worth keeping prepared: the data statements; DDL and pragmas run once. */
const CACHEABLE = /^\s*(select|insert|update|delete|replace|with)\b/i;

export interface SqliteDbOptions {
  /** Worker-thread readers to start on first use (0: no read pool). */
  readPoolSize?: number;
  /** Seconds a pooled read may run before it is abandoned (0: no limit). */
  queryTimeout?: number;
}

/**
 * What an async context holding the write lock carries: whether it is a transaction, its end
 * callbacks, and whether it still holds the lock — work a transaction started without awaiting it
 * (a timer, a promise left running) inherits the context after the lock is gone, and must then
 * queue like anyone else instead of joining a transaction that no longer exists.
 */
interface Holder {
  tx: boolean;
  onEnd: ((err: unknown) => Promise<void> | void)[];
  live: boolean;
}

export class SqliteDb extends DbCatalog implements Db {
  readonly dialect = sqliteDialect;
  /** One server per pb_data: nothing to coordinate with. */
  readonly cluster = null;
  /** The raw connection, for this folder's own SQLite-only helpers (snapshots, checkpoints). */
  readonly handle: Database;
  private readonly statements: StatementCache;
  /** Serializes writes: a transaction holds it across awaits so no other request's statements land inside. */
  private readonly writeLock = new Mutex();
  /**
   * The async contexts that hold the write lock (inside `transaction` or `withWriteLock`); a
   * transaction's store also collects what runs once it ends.
   */
  private readonly holder = new AsyncLocalStorage<Holder>();
  private _readPool: ReadPool | null = null;
  private closed = false;

  constructor(
    readonly location: string,
    private readonly options: SqliteDbOptions = {},
  ) {
    super();
    this.handle = openDatabase(location);
    this.statements = new StatementCache(this.handle);
  }

  get readPool(): ReadPool | null {
    const size = this.options.readPoolSize ?? 0;
    if (size <= 0 || this.closed) return null;
    return (this._readPool ??= new ReadPool(this.location, size, this.options.queryTimeout ?? 0));
  }

  get inTransaction(): boolean {
    const held = this.held();
    return held !== null && held.tx;
  }

  /** The lock this async context still holds, or null. */
  private held(): Holder | null {
    const store = this.holder.getStore();
    return store?.live ? store : null;
  }

  /** Runs `fn` with the lock held by a fresh context, which ends (stops counting as held) with `fn`. */
  private async holding<T>(store: Holder, fn: () => Promise<T> | T): Promise<T> {
    try {
      return await this.holder.run(store, fn);
    } finally {
      store.live = false;
    }
  }

  private prepare(sql: string): { st: Statement; once: boolean } {
    const cached = this.statements.hit(sql);
    if (cached) return { st: cached, once: false };
    if (CACHEABLE.test(sql)) return { st: this.statements.get(sql), once: false };
    return { st: this.handle.prepare(sql), once: true };
  }

  /** Runs a statement now (reads, or writes whose context may write), mapping engine errors. */
  private now<T>(sql: string, fn: (st: Statement) => T): T {
    let prepared: { st: Statement; once: boolean } | null = null;
    try {
      prepared = this.prepare(sql);
      return fn(prepared.st);
    } catch (err) {
      throw toDbError(err);
    } finally {
      if (prepared?.once) prepared.st.finalize();
    }
  }

  /** Runs a write now when this context may write (it holds the lock, or nobody does), else waits its turn. */
  private write<T>(fn: () => T): Promise<T> {
    if (this.held() || !this.writeLock.locked) {
      try {
        return Promise.resolve(fn());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.writeLock.run(() => this.holding({ tx: false, onEnd: [], live: true }, fn));
  }

  async all<T>(sql: string, params?: SqlBindings): Promise<T[]> {
    return this.now(sql, (st) => (params ? st.all(params as SQLQueryBindings) : st.all()) as T[]);
  }

  async get<T>(sql: string, params?: SqlBindings): Promise<T | null> {
    return this.now(sql, (st) => ((params ? st.get(params as SQLQueryBindings) : st.get()) as T | null) ?? null);
  }

  async values(sql: string, params?: SqlBindings): Promise<unknown[][]> {
    return this.now(sql, (st) => (params ? st.values(params as SQLQueryBindings) : st.values()) as unknown[][]);
  }

  run(sql: string, params?: SqlBindings): Promise<RunResult> {
    return this.write(() =>
      this.now(sql, (st) => {
        const r = params ? st.run(params as SQLQueryBindings) : st.run();
        return { changes: r.changes, lastInsertId: Number(r.lastInsertRowid) };
      }),
    );
  }

  exec(script: string): Promise<RunResult> {
    return this.write(() => {
      try {
        return { changes: this.handle.run(script).changes };
      } catch (err) {
        throw toDbError(err);
      }
    });
  }

  async transaction<T>(fn: () => Promise<T> | T): Promise<T> {
    const held = this.held();
    if (held?.tx) return fn();
    const store: Holder = { tx: true, onEnd: [], live: true };
    const inTx = () => this.holding(store, () => this.begin(fn));
    let result: T;
    try {
      // inside withWriteLock the lock is already ours: taking it again would wait forever
      result = await (held ? inTx() : this.writeLock.run(inTx));
    } catch (err) {
      await this.ended(store, err);
      throw err;
    }
    await this.ended(store, null);
    return result;
  }

  /** Runs a transaction's end callbacks in order, outside it and outside the lock (they may start new ones). */
  private async ended(store: Holder, err: unknown): Promise<void> {
    for (const cb of store.onEnd) await cb(err);
  }

  onTransactionEnd(cb: (err: unknown) => Promise<void> | void): boolean {
    const held = this.held();
    if (!held?.tx) return false;
    held.onEnd.push(cb);
    return true;
  }

  private async begin<T>(fn: () => Promise<T> | T): Promise<T> {
    this.handle.run("BEGIN IMMEDIATE");
    try {
      const result = await fn();
      this.handle.run("COMMIT");
      return result;
    } catch (err) {
      if (this.handle.inTransaction) this.handle.run("ROLLBACK");
      throw err;
    }
  }

  /**
   * Runs `fn` holding the write lock without opening a transaction (a restore swapping the files,
   * a statement that cannot run inside one). Statements `fn` runs on this database go straight through.
   */
  async withWriteLock<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.held()) return fn();
    return this.writeLock.run(() => this.holding({ tx: false, onEnd: [], live: true }, fn));
  }

  async vacuum(): Promise<void> {
    await this.exec("VACUUM");
  }

  /** Uses what this connection's queries taught it (cheap when there is nothing to do). */
  async optimize(): Promise<void> {
    await this.exec("PRAGMA optimize");
  }

  /** Sets how many WAL pages trigger an automatic checkpoint (0: none; a snapshot pauses them). */
  setAutoCheckpoint(pages: number): void {
    if (!this.closed) this.handle.run(`PRAGMA wal_autocheckpoint = ${Math.trunc(pages)}`);
  }

  /**
   * Folds the WAL back into the file and truncates it, on a connection of its own in a worker
   * thread: TRUNCATE waits for readers, which must not stall the JS thread (the daily cron).
   */
  async checkpoint(): Promise<void> {
    if (this.closed) return;
    await runSqliteJob({ kind: "exec", path: this.location, statements: [CHECKPOINT] });
  }

  /** On a worker thread of its own, read-only (the server keeps serving). */
  async consoleRead(statements: string[], maxRows: number, timeoutMs: number): Promise<ConsoleReadResult> {
    return runSqliteJob({ kind: "read", path: this.location, statements, maxRows }, timeoutMs);
  }

  /** The same on this connection, at once (on stop: a stopped pb_data is just its .db files). */
  private checkpointNow(): void {
    if (!this.closed) this.handle.run(CHECKPOINT);
  }

  /**
   * Folds the WAL back into the file, then closes: a stopped pb_data is just its .db files even if
   * another handle is still open. Statements we prepared are finalized first, or the connection
   * would stay open.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      this.checkpointNow();
    } catch {
      // busy (another process writing): the close below still checkpoints what it can
    }
    this.closed = true;
    this._readPool?.close();
    this._readPool = null;
    this.statements.clear();
    this.handle.close();
  }
}
