/**
 * Record files (upstream core/field_file.go interceptors + the files manager hook in core/base.go):
 * - uploads are written just before the record's INSERT/UPDATE, under
 *   `storage/<collectionId>/<recordId>/<name>`, and deleted again if the write or the transaction fails;
 * - files a save drops (replaced or removed), with their `thumbs_<name>/`, go once the save commits;
 * - deleting a record or a collection removes its storage folder in the background.
 */
import { join } from "node:path";
import { Filesystem, UploadFile, isUploadFile } from "../tools/filesystem/index.ts";
import type { App } from "./app.ts";
import { Collection } from "./collection.ts";
import { FileField, isUpload, type Field } from "./fields/index.ts";
import { Record } from "./record.ts";
import { detectMimeType } from "./validators/mime.ts";
import { parseQueryToFields } from "./view.ts";

/** The pb_data folder of local storage. */
export const LOCAL_STORAGE_DIR = "storage";

/** The extension mimetype gives a detected type (used for uploads named without one). */
const MIME_EXTENSIONS: { [mime: string]: string } = {
  "image/png": ".png",
  "image/jpeg": ".jpg",
  "image/gif": ".gif",
  "image/webp": ".webp",
  "image/bmp": ".bmp",
  "image/x-icon": ".ico",
  "image/tiff": ".tiff",
  "image/avif": ".avif",
  "image/heic": ".heic",
  "image/heif": ".heif",
  "image/svg+xml": ".svg",
  "text/html": ".html",
  "text/xml": ".xml",
  "text/plain": ".txt",
  "application/json": ".json",
  "application/pdf": ".pdf",
  "application/zip": ".zip",
  "application/gzip": ".gz",
  "application/x-7z-compressed": ".7z",
  "application/x-rar-compressed": ".rar",
  "application/ogg": ".ogg",
  "video/webm": ".webm",
  "video/mp4": ".mp4",
  "video/quicktime": ".mov",
  "video/3gpp": ".3gp",
  "video/x-msvideo": ".avi",
  "audio/mpeg": ".mp3",
  "audio/wav": ".wav",
  "audio/flac": ".flac",
  "audio/x-m4a": ".m4a",
  "font/woff": ".woff",
  "font/woff2": ".woff2",
};

/** The sniffed content type of leading bytes (parameters included, e.g. `text/plain; charset=utf-8`). */
export function detectContentType(head: Uint8Array): string {
  return detectMimeType(head).mime;
}

/** The extension (with its dot) of sniffed content, "" when unknown. */
export function detectExtension(head: Uint8Array): string {
  const mime = detectContentType(head).split(";")[0]!.trim();
  return MIME_EXTENSIONS[mime] ?? "";
}

/** The last storage made per app, reused while the settings that shaped it stay the same. */
const filesystems = new WeakMap<App, { key: string; fs: Filesystem }>();

/**
 * The app's file storage: the S3 bucket of `settings.s3` when enabled, else `pb_data/storage`.
 * Cheap to call per request: the instance is reused until the storage settings change.
 */
export function newFilesystem(app: App): Filesystem {
  const s3 = app.isBootstrapped ? app.settings().s3 : null;
  const key = s3?.enabled ? "s3:" + JSON.stringify(s3) : "local:" + app.dataDir;
  const cached = filesystems.get(app);
  if (cached?.key === key) return cached.fs;
  const fs = s3?.enabled
    ? Filesystem.s3(s3, { detectContentType })
    : Filesystem.local(join(app.dataDir, LOCAL_STORAGE_DIR), { detectContentType });
  filesystems.set(app, { key, fs });
  return fs;
}

/** A new upload from any Blob (a web File keeps its name as the original), its name normalized. */
export function newUploadFile(blob: Blob, originalName?: string): Promise<UploadFile> {
  return UploadFile.from(blob, originalName, detectExtension);
}

/** The storage folder of a record: `<collectionId>/<recordId>` (the id it was last saved with). */
export function recordBaseFilesPath(record: Record): string {
  return record.collection.baseFilesPath() + "/" + (record.originalId || record.id);
}

/** The file field whose value holds `filename`, or null. */
export function findFileFieldByFile(record: Record, filename: string): FileField | null {
  for (const f of record.collection.fields) {
    if (f instanceof FileField && record.getStringSlice(f.name).includes(filename)) return f;
  }
  return null;
}

function fileFields(record: Record): FileField[] {
  return record.collection.fields.filter((f: Field): f is FileField => f instanceof FileField);
}

