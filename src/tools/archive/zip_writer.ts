/**
 * A streaming ZIP writer: each entry is read, deflated and written in chunks (sizes and CRC go in a
 * data descriptor after the data), so an archive of any size needs only a few buffers of memory.
 * ZIP64 records are written when an entry, an offset or the entry count passes the classic limits,
 * so the output opens in Go's archive/zip (upstream's restore), `unzip` and Python alike.
 *
 * Written by hand on node:zlib (native deflate and CRC-32): the format is small and fixed, and this
 * keeps the binary free of a dependency for something `bun build --compile` must embed anyway.
 */
import { createHash, type Hash } from "node:crypto";
import { open, readFile, stat, type FileHandle } from "node:fs/promises";
import { once } from "node:events";
import { readChunks } from "./chunks.ts";
import zlib from "node:zlib";

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;

const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffffffff;
/** An entry this close to 4 GiB is written as ZIP64 up front (deflate may grow incompressible data). */
const ZIP64_ENTRY_THRESHOLD = UINT32_MAX - (64 << 20);

const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
const METHOD_STORE = 0;
const METHOD_DEFLATE = 8;
/** "made by" Unix, spec version 2.0 (as Go writes it). */
const VERSION_MADE_BY = (3 << 8) | 20;
const VERSION_20 = 20;
const VERSION_45 = 45;
/** Bytes written between two syncs of the output file. */
const SYNC_EVERY = 16 << 20;
/** Bytes of streamed input between two hints to the garbage collector. */
const GC_EVERY = 32 << 20;
/** Files below this size are read and deflated in one go instead of streamed. */
const SMALL_FILE = 256 << 10;

/** Options of a writer. */
export interface WriterOptions {
  /** Also compute the archive's MD5 while writing (see `md5`), sparing a second read. */
  md5?: boolean;
}

/** Options of one entry. */
export interface EntryOptions {
  /** Modification time (default now). */
  mtime?: Date;
  /** Unix permission bits (default 0o644). */
  mode?: number;
  /** 0 stores the data as is; 1-9 deflate (default 1, Go's flate.BestSpeed as upstream uses). */
  level?: number;
}

interface CentralEntry {
  name: Buffer;
  flags: number;
  method: number;
  dosTime: number;
  dosDate: number;
  mtime: Date;
  crc: number;
  csize: number;
  usize: number;
  offset: number;
  mode: number;
}

/** Writes a ZIP archive to a file, one entry after the other. */
export class ZipWriter {
  private offset = 0;
  private readonly entries: CentralEntry[] = [];
  private closed = false;

  private readonly hash: Hash | null;

  private constructor(
    private readonly fh: FileHandle,
    opts: WriterOptions,
  ) {
    this.hash = opts.md5 ? createHash("md5") : null;
  }

  /** Creates (or truncates) `path` and returns a writer for it. */
  static async create(path: string, opts: WriterOptions = {}): Promise<ZipWriter> {
    return new ZipWriter(await open(path, "w", 0o644), opts);
  }

  /** The base64 MD5 of the whole archive (with `md5: true`, once closed). */
  md5 = "";

  private unsynced = 0;

  private async write(buf: Uint8Array): Promise<void> {
    this.hash?.update(buf);
    let done = 0;
    while (done < buf.byteLength) {
      const { bytesWritten } = await this.fh.write(buf, done, buf.byteLength - done);
      done += bytesWritten;
    }
    this.offset += buf.byteLength;
    // Flush as we go: hundreds of MB of dirty pages make the kernel throttle every writer of
    // this process, the server's database commits included. The sync runs off the JS thread.
    if ((this.unsynced += buf.byteLength) >= SYNC_EVERY) {
      this.unsynced = 0;
      await this.fh.datasync();
    }
  }

  /** Adds the file at `path` under `name` (a relative, slash-separated path). */
  async addFile(name: string, path: string, opts: EntryOptions = {}): Promise<void> {
    const info = await stat(path);
    const o = { mtime: info.mtime, mode: info.mode & 0o7777, ...opts };
    if (info.size < SMALL_FILE) {
      await this.addBytes(name, await readFile(path), o);
      return;
    }
    const fh = await open(path, "r");
    try {
      await this.addStream(name, readChunks(fh), o, info.size);
    } finally {
      await fh.close();
    }
  }

  /** Adds an entry from bytes in memory (for small content). */
  async addBytes(name: string, data: Uint8Array, opts: EntryOptions = {}): Promise<void> {
    const level = opts.level ?? 1;
    const method = level === 0 ? METHOD_STORE : METHOD_DEFLATE;
    const body = method === METHOD_STORE ? data : zlib.deflateRawSync(data, { level });
    const entry = await this.beginEntry(name, method, opts, false);
    await this.write(body);
    await this.endEntry(entry, zlib.crc32(data), body.byteLength, data.byteLength, false);
  }

