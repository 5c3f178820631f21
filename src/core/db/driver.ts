/**
 * The storage seam: what the app asks of a database, engine-neutral and async. The SQLite driver
 * (sqlite.ts) is the only one today; a PostgreSQL one implements the same interfaces. SQL text comes
 * from `dialect` (src/tools/sql) so callers never write an engine's syntax themselves.
 */
import type { Dialect, SqlBindings, TableColumn } from "../../tools/sql/dialect.ts";
import type { ReadPool } from "./read_pool.ts";

export type Row = { [column: string]: unknown };

/** A console read's result: column names and declared types, and up to `maxRows` rows. */
export interface ConsoleReadResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
  /** The rowid of the last inserted row, where the engine tells it (SQLite; `$app.db()`'s sql.Result). */
  lastInsertId?: number;
}

/** Statements on one connection (or a transaction's). */
export interface DbConn {
  /** Every row of a query. */
  all<T = Row>(sql: string, params?: SqlBindings): Promise<T[]>;
  /** The first row of a query, or null. */
  get<T = Row>(sql: string, params?: SqlBindings): Promise<T | null>;
  /** Every row as an array of column values, in column order. */
  values(sql: string, params?: SqlBindings): Promise<unknown[][]>;
  /** One statement that changes something (only the first statement of the text is compiled). */
  run(sql: string, params?: SqlBindings): Promise<RunResult>;
  /** A script of several statements (DDL, pragmas), no parameters; `changes` counts all of them. */
  exec(script: string): Promise<RunResult>;
}

export interface Db extends DbConn {
  readonly dialect: Dialect;
  /** A file path (SQLite) or a URL naming where the data lives. */
  readonly location: string;
  /**
   * Runs `fn` in a write transaction: committed when it resolves, rolled back when it throws. Inside
   * it, nested calls join the outer transaction (tracked through the async context), and statements
   * from other async contexts wait until it ends.
   */
  transaction<T>(fn: () => Promise<T> | T): Promise<T>;
  /**
   * Registers `cb` to run once the caller's transaction ends — committed (null) or rolled back (its
   * error) — outside the transaction and the write lock. False (nothing registered) outside one.
   */
  onTransactionEnd(cb: (err: unknown) => Promise<void> | void): boolean;
  /**
   * Runs `fn` holding the write lock without opening a transaction (a restore swapping files, work
   * that must not interleave with any write). Statements `fn` runs on this database go straight through.
   */
  withWriteLock<T>(fn: () => Promise<T> | T): Promise<T>;
  /** True when the caller runs inside this database's open transaction. */
  readonly inTransaction: boolean;
  /** Worker-thread readers for heavy queries (SQLite only: the connection itself is synchronous). */
  readonly readPool: ReadPool | null;

  /** Catalog: the columns of a table or view (empty when there is no such table). */
  tableColumns(table: string): Promise<TableColumn[]>;
  /** Catalog: table or view `name` exists. */
  hasTable(name: string): Promise<boolean>;
  /** Catalog: the explicitly created indexes of `table` by name, with their SQL. */
  tableIndexes(table: string): Promise<Map<string, string>>;
  /** Maintenance: rebuilds the database file (SQLite's VACUUM). */
  vacuum(): Promise<void>;
  /** Maintenance: refreshes the planner's statistics where they may help (SQLite's PRAGMA optimize). */
  optimize(): Promise<void>;
  /**
   * Maintenance: folds the write-ahead log back into the database (SQLite's WAL checkpoint), off
   * the JS thread since it waits for readers; a no-op where the engine has nothing to fold.
   */
  checkpoint(): Promise<void>;

  /**
   * The SQL console's read: runs `statements` in turn, read-only and off the request path where the
   * engine allows, within `timeoutMs`, and returns the last one's columns (name, declared type) and
   * first `maxRows` rows (integers as bigint).
   */
  consoleRead(statements: string[], maxRows: number, timeoutMs: number): Promise<ConsoleReadResult>;

  /**
   * What several processes on one database coordinate through (PostgreSQL's LISTEN/NOTIFY and
   * advisory locks); null where the engine is embedded (SQLite: one server per pb_data).
   */
  readonly cluster: ClusterLink | null;

  /** Closes the connection(s); pending worker reads fail. */
  close(): Promise<void>;
}

/** The coordination primitives of a database shared by several pb processes. */
export interface ClusterLink {
  /**
   * Subscribes to `channel`: `onPayload` gets every notification, `onListen` runs once the server
   * acknowledged the subscription and again after every reconnect (notifications in between are lost).
   */
  listen(channel: string, onPayload: (payload: string) => void, onListen: () => void): Promise<() => Promise<void>>;
  /** Sends a notification (autocommit, outside any transaction: delivered at once). */
  notify(channel: string, payload: string): Promise<void>;
  /** Runs `fn` holding the cluster-wide lock `name`, waiting while another process holds it. */
  exclusive<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** A lock held by this process on a connection of its own for as long as it lives (the leader's). */
  sessionLock(name: string): SessionLock;
}

export interface SessionLock {
  /** Takes the lock if it is free; true when this process holds it afterwards. */
  tryAcquire(): Promise<boolean>;
  /** True while the lock's connection is alive (and so the lock held); false drops it. */
  check(): Promise<boolean>;
  /** Gives the lock up and closes its connection. */
  release(): Promise<void>;
}
