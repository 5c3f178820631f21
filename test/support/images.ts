/** Small sample images for file tests, made on the fly (PNG/JPEG/WebP through Bun.Image, GIF by our encoder). */
import { encodeGif } from "../../src/tools/thumbs/gif.ts";
import { encodePng } from "../../src/tools/thumbs/png.ts";

/** A W×H RGBA test card: red/blue/green thirds, top half brighter. */
export function testCard(w: number, h: number): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      const third = Math.floor((x * 3) / w);
      px[o] = third === 0 ? 255 : 0;
      px[o + 1] = third === 2 ? 255 : 0;
      px[o + 2] = third === 1 ? 255 : y < h / 2 ? 128 : 0;
      px[o + 3] = 255;
    }
  }
  return px;
}

export function samplePng(w = 300, h = 200): Uint8Array<ArrayBuffer> {
  return encodePng(w, h, testCard(w, h), 6);
}

export function sampleJpeg(w = 300, h = 200): Promise<Uint8Array<ArrayBuffer>> {
  return new Bun.Image(samplePng(w, h)).jpeg({ quality: 90 }).bytes() as Promise<Uint8Array<ArrayBuffer>>;
}

export function sampleWebp(w = 300, h = 200): Promise<Uint8Array<ArrayBuffer>> {
  return new Bun.Image(samplePng(w, h)).webp({ quality: 90 }).bytes() as Promise<Uint8Array<ArrayBuffer>>;
}

export function sampleGif(w = 300, h = 200): Uint8Array<ArrayBuffer> {
  const palette = new Uint8Array([255, 0, 0, 255, 0, 0, 255, 255, 0, 255, 0, 255, 0, 0, 128, 255]);
  const idx = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      idx[y * w + x] = Math.min(2, Math.floor((x * 3) / w)) + (y < h / 2 && Math.floor((x * 3) / w) === 1 ? 2 : 0);
  return encodeGif(w, h, idx, palette);
}

/** Width, height and format as Bun.Image reads them. */
export function imageMeta(bytes: Uint8Array | ArrayBuffer): Promise<{ width: number; height: number; format: string }> {
  return new Bun.Image(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).metadata();
}