  /**
   * Adds an entry from a stream of bytes. `sizeHint` (the expected size, when known) decides
   * whether the entry is written as ZIP64 from the start.
   */
  async addStream(
    name: string,
    source: AsyncIterable<Uint8Array | string>,
    opts: EntryOptions = {},
    sizeHint = 0,
  ): Promise<void> {
    const level = opts.level ?? 1;
    const method = level === 0 ? METHOD_STORE : METHOD_DEFLATE;
    const zip64 = sizeHint >= ZIP64_ENTRY_THRESHOLD;
    const entry = await this.beginEntry(name, method, opts, zip64);
    let crc = 0;
    let usize = 0;
    let csize = 0;
    if (method === METHOD_STORE) {
      for await (const raw of source) {
        const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
        crc = zlib.crc32(chunk, crc);
        usize += chunk.byteLength;
        await this.write(chunk);
      }
      csize = usize;
    } else {
      const deflate = zlib.createDeflateRaw({ level, chunkSize: 64 << 10 });
      const drain = (async () => {
        for await (const out of deflate as AsyncIterable<Buffer>) {
          csize += out.byteLength;
          await this.write(out);
        }
      })();
      // a failed write must stop the feeding loop too
      let failed: unknown = null;
      drain.catch((err) => (failed = err));
      try {
        let sinceGC = 0;
        for await (const raw of source) {
          if (failed) throw failed;
          const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
          crc = zlib.crc32(chunk, crc);
          usize += chunk.byteLength;
          if (!deflate.write(chunk)) await once(deflate, "drain");
          // the chunks are garbage as soon as they are deflated: collect them now and then, so a
          // large entry does not grow the heap by tens of MB before the collector gets to it
          if ((sinceGC += chunk.byteLength) >= GC_EVERY) {
            sinceGC = 0;
            Bun.gc(true);
          }
        }
        deflate.end();
      } catch (err) {
        deflate.destroy();
        throw err;
      }
      await drain;
    }
    if (!zip64 && (usize > UINT32_MAX || csize > UINT32_MAX)) {
      throw new Error(`zip: ${name} grew past 4 GiB while it was written`);
    }
    await this.endEntry(entry, crc, csize, usize, zip64);
  }

  private async beginEntry(name: string, method: number, opts: EntryOptions, zip64: boolean): Promise<CentralEntry> {
    if (this.closed) throw new Error("zip: writer is closed");
    const nameBuf = Buffer.from(name, "utf8");
    if (nameBuf.byteLength > UINT16_MAX) throw new Error("zip: entry name too long");
    const mtime = opts.mtime ?? new Date();
    const { time, date } = dosDateTime(mtime);
    const flags = FLAG_DATA_DESCRIPTOR | (/[^\x20-\x7e]/.test(name) ? FLAG_UTF8 : 0);
    const entry: CentralEntry = {
      name: nameBuf,
      flags,
      method,
      dosTime: time,
      dosDate: date,
      mtime,
      crc: 0,
      csize: 0,
      usize: 0,
      offset: this.offset,
      mode: opts.mode ?? 0o644,
    };
    const extras: Buffer[] = [extendedTimestamp(mtime)];
    if (zip64) {
      // sizes are in the data descriptor; the local ZIP64 field holds zeros
      const z = Buffer.alloc(20);
      z.writeUInt16LE(0x0001, 0);
      z.writeUInt16LE(16, 2);
      extras.push(z);
    }
    const extra = Buffer.concat(extras);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(SIG_LOCAL, 0);
    h.writeUInt16LE(zip64 ? VERSION_45 : VERSION_20, 4);
    h.writeUInt16LE(flags, 6);
    h.writeUInt16LE(method, 8);
    h.writeUInt16LE(time, 10);
    h.writeUInt16LE(date, 12);
    // crc and sizes (14..25) stay zero: they follow the data
    if (zip64) {
      h.writeUInt32LE(UINT32_MAX, 18);
      h.writeUInt32LE(UINT32_MAX, 22);
    }
    h.writeUInt16LE(nameBuf.byteLength, 26);
    h.writeUInt16LE(extra.byteLength, 28);
    await this.write(Buffer.concat([h, nameBuf, extra]));
    return entry;
  }

  private async endEntry(
    entry: CentralEntry,
    crc: number,
    csize: number,
    usize: number,
    zip64: boolean,
  ): Promise<void> {
    entry.crc = crc >>> 0;
    entry.csize = csize;
    entry.usize = usize;
    const d = Buffer.alloc(zip64 ? 24 : 16);
    d.writeUInt32LE(SIG_DESCRIPTOR, 0);
    d.writeUInt32LE(entry.crc, 4);
    if (zip64) {
      d.writeBigUInt64LE(BigInt(csize), 8);
      d.writeBigUInt64LE(BigInt(usize), 16);
    } else {
      d.writeUInt32LE(csize, 8);
      d.writeUInt32LE(usize, 12);
    }
    await this.write(d);
    this.entries.push(entry);
  }

  /** Number of entries written so far. */
  get count(): number {
    return this.entries.length;
  }

