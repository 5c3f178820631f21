/**
 * The storage upstream's records use (tools/filesystem.System): blobs under keys, on a local
 * folder or an S3 bucket, with uploads, prefix deletes, thumbnails and HTTP serving on top.
 *
 * @example
 * const fs = Filesystem.local("pb_data/storage", { detectContentType });
 * await fs.uploadFile(file, `${collectionId}/${recordId}/${file.name}`);
 * return fs.serve(request, key, name);
 */
import { createThumb } from "../thumbs/index.ts";
import type { Attributes, Driver, ListObject, WriteOptions } from "./driver.ts";
import { NotFoundError, isNotFound } from "./errors.ts";
import type { UploadFile } from "./file.ts";
import { LocalDriver } from "./local.ts";
import { S3Driver, type S3Config } from "./s3.ts";
import { serveBlob, type ServeOptions } from "./serve.ts";

/** Metadata key of the client's file name. */
export const METADATA_ORIGINAL_NAME = "original-filename";

export interface FilesystemOptions {
  /** Sniffs the content type of uploads from their first bytes (application/octet-stream when absent). */
  detectContentType?: (head: Uint8Array) => string;
}

export class Filesystem {
  constructor(
    readonly driver: Driver,
    private readonly opts: FilesystemOptions = {},
  ) {}

  /** Storage in a local folder (created when missing). */
  static local(dir: string, opts?: FilesystemOptions): Filesystem {
    return new Filesystem(new LocalDriver(dir), opts);
  }

  /** Storage in an S3 bucket. */
  static s3(config: S3Config, opts?: FilesystemOptions): Filesystem {
    return new Filesystem(new S3Driver(config), opts);
  }

  close(): void {
    this.driver.close?.();
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.driver.attributes(key);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Throws NotFoundError when missing. */
  attributes(key: string): Promise<Attributes> {
    return this.driver.attributes(key);
  }

  /** The content as a lazy Blob. */
  blob(key: string): Blob {
    return this.driver.blob(key);
  }

  /** The whole content; throws NotFoundError when missing. */
  async bytes(key: string): Promise<Uint8Array<ArrayBuffer>> {
    try {
      return new Uint8Array(await this.driver.blob(key).arrayBuffer());
    } catch (err) {
      if (isNotFound(err) || (await this.exists(key).catch(() => true)) === false) throw new NotFoundError(key, err);
      throw err;
    }
  }

  private sniff(head: Uint8Array): string {
    return this.opts.detectContentType?.(head) ?? "application/octet-stream";
  }

  /** Writes bytes at `key`, the content type sniffed unless given. */
  async upload(content: Uint8Array | Blob, key: string, opts: Partial<WriteOptions> = {}): Promise<void> {
    let contentType = opts.contentType;
    if (!contentType) {
      const head =
        content instanceof Uint8Array
          ? content.subarray(0, 3072)
          : new Uint8Array(await content.slice(0, 3072).arrayBuffer());
      contentType = this.sniff(head);
    }
    await this.driver.write(key, content, { ...opts, contentType });
  }

  /** Writes an upload at `key` with its sniffed type and original name (≤ 255 characters) as metadata. */
  async uploadFile(file: UploadFile, key: string): Promise<void> {
    const bytes = await file.bytes();
    await this.driver.write(key, bytes, {
      contentType: this.sniff(bytes.subarray(0, 3072)),
      metadata: { [METADATA_ORIGINAL_NAME]: cutBytes(file.originalName, 255) },
    });
  }

  /** Copies a blob (content, type and metadata); throws NotFoundError for a missing source. */
  async copy(srcKey: string, dstKey: string): Promise<void> {
    const attrs = await this.driver.attributes(srcKey);
    const bytes = await this.bytes(srcKey);
    await this.driver.write(dstKey, bytes, {
      contentType: attrs.contentType,
      metadata: attrs.metadata,
      cacheControl: attrs.cacheControl,
      contentDisposition: attrs.contentDisposition,
      contentEncoding: attrs.contentEncoding,
      contentLanguage: attrs.contentLanguage,
    });
  }

  /** Throws NotFoundError when missing. */
  delete(key: string): Promise<void> {
    return this.driver.delete(key);
  }

  list(prefix: string): Promise<ListObject[]> {
    return this.driver.list(prefix);
  }

  /**
   * Deletes every blob whose key starts with `prefix`. A prefix ending in "/" is a folder: the
   * emptied folders are removed too (deepest first). Returns the errors met (empty when all went).
   */
  async deletePrefix(prefix: string): Promise<Error[]> {
    if (!prefix) return [new Error("prefix mustn't be empty")];
    const failed: Error[] = [];
    const isDir = prefix.endsWith("/");
    const dirs = new Set<string>();
    if (isDir) dirs.add(prefix.replace(/\/+$/, ""));
    let objects: ListObject[] = [];
    try {
      objects = await this.driver.list(prefix);
    } catch (err) {
      failed.push(asError(err));
    }
    for (const obj of objects) {
      try {
        await this.driver.delete(obj.key);
        if (isDir) {
          // every folder between the prefix and the blob
          let dir = obj.key.slice(0, obj.key.lastIndexOf("/"));
          while (dir.length >= prefix.length - 1 && dir !== "") {
            dirs.add(dir);
            const cut = dir.lastIndexOf("/");
            if (cut < 0) break;
            dir = dir.slice(0, cut);
          }
        }
      } catch (err) {
        if (!isNotFound(err)) failed.push(asError(err));
      }
    }
    if (this.driver instanceof LocalDriver) {
      const sorted = [...dirs].filter(Boolean).sort((a, b) => b.split("/").length - a.split("/").length);
      for (const d of sorted) await this.driver.delete(d).catch(() => {});
      // folders left empty by earlier deletes go too
      if (isDir) await this.driver.removeEmptyDirs(prefix.replace(/\/+$/, ""));
    }
    return failed;
  }

  /** True when no blob lives under the `dir` folder. */
  async isEmptyDir(dir: string): Promise<boolean> {
    if (dir && !dir.endsWith("/")) dir += "/";
    return (await this.driver.list(dir)).length === 0;
  }

  /**
   * Makes the `size` thumb of the image at `originalKey` and stores it at `thumbKey`
   * (JPEG and GIF keep their type, anything else becomes PNG).
   */
  async createThumb(originalKey: string, thumbKey: string, size: string): Promise<void> {
    const attrs = await this.driver.attributes(originalKey);
    const input = await this.bytes(originalKey);
    const thumb = await createThumb(input, size, attrs.contentType);
    await this.driver.write(thumbKey, thumb.bytes, { contentType: thumb.contentType });
  }

  /**
   * Answers a download of the blob at `key` as upstream's Serve: inline or attachment by type,
   * Range, If-Modified-Since, a CSP sandbox and a 30-day Cache-Control; headers already in
   * `opts.headers` win. Throws NotFoundError when missing.
   */
  async serve(request: Request, key: string, name: string, opts: ServeOptions = {}): Promise<Response> {
    const attrs = await this.driver.attributes(key);
    return serveBlob(request, this.driver.blob(key), attrs, key, name, opts);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** The first `max` bytes of a string (as upstream cuts the original name). */
function cutBytes(s: string, max: number): string {
  const b = Buffer.from(s, "utf8");
  return b.length <= max ? s : b.subarray(0, max).toString("utf8");
}
