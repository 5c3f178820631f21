/**
 * Backups of pb_data (upstream's core/base_backup.go): create, restore, the auto-backup cron and the
 * backups storage (pb_data/backups, or the `backups.s3` bucket).
 *
 * Unlike upstream, a backup does not block writes while it runs. Each database is copied with
 * `VACUUM INTO` on a worker thread — a consistent snapshot read inside one read transaction while
 * the server keeps writing — and the zip takes those snapshots in place of the live files (their
 * `-wal`/`-shm` companions are left out); everything else in pb_data (storage/**, …) is zipped as it
 * is. The archive is streamed to disk and then moved or streamed to the backups storage: nothing
 * holds a whole file in memory.
 *
 * Restore replaces pb_data and restarts the app in-process (see restartApp): Bun has no execve, and
 * a re-spawned child would get a new PID, which Docker (pb as PID 1) and systemd treat as the
 * service exiting.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { copyFile, mkdir, open, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { createArchive, extractArchive, readChunks } from "../tools/archive/index.ts";
import { Filesystem, LocalDriver, S3Driver, type S3Config } from "../tools/filesystem/index.ts";
import { escapeS3Key } from "../tools/filesystem/keys.ts";
import { goEncode } from "../tools/json.ts";
import { snakeCase } from "../tools/inflector.ts";
import { pseudorandomString } from "../tools/security/random.ts";
import { formatArchiveTimestamp } from "./backups_names.ts";
import type { App } from "./app.ts";
import { cronAdd, cronRemove, appCron } from "./crons.ts";
import { BackupEvent } from "./events.ts";
import { appLogger } from "./logs.ts";
import { snapshotDatabase } from "./db/snapshot.ts";
import { detectContentType } from "./record_files.ts";
import { findRecordsByFilter } from "./record_search.ts";

/** Store key upstream uses for the running backup/restore (kept for the JS API's `$app.store()`). */
export const ACTIVE_BACKUP_KEY = "@activeBackup";

/** pb_data entries with a special meaning. */
export const LOCAL_BACKUPS_DIR = "backups";
export const LOCAL_TEMP_DIR = ".pb_temp_to_delete";
export const LOCAL_NOTIFY_DIR = ".notify";
export const LOCAL_AUTOCERT_CACHE_DIR = ".autocert_cache";
export const LOST_FOUND_DIR = "lost+found";

/** The databases snapshotted into a backup instead of being zipped live (files in pb_data). */
const DATABASES = ["data.db", "auxiliary.db"] as const;
/** Companions of a live database that must never sit next to a snapshot of it. */
const DB_COMPANIONS = DATABASES.flatMap((db) => [`${db}-wal`, `${db}-shm`, `${db}-journal`]);

/** The prefix of the auto-backup files (and the cron job id). */
export const AUTO_BACKUP_PREFIX = "@auto_pb_backup_";
export const AUTO_BACKUP_JOB_ID = "__pbAutoBackup__";

/** Part size of multipart uploads of backups to S3 (S3's minimum). */
const S3_PART_SIZE = 5 << 20;

const active = new WeakMap<App, string>();

/** The name of the backup being created or restored, or null when none runs. */
export function activeBackup(app: App): string | null {
  return active.get(app) ?? null;
}

/** Raised when a backup or restore is asked for while another one runs. */
export class BackupBusyError extends Error {
  constructor() {
    super("try again later - another backup/restore operation has already been started");
  }
}

/** The backups storage: the `backups.s3` bucket when enabled, else `pb_data/backups`. */
export function newBackupsFilesystem(app: App): Filesystem {
  const s3 = app.settings().backups.s3;
  if (s3.enabled) return Filesystem.s3(s3, { detectContentType });
  return Filesystem.local(join(app.dataDir, LOCAL_BACKUPS_DIR), { detectContentType });
}

/** `<prefix><snake app name, ≤50>_<UTC yyyymmddhhmmss>.zip` (upstream's generateBackupName). */
export function generateBackupName(app: App, prefix: string): string {
  const appName = snakeCase(app.settings().meta.appName).slice(0, 50);
  return `${prefix}${appName}_${formatArchiveTimestamp(new Date())}.zip`;
}

/**
 * Creates a backup named `name` (generated when empty) of the whole pb_data, except the backups,
 * temp, notify, autocert and lost+found folders. Fires onBackupCreate around the work. Returns the
 * name used. Throws BackupBusyError while another backup or restore runs.
 */
