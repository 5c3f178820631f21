/**
 * `pb db copy FROM TO`: copies everything pb keeps in a database — collections, records, settings,
 * migrations history and logs — between a pb_data folder (SQLite) and a PostgreSQL database, either
 * way (no upstream twin: upstream runs SQLite only). Uploaded files stay where they are.
 *
 * The target is bootstrapped as a fresh app, so the system migrations build its system tables through
 * its own dialect; its `_collections` rows are then replaced by the source's (copied as they are, so
 * ids, timestamps and field JSON stay byte for byte), the record tables and views are rebuilt from
 * them with core's DDL, and every row is copied in the source's insertion order. Views whose query
 * does not run on the target engine are left out and reported.
 */
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { App } from "./app.ts";
import type { Collection } from "./collection.ts";
import { syncRecordTableSchema } from "./collection_save.ts";
import { type Db, isPostgresUrl, openStorage, PG_AUX_SCHEMA, PostgresDb, redactUrl, SqliteDb } from "./db/index.ts";
import { MIGRATIONS_TABLE } from "./migrations_runner.ts";
import { normalizeViewQueryId, saveView } from "./view.ts";

/** Where data lives: a pb_data folder's SQLite files, or a PostgreSQL database. */
export type DbLocation = { kind: "sqlite"; dir: string } | { kind: "postgres"; url: string };

/** A FROM/TO argument: a `postgres://` URL, else a pb_data folder path. */
export function parseDbLocation(arg: string): DbLocation {
  if (isPostgresUrl(arg)) return { kind: "postgres", url: arg };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg))
    throw new Error(`unsupported database URL (expected postgres://…): ${redactUrl(arg)}`);
  return { kind: "sqlite", dir: resolve(arg) };
}

/** A location for messages (a URL without its password). */
export function describeDbLocation(loc: DbLocation): string {
  return loc.kind === "sqlite" ? loc.dir : redactUrl(loc.url);
}

/** How far the copy is: reported after each page of rows and once more when a table is done. */
export interface DbCopyProgress {
  /** The table being copied. */
  table: string;
  /** Rows of this table copied so far. */
  tableCopied: number;
  /** True on the table's last report (also for an empty table). */
  tableDone: boolean;
  /** Rows copied so far, all tables. */
  copied: number;
  /** Rows to copy, all tables. */
  total: number;
}

export interface DbCopyOptions {
  from: string;
  to: string;
  /** Empty a non-empty target first instead of refusing it. */
  force?: boolean;
  /** Seconds a statement may run (`--queryTimeout`); 0 for no limit. */
  queryTimeout?: number;
  onProgress?: (p: DbCopyProgress) => void;
  /** Something left out or changed on the way (a skipped view, a column the target has no place for). */
  onWarning?: (message: string) => void;
}

/** A view collection left out because its query does not run on the target. */
export interface SkippedView {
  name: string;
  reason: string;
}

export interface DbCopyResult {
  /** Collections copied (views included, skipped views not). */
  collections: number;
  skippedViews: SkippedView[];
  /** Rows copied per table, in copy order (`_logs` is the auxiliary database's). */
  tables: { name: string; rows: number }[];
  /** Rows copied, all tables. */
  rows: number;
  warnings: string[];
}

/** The target already holds data and `force` was not given. */
export class DbCopyTargetNotEmptyError extends Error {}

/** The hidden insertion-order column of engines that need one (PostgreSQL's `_rowid_`): never copied. */
const HIDDEN_ROWID = "_rowid_";
const LOGS_TABLE = "_logs";
const PARAMS_TABLE = "_params";
const COLLECTIONS_TABLE = "_collections";
/** Rows read from the source per round trip (one target transaction each). */
const PAGE_ROWS = 1000;
/** Bound values per INSERT: far below SQLite's 32766 and PostgreSQL's 65535. */
const MAX_PARAMS = 10_000;
/** The pool a copy needs is small: one statement at a time. */
const PG_POOL = 2;

interface Storage {
  db: Db;
  /** Null when a pb_data folder has no auxiliary.db (no logs to copy). */
  auxDb: Db | null;
}

