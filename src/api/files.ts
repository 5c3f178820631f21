/**
 * Files API (upstream apis/file.go):
 * - `POST /api/files/token` — a short-lived file token for the authenticated record;
 * - `GET /api/files/{collection}/{recordId}/{filename}` — serves a record's file, `?thumb=WxH`
 *   thumbnails (generated once, then reused), `?download=1` attachments and `?token=` access to
 *   protected files. Every failure to find or to allow a file is a 404 with an empty message.
 */
import { availableParallelism } from "node:os";
import { noRows, notFound, unauthorized } from "../core/errors.ts";
import { FileDownloadRequestEvent, FileTokenRequestEvent } from "../core/events.ts";
import { findFileFieldByFile, findRecordByViewFile, newFilesystem, recordBaseFilesPath } from "../core/record_files.ts";
import { findRecordById } from "../core/record_query.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { RequestInfo } from "../core/request_info.ts";
import { canAccessRecord } from "../core/rules.ts";
import { findAuthRecordByToken, newRecordToken } from "../core/tokens.ts";
import type { Filesystem } from "../tools/filesystem/index.ts";
import { RATE_LIMIT_MIDDLEWARE_ID, collectionPathRateLimit } from "./middlewares/rate_limit.ts";
import { ipInList } from "./middlewares/real_ip.ts";
import type { Router } from "./router.ts";

/** Originals that get thumbs; other types are served as they are. */
const IMAGE_CONTENT_TYPES = new Set(["image/png", "image/jpg", "image/jpeg", "image/gif", "image/webp"]);
/** Sizes every file field allows, besides its own `thumbs`. */
const DEFAULT_THUMB_SIZES = ["100x100"];

export interface FilesApiOptions {
  /** Thumbs generated at once (upstream's PB_THUMBS_MAX_WORKERS; CPUs + 2 by default). */
  thumbMaxWorkers?: number;
  /** Seconds a thumb may wait for a free worker before the original is served (PB_THUMBS_MAX_WAIT; 60). */
  thumbMaxWait?: number;
}

/** Binds the files routes. */
export function bindFilesApi(router: Router, opts: FilesApiOptions = {}): void {
  const thumbs = new ThumbGenerator(
    opts.thumbMaxWorkers && opts.thumbMaxWorkers > 0 ? opts.thumbMaxWorkers : availableParallelism() + 2,
    (opts.thumbMaxWait && opts.thumbMaxWait > 0 ? opts.thumbMaxWait : 60) * 1000,
  );
  router.post("/api/files/token", fileToken);
  // collection-aware rate limits (`users:file`, `*:file`) replace the global ones, as upstream
  router
    .get("/api/files/{collection}/{recordId}/{filename}", (e) => download(e, thumbs))
    .unbind(RATE_LIMIT_MIDDLEWARE_ID)
    .bind(collectionPathRateLimit("file"));
}

async function fileToken(e: RequestEvent): Promise<void> {
  const auth = e.auth;
  if (!auth) throw unauthorized("The request requires valid record authorization token.");
  const event = new FileTokenRequestEvent(e, auth, newRecordToken(auth, "file"));
  await e.app.onFileTokenRequest.hook.trigger(event, (ev) => {
    ev.json(200, { token: ev.token });
  });
}