export async function createBackup(app: App, name = ""): Promise<string> {
  if (active.has(app)) throw new BackupBusyError();
  active.set(app, name || "pb_backup");
  const event = new BackupEvent(app, name, [
    LOCAL_BACKUPS_DIR,
    LOCAL_TEMP_DIR,
    LOCAL_NOTIFY_DIR,
    LOCAL_AUTOCERT_CACHE_DIR,
    LOST_FOUND_DIR,
  ]);
  try {
    await app.onBackupCreate.trigger(event, async (e) => {
      if (!e.name) e.name = generateBackupName(e.app, "pb_backup_");
      active.set(app, e.name);
      const tempRoot = join(e.app.dataDir, LOCAL_TEMP_DIR);
      const work = join(tempRoot, "pb_backup_" + pseudorandomString(6));
      await mkdir(work, { recursive: true });
      try {
        const replace: { [rel: string]: string } = {};
        // one after the other: a single extra thread at a time keeps the memory peak low
        for (const db of DATABASES) {
          const snapshot = join(work, db);
          await snapshotDatabase(db === "data.db" ? e.app.db : e.app.auxDb, snapshot);
          replace[db] = snapshot;
        }
        const zipPath = join(work, "backup.zip");
        const { md5 } = await createArchive(e.app.dataDir, zipPath, {
          skip: [...e.exclude, ...DB_COMPANIONS],
          replace,
          md5: true,
        });
        await storeBackupFile(newBackupsFilesystem(e.app), e.name, zipPath, md5);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    });
  } finally {
    active.delete(app);
  }
  return event.name;
}

/**
 * Moves (local storage) or streams (S3) the finished archive at `path` to `key` in the backups
 * storage. `md5` (base64), when already known, spares reading the file again for the local sidecar.
 */
export async function storeBackupFile(fsys: Filesystem, key: string, path: string, md5 = ""): Promise<void> {
  const driver = fsys.driver;
  if (driver instanceof LocalDriver) {
    const dest = driver.path(key);
    await mkdir(dirname(dest), { recursive: true });
    md5 ||= await fileMD5(path);
    try {
      await rename(path, dest);
    } catch (err) {
      if ((err as { code?: string }).code !== "EXDEV") throw err;
      await copyFile(path, dest);
    }
    // the sidecar upstream's local storage writes next to every file
    const attrs = {
      "user.cache_control": "",
      "user.content_disposition": "",
      "user.content_encoding": "",
      "user.content_language": "",
      "user.content_type": "application/zip",
      "user.metadata": { "original-filename": key },
      md5,
    };
    await writeFile(dest + ".attrs", goEncode(attrs), { mode: 0o666 });
    return;
  }
  if (driver instanceof S3Driver) {
    // a multipart upload fed chunk by chunk: at most a few parts are in memory at a time
    const writer = s3Client(driver.config)
      .file(escapeS3Key(key))
      .writer({ type: "application/zip", partSize: S3_PART_SIZE, queueSize: 2 });
    const fh = await open(path, "r");
    try {
      let buffered = 0;
      for await (const chunk of readChunks(fh)) {
        const n = writer.write(chunk);
        if (n instanceof Promise) await n;
        // the sink buffers without limit: wait for it to upload each part's worth before reading on
        if ((buffered += chunk.byteLength) >= S3_PART_SIZE) {
          buffered = 0;
          await writer.flush();
        }
      }
      await writer.end();
    } catch (err) {
      await Promise.resolve(writer.end(err as Error)).catch(() => {});
      throw err;
    } finally {
      await fh.close();
    }
    return;
  }
  await fsys.upload(Bun.file(path), key, { contentType: "application/zip" });
}

/** A Bun S3 client for the same bucket as an S3Driver (same endpoint and addressing style). */
function s3Client(config: S3Config): Bun.S3Client {
  let endpoint = config.endpoint.replace(/\/+$/, "");
  let scheme = "https";
  if (endpoint.startsWith("https://")) endpoint = endpoint.slice(8);
  else if (endpoint.startsWith("http://")) {
    endpoint = endpoint.slice(7);
    scheme = "http";
  }
  return new Bun.S3Client({
    accessKeyId: config.accessKey,
    secretAccessKey: config.secret,
    region: config.region || undefined,
    ...(config.forcePathStyle
      ? { endpoint: `${scheme}://${endpoint}`, bucket: config.bucket }
      : { endpoint: `${scheme}://${config.bucket}.${endpoint}`, virtualHostedStyle: true }),
  });
}

/** The base64 MD5 of a file, read in chunks that yield to the event loop between them. */
async function fileMD5(path: string): Promise<string> {
  const hash = createHash("md5");
  const fh = await open(path, "r");
  try {
    for await (const chunk of readChunks(fh)) hash.update(chunk);
  } finally {
    await fh.close();
  }
  return hash.digest("base64");
}

/**
 * Restores the backup `name`: extracts it inside pb_data's temp folder, swaps it in for the current
 * pb_data content (the backups, temp, autocert and lost+found folders stay) and restarts the app.
 * A failure before the restart leaves pb_data as it was. Fires onBackupRestore around the work.
 */
export async function restoreBackup(app: App, name: string): Promise<void> {
  if (active.has(app)) throw new BackupBusyError();
  active.set(app, name);
  const event = new BackupEvent(app, name, [
    LOCAL_BACKUPS_DIR,
    LOCAL_TEMP_DIR,
    LOCAL_AUTOCERT_CACHE_DIR,
    LOST_FOUND_DIR,
  ]);
  try {
    await app.onBackupRestore.trigger(event, async (e) => {
      if (process.platform === "win32") throw new Error("restore is not supported on Windows");
      const dataDir = e.app.dataDir;
      const tempRoot = join(dataDir, LOCAL_TEMP_DIR);
      await mkdir(tempRoot, { recursive: true });
      const fsys = newBackupsFilesystem(e.app);
      if (!(await fsys.exists(e.name))) throw new Error(`missing or invalid backup file "${e.name}" to restore`);

      const extracted = join(tempRoot, "pb_restore_" + pseudorandomString(8));
      try {
        if (fsys.driver instanceof LocalDriver) {
          await extractArchive(fsys.driver.path(e.name), extracted);
        } else {
          const tempZip = join(tempRoot, "pb_restore_zip_" + pseudorandomString(8));
          try {
            await downloadTo(fsys.blob(e.name), tempZip);
            await extractArchive(tempZip, extracted);
          } finally {
            await rm(tempZip, { force: true });
          }
        }
        try {
          await stat(join(extracted, "data.db"));
        } catch (err) {
          throw new Error(`data.db file is missing or invalid: ${(err as Error).message}`);
        }
        await swapDataDir(e.app, extracted, join(tempRoot, "old_pb_data_" + pseudorandomString(8)), e.exclude);
      } finally {
        await rm(extracted, { recursive: true, force: true });
      }
    });
  } finally {
    active.delete(app);
  }
}

async function downloadTo(blob: Blob, path: string): Promise<void> {
  const out = createWriteStream(path);
  let writeErr: Error | null = null;
  out.on("error", (err) => (writeErr ??= err));
  try {
    for await (const chunk of blob.stream()) {
      if (writeErr) throw writeErr;
      if (!out.write(chunk)) await once(out, "drain");
    }
    out.end();
    await once(out, "finish");
  } catch (err) {
    out.destroy();
    throw err;
  }
}

/** Moves every entry of `src` (except `exclude`) into `dest` (upstream's osutils.MoveDirContent). */
async function moveDirContent(src: string, dest: string, exclude: readonly string[]): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const name of await readdir(src)) {
    if (exclude.includes(name)) continue;
    await rename(join(src, name), join(dest, name));
  }
}