  /** Writes the central directory and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const cdStart = this.offset;
      const parts: Buffer[] = [];
      let pending = 0;
      for (const e of this.entries) {
        const needs64 = e.usize >= UINT32_MAX || e.csize >= UINT32_MAX || e.offset >= UINT32_MAX;
        const extras: Buffer[] = [extendedTimestamp(e.mtime)];
        if (needs64) {
          const fields: bigint[] = [];
          if (e.usize >= UINT32_MAX) fields.push(BigInt(e.usize));
          if (e.csize >= UINT32_MAX) fields.push(BigInt(e.csize));
          if (e.offset >= UINT32_MAX) fields.push(BigInt(e.offset));
          const z = Buffer.alloc(4 + 8 * fields.length);
          z.writeUInt16LE(0x0001, 0);
          z.writeUInt16LE(8 * fields.length, 2);
          fields.forEach((v, i) => z.writeBigUInt64LE(v, 4 + 8 * i));
          extras.push(z);
        }
        const extra = Buffer.concat(extras);
        const h = Buffer.alloc(46);
        h.writeUInt32LE(SIG_CENTRAL, 0);
        h.writeUInt16LE(VERSION_MADE_BY, 4);
        h.writeUInt16LE(needs64 ? VERSION_45 : VERSION_20, 6);
        h.writeUInt16LE(e.flags, 8);
        h.writeUInt16LE(e.method, 10);
        h.writeUInt16LE(e.dosTime, 12);
        h.writeUInt16LE(e.dosDate, 14);
        h.writeUInt32LE(e.crc, 16);
        h.writeUInt32LE(Math.min(e.csize, UINT32_MAX), 20);
        h.writeUInt32LE(Math.min(e.usize, UINT32_MAX), 24);
        h.writeUInt16LE(e.name.byteLength, 28);
        h.writeUInt16LE(extra.byteLength, 30);
        // comment length, disk number start, internal attributes: 0
        h.writeUInt32LE(((0o100000 | (e.mode & 0o7777)) << 16) >>> 0, 38);
        h.writeUInt32LE(Math.min(e.offset, UINT32_MAX), 42);
        parts.push(h, e.name, extra);
        pending += h.byteLength + e.name.byteLength + extra.byteLength;
        if (pending >= 1 << 20) {
          await this.write(Buffer.concat(parts));
          parts.length = 0;
          pending = 0;
        }
      }
      if (parts.length) await this.write(Buffer.concat(parts));
      const cdSize = this.offset - cdStart;
      const count = this.entries.length;
      const needs64 = count >= UINT16_MAX || cdSize >= UINT32_MAX || cdStart >= UINT32_MAX;
      if (needs64) {
        const eocd64Offset = this.offset;
        const r = Buffer.alloc(56);
        r.writeUInt32LE(SIG_EOCD64, 0);
        r.writeBigUInt64LE(44n, 4); // size of the rest of the record
        r.writeUInt16LE(VERSION_MADE_BY, 12);
        r.writeUInt16LE(VERSION_45, 14);
        // disk numbers (16, 20): 0
        r.writeBigUInt64LE(BigInt(count), 24);
        r.writeBigUInt64LE(BigInt(count), 32);
        r.writeBigUInt64LE(BigInt(cdSize), 40);
        r.writeBigUInt64LE(BigInt(cdStart), 48);
        const l = Buffer.alloc(20);
        l.writeUInt32LE(SIG_EOCD64_LOCATOR, 0);
        l.writeBigUInt64LE(BigInt(eocd64Offset), 8);
        l.writeUInt32LE(1, 16); // total disks
        await this.write(Buffer.concat([r, l]));
      }
      const end = Buffer.alloc(22);
      end.writeUInt32LE(SIG_EOCD, 0);
      end.writeUInt16LE(Math.min(count, UINT16_MAX), 8);
      end.writeUInt16LE(Math.min(count, UINT16_MAX), 10);
      end.writeUInt32LE(Math.min(cdSize, UINT32_MAX), 12);
      end.writeUInt32LE(Math.min(cdStart, UINT32_MAX), 16);
      await this.write(end);
      if (this.hash) this.md5 = this.hash.digest("base64");
      await this.fh.sync().catch(() => {});
    } finally {
      await this.fh.close();
    }
  }

  /** Closes the file without finishing the archive (after a failure). */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => {});
  }
}

/** MS-DOS date and time fields of a local time (2-second resolution, years 1980-2107). */
export function dosDateTime(d: Date): { time: number; date: number } {
  let year = d.getFullYear();
  if (year < 1980) return { time: 0, date: (1 << 5) | 1 };
  if (year > 2107) year = 2107;
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

/** The "UT" extra field with the modification time in Unix seconds (as Go adds it). */
function extendedTimestamp(d: Date): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16LE(0x5455, 0);
  b.writeUInt16LE(5, 2);
  b.writeUInt8(1, 4); // flags: mtime present
  const secs = Math.floor(d.getTime() / 1000);
  b.writeUInt32LE((secs < 0 ? 0 : secs > UINT32_MAX ? UINT32_MAX : secs) >>> 0, 5);
  return b;
}
