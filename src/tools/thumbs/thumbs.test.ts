import { describe, expect, test } from "bun:test";
import { encodeGif, lzwEncode } from "./gif.ts";
import { createThumb, parseThumbSize, thumbContentType } from "./index.ts";
import { cropRgba, decodePng, encodePng } from "./png.ts";

/** 300×100: red | green | blue thirds; the top 10 rows white, the bottom 10 black. */
function card(w = 300, h = 100): Uint8Array {
  const px = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      const t = Math.floor((x * 3) / w);
      const band = y < 10 ? 255 : y >= h - 10 ? 0 : -1;
      px[o] = band >= 0 ? band : t === 0 ? 255 : 0;
      px[o + 1] = band >= 0 ? band : t === 1 ? 255 : 0;
      px[o + 2] = band >= 0 ? band : t === 2 ? 255 : 0;
      px[o + 3] = 255;
    }
  }
  return px;
}

async function pixels(bytes: Uint8Array) {
  return decodePng(await new Bun.Image(bytes).png().bytes());
}

function at(p: { width: number; rgba: Uint8Array }, x: number, y: number): number[] {
  const o = (y * p.width + x) * 4;
  return [...p.rgba.subarray(o, o + 4)];
}

describe("sizes", () => {
  test("parse", () => {
    expect(parseThumbSize("100x50")).toEqual({ width: 100, height: 50, mode: "fill" });
    expect(parseThumbSize("100x50t")?.mode).toBe("top");
    expect(parseThumbSize("100x50b")?.mode).toBe("bottom");
    expect(parseThumbSize("100x50f")?.mode).toBe("fit");
    expect(parseThumbSize("0x50")?.mode).toBe("resize");
    expect(parseThumbSize("0x0")).toBeNull();
    expect(parseThumbSize("0x0f")).toBeNull();
    expect(parseThumbSize("10x")).toBeNull();
    expect(parseThumbSize("99999999x1")).toBeNull();
    expect(thumbContentType("image/webp")).toBe("image/png");
    expect(thumbContentType("image/jpeg")).toBe("image/jpeg");
    expect(thumbContentType("image/gif")).toBe("image/gif");
  });
});

describe("png", () => {
  test("encode/decode round trip and crop", () => {
    const px = card(30, 10);
    const back = decodePng(encodePng(30, 10, px, 6));
    expect(back.width).toBe(30);
    expect(back.rgba).toEqual(px);
    const crop = cropRgba(back, 10, 2, 5, 3);
    expect([...crop.subarray(0, 4)]).toEqual(at(back, 10, 2));
  });

  test("decodes Bun.Image's palette, grey and RGB output", async () => {
    const png = encodePng(30, 40, card(30, 40));
    const pal = decodePng(await new Bun.Image(png).png({ palette: true, colors: 16 }).bytes());
    expect(pal.indices).toBeDefined();
    expect(at(pal, 0, 20).slice(0, 3)).toEqual([255, 0, 0]);
    const jpegBack = decodePng(await new Bun.Image(await new Bun.Image(png).jpeg().bytes()).png().bytes());
    expect(jpegBack.width).toBe(30);
  });
});

describe("gif", () => {
  test("LZW codes grow and reset past 4096 entries", async () => {
    // noise makes the dictionary fill up and reset
    const n = 200 * 200;
    const idx = new Uint8Array(n).map(() => Math.floor(Math.random() * 256));
    const palette = new Uint8Array(256 * 4).map((_, i) => (i % 4 === 3 ? 255 : i & 0xff));
    const gif = encodeGif(200, 200, idx, palette);
    const back = await pixels(gif);
    expect(back.width).toBe(200);
    for (const i of [0, 1, 999, n - 1]) {
      const x = i % 200;
      const y = Math.floor(i / 200);
      expect(at(back, x, y).slice(0, 3)).toEqual([...palette.subarray(idx[i]! * 4, idx[i]! * 4 + 3)]);
    }
    expect(lzwEncode(new Uint8Array(0), 2).at(-1)).toBe(0);
  });

  test("a transparent palette entry becomes the GIF's transparent colour", async () => {
    const palette = new Uint8Array([255, 0, 0, 255, 0, 0, 0, 0]);
    const gif = encodeGif(2, 1, new Uint8Array([0, 1]), palette);
    const back = await pixels(gif);
    expect(at(back, 0, 0)).toEqual([255, 0, 0, 255]);
    expect(at(back, 1, 0)[3]).toBe(0);
  });
});

describe("createThumb", () => {
  const png = encodePng(300, 100, card(), 6);

  test("every mode gives upstream's dimensions", async () => {
    const cases: [string, number, number][] = [
      ["100x100", 100, 100],
      ["60x60t", 60, 60],
      ["60x60b", 60, 60],
      ["150x20", 150, 20],
      ["60x60f", 60, 20],
      ["600x600f", 300, 100],
      ["0x50", 150, 50],
      ["30x0", 30, 10],
      ["600x200", 600, 200],
      ["300x100", 300, 100],
    ];
    for (const [size, w, h] of cases) {
      const t = await createThumb(png, size, "image/png");
      expect(t.contentType).toBe("image/png");
      const m = await new Bun.Image(t.bytes).metadata();
      expect([size, m.width, m.height]).toEqual([size, w, h]);
    }
  });

  test("crops keep the centre, the top or the bottom", async () => {
    const centre = await pixels((await createThumb(png, "100x100", "image/png")).bytes);
    // 300×100 → 300×100 cover, window x 100..200: all green in the middle rows
    expect(at(centre, 50, 50).slice(0, 3)).toEqual([0, 255, 0]);
    expect(at(centre, 2, 50).slice(0, 3)).toEqual([0, 255, 0]);
    const top = await pixels((await createThumb(png, "300x50t", "image/png")).bytes);
    expect(at(top, 150, 1).slice(0, 3)).toEqual([255, 255, 255]);
    const bottom = await pixels((await createThumb(png, "300x50b", "image/png")).bytes);
    expect(at(bottom, 150, 48).slice(0, 3)).toEqual([0, 0, 0]);
  });

  test("formats: JPEG stays JPEG, GIF stays GIF, WebP becomes PNG", async () => {
    const jpeg = await new Bun.Image(png).jpeg().bytes();
    const webp = await new Bun.Image(png).webp().bytes();
    const gifSrc = encodeGif(
      3,
      1,
      new Uint8Array([0, 1, 2]),
      new Uint8Array([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255]),
    );
    const j = await createThumb(jpeg, "50x50", "image/jpeg");
    expect([j.contentType, (await new Bun.Image(j.bytes).metadata()).format]).toEqual(["image/jpeg", "jpeg"]);
    const w = await createThumb(webp, "50x50", "image/webp");
    expect([w.contentType, (await new Bun.Image(w.bytes).metadata()).format]).toEqual(["image/png", "png"]);
    const g = await createThumb(gifSrc, "6x2", "image/gif");
    expect([g.contentType, (await new Bun.Image(g.bytes).metadata()).format]).toEqual(["image/gif", "gif"]);
    const gm = await new Bun.Image(g.bytes).metadata();
    expect([gm.width, gm.height]).toEqual([6, 2]);
  });

  test("bad input fails (the API then serves the original)", async () => {
    await expect(createThumb(new TextEncoder().encode("not an image"), "10x10", "image/png")).rejects.toThrow();
    await expect(createThumb(png, "0x0", "image/png")).rejects.toThrow("thumb size");
  });
});