/**
 * Replaces pb_data's content with `extracted` and restarts the app on it. Writers are held off
 * while the databases close and the files move; if anything fails, the old content is moved back
 * and the app restarts on it.
 */
async function swapDataDir(app: App, extracted: string, oldDir: string, exclude: readonly string[]): Promise<void> {
  const dataDir = app.dataDir;
  await appLogger(app).flush();
  let swapErr: unknown = null;
  // auxiliary.db's lock first, as the migrations runner nests them (one order: no deadlock)
  await app.auxDb.withWriteLock(() =>
    app.db.withWriteLock(async () => {
      // close the databases before their files move: SQLite removes `-wal`/`-shm` by name on close
      await app.terminate(true);
      try {
        await moveDirContent(dataDir, oldDir, exclude);
      } catch (err) {
        await moveDirContent(oldDir, dataDir, exclude).catch(() => {});
        swapErr = new Error(`failed to move the current pb_data content to a temp location: ${(err as Error).message}`);
        return;
      }
      try {
        await moveDirContent(extracted, dataDir, exclude);
      } catch (err) {
        await moveDirContent(dataDir, extracted, exclude).catch(() => {});
        await moveDirContent(oldDir, dataDir, exclude).catch(() => {});
        swapErr = new Error(`failed to move the extracted archive content to pb_data: ${(err as Error).message}`);
      }
    }),
  );
  if (swapErr) {
    await app.bootstrap(); // back on the untouched data
    throw swapErr;
  }
  try {
    await app.bootstrap();
  } catch (err) {
    // the restored data does not start: put the old content back and start on it
    await moveDirContent(dataDir, extracted, exclude).catch(() => {});
    await moveDirContent(oldDir, dataDir, exclude);
    await app.bootstrap();
    throw new Error(`failed to restart the app on the restored data: ${(err as Error).message}`);
  }
}

