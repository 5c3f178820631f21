/**
 * The App: database handles, settings, the collection cache and the hook bus.
 * It knows nothing of HTTP, the CLI or QuickJS; those drive it from outside.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { HookEvent } from "../tools/hook.ts";
import type { TableColumn } from "../tools/sql/dialect.ts";
import { type Db, openStorage, type ReadPool } from "./db/index.ts";
import { NotifyWatcher } from "./notify.ts";
import { AppHooks } from "./app_hooks.ts";
import { SettingsReloadEvent } from "./events.ts";
import { registerRecordSystemHooks } from "./record_system_hooks.ts";
import { registerRecordFilesHooks } from "./record_files.ts";
import { requireSystemMigrations, runSystemMigrations } from "./migrations_runner.ts";
import { Collection } from "./collection.ts";
import { type Settings, loadSettings, saveSettings } from "./settings.ts";

export interface AppConfig {
  /** The pb_data directory. */
  dataDir: string;
  /** Echo SQL and log everything to the console. */
  isDev?: boolean;
  /** The 32-character settings encryption key (the value of the `--encryptionEnv` variable), if any. */
  encryptionKey?: string;
  /** Seconds a SELECT may run before it is interrupted (`--queryTimeout`). */
  queryTimeout?: number;
  /** A `postgres://` URL to store everything in instead of dataDir's SQLite files (`--db`). */
  dbUrl?: string;
}

export class BootstrapEvent extends HookEvent {
  constructor(readonly app: App) {
    super();
  }
}

export class TerminateEvent extends HookEvent {
  constructor(
    readonly app: App,
    readonly isRestart = false,
  ) {
    super();
  }
}

/**
 * Fired once the router is built and before the server listens; JS `routerAdd` binds routes here.
 * `router` is the API layer's Router (typed loosely so core does not depend on it).
 */
export class ServeEvent<R = unknown> extends HookEvent {
  constructor(
    readonly app: App,
    readonly router: R,
  ) {
    super();
  }
}

export class App extends AppHooks {
  readonly dataDir: string;
  readonly isDev: boolean;
  readonly encryptionKey: string;
  readonly queryTimeout: number;
  /** The `--db` URL; empty for the SQLite files in dataDir. */
  readonly dbUrl: string;

  private _db: Db | null = null;
  private _auxDb: Db | null = null;
  private _settings: Settings | null = null;
  private collectionsById = new Map<string, Collection>();
  private collectionsByName = new Map<string, Collection>();
  /** Each cached collection's position in table (rowid) order. */
  private collectionOrder = new Map<Collection, number>();

  // every hook (onBootstrap, onServe, onTerminate, the record/realtime/… hooks) is declared in AppHooks

  /** Cross-process reload notices through pb_data/.notify. */
  readonly notify = new NotifyWatcher(this);

  constructor(config: AppConfig) {
    super();
    registerRecordSystemHooks(this);
    registerRecordFilesHooks(this);
    this.dataDir = config.dataDir;
    this.isDev = config.isDev ?? false;
    this.encryptionKey = config.encryptionKey ?? "";
    this.queryTimeout = config.queryTimeout ?? 30;
    this.dbUrl = config.dbUrl ?? "";
  }

  /** data.db: collections, records, settings. */
  get db(): Db {
    if (!this._db) throw new Error("the app is not bootstrapped");
    return this._db;
  }

  /** auxiliary.db: the logs. */
  get auxDb(): Db {
    if (!this._auxDb) throw new Error("the app is not bootstrapped");
    return this._auxDb;
  }

  /**
   * Read-only connections on worker threads for list queries (started on first use): heavy reads
   * don't stall the JS thread, use the second core, and honour `queryTimeout`. Null when the
   * engine needs none.
   */
  get readPool(): ReadPool | null {
    return this.db.readPool;
  }

  get isBootstrapped(): boolean {
    return this._db !== null;
  }

  /** Opens the databases, runs system migrations, loads collections and settings. */
  async bootstrap(): Promise<void> {
    await this.onBootstrap.trigger(new BootstrapEvent(this), async () => {
      await this.close();
      requireSystemMigrations(); // before anything is created in dataDir
      mkdirSync(this.dataDir, { recursive: true });
      const { db, auxDb } = await openStorage(this.dataDir, {
        queryTimeout: this.queryTimeout,
        dbUrl: this.dbUrl || undefined,
      });
      this._db = db;
      this._auxDb = auxDb;
      await runSystemMigrations(this);
      await this.reloadCollections();
      this._settings = await loadSettings(this);
      rmSync(join(this.dataDir, ".pb_temp_to_delete"), { recursive: true, force: true });
    });
    this.notify.start();
  }

  /** Fires onTerminate, then closes the databases. */
  async terminate(isRestart = false): Promise<void> {
    await this.onTerminate.trigger(new TerminateEvent(this, isRestart), async () => {
      this.notify.stop();
      await this.close();
    });
  }

