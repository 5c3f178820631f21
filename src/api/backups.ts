/**
 * The backups API (upstream's apis/backup*.go): list, create, upload, download (with a superuser
 * *file* token in `?token=`), delete and restore. One backup or restore runs at a time. Uploads
 * have no body limit and are streamed to disk; downloads are streamed from the storage.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { once } from "node:events";
import { basename, join } from "node:path";
import {
  BackupBusyError,
  LOCAL_TEMP_DIR,
  activeBackup,
  createBackup,
  newBackupsFilesystem,
  restoreBackup,
  storeBackupFile,
} from "../core/backups.ts";
import { BACKUP_NAME_RE } from "../core/backups_names.ts";
import { ApiError, ValidationErrors, badRequest, forbidden, notFound } from "../core/errors.ts";
import { formatDateTime, lookupKey } from "../core/fields/index.ts";
import { appLogger } from "../core/logs.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { findAuthRecordByToken } from "../core/tokens.ts";
import { detectMimeType, mimeIs } from "../core/validators/mime.ts";
import { length, match, newError, required, validateStruct } from "../core/validators/validation.ts";
import { isNotFound } from "../tools/filesystem/index.ts";
import { pseudorandomString } from "../tools/security/random.ts";
import { requireSuperuserAuth } from "./collections.ts";
import { ipInList } from "./middlewares/real_ip.ts";
import type { Router } from "./router.ts";

const BUSY_MESSAGE = "Try again later - another backup/restore process has already been started.";

/** What the backups API answers when the data is not in SQLite files (`--db=postgres://…`). */
export const BACKUPS_UNAVAILABLE_MESSAGE =
  "Backups are not available when the data is stored in PostgreSQL - use pg_dump or your database provider's backups instead.";

export function bindBackupsApi(router: Router): void {
  const su = requireSuperuserAuth();
  const sqliteOnly = {
    id: "pbBackupsSqliteOnly",
    func: async (e: RequestEvent) => {
      if (e.app.db.dialect.name !== "sqlite") throw badRequest(BACKUPS_UNAVAILABLE_MESSAGE);
      await e.next();
    },
  };
  router.get("/api/backups", backupsList, su, sqliteOnly);
  router.post("/api/backups", backupCreate, su, sqliteOnly);
  // no body limit: the file is streamed to disk
  router.post("/api/backups/upload", backupUpload, su, sqliteOnly).unbind("pbBodyLimit");
  router.get("/api/backups/{key}", backupDownload, sqliteOnly); // a superuser file token, checked below
  router.delete("/api/backups/{key}", backupDelete, su, sqliteOnly);
  router.post("/api/backups/{key}/restore", backupRestore, su, sqliteOnly);
}

async function backupsList(e: RequestEvent): Promise<void> {
  let items;
  try {
    items = await newBackupsFilesystem(e.app).list("");
  } catch (err) {
    throw badRequest("Failed to retrieve backup items. Raw error: \n" + (err as Error).message, {}, err);
  }
  e.json(
    200,
    items.map((o) => ({ modified: formatDateTime(o.modTime), key: o.key, size: o.size })),
  );
}

async function backupCreate(e: RequestEvent): Promise<void> {
  const app = e.app;
  if (activeBackup(app) !== null)
    throw badRequest("Try again later - another backup/restore process has already been started");
  let body: { [key: string]: unknown };
  try {
    body = await e.bindBody();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest("An error occurred while loading the submitted data.", {}, err);
  }
  const rawName = lookupKey(body, "name");
  if (rawName !== undefined && rawName !== null && typeof rawName !== "string")
    throw badRequest("An error occurred while loading the submitted data.");
  const name = typeof rawName === "string" ? rawName : "";
  const fsys = newBackupsFilesystem(app);
  const uniqueName = async (v: string) => {
    if (v === "") return null;
    const exists = await fsys.exists(v).catch(() => true);
    return exists
      ? newError("validation_backup_name_exists", "The backup file name is invalid or already exists.")
      : null;
  };
  const errs =
    validateStruct([["name", name, length(1, 150), match(BACKUP_NAME_RE)]]) ??
    (await uniqueName(name).then((err) => (err ? new ValidationErrors({ name: err }) : null)));
  if (errs) throw badRequest("An error occurred while validating the submitted data.", errs.toJSON(), errs);
  try {
    await createBackup(app, name);
  } catch (err) {
    throw badRequest("Failed to create backup.", {}, err);
  }
  e.noContent(204);
}

