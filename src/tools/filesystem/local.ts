/**
 * Local storage as upstream lays it out (gocloud's fileblob): `<root>/<escaped key>` plus a JSON
 * sidecar `<file>.attrs` with the content type, metadata and MD5, so pb_data folders are shared
 * with upstream byte for byte. Writes go to a temp file that is renamed into place.
 */
import { mkdirSync, readdirSync, rmdirSync, statSync, type Stats } from "node:fs";
import { mkdir, readFile, rename, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { goEncode, sortKeys } from "../json.ts";
import { defaultAttributes, type Attributes, type Driver, type ListObject, type WriteOptions } from "./driver.ts";
import { NotFoundError } from "./errors.ts";
import { escapeLocalKey, hexUnescape } from "./keys.ts";

/** The reserved suffix of sidecar files. */
export const ATTRS_EXT = ".attrs";

/** The sidecar JSON, keys in upstream's order. */
interface XAttrs {
  "user.cache_control": string;
  "user.content_disposition": string;
  "user.content_encoding": string;
  "user.content_language": string;
  "user.content_type": string;
  "user.metadata": { [k: string]: string } | null;
  md5: string | null;
}

export class LocalDriver implements Driver {
  readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
    mkdirSync(this.root, { recursive: true });
  }

  /** The path of a key; keys ending in `.attrs` or resolving outside the root are refused. */
  path(key: string): string {
    const p = join(this.root, escapeLocalKey(key));
    if (p.endsWith(ATTRS_EXT)) throw new Error(`file extension "${ATTRS_EXT}" is reserved`);
    if (p !== this.root && !p.startsWith(this.root + sep)) throw new NotFoundError(key);
    return p;
  }

  private async statFile(key: string): Promise<{ path: string; info: Stats }> {
    const path = this.path(key);
    let info: Stats;
    try {
      info = await stat(path);
    } catch (err) {
      throw new NotFoundError(key, err);
    }
    if (info.isDirectory()) throw new NotFoundError(key);
    return { path, info };
  }

  async attributes(key: string): Promise<Attributes> {
    const { path, info } = await this.statFile(key);
    const xa = await readAttrs(path);
    return defaultAttributes({
      cacheControl: xa["user.cache_control"] ?? "",
      contentDisposition: xa["user.content_disposition"] ?? "",
      contentEncoding: xa["user.content_encoding"] ?? "",
      contentLanguage: xa["user.content_language"] ?? "",
      contentType: xa["user.content_type"] ?? "",
      metadata: lowerKeys(xa["user.metadata"]),
      modTime: info.mtime,
      size: info.size,
      md5: xa.md5 ?? "",
      etag: `"${BigInt(Math.trunc(info.mtimeMs * 1e6)).toString(16)}-${info.size.toString(16)}"`,
    });
  }

  blob(key: string): Blob {
    return Bun.file(this.path(key));
  }

  async write(key: string, content: Uint8Array | Blob, opts: WriteOptions): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true, mode: 0o777 });
    const bytes = content instanceof Uint8Array ? content : new Uint8Array(await content.arrayBuffer());
    const tmp = `${path}.${(BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)).toString(16)}.tmp`;
    await writeFile(tmp, bytes, { mode: 0o666 });
    try {
      const md5 = new Bun.CryptoHasher("md5").update(bytes).digest("base64");
      const xa: XAttrs = {
        "user.cache_control": opts.cacheControl ?? "",
        "user.content_disposition": opts.contentDisposition ?? "",
        "user.content_encoding": opts.contentEncoding ?? "",
        "user.content_language": opts.contentLanguage ?? "",
        "user.content_type": opts.contentType,
        "user.metadata": opts.metadata && Object.keys(opts.metadata).length ? sortKeys(opts.metadata) : null,
        md5,
      };
      // Go's json.Encoder: compact, HTML-escaped, one trailing newline
      await writeFile(path + ATTRS_EXT, goEncode(xa), { mode: 0o666 });
      try {
        await rename(tmp, path);
      } catch (err) {
        await unlink(path + ATTRS_EXT).catch(() => {});
        throw err;
      }
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    try {
      await unlink(path);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "EISDIR" || code === "EPERM") {
        // Go's os.Remove also removes an empty folder
        try {
          await rmdir(path);
          return;
        } catch (err2) {
          throw (err2 as { code?: string }).code === "ENOENT" ? new NotFoundError(key, err2) : err2;
        }
      }
      throw code === "ENOENT" ? new NotFoundError(key, err) : err;
    }
    await unlink(path + ATTRS_EXT).catch((err) => {
      if ((err as { code?: string }).code !== "ENOENT") throw err;
    });
  }

  /** Removes the folder of `dirKey` and every folder below it that holds no file. */
  async removeEmptyDirs(dirKey: string): Promise<void> {
    let start: string;
    try {
      start = this.path(dirKey);
    } catch {
      return;
    }
    if (start === this.root) return;
    const prune = (dir: string): boolean => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return false;
      }
      let empty = true;
      for (const ent of entries) {
        if (!ent.isDirectory() || !prune(join(dir, ent.name))) empty = false;
      }
      if (!empty) return false;
      try {
        rmdirSync(dir);
        return true;
      } catch {
        return false;
      }
    };
    prune(start);
  }

  async list(prefix: string): Promise<ListObject[]> {
    const slash = prefix.lastIndexOf("/");
    const start = slash > -1 ? join(this.root, escapeLocalKey(prefix.slice(0, slash))) : this.root;
    if (start !== this.root && !start.startsWith(this.root + sep)) return [];
    const out: ListObject[] = [];
    const walk = (dir: string) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const ent of entries) {
        const full = join(dir, ent.name);
        const key = hexUnescape(
          full
            .slice(this.root.length + 1)
            .split(sep)
            .join("/"),
        );
        if (ent.isDirectory()) {
          // only descend into folders that can still hold keys with the prefix
          const dirKey = key + "/";
          if (dirKey.startsWith(prefix) || prefix.startsWith(dirKey)) walk(full);
          continue;
        }
        if (ent.name.endsWith(ATTRS_EXT) || !key.startsWith(prefix)) continue;
        try {
          const info = statSync(full);
          out.push({ key, size: info.size, modTime: info.mtime });
        } catch {
          // removed meanwhile
        }
      }
    };
    walk(start);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

async function readAttrs(path: string): Promise<Partial<XAttrs>> {
  let raw: string;
  try {
    raw = await readFile(path + ATTRS_EXT, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return { "user.content_type": "application/octet-stream" };
    throw err;
  }
  return JSON.parse(raw) as Partial<XAttrs>;
}

function lowerKeys(m: { [k: string]: string } | null | undefined): { [k: string]: string } {
  const out: { [k: string]: string } = {};
  for (const [k, v] of Object.entries(m ?? {})) out[k.toLowerCase()] = String(v);
  return out;
}
