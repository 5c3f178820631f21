/**
 * A streaming ZIP reader: the central directory is parsed once; each entry's data is read from disk
 * in chunks and inflated on the way, checking its CRC-32 and size. ZIP64 archives are supported;
 * encryption and methods other than store and deflate are not.
 */
import { open, type FileHandle } from "node:fs/promises";
import { once } from "node:events";
import zlib from "node:zlib";
import { readChunks } from "./chunks.ts";

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffffffff;

/** Raised for a file that is not a readable ZIP archive. */
export class ZipFormatError extends Error {}

/** One entry of the central directory. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's local header. */
  offset: number;
  /** Unix mode bits (type and permissions) when the entry was made on Unix, else 0. */
  unixMode: number;
  /** True for a folder entry (a name ending in "/" or the MS-DOS directory attribute). */
  isDir: boolean;
  mtime: Date;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** True when the entry is a regular file (not a folder, link, socket…). */
export function isRegularFile(e: ZipEntry): boolean {
  if (e.isDir) return false;
  const type = e.unixMode & S_IFMT;
  return type === 0 || type === S_IFREG;
}

export class ZipReader {
  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly entries: ZipEntry[],
  ) {}

  /** Opens `path` and reads its central directory. */
  static async open(path: string): Promise<ZipReader> {
    const fh = await open(path, "r");
    try {
      const entries = await readCentralDirectory(fh);
      return new ZipReader(fh, path, entries);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /** The entry's content as chunks, inflated and verified (a CRC or size mismatch throws at the end). */
  async *read(entry: ZipEntry): AsyncGenerator<Uint8Array> {
    if (entry.flags & 0x1) throw new ZipFormatError(`zip: ${entry.name} is encrypted`);
    if (entry.method !== 0 && entry.method !== 8)
      throw new ZipFormatError(`zip: unsupported compression method ${entry.method}`);
    const head = Buffer.alloc(30);
    const { bytesRead } = await this.fh.read(head, 0, 30, entry.offset);
    if (bytesRead < 30 || head.readUInt32LE(0) !== SIG_LOCAL) throw new ZipFormatError("zip: not a valid zip file");
    const start = entry.offset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
    let crc = 0;
    let size = 0;
    if (entry.compressedSize > 0) {
      const raw = readChunks(this.fh, start, entry.compressedSize);
      let source: AsyncIterable<Uint8Array> = raw;
      let feeding: Promise<void> = Promise.resolve();
      let inflate: zlib.InflateRaw | null = null;
      if (entry.method === 8) {
        const inf = zlib.createInflateRaw({ chunkSize: 256 << 10 });
        inflate = inf;
        feeding = (async () => {
          for await (const chunk of raw) {
            if (!inf.write(chunk)) await once(inf, "drain");
          }
          inf.end();
        })();
        feeding.catch((err) => inf.destroy(err));
        source = inf;
      }
      try {
        for await (const chunk of source) {
          crc = zlib.crc32(chunk, crc);
          size += chunk.byteLength;
          if (size > entry.size) throw new ZipFormatError(`zip: ${entry.name} is larger than declared`);
          yield chunk;
        }
        await feeding;
      } finally {
        inflate?.destroy();
      }
    }
    if (size !== entry.size || crc >>> 0 !== entry.crc)
      throw new ZipFormatError(`zip: checksum error in ${entry.name}`);
  }
}

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  let done = 0;
  while (done < len) {
    const { bytesRead } = await fh.read(buf, done, len - done, pos + done);
    if (bytesRead === 0) throw new ZipFormatError("zip: not a valid zip file");
    done += bytesRead;
  }
  return buf;
}

async function readCentralDirectory(fh: FileHandle): Promise<ZipEntry[]> {
  const fileSize = (await fh.stat()).size;
  if (fileSize < 22) throw new ZipFormatError("zip: not a valid zip file");
  const tailLen = Math.min(fileSize, 22 + UINT16_MAX);
  const tailPos = fileSize - tailLen;
  const tail = await readAt(fh, tailPos, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === SIG_EOCD && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError("zip: not a valid zip file");
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  const locatorPos = tailPos + eocd - 20;
  if ((count === UINT16_MAX || cdSize === UINT32_MAX || cdOffset === UINT32_MAX) && locatorPos >= 0) {
    const loc = await readAt(fh, locatorPos, 20);
    if (loc.readUInt32LE(0) === SIG_EOCD64_LOCATOR) {
      const rec = await readAt(fh, Number(loc.readBigUInt64LE(8)), 56);
      if (rec.readUInt32LE(0) !== SIG_EOCD64) throw new ZipFormatError("zip: not a valid zip file");
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
  }
  if (cdOffset + cdSize > fileSize) throw new ZipFormatError("zip: not a valid zip file");
  const cd = await readAt(fh, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) throw new ZipFormatError("zip: not a valid zip file");
    const madeBy = cd.readUInt16LE(p + 4) >> 8;
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const dosTime = cd.readUInt16LE(p + 12);
    const dosDate = cd.readUInt16LE(p + 14);
    const crc = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const externalAttrs = cd.readUInt32LE(p + 38);
    let offset = cd.readUInt32LE(p + 42);
    const name = cd.subarray(p + 46, p + 46 + nameLen).toString(flags & 0x800 ? "utf8" : "latin1");
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    let mtimeUnix = -1;
    for (let q = 0; q + 4 <= extra.length;) {
      const id = extra.readUInt16LE(q);
      const len = extra.readUInt16LE(q + 2);
      const body = extra.subarray(q + 4, q + 4 + len);
      if (id === 0x0001) {
        let r = 0;
        const next = () => {
          const v = r + 8 <= body.length ? Number(body.readBigUInt64LE(r)) : 0;
          r += 8;
          return v;
        };
        if (size === UINT32_MAX) size = next();
        if (compressedSize === UINT32_MAX) compressedSize = next();
        if (offset === UINT32_MAX) offset = next();
      } else if (id === 0x5455 && len >= 5 && body[0]! & 1) {
        mtimeUnix = body.readUInt32LE(1);
      }
      q += 4 + len;
    }
    const unixMode = madeBy === 3 ? externalAttrs >>> 16 : 0;
    const isDir = name.endsWith("/") || (unixMode & S_IFMT) === S_IFDIR || (externalAttrs & 0x10) !== 0;
    entries.push({
      name,
      method,
      flags,
      crc,
      compressedSize,
      size,
      offset,
      unixMode,
      isDir,
      mtime: mtimeUnix >= 0 ? new Date(mtimeUnix * 1000) : fromDos(dosDate, dosTime),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function fromDos(date: number, time: number): Date {
  return new Date(
    1980 + (date >> 9),
    ((date >> 5) & 0xf) - 1,
    date & 0x1f,
    time >> 11,
    (time >> 5) & 0x3f,
    (time & 0x1f) * 2,
  );
}
