import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Filesystem,
  LocalDriver,
  UploadFile,
  extractExtension,
  normalizeName,
  parseRange,
  serveBlob,
  snakecase,
  defaultAttributes,
} from "./index.ts";
import { escapeLocalKey, escapeS3Key, hexUnescape } from "./keys.ts";
import { goPathEscape } from "./s3.ts";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "pb-fs-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("names", () => {
  test("extension from the last or the second-to-last dot", () => {
    expect(extractExtension("a.tar.gz")).toBe(".tar.gz");
    expect(extractExtension("my.photo.jpg")).toBe(".photo.jpg");
    expect(extractExtension("photo.jpg")).toBe(".jpg");
    expect(extractExtension("noext")).toBe("");
    expect(extractExtension(".hidden")).toBe(".hidden");
  });

  test("snakecase as Go's inflector", () => {
    expect(snakecase("My Photo")).toBe("my_photo");
    expect(snakecase("myTestDB")).toBe("my_test_db");
    expect(snakecase("a__b")).toBe("a_b");
    expect(snakecase("_lead-trail_")).toBe("lead_trail");
    expect(snakecase("ünïcödé")).toBe("n_c_d");
    expect(snakecase("300_UhLKX91HVb")).toBe("300_uh_lkx91_hvb");
  });

  test("normalized names", async () => {
    const r = "[a-z0-9]{10}";
    expect(await normalizeName("My Photo.PNG")).toMatch(new RegExp(`^my_photo_${r}\\.PNG$`));
    expect(await normalizeName("archive.tar.gz")).toMatch(new RegExp(`^archive_${r}\\.tar\\.gz$`));
    expect(await normalizeName("my.photo.jpg")).toMatch(new RegExp(`^my${r}_${r}\\.photo\\.jpg$`));
    expect(await normalizeName("a.txt")).toMatch(new RegExp(`^a${r}_${r}\\.txt$`));
    expect(await normalizeName("noext", () => ".png")).toMatch(new RegExp(`^noext_${r}\\.png$`));
    expect(await normalizeName("noext")).toMatch(new RegExp(`^noext_${r}$`));
    expect(await normalizeName("../../etc/passwd")).toMatch(
      new RegExp(`^${r}_${r}\\./etc/passwd$`.replace("\\./etc/passwd", "\\.etcpasswd")),
    );
    expect(await normalizeName("x." + "e".repeat(40))).toMatch(new RegExp(`^x${r}_${r}\\.e{20}$`));
    expect(await normalizeName("b".repeat(150) + ".txt")).toMatch(new RegExp(`^b{100}_${r}\\.txt$`));
    // only the last 300 bytes count
    expect(await normalizeName("c".repeat(400) + ".txt")).toMatch(new RegExp(`^c{100}_${r}\\.txt$`));
    expect(await normalizeName("300_UhLKX91HVb.png")).toMatch(new RegExp(`^300_uh_lkx91_hvb_${r}\\.png$`));
    for (const hostile of ["\u0000.txt", "a/b\\c.txt", "..", ".", "", "%2e%2e%2f"]) {
      const n = await normalizeName(hostile);
      expect(n).toMatch(/^[a-z0-9_]+_[a-z0-9]{10}(\.[\w.*\-+=#]+)?$/);
    }
  });

  test("UploadFile is a File with a normalized name and the original one", async () => {
    const f = await UploadFile.from(new File(["x"], "Hello World.txt"));
    expect(f).toBeInstanceOf(File);
    expect(f.name).toMatch(/^hello_world_[a-z0-9]{10}\.txt$/);
    expect(f.originalName).toBe("Hello World.txt");
    expect(await f.text()).toBe("x");
    expect(JSON.parse(JSON.stringify(f))).toEqual({ name: f.name, originalName: "Hello World.txt", size: 1 });
  });
});

describe("keys", () => {
  test("local escapes as the Go fileblob driver", () => {
    expect(escapeLocalKey("a/b/c.txt")).toBe("a/b/c.txt");
    expect(escapeLocalKey("a/../b")).toBe("a/..__0x2f__b");
    expect(escapeLocalKey("a//b")).toBe("a/__0x2f__b");
    expect(escapeLocalKey("a/b/")).toBe("a/b__0x2f__");
    expect(escapeLocalKey("a\nb")).toBe("a__0xa__b");
    expect(hexUnescape("a/..__0x2f__b")).toBe("a/../b");
    expect(escapeS3Key("a//b/../c\u0001")).toBe("a//b/..__0x2f__c__0x1__");
  });

  test("metadata values escaped as Go's url.PathEscape", () => {
    expect(goPathEscape("My Photo.png")).toBe("My%20Photo.png");
    expect(goPathEscape("a/b;c,d?e")).toBe("a%2Fb%3Bc%2Cd%3Fe");
    expect(goPathEscape("$&+:=@")).toBe("$&+:=@");
    expect(goPathEscape("ü")).toBe("%C3%BC");
  });
});

describe("local storage", () => {
  test("blobs with upstream's sidecar; list, delete, prefix delete", async () => {
    const root = tmp();
    const fs = Filesystem.local(root, { detectContentType: () => "text/plain; charset=utf-8" });
    await fs.uploadFile(await UploadFile.from(new File(["test"], "<a&b>.txt")), "col/rec/a.txt");
    expect(readFileSync(join(root, "col/rec/a.txt"), "utf8")).toBe("test");
    expect(readFileSync(join(root, "col/rec/a.txt.attrs"), "utf8")).toBe(
      '{"user.cache_control":"","user.content_disposition":"","user.content_encoding":"","user.content_language":"","user.content_type":"text/plain; charset=utf-8","user.metadata":{"original-filename":"\\u003ca\\u0026b\\u003e.txt"},"md5":"CY9rzUYh03PK3k6DJie09g=="}\n',
    );
    const attrs = await fs.attributes("col/rec/a.txt");
    expect(attrs.contentType).toBe("text/plain; charset=utf-8");
    expect(attrs.metadata).toEqual({ "original-filename": "<a&b>.txt" });
    expect(attrs.size).toBe(4);
    await fs.upload(new Uint8Array([1, 2]), "col/rec/thumbs_a.txt/10x10_a.txt", { contentType: "image/png" });
    await fs.upload(new Uint8Array([3]), "col/other/b.bin");
    expect((await fs.list("col/rec/")).map((o) => o.key)).toEqual([
      "col/rec/a.txt",
      "col/rec/thumbs_a.txt/10x10_a.txt",
    ]);
    expect((await fs.list("col/")).length).toBe(3);
    expect(await fs.isEmptyDir("col/rec")).toBe(false);
    expect(await fs.deletePrefix("col/rec/thumbs_a.txt/")).toEqual([]);
    expect(existsSync(join(root, "col/rec/thumbs_a.txt"))).toBe(false);
    await fs.delete("col/rec/a.txt");
    expect(existsSync(join(root, "col/rec/a.txt.attrs"))).toBe(false);
    await expect(fs.delete("col/rec/a.txt")).rejects.toThrow("not found");
    expect(await fs.isEmptyDir("col/rec")).toBe(true);
    expect(await fs.deletePrefix("col/")).toEqual([]);
    expect(existsSync(join(root, "col"))).toBe(false);
    expect(await fs.deletePrefix("")).toHaveLength(1);
  });

  test("a blob without a sidecar reads as application/octet-stream; .attrs keys are refused", async () => {
    const root = tmp();
    await Bun.write(join(root, "x/y.bin"), "raw");
    const fs = Filesystem.local(root);
    expect((await fs.attributes("x/y.bin")).contentType).toBe("application/octet-stream");
    await expect(fs.upload(new Uint8Array([1]), "x/y.attrs")).rejects.toThrow("reserved");
    await expect(fs.attributes("x")).rejects.toThrow("not found");
  });

  test("keys never resolve outside the root", async () => {
    const root = tmp();
    const drv = new LocalDriver(join(root, "storage"));
    await Bun.write(join(root, "secret.txt"), "secret");
    for (const k of ["../secret.txt", "a/../../secret.txt", "..", "../", "/../secret.txt"]) {
      const p = (() => {
        try {
          return drv.path(k);
        } catch {
          return null;
        }
      })();
      if (p !== null) expect(p.startsWith(drv.root)).toBe(true);
    }
    const fs = new Filesystem(drv);
    expect(await fs.exists("../secret.txt")).toBe(false);
    await fs.upload(new Uint8Array([1]), "../escape.bin", { contentType: "x/y" }).catch(() => {});
    expect(existsSync(join(root, "escape.bin"))).toBe(false);
  });
});

describe("serving", () => {
  const attrs = defaultAttributes({ contentType: "image/png", size: 10, modTime: new Date("2024-01-02T03:04:05Z") });
  const body = new Blob(["0123456789"]);
  const serve = (init: RequestInit = {}, query = "", a = attrs, key = "c/r/f.png") =>
    serveBlob(new Request("http://x/api/files/c/r/f.png" + query, init), body, a, key, "f.png");

  test("ranges as Go's parseRange", () => {
    expect(parseRange("bytes=0-4", 10)).toEqual([{ start: 0, length: 5 }]);
    expect(parseRange("bytes=-3", 10)).toEqual([{ start: 7, length: 3 }]);
    expect(parseRange("bytes=8-", 10)).toEqual([{ start: 8, length: 2 }]);
    expect(parseRange("bytes=5-100", 10)).toEqual([{ start: 5, length: 5 }]);
    expect(parseRange("bytes=20-", 10)).toBe("no-overlap");
    expect(parseRange("bytes=5-1", 10)).toBe("invalid");
    expect(parseRange("items=0-1", 10)).toBe("invalid");
    expect(parseRange("", 10)).toEqual([]);
  });

  test("headers, inline vs attachment, forced types", async () => {
    let res = await serve();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe("inline; filename=f.png");
    expect(res.headers.get("last-modified")).toBe("Tue, 02 Jan 2024 03:04:05 GMT");
    expect(res.headers.get("content-length")).toBe("10");
    res = await serve({}, "?download=t");
    expect(res.headers.get("content-disposition")).toBe("attachment; filename=f.png");
    res = await serve({}, "?download=0");
    expect(res.headers.get("content-disposition")).toBe("inline; filename=f.png");
    res = await serve({}, "", { ...attrs, contentType: "text/plain; charset=utf-8" }, "c/r/x.js");
    expect(res.headers.get("content-type")).toBe("text/javascript");
    expect(res.headers.get("content-disposition")).toBe("attachment; filename=f.png");
    const preset = new Headers({ "Content-Disposition": "custom", "Cache-Control": "no-store" });
    res = await serveBlob(new Request("http://x/"), body, attrs, "k.png", "f.png", { headers: preset });
    expect(res.headers.get("content-disposition")).toBe("custom");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  test("ranges and conditional requests", async () => {
    let res = await serve({ headers: { Range: "bytes=2-4" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe("bytes 2-4/10");
    expect(await res.text()).toBe("234");
    res = await serve({ headers: { Range: "bytes=0-1,5-6" } });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-type")).toStartWith("multipart/byteranges; boundary=");
    const text = await res.text();
    expect(text).toContain("Content-Range: bytes 0-1/10\r\nContent-Type: image/png\r\n\r\n01");
    expect(text).toContain("Content-Range: bytes 5-6/10\r\nContent-Type: image/png\r\n\r\n56");
    res = await serve({ headers: { Range: "bytes=50-" } });
    expect(res.status).toBe(416);
    expect(res.headers.get("content-range")).toBe("bytes */10");
    expect((await serve({ headers: { "If-Modified-Since": "Tue, 02 Jan 2024 03:04:05 GMT" } })).status).toBe(304);
    expect((await serve({ headers: { "If-Modified-Since": "Tue, 02 Jan 2024 03:04:04 GMT" } })).status).toBe(200);
    expect((await serve({ headers: { "If-Unmodified-Since": "Mon, 01 Jan 2024 00:00:00 GMT" } })).status).toBe(412);
    expect((await serve({ headers: { "If-None-Match": "*" } })).status).toBe(304);
    expect((await serve({ headers: { Range: "bytes=0-1", "If-Range": "Mon, 01 Jan 2024 00:00:00 GMT" } })).status).toBe(
      200,
    );
    const head = await serve({ method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    // an ETag set by a hook takes part in the preconditions
    const etagged = await serveBlob(
      new Request("http://x/", { headers: { "If-None-Match": '"v1"' } }),
      body,
      attrs,
      "k.png",
      "f.png",
      { headers: new Headers({ ETag: '"v1"' }) },
    );
    expect(etagged.status).toBe(304);
    expect(etagged.headers.get("last-modified")).toBeNull();
  });
});
