/**
 * Just enough PNG to move pixels between Bun.Image steps: decode (any colour type, 1–16 bits, not
 * interlaced) to RGBA or palette indices, and encode RGBA. Bun.Image has no crop and no raw
 * output, so crops go PNG → pixels → PNG in between two native steps.
 */
import { deflateSync, inflateSync } from "node:zlib";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Decoded pixels; `indices`/`palette` are set for palette images. */
export interface Pixels {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, rows top-down. */
  rgba: Uint8Array;
  /** One palette index per pixel (colour type 3 only). */
  indices?: Uint8Array;
  /** RGBA entries (colour type 3 only), 4 bytes per entry. */
  palette?: Uint8Array;
}

/** Decodes a non-interlaced PNG. */
export function decodePng(png: Uint8Array): Pixels {
  for (let i = 0; i < 8; i++) if (png[i] !== SIGNATURE[i]) throw new Error("not a PNG");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = 0;
  let plte: Uint8Array | null = null;
  let trns: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  for (let pos = 8; pos + 8 <= png.length;) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(png[pos + 4]!, png[pos + 5]!, png[pos + 6]!, png[pos + 7]!);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === "IHDR") {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      depth = data[8]!;
      colorType = data[9]!;
      if (data[12] !== 0) throw new Error("interlaced PNG is not supported");
    } else if (type === "PLTE") plte = data;
    else if (type === "tRNS") trns = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    pos += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as { [k: number]: number })[colorType];
  if (!channels || !width || !height) throw new Error("unsupported PNG");
  const raw = inflateSync(Buffer.concat(idat));
  const bitsPerPixel = channels * depth;
  const rowBytes = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const rows = unfilter(raw, rowBytes, height, bpp);

  const rgba = new Uint8Array(width * height * 4);
  let indices: Uint8Array | undefined;
  let palette: Uint8Array | undefined;
  if (colorType === 3) {
    if (!plte) throw new Error("PNG palette missing");
    const n = plte.length / 3;
    palette = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      palette[i * 4] = plte[i * 3]!;
      palette[i * 4 + 1] = plte[i * 3 + 1]!;
      palette[i * 4 + 2] = plte[i * 3 + 2]!;
      palette[i * 4 + 3] = trns && i < trns.length ? trns[i]! : 255;
    }
    indices = new Uint8Array(width * height);
  }
  const sample = (row: Uint8Array, i: number): number => {
    // the i-th sample of a row, scaled to 8 bits
    if (depth === 8) return row[i]!;
    if (depth === 16) return row[i * 2]!;
    const perByte = 8 / depth;
    const byte = row[Math.floor(i / perByte)]!;
    const shift = 8 - depth * ((i % perByte) + 1);
    const v = (byte >> shift) & ((1 << depth) - 1);
    return colorType === 3 ? v : Math.round((v * 255) / ((1 << depth) - 1));
  };
  const tr = trns && colorType !== 3 ? trns : null;
  for (let y = 0; y < height; y++) {
    const row = rows.subarray(y * rowBytes, (y + 1) * rowBytes);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (colorType === 3) {
        const idx = depth === 8 ? row[x]! : sample(row, x);
        indices![y * width + x] = idx;
        rgba.set(palette!.subarray(idx * 4, idx * 4 + 4), o);
      } else if (colorType === 0 || colorType === 4) {
        const g = sample(row, x * channels);
        rgba[o] = rgba[o + 1] = rgba[o + 2] = g;
        rgba[o + 3] =
          colorType === 4
            ? sample(row, x * channels + 1)
            : tr && tr.length >= 2 && ((tr[0]! << 8) | tr[1]!) === rawSample(row, x, depth)
              ? 0
              : 255;
      } else {
        rgba[o] = sample(row, x * channels);
        rgba[o + 1] = sample(row, x * channels + 1);
        rgba[o + 2] = sample(row, x * channels + 2);
        rgba[o + 3] = colorType === 6 ? sample(row, x * channels + 3) : 255;
      }
    }
  }
  return { width, height, rgba, indices, palette };
}

/** The raw (unscaled) grey sample of pixel x, for tRNS matching. */
function rawSample(row: Uint8Array, x: number, depth: number): number {
  if (depth === 16) return (row[x * 2]! << 8) | row[x * 2 + 1]!;
  if (depth === 8) return row[x]!;
  const perByte = 8 / depth;
  const byte = row[Math.floor(x / perByte)]!;
  return (byte >> (8 - depth * ((x % perByte) + 1))) & ((1 << depth) - 1);
}

function unfilter(raw: Uint8Array, rowBytes: number, height: number, bpp: number): Uint8Array {
  const out = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    const type = raw[y * (rowBytes + 1)]!;
    const src = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    const cur = out.subarray(y * rowBytes, (y + 1) * rowBytes);
    const prev = y > 0 ? out.subarray((y - 1) * rowBytes, y * rowBytes) : null;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= bpp ? cur[i - bpp]! : 0;
      const b = prev ? prev[i]! : 0;
      const c = prev && i >= bpp ? prev[i - bpp]! : 0;
      let v = src[i]!;
      switch (type) {
        case 1:
          v += a;
          break;
        case 2:
          v += b;
          break;
        case 3:
          v += (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
      }
      cur[i] = v & 0xff;
    }
  }
  return out;
}

function crc32(bytes: Uint8Array): number {
  return Bun.hash.crc32(bytes) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes RGBA pixels as an 8-bit RGBA PNG (no row filters; `level` is the zlib level). */
export function encodePng(width: number, height: number, rgba: Uint8Array, level = 1): Uint8Array<ArrayBuffer> {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = 6;
  const stride = width * 4;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const parts = [
    new Uint8Array(SIGNATURE),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level })),
    chunk("IEND", new Uint8Array(0)),
  ];
  return new Uint8Array(Buffer.concat(parts));
}

/** The `w×h` window at (x, y) of RGBA pixels. */
export function cropRgba(src: Pixels, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let row = 0; row < h; row++) {
    const from = ((y + row) * src.width + x) * 4;
    out.set(src.rgba.subarray(from, from + w * 4), row * w * 4);
  }
  return out;
}