function valueList(v: unknown): unknown[] {
  if (v === null || v === undefined || v === "") return [];
  return Array.isArray(v) ? v : [v];
}

function names(list: unknown[]): string[] {
  return list.filter((v): v is string => typeof v === "string" && v !== "");
}

/**
 * Turns uploads that are plain Blobs/Files (set by hooks or the JS API) into UploadFiles with
 * normalized names, so validation and storage see the stored names. Call before validating.
 */
export async function prepareRecordUploads(record: Record): Promise<void> {
  for (const f of fileFields(record)) {
    const v = record.get(f.name);
    const list = valueList(v);
    if (!list.some((x) => isUpload(x) && !isUploadFile(x) && x instanceof Blob)) continue;
    const next: unknown[] = [];
    for (const x of list) next.push(isUpload(x) && !isUploadFile(x) && x instanceof Blob ? await newUploadFile(x) : x);
    record.setRaw(f.name, f.prepareValue(next));
  }
}

/** What one save did to a record's files, to finish once the DB write and the transaction end. */
export class RecordFilesSave {
  constructor(
    private readonly app: App,
    private readonly record: Record,
    private readonly fs: Filesystem,
    private readonly base: string,
    private readonly isNew: boolean,
    /** Per field: the value with the upload objects (restored if the write fails). */
    private readonly originals: Map<string, unknown>,
    /** Names written by this save. */
    private readonly uploaded: string[],
    /** Stored names per field before the save. */
    private readonly oldNames: Map<string, string[]>,
  ) {}

  /** The DB write failed: delete this save's uploads and give the record its upload objects back. */
  async writeFailed(): Promise<void> {
    for (const [name, v] of this.originals) this.record.setRaw(name, v);
    await this.deleteUploads();
  }

  /** Deletes this save's uploads, and the folder of a new record when nothing else is in it. */
  private async deleteUploads(): Promise<void> {
    await deleteFiles(this.fs, this.base, this.uploaded);
    if (this.isNew && this.uploaded.length > 0) {
      try {
        if (await this.fs.isEmptyDir(this.base)) await this.fs.delete(this.base).catch(() => {});
      } catch {
        // best effort
      }
    }
  }

  /**
   * The DB write succeeded: once the transaction commits, delete the files the record no longer
   * names (and their thumbs); if it rolls back, delete this save's uploads instead.
   */
  async written(): Promise<void> {
    const dropped: string[] = [];
    for (const [field, old] of this.oldNames) {
      const now = new Set(names(valueList(this.record.get(field))));
      for (const n of old) if (!now.has(n)) dropped.push(n);
    }
    await this.app.afterTransaction(async (err) => {
      if (!err) {
        await deleteFiles(this.fs, this.base, dropped);
        return;
      }
      await this.deleteUploads();
    });
  }
}

/**
 * Writes the record's new uploads to storage and puts their names in its values (the upload
 * objects are kept to restore on failure). Call right before the INSERT/UPDATE; then call
 * `writeFailed()` or `written()` on the result. Returns null when the record has no file fields.
 */
