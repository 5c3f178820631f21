/**
 * The PostgreSQL driver: Bun's built-in SQL client behind the async `Db` interface (no upstream twin:
 * upstream runs SQLite only). Statements are written once with SQLite's placeholders (`?`, `:name`)
 * and renumbered to `$n` here; values go in and come out as SQLite would hand them over (booleans as
 * 0/1, int8 counts as numbers), so nothing above the seam branches on the engine for values.
 *
 * Unlike SQLite there is no process-wide write lock: PostgreSQL runs transactions concurrently (READ
 * COMMITTED), each on a connection reserved from the pool for its lifetime. The async context carries
 * that connection, so every statement of a transaction — including those a hook makes — lands on it.
 */
import { SQL, type ReservedSQL } from "bun";
import { AsyncLocalStorage } from "node:async_hooks";
import { postgresDialect } from "../../tools/sql/postgres.ts";
import type { SqlBindings } from "../../tools/sql/dialect.ts";
import { toNumbered } from "../../tools/sql/placeholders.ts";
import { DbCatalog } from "./catalog.ts";
import type { ConsoleReadResult, Db, RunResult } from "./driver.ts";
import { DbError, QueryTimeoutError, UniqueViolationError } from "./errors.ts";
import { Mutex } from "./mutex.ts";
import { PgClusterLink } from "./pg_cluster.ts";

export interface PostgresDbOptions {
  /** Schema for unqualified names (`search_path`); the URL's default (public) when omitted. */
  schema?: string;
  /** Seconds a statement may run before the server cancels it (0: no limit). */
  queryTimeout?: number;
  /** Pool size. */
  max?: number;
}

/** What an async context inside `transaction` or `withWriteLock` carries (see SqliteDb's Holder). */
interface Holder {
  /** The transaction's connection; null inside `withWriteLock` (no transaction). */
  conn: ReservedSQL | null;
  /** Orders the transaction's savepoint-wrapped writes. */
  statements: Mutex;
  onEnd: ((err: unknown) => Promise<void> | void)[];
  live: boolean;
}

type Runner = Pick<SQL, "unsafe">;

/** The names of the types results most often hold, by OID (pg_type), as the console shows them. */
const PG_TYPE_NAMES: Record<number, string> = {
  16: "BOOL",
  17: "BYTEA",
  20: "INT8",
  21: "INT2",
  23: "INT4",
  25: "TEXT",
  114: "JSON",
  700: "FLOAT4",
  701: "FLOAT8",
  1043: "VARCHAR",
  1082: "DATE",
  1114: "TIMESTAMP",
  1184: "TIMESTAMPTZ",
  1700: "NUMERIC",
  3802: "JSONB",
};

/** Statements that only read (our code never writes through a CTE). */
const READ_STATEMENT = /^\s*(select|with|values|show|explain)\b/i;

/** Statements that steer the transaction itself: never wrapped in a statement savepoint (releasing it would release theirs). */
const TX_CONTROL = /^\s*(savepoint|release|rollback|commit|begin|start|set|reset)\b/i;

/** SQLSTATE classes we give meaning to. */
const UNIQUE_VIOLATION = "23505";
const QUERY_CANCELED = "57014";

export class PostgresDb extends DbCatalog implements Db {
  readonly dialect = postgresDialect;
  readonly readPool = null;
  /** Writes, DDL and transactions. */
  private readonly sql: SQL;
  /** Reads outside a transaction (with the query timeout). */
  private readonly readSql: SQL;
  private readonly holder = new AsyncLocalStorage<Holder>();
  /** Excludes `withWriteLock` sections from each other (transactions do not take it: PG isolates them). */
  private readonly lock = new Mutex();
  private readonly timeout: number;
  private readonly schema: string;
  private setupDone: Promise<void> | null = null;
  private closed = false;
  private link: PgClusterLink | null = null;