/** Copies the data of `opts.from` into `opts.to` (see the file header). */
export async function copyDatabase(opts: DbCopyOptions): Promise<DbCopyResult> {
  const from = parseDbLocation(opts.from);
  const to = parseDbLocation(opts.to);
  const queryTimeout = opts.queryTimeout ?? 0;
  if (sameLocation(from, to)) throw new Error("FROM and TO are the same database");

  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    opts.onWarning?.(message);
  };

  const source = await openSource(from, queryTimeout);
  let tempDataDir = "";
  let app: App | null = null;
  try {
    await checkSource(source.db, from);

    const present = await targetContents(to, queryTimeout);
    if (present.length > 0) {
      if (!opts.force) {
        throw new DbCopyTargetNotEmptyError(
          `the target ${describeDbLocation(to)} is not empty (${present.slice(0, 5).join(", ")}${present.length > 5 ? ", …" : ""}); ` +
            "use --force to delete its data first",
        );
      }
      await emptyTarget(to, queryTimeout);
    }

    // a PostgreSQL target still needs a data dir for the app's local bits (notices, temp files)
    const dataDir = to.kind === "sqlite" ? to.dir : (tempDataDir = mkdtempSync(join(tmpdir(), "pb-db-copy-")));
    app = new App({ dataDir, dbUrl: to.kind === "postgres" ? to.url : undefined, queryTimeout });
    await app.bootstrap();

    const plan = await planTables(source, app, warn);
    const total = plan.reduce((n, t) => n + t.rows, 0);
    let copied = 0;
    const counts: { name: string; rows: number }[] = [];
    const copy = async (t: PlannedTable) => {
      const target = t.aux ? app!.auxDb : app!.db;
      let tableCopied = 0;
      const onRows = (n: number) => {
        copied += n;
        tableCopied += n;
        opts.onProgress?.({ table: t.name, tableCopied, tableDone: false, copied, total });
      };
      let n: number;
      try {
        n = await copyRows(t.aux ? source.auxDb! : source.db, target, t.name, onRows, warn);
      } catch (err) {
        // e.g. a text PostgreSQL cannot store (a NUL character), or a unique index the target checks
        // differently (its lower() folds more than ASCII where SQLite's NOCASE does not)
        throw new Error(`failed to copy the rows of ${t.name}: ${errText(err)}`, { cause: err });
      }
      opts.onProgress?.({ table: t.name, tableCopied, tableDone: true, copied, total });
      counts.push({ name: t.name, rows: n });
    };

    // collections: the target's own (system ones from the bootstrap) give way to the source's
    await dropCollectionTables(app);
    await app.db.run(`DELETE FROM ${app.db.dialect.quoteIdent(COLLECTIONS_TABLE)}`);
    await copy(plan[0]!);
    await app.reloadCollections();
    for (const c of app.collections()) {
      if (c.isView()) continue;
      try {
        await syncRecordTableSchema(app, c, null);
      } catch (err) {
        // the table exists by then; only some indexes failed (each failure is listed)
        if (!(await app.hasTable(c.name))) throw new Error(`failed to create the table of ${c.name}: ${errText(err)}`);
        warn(`collection ${c.name}: ${errText(err)}`);
      }
    }
    const skippedViews = await createViews(app);
    for (const v of skippedViews) {
      const q = app.db.dialect.quoteIdent;
      await app.db.run(`DELETE FROM ${q(COLLECTIONS_TABLE)} WHERE ${q("name")} = ?`, [v.name]);
      warn(`view collection ${v.name} skipped: ${v.reason}`);
    }

    for (const t of plan.slice(1)) {
      if (t.replace) await (t.aux ? app.auxDb : app.db).run(`DELETE FROM ${app.db.dialect.quoteIdent(t.name)}`);
      await copy(t);
    }

    const collections = app.collections().length - skippedViews.length;
    return { collections, skippedViews, tables: counts, rows: copied, warnings };
  } finally {
    await app?.terminate().catch(() => {});
    await source.db.close().catch(() => {});
    await source.auxDb?.close().catch(() => {});
    if (tempDataDir) rmSync(tempDataDir, { recursive: true, force: true });
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Two locations naming the same database (copying onto itself would, with --force, delete it first). */
function sameLocation(a: DbLocation, b: DbLocation): boolean {
  if (a.kind === "sqlite" && b.kind === "sqlite") {
    const real = (dir: string) => (existsSync(dir) ? realpathSync(dir) : dir);
    return real(a.dir) === real(b.dir);
  }
  if (a.kind === "postgres" && b.kind === "postgres") {
    const key = (url: string) => {
      const u = new URL(url);
      return `${u.hostname.toLowerCase()}:${u.port || "5432"}${u.pathname}`;
    };
    return key(a.url) === key(b.url);
  }
  return false;
}

// --- the source -------------------------------------------------------------------------------------

async function openSource(loc: DbLocation, queryTimeout: number): Promise<Storage> {
  if (loc.kind === "postgres") return await openStorage("", { queryTimeout, dbUrl: loc.url });
  // opened one by one rather than through openStorage: a missing auxiliary.db must not be created in
  // the source folder
  const dataPath = join(loc.dir, "data.db");
  if (!existsSync(dataPath)) throw new Error(`${loc.dir} has no data.db: not a pb_data folder`);
  const open = (path: string) => {
    try {
      return new SqliteDb(path, { queryTimeout });
    } catch (err) {
      // WAL mode needs the -wal/-shm files beside the database, read-only opens included
      if (/readonly|read-only/i.test(errText(err))) {
        throw new Error(
          `cannot open ${path}: ${errText(err)} (SQLite needs write access to the pb_data folder; copy it somewhere writable first)`,
        );
      }
      throw err;
    }
  };
  const db = open(dataPath);
  const auxPath = join(loc.dir, "auxiliary.db");
  let auxDb: Db | null = null;
  try {
    auxDb = existsSync(auxPath) ? open(auxPath) : null;
  } catch (err) {
    await db.close();
    throw err;
  }
  return { db, auxDb };
}

/** The source must hold a pb (v0.23+ layout) database: a `_collections` table with `fields`. */
async function checkSource(db: Db, loc: DbLocation): Promise<void> {
  const cols = (await db.tableColumns(COLLECTIONS_TABLE)).map((c) => c.name);
  if (cols.length === 0) throw new Error(`${describeDbLocation(loc)} holds no pb data (no _collections table)`);
  if (!cols.includes("fields")) {
    throw new Error(
      `${describeDbLocation(loc)} has the pre-v0.23 layout; open it once with pb (serve or migrate) to upgrade it first`,
    );
  }
}

// --- the target ------------------------------------------------------------------------------------

/** The files or tables that make the target non-empty (none: free to copy into). */
async function targetContents(loc: DbLocation, queryTimeout: number): Promise<string[]> {
  if (loc.kind === "sqlite") return ["data.db", "auxiliary.db"].filter((f) => existsSync(join(loc.dir, f)));
  const pg = new PostgresDb(loc.url, { queryTimeout, max: 1 });
  try {
    const rows = await pg.all<{ table_schema: string; table_name: string }>(
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN (current_schema(), ?) " +
        "ORDER BY table_schema, table_name",
      [PG_AUX_SCHEMA],
    );
    return rows.map((r) => `${r.table_schema}.${r.table_name}`);
  } finally {
    await pg.close();
  }
}

/**
 * `--force`: SQLite — the database files go (uploaded files and backups stay); PostgreSQL — the
 * schemas pb uses (the URL's default one and pb_aux) are dropped with everything in them, and the
 * default one is recreated empty.
 */
async function emptyTarget(loc: DbLocation, queryTimeout: number): Promise<void> {
  if (loc.kind === "sqlite") {
    for (const base of ["data.db", "auxiliary.db"]) {
      for (const suffix of ["", "-wal", "-shm"]) rmSync(join(loc.dir, base + suffix), { force: true });
    }
    return;
  }
  const pg = new PostgresDb(loc.url, { queryTimeout, max: 1 });
  try {
    const row = await pg.get<{ schema: string | null }>("SELECT current_schema() AS schema");
    const q = pg.dialect.quoteIdent;
    const schema = q(row?.schema || "public");
    await pg.exec(
      `DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}; DROP SCHEMA IF EXISTS ${q(PG_AUX_SCHEMA)} CASCADE`,
    );
  } finally {
    await pg.close();
  }
}

/** Drops the record tables and views of the target's collections (views first: they read the tables). */
async function dropCollectionTables(app: App): Promise<void> {
  const q = app.db.dialect.quoteIdent;
  const all = app.collections();
  for (const c of all.filter((c) => c.isView()).reverse()) await app.db.run(`DROP VIEW IF EXISTS ${q(c.name)}`);
  for (const c of all.filter((c) => !c.isView())) await app.deleteTable(c.name);
}

/**
 * Creates the target's SQL views as core saves them. A view may read another view, so failures are
 * retried while any view still gets created; what never works is returned.
 */
async function createViews(app: App): Promise<SkippedView[]> {
  let pending = app.collections().filter((c) => c.isView());
  const reasons = new Map<string, string>();
  while (pending.length > 0) {
    const failed: Collection[] = [];
    for (const v of pending) {
      try {
        await saveView(app, v.name, await normalizeViewQueryId(app, v.viewQuery));
        reasons.delete(v.name);
      } catch (err) {
        reasons.set(v.name, errText(err));
        failed.push(v);
      }
    }
    if (failed.length === pending.length) break;
    pending = failed;
  }
  return pending.map((v) => ({ name: v.name, reason: reasons.get(v.name) ?? "" }));
}

// --- rows -------------------------------------------------------------------------------------------

interface PlannedTable {
  name: string;
  /** In the auxiliary database (logs). */
  aux: boolean;
  /** Source rows. */
  rows: number;
  /** The bootstrap left rows of its own in the target table: delete them first. */
  replace: boolean;
}

/**
 * What gets copied, in order: `_collections` (always first), the record tables of the source's
 * stored collections, `_params`, `_migrations`, then `_logs`. Other tables of the source (made by
 * hand or by a migration's raw SQL) are not pb's to recreate: they are named in a warning.
 */
async function planTables(source: Storage, app: App, warn: (message: string) => void): Promise<PlannedTable[]> {
  const src = source.db;
  const count = async (db: Db, table: string) =>
    Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${db.dialect.quoteIdent(table)}`))?.n ?? 0);
  const q = src.dialect.quoteIdent;
  const rows = await src.all<{ name: string; type: string }>(
    `SELECT ${q("name")}, ${q("type")} FROM ${q(COLLECTIONS_TABLE)} ORDER BY ${src.dialect.rowid}`,
  );
  const plan: PlannedTable[] = [
    { name: COLLECTIONS_TABLE, aux: false, rows: await count(src, COLLECTIONS_TABLE), replace: false },
  ];
  for (const r of rows) {
    if (r.type === "view") continue;
    if (!(await src.hasTable(r.name))) continue; // nothing stored (a broken pb_data): the table stays empty
    plan.push({ name: r.name, aux: false, rows: await count(src, r.name), replace: false });
  }
  for (const name of [PARAMS_TABLE, MIGRATIONS_TABLE]) {
    if (await src.hasTable(name)) plan.push({ name, aux: false, rows: await count(src, name), replace: true });
  }
  if (source.auxDb && (await source.auxDb.hasTable(LOGS_TABLE)) && (await app.auxHasTable(LOGS_TABLE))) {
    plan.push({ name: LOGS_TABLE, aux: true, rows: await count(source.auxDb, LOGS_TABLE), replace: true });
  }

  const known = new Set([...plan.map((t) => t.name), ...rows.map((r) => r.name)].map((n) => n.toLowerCase()));
  const others = (await src.all<{ name: string }>(src.dialect.catalog.tableNames))
    .map((r) => r.name)
    .filter((n) => !known.has(n.toLowerCase()));
  if (others.length > 0) warn(`table(s) or view(s) not belonging to any collection not copied: ${others.join(", ")}`);
  return plan;
}

/**
 * Copies every row of `table` from `from` to `to` (which must have the table), in `from`'s insertion
 * order, a page per target transaction. Columns the target lacks are left out (with a warning).
 */
async function copyRows(
  from: Db,
  to: Db,
  table: string,
  onRows: (n: number) => void,
  warn: (message: string) => void,
): Promise<number> {
  const visible = (db: Db, name: string) => !(db.dialect.rowidColumn !== null && name === HIDDEN_ROWID);
  const srcCols = (await from.tableColumns(table)).map((c) => c.name).filter((n) => visible(from, n));
  const dstCols = new Map((await to.tableColumns(table)).filter((c) => visible(to, c.name)).map((c) => [c.name, c]));
  const cols = srcCols.filter((n) => dstCols.has(n));
  const left = srcCols.filter((n) => !dstCols.has(n));
  if (left.length > 0) warn(`${table}: column(s) ${left.join(", ")} not copied (the target table has none)`);
  if (cols.length === 0) return 0;

  const converters = cols.map((n) =>
    table === PARAMS_TABLE && n === "value" && to.dialect.name === "sqlite"
      ? paramsValueForSqlite
      : valueConverter(to, dstCols.get(n)!.type),
  );
  // a NULL in a column the target declares NOT NULL (pb_data from before v0.23 allowed them) takes the
  // column's default: the zero value pb reads a NULL as anyway
  const nullAs = cols.map((n) => {
    const col = dstCols.get(n)!;
    return col.notnull ? literalDefault(col.dflt_value) : undefined;
  });
  const nulled = new Map<string, number>();
  const fq = from.dialect.quoteIdent;
  const tq = to.dialect.quoteIdent;
  // pages follow the insertion order key; a table without one (PostgreSQL's `_migrations`) is read in
  // the order of its first column (its primary key) by offset instead
  const hasKey = await hasInsertionKey(from, table);
  const key = hasKey ? from.dialect.rowid : fq(srcCols[0]!);
  const select = hasKey
    ? `SELECT ${key} AS ${fq("__pb_copy_key")}, ${cols.map(fq).join(", ")} FROM ${fq(table)} ` +
      `WHERE ${key} > ? ORDER BY ${key} LIMIT ${PAGE_ROWS}`
    : `SELECT NULL AS ${fq("__pb_copy_key")}, ${cols.map(fq).join(", ")} FROM ${fq(table)} ` +
      `ORDER BY ${key} LIMIT ${PAGE_ROWS} OFFSET ?`;
  const insertHead = `INSERT INTO ${tq(table)} (${cols.map(tq).join(", ")}) VALUES `;
  const rowSlots = "(" + cols.map(() => "?").join(", ") + ")";
  const rowsPerInsert = Math.max(1, Math.floor(MAX_PARAMS / cols.length));
  /** Per column, how many values were changed on the way, by kind of change. */
  const changed = new Map<string, number>();

  let last: unknown = Number.MIN_SAFE_INTEGER;
  let copied = 0;
  for (;;) {
    const page = await from.values(select, [hasKey ? last : copied]);
    if (page.length === 0) break;
    last = page[page.length - 1]![0];
    await to.transaction(async () => {
      for (let i = 0; i < page.length; i += rowsPerInsert) {
        const chunk = page.slice(i, i + rowsPerInsert);
        const values: unknown[] = [];
        for (const row of chunk) {
          for (let c = 0; c < cols.length; c++) {
            let v = row[c + 1];
            if (v === null && nullAs[c] !== undefined) {
              v = nullAs[c];
              nulled.set(cols[c]!, (nulled.get(cols[c]!) ?? 0) + 1);
            }
            const out = converters[c]!(v);
            if (out.change) {
              const k = `${cols[c]}\0${out.change}`;
              changed.set(k, (changed.get(k) ?? 0) + 1);
            }
            values.push(out.value);
          }
        }
        await to.run(insertHead + chunk.map(() => rowSlots).join(", "), values);
      }
    });
    copied += page.length;
    onRows(page.length);
  }
  for (const [col, n] of nulled) {
    warn(
      `${table}.${col}: ${n} NULL value(s) stored as the column default ${JSON.stringify(nullAs[cols.indexOf(col)])}`,
    );
  }
  for (const [k, n] of changed) {
    const [col, change] = k.split("\0") as [string, Change];
    warn(`${table}.${col}: ${n} ${CHANGE_TEXT[change]}`);
  }
  return copied;
}

/**
 * `_params.value` on SQLite holds JSON as a BLOB, as pb and upstream write it (encrypted settings
 * are text); PostgreSQL keeps it as TEXT, so JSON text coming back becomes a BLOB again.
 */
function paramsValueForSqlite(v: unknown): Converted {
  if (typeof v === "string" && /^\s*[[{]/.test(v)) return { value: Buffer.from(v, "utf8") };
  return { value: v };
}

const utf8 = new TextDecoder();

/** A value as text: numbers as JavaScript writes them, booleans as 1/0, bytes decoded as UTF-8. */
function asText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "1" : "0";
  if (v instanceof Uint8Array) return utf8.decode(v);
  return String(v);
}

/** The table has the engine's insertion-order key (always on SQLite; a catalog may hide PostgreSQL's). */
async function hasInsertionKey(db: Db, table: string): Promise<boolean> {
  if (db.dialect.rowidColumn === null) return true;
  try {
    await db.get(`SELECT ${db.dialect.rowid} FROM ${db.dialect.quoteIdent(table)} LIMIT 1`);
    return true;
  } catch {
    return false;
  }
}

/** What a value went through to fit its target column (named in a warning per column). */
type Change = "number" | "nul";
type Converted = { value: unknown; change?: Change };

const CHANGE_TEXT: Record<Change, string> = {
  number: "value(s) that are not numbers stored as numbers (as pb reads them)",
  nul: "value(s) with NUL characters, which PostgreSQL cannot store in text: each NUL became U+FFFD",
};

/**
 * How a source value goes into a target column. SQLite takes any value in any column, so SQLite
 * targets get the values as they are. PostgreSQL columns are typed: numbers go to numeric columns
 * (a text that is no number becomes what pb reads from it: 1/0 for true/false, else 0) and text
 * columns (text, JSON) get text.
 */
function valueConverter(to: Db, columnType: string): (v: unknown) => Converted {
  const same = (value: unknown): Converted => ({ value });
  if (to.dialect.name === "sqlite") return same;
  if (/int|double|real|float|numeric|decimal/i.test(columnType)) {
    return (v) => {
      if (v === null || v === undefined || typeof v === "number") return same(v ?? null);
      if (typeof v === "bigint") return same(Number(v));
      if (typeof v === "boolean") return same(v ? 1 : 0);
      const s = typeof v === "string" ? v.trim() : "";
      if (s !== "" && Number.isFinite(Number(s))) return same(Number(s));
      if (s.toLowerCase() === "true") return { value: 1, change: "number" };
      return { value: 0, change: "number" };
    };
  }
  return (v) => {
    if (v === null || v === undefined) return same(null);
    const text = asText(v);
    if (text.includes("\u0000")) return { value: text.replaceAll("\u0000", "\uFFFD"), change: "nul" };
    return same(text);
  };
}

/**
 * A column default that is a plain literal (`''`, `'[]'`, `0`, `FALSE`, PostgreSQL's `'x'::text`),
 * as a value; undefined for anything computed (random ids, timestamps).
 */
export function literalDefault(dflt: unknown): string | number | undefined {
  if (typeof dflt === "number") return dflt;
  if (typeof dflt !== "string") return undefined;
  let s = dflt.trim();
  for (;;) {
    const unwrapped = s.replace(/::[a-z ]+(\(\d+\))?$/i, "").trim();
    const unparened = /^\((.*)\)$/s.test(unwrapped) ? unwrapped.slice(1, -1).trim() : unwrapped;
    if (unparened === s) break;
    s = unparened;
  }
  if (/^'(?:[^']|'')*'$/s.test(s)) return s.slice(1, -1).replaceAll("''", "'");
  if (/^"(?:[^"]|"")*"$/s.test(s)) return s.slice(1, -1).replaceAll('""', '"'); // SQLite takes "…" as a string here
  if (/^true$/i.test(s)) return 1;
  if (/^false$/i.test(s)) return 0;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return Number(s);
  return undefined;
}
