/**
 * The migrations runner (upstream's core/migrations_runner.go). System migrations (migrations/) and
 * app migrations (pb_migrations, JS) share one list sorted by file name and one bookkeeping table,
 * `_migrations(file, applied)` in data.db, where `file` keeps its extension (`1640988000_init.go`)
 * and `applied` is Unix microseconds. Pending migrations run in one transaction spanning
 * auxiliary.db and data.db, so any failure rolls every one of them back.
 */
import type { App } from "./app.ts";
import { byteCompare } from "../tools/json.ts";

/** One migration. `up`/`down` receive the app inside the running transaction. */
export interface Migration {
  /** The recorded name, extension included; it also decides the run order. */
  file: string;
  up?: (app: App) => Promise<void> | void;
  down?: (app: App) => Promise<void> | void;
  /** Re-run an already applied migration when this returns true (system migrations only). */
  reapplyCondition?: (app: App, runner: MigrationsRunner, file: string) => Promise<boolean> | boolean;
}

/**
 * The system migrations (upstream's core.SystemMigrations): each file of migrations/ registers itself
 * when imported, and the program's entry point imports migrations/index.ts, so core never imports
 * migrations/ itself. Kept sorted by file name, the order they run in.
 */
const registeredSystemMigrations: Migration[] = [];

/** Adds a system migration (called by each migrations/*.ts at import); a file registered twice is refused. */
export function registerSystemMigration(m: Migration): void {
  if (registeredSystemMigrations.some((x) => x.file === m.file)) {
    throw new Error(`system migration ${m.file} is already registered`);
  }
  registeredSystemMigrations.push(m);
  registeredSystemMigrations.sort((a, b) => byteCompare(a.file, b.file));
}

/** The registered system migrations, in run order. */
export const systemMigrations: readonly Migration[] = registeredSystemMigrations;

/**
 * The system migrations, refusing to go on without them: an entry point that forgot to import
 * migrations/index.ts would otherwise "bootstrap" a pb_data with no tables at all.
 */
export function requireSystemMigrations(): readonly Migration[] {
  if (registeredSystemMigrations.length === 0) {
    throw new Error(
      "no system migrations are registered: the entry point must import migrations/index.ts before bootstrapping the app",
    );
  }
  return registeredSystemMigrations;
}

/** The bookkeeping table. */
export const MIGRATIONS_TABLE = "_migrations";

/** Merges migration lists into one, sorted by file name (stable, byte-wise) as upstream orders them. */
export function mergeMigrations(...lists: readonly (readonly Migration[])[]): Migration[] {
  return lists.flat().sort((a, b) => byteCompare(a.file, b.file));
}

/** Unix microseconds, the unit of `_migrations.applied`. */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000);
}

/** A row of `_migrations`. */
export interface AppliedMigration {
  file: string;
  applied: number;
}

/** Applies, reverts and lists migrations of one merged list. */
export class MigrationsRunner {
  readonly migrations: Migration[];
  private inited = false;

  constructor(
    readonly app: App,
    migrations: readonly Migration[],
  ) {
    this.migrations = mergeMigrations(migrations);
  }

  /** The dialect's identifier quoting (read on each use: the app's Db may be reopened). */
  private get q(): (name: string) => string {
    return this.app.db.dialect.quoteIdent;
  }

  /** The quoted `_migrations` table. */
  private get table(): string {
    return this.q(MIGRATIONS_TABLE);
  }

  /** Creates `_migrations` if needed, with upstream's exact DDL. */
  async initMigrationsTable(): Promise<void> {
    if (this.inited) return;
    // column types as upstream's DDL writes them (portable SQL types)
    // `applied` holds Unix microseconds: SQLite's INTEGER is 64-bit, PostgreSQL's needs BIGINT
    const d = this.app.db.dialect;
    const applied = d.name === "sqlite" ? "INTEGER" : "BIGINT";
    // (plus, where the engine has no implicit rowid, the insertion-order column every table gets)
    const rowid = d.rowidColumn ? `, ${d.rowidColumn}` : "";
    await this.app.db.run(
      `CREATE TABLE IF NOT EXISTS ${this.table} (file VARCHAR(255) PRIMARY KEY NOT NULL, applied ${applied} NOT NULL${rowid})`,
    );
    this.inited = true;
  }

  /** True when `file` has a `_migrations` row. */
  async isApplied(file: string): Promise<boolean> {
    await this.initMigrationsTable();
    return (await this.app.db.get(`SELECT 1 FROM ${this.table} WHERE ${this.q("file")} = ? LIMIT 1`, [file])) !== null;
  }

  /** Every `_migrations` row, in file order. */
  async appliedMigrations(): Promise<AppliedMigration[]> {
    await this.initMigrationsTable();
    const q = this.q;
    const rows = await this.app.db.all<AppliedMigration>(`SELECT ${q("file")}, ${q("applied")} FROM ${this.table}`);
    return rows.sort((a, b) => byteCompare(a.file, b.file));
  }

  /**
   * Applies every pending migration (and re-applies those whose reapply condition holds), in order,
   * in one transaction over both databases. Returns the applied file names. Processes sharing one
   * database (PostgreSQL nodes starting together) take turns: a later one finds nothing pending.
   */
  async up(): Promise<string[]> {
    const cluster = this.app.db.cluster;
    if (!cluster || this.app.inTransaction) return this.applyPending();
    // most starts find nothing to do: the lock (a connection of its own) is taken only when something is
    if (!(await this.hasPending())) return [];
    return cluster.exclusive("pb:migrate", () => this.applyPending());
  }