  /** Closes the databases (SQLite folds its WAL back into the file first). */
  async close(): Promise<void> {
    const dbs = [this._db, this._auxDb];
    this._db = null;
    this._auxDb = null;
    for (const db of dbs) await db?.close();
  }

  /** The current settings (a live object; call `saveSettings` after changing it). */
  settings(): Settings {
    if (!this._settings) throw new Error("the app is not bootstrapped");
    return this._settings;
  }

  async saveSettings(settings: Settings): Promise<void> {
    await saveSettings(this, settings);
    await this.onSettingsReload.trigger(new SettingsReloadEvent(this), () => {
      this._settings = settings;
    });
    this.notify.settingsChanged();
  }

  /** Re-reads settings from `_params` (another process may have changed them). */
  async reloadSettings(): Promise<void> {
    const settings = await loadSettings(this);
    await this.onSettingsReload.trigger(new SettingsReloadEvent(this), () => {
      this._settings = settings;
    });
  }

  /** Call after any committed collection change: refreshes the cache and tells other processes. */
  async collectionsChanged(): Promise<void> {
    await this.reloadCollections();
    this.notify.collectionsChanged();
  }

  /**
   * Reloads the collection cache from `_collections`. The rows are read under the write lock (or in
   * the caller's transaction), so a reload never picks up another request's uncommitted collection
   * change on the shared connection, and they are read before the cache is touched, so no request
   * sees it half-filled.
   */
  async reloadCollections(): Promise<void> {
    const d = this.db.dialect;
    const rows = await this.db.withWriteLock(() =>
      this.db.all<Record<string, unknown>>(`SELECT * FROM ${d.quoteIdent("_collections")} ORDER BY ${d.rowid} ASC`),
    );
    this.collectionsById.clear();
    this.collectionsByName.clear();
    this.collectionOrder.clear();
    for (const row of rows) {
      const c = Collection.fromRow(row);
      this.collectionOrder.set(c, this.collectionOrder.size);
      this.collectionsById.set(c.id, c);
      const lower = c.name.toLowerCase();
      if (!this.collectionsByName.has(lower)) this.collectionsByName.set(lower, c);
    }
  }

  /**
   * A cached collection by id or (case-insensitive) name. When one collection's id is another's
   * name (data saved before validation refused it), the older collection keeps the path, as
   * upstream's lookup takes the first match in table order.
   */
  findCollection(nameOrId: string): Collection | null {
    const byId = this.collectionsById.get(nameOrId);
    const byName = this.collectionsByName.get(nameOrId.toLowerCase());
    if (!byId || !byName || byId === byName) return byId ?? byName ?? null;
    return this.collectionOrder.get(byId)! < this.collectionOrder.get(byName)! ? byId : byName;
  }

  /** All cached collections, in table (rowid) order. */
  collections(): Collection[] {
    return [...this.collectionsById.values()];
  }

  /**
   * Runs `fn` in a data.db transaction that holds the write lock across awaits,
   * so no other request's statements land inside it. Nested calls join the outer transaction.
   */
  async runInTransaction<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.db.transaction(fn);
  }

  /**
   * Runs `fn` once the current transaction ends (with its error, or null after a commit);
   * outside a transaction it runs at once with null. Deferred "after success" hooks use this.
   */
  async afterTransaction(fn: (err: unknown) => Promise<void> | void): Promise<void> {
    if (!this.db.onTransactionEnd(fn)) await fn(null);
  }

  /** True when the caller runs inside this app's open transaction. */
  get inTransaction(): boolean {
    return this._db?.inTransaction ?? false;
  }

  // --- catalog and maintenance (upstream's core/db_table.go)

  /** The column names of a table or view of data.db. */
  async tableColumns(table: string): Promise<string[]> {
    return (await this.db.tableColumns(table)).map((c) => c.name);
  }

  /** The columns of a table or view of data.db as the catalog describes them. */
  tableInfo(table: string): Promise<TableColumn[]> {
    return this.db.tableColumns(table);
  }

  /** The explicitly created indexes of a data.db table: name → CREATE INDEX statement. */
  tableIndexes(table: string): Promise<Map<string, string>> {
    return this.db.tableIndexes(table);
  }

  /** True when table or view `name` exists in data.db. */
  hasTable(name: string): Promise<boolean> {
    return this.db.hasTable(name);
  }

  /** True when table or view `name` exists in auxiliary.db. */
  auxHasTable(name: string): Promise<boolean> {
    return this.auxDb.hasTable(name);
  }

  /** Drops a data.db table (no error when it does not exist). */
  async deleteTable(table: string): Promise<void> {
    await this.db.run(`DROP TABLE IF EXISTS ${this.db.dialect.quoteIdent(table)}`);
  }

  /** Rebuilds data.db's file, reclaiming free pages. */
  vacuum(): Promise<void> {
    return this.db.vacuum();
  }

  /** Rebuilds auxiliary.db's file. */
  auxVacuum(): Promise<void> {
    return this.auxDb.vacuum();
  }
}
