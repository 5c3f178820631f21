/**
 * Unzips an archive into a folder (upstream's archive.Extract): folders and regular files only
 * (links and other special entries are skipped), each file streamed to disk, and any entry whose
 * path would land outside the destination ("zip slip") is refused.
 */
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { once } from "node:events";
import { dirname, join, resolve, sep } from "node:path";
import { isRegularFile, ZipReader } from "./zip_reader.ts";

/** Extracts `src` (a zip file) into `dest` (created when missing). */
export async function extractArchive(src: string, dest: string): Promise<void> {
  const zip = await ZipReader.open(src);
  const root = resolve(dest) + sep;
  try {
    await mkdir(root, { recursive: true });
    for (const entry of zip.entries) {
      const target = join(root, entry.name);
      if (!target.startsWith(root) && target + sep !== root) throw new Error(`invalid file path: ${target}`);
      if (entry.isDir) {
        await mkdir(target, { recursive: true });
        continue;
      }
      if (!isRegularFile(entry)) continue;
      await mkdir(dirname(target), { recursive: true });
      const perm = entry.unixMode & 0o777 || 0o644;
      const out = createWriteStream(target, { mode: perm });
      let writeErr: Error | null = null;
      out.on("error", (err) => (writeErr ??= err));
      try {
        for await (const chunk of zip.read(entry)) {
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
  } finally {
    await zip.close();
  }
}