async function backupUpload(e: RequestEvent): Promise<void> {
  const app = e.app;
  const fsys = newBackupsFilesystem(app);
  const tempDir = join(app.dataDir, LOCAL_TEMP_DIR);
  await mkdir(tempDir, { recursive: true });
  const tempPath = join(tempDir, "pb_backup_upload_" + pseudorandomString(8));
  try {
    let file: UploadedFile | null = null;
    try {
      file = await receiveMultipartFile(e.request, "file", tempPath);
    } catch (err) {
      throw badRequest("An error occurred while validating the submitted data.", {}, err);
    }
    let fileErr = null;
    if (!file) fileErr = newError("validation_required", "cannot be blank");
    else if (!mimeIs(detectMimeType(file.head), "application/zip")) {
      fileErr = newError(
        "validation_invalid_mime_type",
        `${JSON.stringify(file.name)} mime type must be one of: application/zip.`,
      );
    } else if (await fsys.exists(file.name).catch(() => true)) {
      fileErr = newError("validation_backup_name_exists", "Backup file with the specified name already exists.");
    }
    if (fileErr || !file) {
      const errs = new ValidationErrors({ file: fileErr! });
      throw badRequest("An error occurred while validating the submitted data.", errs.toJSON(), errs);
    }
    try {
      await storeBackupFile(fsys, file.name, tempPath);
    } catch (err) {
      throw badRequest("Failed to upload backup.", {}, err);
    }
  } finally {
    await rm(tempPath, { force: true });
  }
  e.noContent(204);
}

async function backupDownload(e: RequestEvent): Promise<void> {
  const app = e.app;
  const token = e.url.searchParams.get("token") ?? "";
  const auth = token ? await findAuthRecordByToken(app, token, "file") : null;
  if (!auth || auth.collection.name !== "_superusers")
    throw forbidden("Insufficient permissions to access the resource.");
  const allowed = app.settings().superuserIPs;
  if (allowed.length > 0 && !ipInList(allowed, e.realIP))
    throw forbidden("Insufficient permissions to access the resource.");
  const key = e.params.key ?? "";
  const fsys = newBackupsFilesystem(app);
  let res: Response;
  try {
    res = await fsys.serve(e.request, key, basename(key), { headers: new Headers(e.responseHeaders) });
  } catch (err) {
    if (isNotFound(err)) throw notFound();
    throw err;
  }
  e.write(res);
}

async function backupDelete(e: RequestEvent): Promise<void> {
  const key = e.params.key ?? "";
  if (key !== "" && activeBackup(e.app) === key)
    throw badRequest("The backup is currently being used and cannot be deleted.");
  try {
    await newBackupsFilesystem(e.app).delete(key);
  } catch (err) {
    throw badRequest("Invalid or already deleted backup file. Raw error: \n" + (err as Error).message, {}, err);
  }
  e.noContent(204);
}

async function backupRestore(e: RequestEvent): Promise<void> {
  const app = e.app;
  if (activeBackup(app) !== null) throw badRequest(BUSY_MESSAGE);
  const key = e.params.key ?? "";
  let exists = false;
  try {
    exists = await newBackupsFilesystem(app).exists(key);
  } catch (err) {
    throw badRequest("Missing or invalid backup file.", {}, err);
  }
  if (!exists) throw badRequest("Missing or invalid backup file.");
  // answer first; the restore (and restart) starts a moment later, as upstream
  setTimeout(() => {
    restoreBackup(app, key).catch((err) => {
      if (err instanceof BackupBusyError) return;
      appLogger(app).error("Failed to restore backup", { key, error: err });
      console.error(`Failed to restore backup "${key}":`, err instanceof Error ? err.message : err);
    });
  }, 1000);
  e.noContent(204);
}