export async function uploadRecordFiles(app: App, record: Record): Promise<RecordFilesSave | null> {
  const fields = fileFields(record);
  if (fields.length === 0) return null;

  const isNew = record.isNew;
  const oldNames = new Map<string, string[]>();
  const originals = new Map<string, unknown>();
  const pending: { field: FileField; file: UploadFile }[] = [];
  for (const f of fields) {
    if (!isNew) oldNames.set(f.name, await latestStoredNames(app, record, f));
    const v = record.get(f.name);
    const list = valueList(v);
    const uploads = list.filter(isUploadFile);
    if (uploads.length === 0) continue;
    originals.set(f.name, v);
    for (const file of uploads) pending.push({ field: f, file });
  }

  if (pending.length > 0 && !record.id)
    throw new Error("uploading files requires the record to have a valid nonempty id");
  const base = recordBaseFilesPath(record);
  const fs = newFilesystem(app);
  const uploaded: string[] = [];
  for (const { file } of pending) {
    try {
      await fs.uploadFile(file, base + "/" + file.name);
      uploaded.push(file.name);
    } catch (err) {
      // no partial uploads: take back what went and fail the save
      await deleteFiles(fs, base, uploaded);
      throw new Error(`failed to upload all files: ${JSON.stringify(file.name)}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  for (const [name, v] of originals) {
    const field = fields.find((f) => f.name === name)!;
    record.setRaw(name, field.prepareValue(valueList(v).map((x) => (isUploadFile(x) ? x.name : x))));
  }
  return new RecordFilesSave(app, record, fs, base, isNew, originals, uploaded, oldNames);
}

/** The names the record's row holds now (re-read: another save may have changed them). */
async function latestStoredNames(app: App, record: Record, field: FileField): Promise<string[]> {
  try {
    const q = app.db.dialect.quoteIdent;
    const row = await app.db.get<{ v: unknown }>(
      `SELECT ${q(field.name)} AS v FROM ${q(record.collection.name)} WHERE id = ? LIMIT 1`,
      [record.originalId],
    );
    if (row) return names(valueList(field.prepareValue(row.v)));
  } catch {
    // fall back to the loaded value
  }
  return names(valueList(record.originalValue(field.name)));
}

/** Deletes plain file names (never paths) under `base`, each with its thumbs; missing ones are fine. */
export async function deleteFiles(fs: Filesystem, base: string, filenames: string[]): Promise<string[]> {
  const failed: string[] = [];
  for (const name of new Set(filenames)) {
    if (!name || name.includes("/") || name.includes("\\")) continue;
    try {
      await fs.delete(base + "/" + name);
    } catch (err) {
      if ((err as Error).name !== "NotFoundError") {
        failed.push(name);
        continue;
      }
    }
    await fs.deletePrefix(base + "/thumbs_" + name + "/");
  }
  return failed;
}

/** Storage deletes still running in the background (awaitable in tests and on shutdown). */
const pendingDeletes = new Set<Promise<unknown>>();

/** Resolves once every background storage delete started so far has ended. */
export async function settleFileDeletes(): Promise<void> {
  while (pendingDeletes.size) await Promise.allSettled([...pendingDeletes]);
}

function hasFileField(c: Collection): boolean {
  return c.fields.some((f: Field) => f instanceof FileField);
}

/**
 * Binds the files manager: after a record or a collection with file fields is deleted (and the
 * transaction committed), its storage folder goes, in the background.
 */
export function registerRecordFilesHooks(app: App): void {
  app.onModelAfterDeleteSuccess.hook.bind({
    id: "pbFilesManagerDelete",
    func: async (e) => {
      const m = e.model;
      let prefix = "";
      if (m instanceof Record && hasFileField(m.collection)) prefix = recordBaseFilesPath(m);
      else if (m instanceof Collection && hasFileField(m)) prefix = m.baseFilesPath();
      if (prefix) {
        const fs = newFilesystem(app);
        const p = fs
          .deletePrefix(prefix.replace(/\/+$/, "") + "/")
          .then((failed) => {
            if (failed.length && app.isDev) console.warn(`Failed to delete the files at ${prefix}:`, failed);
          })
          .catch(() => {})
          .finally(() => pendingDeletes.delete(p));
        pendingDeletes.add(p);
      }
      await e.next();
    },
  });
}

/**
 * The source record of a view collection's file: follows the view's file column through up to
 * five nested views to the collection that stores it. Null when there is none.
 */
export async function findRecordByViewFile(
  app: App,
  view: Collection,
  fileFieldName: string,
  filename: string,
): Promise<Record | null> {
  let current = view;
  let fieldName = fileFieldName;
  for (let level = 1; level <= 5; level++) {
    if (!current.isView()) return null;
    let found: { collection: Collection; original: Field } | null = null;
    for (const [, qf] of await parseQueryToFields(app, current.viewQuery)) {
      if (qf.collection && qf.original && qf.field.name === fieldName) {
        found = { collection: qf.collection, original: qf.original };
        break;
      }
    }
    if (!found) return null;
    if (found.collection.isView()) {
      current = found.collection;
      fieldName = found.original.name;
      continue;
    }
    const c = found.collection;
    const d = app.db.dialect;
    const col = d.quoteIdent(found.original.name);
    const table = d.quoteIdent(c.name);
    const multiple = found.original instanceof FileField && found.original.isMultiple();
    const sql = multiple
      ? `SELECT ${table}.* FROM ${table} CROSS JOIN ${d.jsonEach(`${table}.${col}`)} AS _je_file WHERE _je_file.value = ? LIMIT 1`
      : `SELECT ${table}.* FROM ${table} WHERE ${table}.${col} = ? LIMIT 1`;
    const row = await app.db.get<{ [k: string]: unknown }>(sql, [filename]);
    return row ? Record.fromRow(c, row) : null;
  }
  return null;
}