  constructor(
    readonly location: string,
    options: PostgresDbOptions = {},
  ) {
    super();
    this.timeout = options.queryTimeout ?? 0;
    this.schema = options.schema ?? "";
    // no JIT: filter SQL over small tables is cheap to run but its estimated cost (set-returning
    // JSON joins count 100 rows each) crosses jit_above_cost, and compiling it took seconds
    const connection: Record<string, string> = { jit: "off" };
    if (options.schema) connection.search_path = options.schema;
    const max = Math.max(2, options.max ?? 10);
    const pool = (size: number, extra: Record<string, string>) =>
      new SQL(location, {
        max: size,
        bigint: true,
        // unnamed statements: a named one cached on a connection breaks ("cached plan must not change
        // result type") once a collection's table gains or loses a column under `SELECT *`
        prepare: false,
        connection: { ...connection, ...extra },
        idleTimeout: 60,
      });
    // `--queryTimeout` bounds reads only, as on SQLite (its worker reads): reads outside a transaction
    // get a pool whose connections carry the server-side statement_timeout; writes, DDL and
    // transactions (a migration may run for minutes) use one without it
    const writers = Math.max(1, Math.round(max * 0.4));
    this.sql = pool(writers, {});
    this.readSql =
      this.timeout > 0 ? pool(max - writers, { statement_timeout: String(this.timeout * 1000) }) : this.sql;
  }

  /** Several processes may share this database: PostgreSQL coordinates them. */
  get cluster(): PgClusterLink {
    this.link ??= new PgClusterLink(this.location, this.sql);
    return this.link;
  }

  /**
   * Creates the schema when asked for one and installs the dialect's helper functions into it, once
   * — under a cluster-wide lock, as nodes starting together would race on CREATE … IF NOT EXISTS.
   */
  async setup(): Promise<void> {
    this.setupDone ??= (async () => {
      if (!(await this.installed())) await this.cluster.exclusive("pb:setup", () => this.install());
    })();
    return this.setupDone;
  }

  /** The marker function of this version of the setup script, named after the script's hash. */
  private get setupMarker(): string {
    return `pb_setup_${Bun.hash(this.dialect.setupScript).toString(36)}`;
  }

  /** True when this schema holds this version's helper functions (found through the search path). */
  private async installed(): Promise<boolean> {
    if (!this.dialect.setupScript) return false;
    try {
      const rows = (await this.sql.unsafe("SELECT to_regproc($1) IS NOT NULL AS ok", [this.setupMarker])) as {
        ok: boolean;
      }[];
      return rows[0]?.ok === true;
    } catch (err) {
      throw this.toDbError(err);
    }
  }