  /** True when `up()` would apply (or re-apply) something (one read of `_migrations`). */
  private async hasPending(): Promise<boolean> {
    // (no table yet: creating it races with the other nodes, so that happens under the lock)
    if (!(await this.app.hasTable(MIGRATIONS_TABLE))) return true;
    const applied = new Set((await this.appliedMigrations()).map((r) => r.file));
    for (const m of this.migrations) if (await this.isDue(m, applied.has(m.file))) return true;
    return false;
  }

  /** Whether `m` is to be applied: never applied yet, or applied but its reapply condition holds. */
  private async isDue(m: Migration, applied: boolean): Promise<boolean> {
    if (!applied) return true;
    return !!m.reapplyCondition && (await m.reapplyCondition(this.app, this, m.file));
  }

  private async applyPending(): Promise<string[]> {
    await this.initMigrationsTable();
    const applied: string[] = [];
    await this.inTransaction(async () => {
      for (const m of this.migrations) {
        const wasApplied = await this.isApplied(m.file);
        if (!(await this.isDue(m, wasApplied))) continue;
        if (wasApplied) await this.deleteRecord(m.file);
        if (m.up) {
          try {
            await m.up(this.app);
          } catch (err) {
            throw new Error(`failed to apply migration ${m.file}: ${(err as Error)?.message ?? err}`, { cause: err });
          }
        }
        await this.app.db.run(`INSERT INTO ${this.table} (${this.q("applied")}, ${this.q("file")}) VALUES (?, ?)`, [
          nowMicros(),
          m.file,
        ]);
        applied.push(m.file);
      }
    });
    if (applied.length > 0) await this.afterCommit();
    return applied;
  }

  /**
   * Reverts the last `count` applied migrations of this list (newest first; negative means all),
   * running each `down` when it has one and deleting its row. Returns the reverted file names.
   */
  async down(count = 1): Promise<string[]> {
    await this.initMigrationsTable();
    if (count < 0) count = this.migrations.length; // a negative count means all
    const names = await this.lastAppliedMigrations(count);
    const reverted: string[] = [];
    await this.inTransaction(async () => {
      for (const name of names) {
        for (const m of this.migrations) {
          if (m.file !== name) continue;
          if (count - reverted.length <= 0) return;
          if (m.down) {
            try {
              await m.down(this.app);
            } catch (err) {
              throw new Error(`failed to revert migration ${m.file}: ${(err as Error)?.message ?? err}`, {
                cause: err,
              });
            }
          }
          await this.deleteRecord(m.file);
          reverted.push(m.file);
        }
      }
    });
    if (reverted.length > 0) await this.afterCommit();
    return reverted;
  }

  /**
   * The last `limit` applied files that this list knows, newest first. Second and microsecond
   * `applied` values compare on a 16-digit prefix, ties by file name descending.
   */
  async lastAppliedMigrations(limit: number): Promise<string[]> {
    await this.initMigrationsTable();
    const files = this.migrations.map((m) => m.file);
    if (files.length === 0 || limit <= 0) return [];
    const q = this.q;
    const rows = await this.app.db.all<{ file: string }>(
      `SELECT ${q("file")} FROM ${this.table} WHERE ${q("applied")} IS NOT NULL AND ${q("file")} IN (${files.map(() => "?").join(", ")}) ` +
        `ORDER BY substr(applied||'0000000000000000', 0, 17) DESC, file DESC LIMIT ?`,
      [...files, limit],
    );
    return rows.map((r) => r.file);
  }

  /** history-sync: deletes the `_migrations` rows of files this list does not know. */
  async removeMissingAppliedMigrations(): Promise<void> {
    await this.initMigrationsTable();
    const files = this.migrations.map((m) => m.file);
    if (files.length === 0) {
      await this.app.db.run(`DELETE FROM ${this.table}`);
      return;
    }
    await this.app.db.run(
      `DELETE FROM ${this.table} WHERE ${this.q("file")} NOT IN (${files.map(() => "?").join(", ")})`,
      files,
    );
  }

  /** Collection saves inside a batch only reloaded the cache; once committed, other processes hear of it. */
  private async afterCommit(): Promise<void> {
    if (this.app.inTransaction) return; // the caller's transaction is still open
    try {
      await this.app.collectionsChanged();
    } catch {
      // `_collections` itself may have been reverted away
    }
  }

  private async deleteRecord(file: string): Promise<void> {
    await this.app.db.run(`DELETE FROM ${this.table} WHERE ${this.q("file")} = ?`, [file]);
  }

  /** auxiliary.db transaction around a data.db transaction, as upstream nests them. */
  private async inTransaction(fn: () => Promise<void>): Promise<void> {
    const app = this.app;
    try {
      await app.auxDb.transaction(() => app.runInTransaction(fn));
    } catch (err) {
      // saves inside the failed batch reloaded the cache from rows that no longer exist
      try {
        await app.reloadCollections();
      } catch {
        // `_collections` may be gone too (a failed first run)
      }
      throw err;
    }
  }
}

/** Applies the pending system migrations (run on every bootstrap). */
export async function runSystemMigrations(app: App): Promise<string[]> {
  return new MigrationsRunner(app, requireSystemMigrations()).up();
}

/** Applies the pending system and app migrations, merged by file name (`serve` and `migrate up`). */
export async function runAllMigrations(app: App, appMigrations: readonly Migration[]): Promise<string[]> {
  return new MigrationsRunner(app, mergeMigrations(requireSystemMigrations(), appMigrations)).up();
}

/** A runner over the system and app migrations, for the `migrate` command (down, history-sync). */
export function newMigrationsRunner(app: App, appMigrations: readonly Migration[] = []): MigrationsRunner {
  return new MigrationsRunner(app, mergeMigrations(requireSystemMigrations(), appMigrations));
}
