/**
 * Zips a folder (upstream's archive.Create): every regular file under `src`, by its slash-separated
 * relative path, deflated at the fastest level. Folders are not stored as entries; symlinks and other
 * special files are left out. `skip` names relative paths (files or folders) to leave out.
 */
import { opendir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ZipWriter, type EntryOptions } from "./zip_writer.ts";

export interface CreateOptions {
  /** Relative paths (files or folders, slash-separated) to leave out. */
  skip?: readonly string[];
  /**
   * Entries whose content comes from elsewhere: relative path → the file to store under that name
   * (e.g. a consistent snapshot of a live database). A path listed here but absent in `src` is added too.
   */
  replace?: { readonly [relPath: string]: string };
  /** Deflate level (default 1). */
  level?: number;
  /** Called before each file is added (e.g. to yield or report progress). */
  onEntry?: (relPath: string) => void | Promise<void>;
  /** Compute the archive's MD5 while writing it (returned as `md5`). */
  md5?: boolean;
}

/** What createArchive made. */
export interface CreateResult {
  /** Number of entries. */
  count: number;
  /** Base64 MD5 of the archive ("" unless asked for). */
  md5: string;
}

/** Normalizes a relative path the way Go's filepath.Clean does for the comparisons below. */
function clean(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === ".." && parts.length && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(seg);
  }
  return parts.join("/") || ".";
}

/** True when `name` is one of `skip` or lies inside one of them. */
export function isSkipped(name: string, skip: readonly string[]): boolean {
  const n = clean(name) + "/";
  return skip.some((s) => s === name || n.startsWith(clean(s) + "/"));
}

/** The regular files under `dir`, as sorted relative paths (walked lazily, folder by folder). */
export async function* walkFiles(dir: string, skip: readonly string[] = [], prefix = ""): AsyncGenerator<string> {
  let handle;
  try {
    handle = await opendir(prefix ? join(dir, ...prefix.split("/")) : dir);
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT" && prefix) return; // removed meanwhile
    throw err;
  }
  const items: { name: string; dir: boolean; file: boolean }[] = [];
  for await (const ent of handle) items.push({ name: ent.name, dir: ent.isDirectory(), file: ent.isFile() });
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const it of items) {
    const rel = prefix ? `${prefix}/${it.name}` : it.name;
    if (it.dir) {
      if (!isSkipped(rel, skip)) yield* walkFiles(dir, skip, rel);
    } else if (it.file && !isSkipped(rel, skip)) {
      yield rel;
    }
  }
}

/** Writes a zip of `src` to `dest`; a failure removes the partial file. */
export async function createArchive(src: string, dest: string, opts: CreateOptions = {}): Promise<CreateResult> {
  const zip = await ZipWriter.create(dest, { md5: opts.md5 });
  const replace = opts.replace ?? {};
  const pending = new Set(Object.keys(replace));
  const entryOpts: EntryOptions = { level: opts.level ?? 1 };
  try {
    for await (const rel of walkFiles(src, opts.skip ?? [])) {
      await opts.onEntry?.(rel);
      const from = replace[rel];
      pending.delete(rel);
      try {
        await zip.addFile(rel, from ?? join(src, ...rel.split("/")), entryOpts);
      } catch (err) {
        // a file deleted between the listing and the read is simply not part of the archive
        if ((err as { code?: string }).code === "ENOENT" && !from) continue;
        throw err;
      }
    }
    for (const rel of [...pending].sort()) {
      await opts.onEntry?.(rel);
      await zip.addFile(rel, replace[rel]!, entryOpts);
    }
    const count = zip.count;
    await zip.close();
    return { count, md5: zip.md5 };
  } catch (err) {
    await zip.abort();
    await rm(dest, { force: true });
    throw err;
  }
}