/**
 * Restarts the app in-process (upstream's App.Restart): fires onTerminate with `isRestart`, closes
 * the databases and bootstraps again, keeping the process, its PID and the HTTP listener.
 */
export async function restartApp(app: App): Promise<void> {
  await appLogger(app).flush();
  await app.auxDb.withWriteLock(() => app.db.withWriteLock(() => app.terminate(true)));
  await app.bootstrap();
}

// --- auto backups --------------------------------------------------------------------------------

const scheduled = new WeakMap<App, string>();

/**
 * Makes the `__pbAutoBackup__` job follow `backups.cron` (called on each cron tick, after a settings
 * save and before the jobs are listed, so a change made by any process is picked up).
 */
export function syncAutoBackupJob(app: App): void {
  if (!app.isBootstrapped) return;
  // a server database is backed up by its own tools (pg_dump): there are no files to snapshot
  const expr = app.db.dialect.name === "sqlite" ? app.settings().backups.cron : "";
  if (scheduled.get(app) === expr && (expr === "" || appCron(app).job(AUTO_BACKUP_JOB_ID))) return;
  scheduled.set(app, expr);
  if (expr === "") {
    cronRemove(app, AUTO_BACKUP_JOB_ID);
    return;
  }
  try {
    cronAdd(app, AUTO_BACKUP_JOB_ID, expr, () => runAutoBackup(app));
  } catch (err) {
    cronRemove(app, AUTO_BACKUP_JOB_ID);
    appLogger(app).warn("[Backup cron] Invalid backups.cron expression", { error: err });
  }
}

/** One auto backup: create `@auto_pb_backup_…`, alert superusers on failure, keep the newest `cronMaxKeep`. */
export async function runAutoBackup(app: App): Promise<void> {
  const logger = appLogger(app);
  const name = generateBackupName(app, AUTO_BACKUP_PREFIX);
  try {
    await createBackup(app, name);
  } catch (err) {
    logger.error("[Backup cron] Failed to create backup", { name, error: err });
    try {
      await sendSystemAlertToAllSuperusers(
        app,
        "Autobackup failure",
        "Failed to create/upload automated backup. Raw error:\n" + (err instanceof Error ? err.message : String(err)),
      );
    } catch (alertErr) {
      logger.warn("[Backup cron] Failed to send backup error alerts", { name, error: alertErr });
    }
  }
  const maxKeep = app.settings().backups.cronMaxKeep;
  if (maxKeep === 0) return;
  let fsys: Filesystem;
  let files;
  try {
    fsys = newBackupsFilesystem(app);
    files = await fsys.list(AUTO_BACKUP_PREFIX);
  } catch (err) {
    logger.error("[Backup cron] Failed to list autogenerated backups", { error: err });
    return;
  }
  if (maxKeep >= files.length) return;
  files.sort((a, b) => b.modTime.getTime() - a.modTime.getTime());
  for (const f of files.slice(maxKeep)) {
    try {
      await fsys.delete(f.key);
    } catch (err) {
      logger.error("[Backup cron] Failed to remove old autogenerated backup", { key: f.key, error: err });
    }
  }
}

/** Mails every superuser a `[<app> system alert] <subject>` message (upstream's system alert). */
export async function sendSystemAlertToAllSuperusers(app: App, subject: string, details: string): Promise<void> {
  const { newMailClient, escapeHTML } = await import("./mails/index.ts");
  const meta = app.settings().meta;
  const html =
    `<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8" /></head><body>` +
    `<p>${escapeHTML(meta.appName)} system alert occurred:</p>` +
    `<p style="padding:15px;background:#e4e8ec;border-radius:5px;white-space:pre-wrap"><strong>${escapeHTML(details)}</strong></p>` +
    `<p>For more information you could explore the logs in the dashboard of your application.</p></body></html>`;
  const errors: string[] = [];
  for (const su of await findRecordsByFilter(app, "_superusers", "")) {
    try {
      await newMailClient(app).send({
        from: { name: meta.senderName, address: meta.senderAddress },
        to: [{ address: su.email(), name: "" }],
        cc: [],
        bcc: [],
        subject: `[${meta.appName} system alert] ${escapeHTML(subject)}`,
        html,
        text: "",
        headers: {},
        attachments: {},
        inlineAttachments: {},
      });
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (errors.length) throw new Error(errors.join("; "));
}