  private async install(): Promise<void> {
    // (a search_path naming a schema that does not exist yet is fine: PostgreSQL resolves it per
    // statement, so this pool's connections see the schema once it is created)
    if (this.schema) {
      try {
        await this.sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${this.dialect.quoteIdent(this.schema)}`).simple();
      } catch (err) {
        throw this.toDbError(err);
      }
    }
    const script = this.dialect.setupScript;
    // the script (~20 KB of functions) is installed once per version: a start finds it by a marker
    // function named after the script's hash instead of re-creating every function
    if (!script || (await this.installed())) return;
    try {
      await this.sql
        .unsafe(`${script};\nCREATE OR REPLACE FUNCTION ${this.setupMarker}() RETURNS void LANGUAGE sql AS $$ $$;`)
        .simple();
    } catch (err) {
      throw this.toDbError(err);
    }
  }

  get inTransaction(): boolean {
    return this.held()?.conn != null;
  }

  private held(): Holder | null {
    const store = this.holder.getStore();
    return store?.live ? store : null;
  }

  /** Where a script goes: the caller's transaction, else the write pool. */
  private runner(): Runner {
    return this.held()?.conn ?? this.sql;
  }

  /**
   * One statement: inside a transaction on its connection (a write under a statement savepoint),
   * else a read on the read pool and anything else on the write pool.
   */
  private async query(sql: string, params: SqlBindings | undefined): Promise<Record<string, unknown>[]> {
    const n = toNumbered(sql, params);
    const values = n.params.map(bindValue);
    const held = this.held();
    const conn = held?.conn;
    const isRead = READ_STATEMENT.test(n.sql);
    try {
      if (!conn) return (await (isRead ? this.readSql : this.sql).unsafe(n.sql, values)) as Record<string, unknown>[];
      if (isRead || TX_CONTROL.test(n.sql)) return (await conn.unsafe(n.sql, values)) as Record<string, unknown>[];
      return await this.atomically(held!, n.sql, values);
    } catch (err) {
      throw this.toDbError(err);
    }
  }

  /**
   * A write inside a transaction, under a savepoint: a failing statement leaves the transaction
   * usable, as on SQLite (a unique violation a hook catches must not doom the rest of its
   * transaction — PostgreSQL otherwise refuses every later statement until ROLLBACK). One at a time
   * per transaction, so concurrent statements never interleave their savepoints.
   */
  private atomically(held: Holder, sql: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    const conn = held.conn!;
    return held.statements.run(async () => {
      await conn.unsafe("SAVEPOINT pb_statement");
      try {
        const rows = (await conn.unsafe(sql, values)) as Record<string, unknown>[];
        await conn.unsafe("RELEASE SAVEPOINT pb_statement");
        return rows;
      } catch (err) {
        await conn.unsafe("ROLLBACK TO SAVEPOINT pb_statement").catch(() => {});
        await conn.unsafe("RELEASE SAVEPOINT pb_statement").catch(() => {});
        throw err;
      }
    });
  }

  async all<T>(sql: string, params?: SqlBindings): Promise<T[]> {
    const rows = await this.query(sql, params);
    return rows.map(normalizeRow) as T[];
  }

  async get<T>(sql: string, params?: SqlBindings): Promise<T | null> {
    const rows = await this.query(sql, params);
    return rows.length ? (normalizeRow(rows[0]!) as T) : null;
  }

  async values(sql: string, params?: SqlBindings): Promise<unknown[][]> {
    const rows = await this.query(sql, params);
    return rows.map((r) => Object.values(normalizeRow(r)));
  }

  async run(sql: string, params?: SqlBindings): Promise<RunResult> {
    const rows = (await this.query(sql, params)) as unknown as { count?: number | null };
    return { changes: Number(rows.count ?? 0) };
  }

  async exec(script: string): Promise<RunResult> {
    try {
      const results = (await this.runner().unsafe(script).simple()) as unknown;
      const list = Array.isArray(results) && Array.isArray(results[0]) ? (results as { count?: number }[]) : [results];
      let changes = 0;
      for (const r of list) changes += Number((r as { count?: number | null })?.count ?? 0);
      return { changes };
    } catch (err) {
      throw this.toDbError(err);
    }
  }

  async transaction<T>(fn: () => Promise<T> | T): Promise<T> {
    const held = this.held();
    if (held?.conn) return fn();
    const conn = await this.sql.reserve();
    const store: Holder = { conn, statements: new Mutex(), onEnd: [], live: true };
    let result: T;
    try {
      result = await this.holder.run(store, async () => {
        await conn.unsafe("BEGIN");
        try {
          const r = await fn();
          await conn.unsafe("COMMIT");
          return r;
        } catch (err) {
          await conn.unsafe("ROLLBACK").catch(() => {});
          throw err;
        }
      });
    } catch (err) {
      store.live = false;
      await conn.release();
      await this.ended(store, err);
      throw this.toDbError(err);
    }
    store.live = false;
    await conn.release();
    await this.ended(store, null);
    return result;
  }

  private async ended(store: Holder, err: unknown): Promise<void> {
    for (const cb of store.onEnd) await cb(err);
  }

  onTransactionEnd(cb: (err: unknown) => Promise<void> | void): boolean {
    const held = this.held();
    if (!held?.conn) return false;
    held.onEnd.push(cb);
    return true;
  }

  async withWriteLock<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.held()) return fn();
    return this.lock.run(async () => {
      const store: Holder = { conn: null, statements: new Mutex(), onEnd: [], live: true };
      try {
        return await this.holder.run(store, fn);
      } finally {
        store.live = false;
      }
    });
  }

  async vacuum(): Promise<void> {
    // VACUUM cannot run inside a transaction block, so never on a transaction's connection
    await this.sql.unsafe("VACUUM").simple();
  }

  async optimize(): Promise<void> {
    // planner statistics are the autovacuum daemon's job; an ANALYZE per schema change would cost more
  }

  async checkpoint(): Promise<void> {
    // nothing to fold: the server manages its own write-ahead log
  }

  /**
   * One read-only transaction with its own statement timeout; the columns' types are the server's
   * type names (Bun reports OIDs: the common ones are named here, others looked up).
   */
  async consoleRead(statements: string[], maxRows: number, timeoutMs: number): Promise<ConsoleReadResult> {
    const conn = await this.sql.reserve();
    try {
      await conn.unsafe("BEGIN READ ONLY");
      await conn.unsafe(`SET LOCAL statement_timeout = ${Math.max(1, Math.trunc(timeoutMs))}`);
      let last: unknown[][] & { columns?: { name: string; type: number }[] | null } = [];
      for (const st of statements) last = await conn.unsafe(st, []).values();
      const columns = [];
      for (const c of last.columns ?? []) columns.push({ name: c.name, type: await this.typeName(conn, c.type) });
      return { columns, rows: last.slice(0, maxRows) };
    } catch (err) {
      throw this.toDbError(err);
    } finally {
      await conn.unsafe("ROLLBACK").catch(() => {});
      await conn.release();
    }
  }

  private typeNames = new Map<number, string>(Object.entries(PG_TYPE_NAMES).map(([oid, name]) => [Number(oid), name]));

  private async typeName(conn: ReservedSQL, oid: number): Promise<string> {
    let name = this.typeNames.get(oid);
    if (name === undefined) {
      const rows = (await conn.unsafe("SELECT upper(typname) AS n FROM pg_type WHERE oid = $1", [oid])) as {
        n: string;
      }[];
      name = rows[0]?.n ?? "";
      this.typeNames.set(oid, name);
    }
    return name;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.link?.close();
    await this.sql.close({ timeout: 5 });
    if (this.readSql !== this.sql) await this.readSql.close({ timeout: 5 });
  }

  /** Bun's PostgresError as our DbError classes (SQLSTATE in `errno`). */
  private toDbError(err: unknown): unknown {
    if (!(err instanceof Error) || err instanceof DbError || err instanceof QueryTimeoutError) return err;
    const e = err as Error & { errno?: unknown; code?: unknown; detail?: unknown; table?: unknown };
    if (e.name !== "PostgresError") return err;
    const state = typeof e.errno === "string" ? e.errno : "";
    if (state === QUERY_CANCELED && /statement timeout/i.test(e.message)) return new QueryTimeoutError(this.timeout);
    let out: DbError;
    if (state === UNIQUE_VIOLATION) {
      const table = typeof e.table === "string" ? e.table : "";
      const detail = typeof e.detail === "string" ? e.detail : "";
      const cols = uniqueKeyColumns(detail).map((c) => (table ? `${table}.${c}` : c));
      // the same wording as SQLite's, which is what callers and error texts expect
      out = new UniqueViolationError(`UNIQUE constraint failed: ${cols.join(", ")}`, 0, state);
    } else {
      out = new DbError(e.message, 0, state);
    }
    out.stack = e.stack;
    return out;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Values as PostgreSQL should receive them: booleans as SQLite stores them (0/1), undefined as NULL,
 * and bytes that are UTF-8 text as text — SQLite keeps such BLOBs (upstream binds the settings JSON
 * as []byte) in columns that are TEXT here, where a bytea value would not fit.
 */
function bindValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") return withoutNul(v);
  if (v instanceof Uint8Array) {
    try {
      return withoutNul(utf8.decode(v));
    } catch {
      return v;
    }
  }
  return v;
}

/**
 * PostgreSQL text cannot hold U+0000 (the statement fails with 22021, where SQLite simply finds no
 * row for an id like "a\0b"), so it is bound as U+FFFD, as a lossy decode would show it: lookups miss
 * instead of failing, and a write keeps the rest of the value.
 */
function withoutNul(s: string): string {
  return s.includes("\0") ? s.replaceAll("\0", "\uFFFD") : s;
}

/** int8 values (counts, sums, identities) as plain numbers, as bun:sqlite returns them. */
function normalizeRow(row: Record<string, unknown>): Record<string, unknown> {
  for (const k in row) {
    const v = row[k];
    if (typeof v === "bigint") row[k] = Number(v);
  }
  return row;
}

/**
 * The columns a unique violation names, from its detail `Key (a, lower(b))=(…) already exists.`:
 * `a`, `b` (an expression index on `lower(col)` stands for the column, as SQLite's NOCASE index does).
 */
export function uniqueKeyColumns(detail: string): string[] {
  const m = /^Key \((.*)\)=\(/s.exec(detail);
  if (!m) return [];
  const parts: string[] = [];
  let depth = 0;
  let buf = "";
  for (const ch of m[1]!) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      parts.push(buf);
      buf = "";
      continue;
    }
    buf += ch;
  }
  parts.push(buf);
  return parts.map((p) => {
    const t = p.trim().replace(/^lower\((.*)\)$/i, "$1");
    return t.replace(/^"(.*)"$/, "$1").replaceAll('""', '"');
  });
}
