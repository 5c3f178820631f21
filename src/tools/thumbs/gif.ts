/**
 * A minimal GIF89a encoder for one palette frame (Bun.Image decodes GIF but can't write it; GIF
 * originals keep GIF thumbs, as upstream). Quantizing is left to Bun.Image's palette PNG output.
 */

/** LZW-compresses palette indices into GIF data sub-blocks (terminator included). */
export function lzwEncode(indices: Uint8Array, minCodeSize: number): Uint8Array {
  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  const bytes: number[] = [];
  let bitBuf = 0;
  let bitCount = 0;
  let codeSize = minCodeSize + 1;
  let next = eoi + 1;
  let table = new Map<number, number>();

  const emit = (code: number) => {
    bitBuf |= code << bitCount;
    bitCount += codeSize;
    while (bitCount >= 8) {
      bytes.push(bitBuf & 0xff);
      bitBuf >>>= 8;
      bitCount -= 8;
    }
  };

  emit(clear);
  if (indices.length > 0) {
    let prefix = indices[0]!;
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i]!;
      const key = prefix * 256 + k;
      const hit = table.get(key);
      if (hit !== undefined) {
        prefix = hit;
        continue;
      }
      emit(prefix);
      if (next === 4096) {
        emit(clear);
        table = new Map();
        codeSize = minCodeSize + 1;
        next = eoi + 1;
      } else {
        if (next >= 1 << codeSize) codeSize++;
        table.set(key, next++);
      }
      prefix = k;
    }
    emit(prefix);
  }
  emit(eoi);
  if (bitCount > 0) bytes.push(bitBuf & 0xff);

  // split into sub-blocks of at most 255 bytes
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 255) {
    const block = bytes.slice(i, i + 255);
    out.push(block.length, ...block);
  }
  out.push(0);
  return new Uint8Array(out);
}

/**
 * Encodes one frame: `indices` (one per pixel) into `palette` (RGBA entries, ≤ 256). Entries with
 * alpha below 128 become the single transparent colour.
 */
export function encodeGif(
  width: number,
  height: number,
  indices: Uint8Array,
  palette: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const count = Math.max(2, palette.length / 4);
  let bits = 1;
  while (1 << bits < count) bits++;
  const size = 1 << bits;

  // one transparent index for every see-through entry
  let transparent = -1;
  const remap = new Uint8Array(256).map((_, i) => i);
  for (let i = 0; i < palette.length / 4; i++) {
    if (palette[i * 4 + 3]! < 128) {
      if (transparent === -1) transparent = i;
      remap[i] = transparent;
    }
  }
  const px = transparent === -1 ? indices : indices.map((i) => remap[i]!);

  const head: number[] = [..."GIF89a"].map((c) => c.charCodeAt(0));
  const u16 = (n: number) => [n & 0xff, (n >> 8) & 0xff];
  head.push(...u16(width), ...u16(height), 0x80 | ((bits - 1) << 4) | (bits - 1), 0, 0);
  for (let i = 0; i < size; i++) {
    head.push(palette[i * 4] ?? 0, palette[i * 4 + 1] ?? 0, palette[i * 4 + 2] ?? 0);
  }
  if (transparent >= 0) head.push(0x21, 0xf9, 0x04, 0x01, 0, 0, transparent, 0);
  head.push(0x2c, ...u16(0), ...u16(0), ...u16(width), ...u16(height), 0);
  const minCodeSize = Math.max(2, bits);
  head.push(minCodeSize);
  const data = lzwEncode(px, minCodeSize);
  const out = new Uint8Array(head.length + data.length + 1);
  out.set(head);
  out.set(data, head.length);
  out[out.length - 1] = 0x3b;
  return out;
}
