/**
 * Reading a file range in chunks through a FileHandle. Every chunk is a real asynchronous read, so
 * a loop over a large, page-cached file still lets timers and sockets run between chunks (a
 * `for await` over a Node read stream can resolve chunk after chunk without ever yielding).
 */
import type { FileHandle } from "node:fs/promises";

export const CHUNK_SIZE = 256 << 10;

/** The bytes of `fh` from `start`, `length` of them (to the end of the file when omitted). */
export async function* readChunks(
  fh: FileHandle,
  start = 0,
  length = Infinity,
  chunkSize = CHUNK_SIZE,
): AsyncGenerator<Uint8Array> {
  let pos = start;
  let left = length;
  while (left > 0) {
    const buf = Buffer.allocUnsafe(Math.min(chunkSize, left));
    const { bytesRead } = await fh.read(buf, 0, buf.byteLength, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    left -= bytesRead;
    yield bytesRead === buf.byteLength ? buf : buf.subarray(0, bytesRead);
  }
}
