/**
 * Thumbnails as upstream makes them (disintegration/imaging with a linear filter), on Bun.Image:
 * - `WxH`  crop to fill W×H from the centre (`WxHt` from the top, `WxHb` from the bottom);
 * - `WxHf` fit inside W×H (never enlarged);
 * - `0xH` / `Wx0` resize keeping the aspect ratio.
 * JPEG stays JPEG, GIF stays GIF (first frame), everything else (PNG, WebP, BMP) becomes PNG.
 * Bun.Image has no crop, so crops decode a quick PNG, cut the window in JS and encode again.
 */
import { encodeGif } from "./gif.ts";
import { cropRgba, decodePng, encodePng } from "./png.ts";

/** Valid thumb sizes. */
export const THUMB_SIZE_RE = /^(\d+)x(\d+)(t|b|f)?$/;

/** Refuse sources above this many pixels (as Sharp's default; a decompression-bomb guard). */
const MAX_PIXELS = 0x3fff * 0x3fff;

export type ThumbMode = "fill" | "top" | "bottom" | "fit" | "resize";

export interface ThumbSize {
  width: number;
  height: number;
  mode: ThumbMode;
}

/** Parses `WxH[t|b|f]`; null when invalid (`0x0…` included). */
export function parseThumbSize(size: string): ThumbSize | null {
  const m = THUMB_SIZE_RE.exec(size);
  if (!m) return null;
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width === 0 && height === 0) return null;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width > 0xffff || height > 0xffff) return null;
  if (width === 0 || height === 0) return { width, height, mode: "resize" };
  const mode = m[3] === "t" ? "top" : m[3] === "b" ? "bottom" : m[3] === "f" ? "fit" : "fill";
  return { width, height, mode };
}

/** The content type of a thumb of an original of `contentType`. */
export function thumbContentType(contentType: string): string {
  return contentType === "image/jpeg" || contentType === "image/gif" ? contentType : "image/png";
}

export interface Thumb {
  bytes: Uint8Array;
  contentType: string;
}

/** imaging's aspect-keeping size: the missing side from the other, rounded, at least 1. */
function keepAspect(srcW: number, srcH: number, w: number, h: number): [number, number] {
  if (w === 0) w = Math.max(1, Math.floor((h * srcW) / srcH + 0.5));
  if (h === 0) h = Math.max(1, Math.floor((w * srcH) / srcW + 0.5));
  return [w, h];
}

/**
 * Makes the `size` thumb of an image. `contentType` is the stored type of the original and picks
 * the output format. Throws for invalid sizes and undecodable input.
 */
export async function createThumb(input: Uint8Array, size: string, contentType: string): Promise<Thumb> {
  const spec = parseThumbSize(size);
  if (!spec) throw new Error("thumb size must be in WxH, WxHt, WxHb or WxHf format");
  const outType = thumbContentType(contentType);
  const open = (bytes: Uint8Array) => new Bun.Image(bytes, { maxPixels: MAX_PIXELS, autoOrient: true });

  const meta = await open(input).metadata();
  // (metadata reports the sides after EXIF orientation)
  const [srcW, srcH] = [meta.width, meta.height];
  const { width: w, height: h, mode } = spec;

  let resized: Bun.Image;
  if (mode === "resize") {
    const [tw, th] = keepAspect(srcW, srcH, w, h);
    resized = open(input).resize(tw, th, { fit: "fill", filter: "linear" });
  } else if (mode === "fit") {
    if (srcW <= w && srcH <= h) resized = open(input);
    else {
      const [tw, th] = srcW / srcH > w / h ? keepAspect(srcW, srcH, w, 0) : keepAspect(srcW, srcH, 0, h);
      resized = open(input).resize(tw, th, { fit: "fill", filter: "linear" });
    }
  } else if (srcW === w && srcH === h) {
    resized = open(input);
  } else {
    // cover the box, then cut the window at the anchor
    const [tw, th] = srcW / srcH < w / h ? keepAspect(srcW, srcH, w, 0) : keepAspect(srcW, srcH, 0, h);
    const cover = decodePng(
      await open(input).resize(tw, th, { fit: "fill", filter: "linear" }).png({ compressionLevel: 0 }).bytes(),
    );
    const cw = Math.min(w, cover.width);
    const ch = Math.min(h, cover.height);
    const x = (cover.width - cw) >> 1;
    const y = mode === "top" ? 0 : mode === "bottom" ? cover.height - ch : (cover.height - ch) >> 1;
    resized = open(encodePng(cw, ch, cropRgba(cover, x, y, cw, ch), 0));
  }

  if (outType === "image/jpeg") return { bytes: await resized.jpeg({ quality: 95 }).bytes(), contentType: outType };
  if (outType === "image/gif") {
    const pal = decodePng(await resized.png({ palette: true, colors: 256, compressionLevel: 0 }).bytes());
    if (!pal.indices || !pal.palette) throw new Error("palette quantization failed");
    return { bytes: encodeGif(pal.width, pal.height, pal.indices, pal.palette), contentType: outType };
  }
  return { bytes: await resized.png().bytes(), contentType: outType };
}