async function download(e: RequestEvent, thumbs: ThumbGenerator): Promise<void> {
  const collection = e.app.findCollection(e.params.collection ?? "");
  if (!collection) throw notFound();
  const recordId = e.params.recordId ?? "";
  if (!recordId) throw notFound();
  const record = await findRecordById(e.app, collection, recordId);
  if (!record) throw notFound("", {}, noRows());
  const filename = e.params.filename ?? "";
  const field = findFileFieldByFile(record, filename);
  if (!field) throw notFound();

  if (field.protected) {
    // only a file token counts (the Authorization header is ignored), else the request is a guest's
    let auth = await findAuthRecordByToken(e.app, e.url.searchParams.get("token") ?? "", "file");
    if (auth?.collection.name === "_superusers") {
      const allowed = e.app.settings().superuserIPs;
      if (allowed.length > 0 && !ipInList(allowed, e.realIP)) auth = null;
    }
    let info: RequestInfo;
    try {
      info = (await e.requestInfo()).clone();
    } catch {
      info = RequestInfo.fromRequest(e.request, e.url, null);
    }
    info.auth = auth;
    info.context = "protectedFile";
    if (!(await canAccessRecord(e.app, record, info, collection.viewRule))) {
      throw notFound("", {}, new Error("insufficient permissions to access the file resource"));
    }
  }

  let base = recordBaseFilesPath(record);
  if (collection.isView()) {
    const source = await findRecordByViewFile(e.app, collection, field.name, filename);
    if (!source) throw notFound("", {}, noRows("failed to fetch view file field record"));
    base = recordBaseFilesPath(source);
  }

  const fs = newFilesystem(e.app);
  const originalPath = base + "/" + filename;
  const event = new FileDownloadRequestEvent(e, collection, record, field, originalPath, filename);

  const thumb = e.url.searchParams.get("thumb") ?? "";
  if (thumb && (DEFAULT_THUMB_SIZES.includes(thumb) || (field.thumbs ?? []).includes(thumb))) {
    let contentType: string;
    try {
      contentType = (await fs.attributes(originalPath)).contentType;
    } catch (err) {
      throw notFound("", {}, err);
    }
    if (IMAGE_CONTENT_TYPES.has(contentType)) {
      event.servedName = thumb + "_" + filename;
      event.servedPath = `${base}/thumbs_${filename}/${event.servedName}`;
      if (!(await fs.exists(event.servedPath).catch(() => false))) {
        try {
          await thumbs.generate(fs, originalPath, event.servedPath, thumb);
        } catch (err) {
          // fall back to the original
          if (e.app.isDev) console.warn(`Fallback to original - failed to create thumb ${event.servedName}:`, err);
          event.thumbError = err instanceof Error ? err : new Error(String(err));
          event.servedName = filename;
          event.servedPath = originalPath;
        }
      }
    }
  }
  if (thumb && !event.thumbError && event.servedPath === originalPath) {
    event.thumbError = new Error(`the thumb size "${thumb}" or the original file format are not supported`);
  }

  // uploaded files may be embedded anywhere (out of the hook, so hooks can set it again)
  e.responseHeaders.delete("X-Frame-Options");

  await e.app.onFileDownloadRequest.hook.trigger(event, async (ev) => {
    let res: Response;
    try {
      res = await fs.serve(ev.request, ev.servedPath, ev.servedName, { headers: new Headers(ev.responseHeaders) });
    } catch (err) {
      throw notFound("", {}, err);
    }
    ev.write(res);
  });
}

/**
 * Thumb generation: one run per thumb path at a time (concurrent requests share it), at most
 * `maxWorkers` runs at once, and a run that waits longer than `maxWaitMs` for a slot fails.
 */
export class ThumbGenerator {
  private readonly pending = new Map<string, Promise<void>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly maxWorkers: number,
    readonly maxWaitMs: number,
  ) {}

  generate(fs: Filesystem, originalKey: string, thumbKey: string, size: string): Promise<void> {
    let p = this.pending.get(thumbKey);
    if (!p) {
      p = this.run(fs, originalKey, thumbKey, size).finally(() => this.pending.delete(thumbKey));
      this.pending.set(thumbKey, p);
    }
    return p;
  }

  private async run(fs: Filesystem, originalKey: string, thumbKey: string, size: string): Promise<void> {
    await this.acquire();
    try {
      await fs.createThumb(originalKey, thumbKey, size);
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.maxWorkers) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        this.active++;
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error("timed out waiting for a free thumb worker"));
      }, this.maxWaitMs);
      this.waiting.push(wake);
    });
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}