// --- streaming multipart ---------------------------------------------------------------------------

interface UploadedFile {
  /** The client's file name. */
  name: string;
  size: number;
  /** The first bytes (for content sniffing). */
  head: Uint8Array;
}

/**
 * Streams the first file sent in the multipart field `field` to `dest`, reading the body chunk by
 * chunk (any size, constant memory). Null when the request carries no such file.
 */
export async function receiveMultipartFile(
  request: Request,
  field: string,
  dest: string,
): Promise<UploadedFile | null> {
  const type = request.headers.get("content-type") ?? "";
  const m = /^multipart\/form-data\s*;.*?boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(type);
  if (!m || !request.body) {
    await request.body?.cancel().catch(() => {});
    return null;
  }
  const boundary = Buffer.from("\r\n--" + (m[1] ?? m[2]!));
  const reader = request.body.getReader();
  // the body starts with "--boundary": prefix a CRLF so every delimiter looks alike
  let buf: Buffer = Buffer.from("\r\n");
  let done = false;
  const more = async (): Promise<boolean> => {
    if (done) return false;
    const { value, done: end } = await reader.read();
    if (end) {
      done = true;
      return false;
    }
    buf = buf.length ? Buffer.concat([buf, value]) : Buffer.from(value);
    return true;
  };
  const fill = async (n: number) => {
    while (buf.length < n && (await more()));
    return buf.length >= n;
  };

  try {
    // find the first delimiter
    for (;;) {
      const i = buf.indexOf(boundary);
      if (i >= 0) {
        buf = buf.subarray(i + boundary.length);
        break;
      }
      buf = buf.subarray(Math.max(0, buf.length - boundary.length));
      if (!(await more())) return null;
    }
    for (;;) {
      // after a delimiter: "--" ends the body, else CRLF and the part's headers
      if (!(await fill(2))) return null;
      if (buf[0] === 0x2d && buf[1] === 0x2d) return null;
      let headerEnd: number;
      while ((headerEnd = buf.indexOf("\r\n\r\n")) < 0) {
        if (buf.length > 64 << 10 || !(await more())) return null;
      }
      const headers = buf.subarray(0, headerEnd).toString("utf8");
      buf = buf.subarray(headerEnd + 4);
      const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? "";
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? /\bname=([^;\s]+)/i.exec(disposition)?.[1] ?? "";
      const filenameMatch = /\bfilename="([^"]*)"/i.exec(disposition) ?? /\bfilename=([^;\s]+)/i.exec(disposition);
      const isTarget = name === field && filenameMatch !== null;
      const out = isTarget ? createWriteStream(dest) : null;
      let writeErr: Error | null = null;
      out?.on("error", (err) => (writeErr ??= err));
      let size = 0;
      let head = new Uint8Array(0);
      const emit = async (chunk: Buffer) => {
        if (!out || chunk.length === 0) return;
        if (writeErr) throw writeErr;
        if (head.length < 3072) head = Buffer.concat([head, chunk.subarray(0, 3072 - head.length)]);
        size += chunk.length;
        if (!out.write(chunk)) await once(out, "drain");
      };
      try {
        for (;;) {
          const i = buf.indexOf(boundary);
          if (i >= 0) {
            await emit(buf.subarray(0, i));
            buf = buf.subarray(i + boundary.length);
            break;
          }
          // keep a tail that may hold the start of the delimiter
          const keep = Math.min(buf.length, boundary.length - 1);
          await emit(buf.subarray(0, buf.length - keep));
          buf = buf.subarray(buf.length - keep);
          if (!(await more())) throw new Error("unexpected end of the multipart body");
        }
      } finally {
        if (out) {
          out.end();
          await once(out, "close").catch(() => {});
        }
      }
      if (isTarget) {
        await reader.cancel().catch(() => {});
        return { name: decodeFilename(filenameMatch![1]!), size, head };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function decodeFilename(s: string): string {
  return basename(s.replace(/\\/g, "/"));
}
