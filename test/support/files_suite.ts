/**
 * The files end-to-end suite, run against local storage (test/files.test.ts) and against S3
 * (test/files_s3.test.ts): uploads, modifiers, @jsonPayload, serving, thumbs, protected files,
 * clean-up of replaced and deleted files, hostile names. Storage is checked through our own
 * Filesystem (local folder or bucket), and the local sidecars as raw text.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { App } from "../../src/core/app.ts";
import { newBaseCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import { FileField, JSONField, TextField } from "../../src/core/fields/index.ts";
import { Filesystem, type S3Config } from "../../src/tools/filesystem/index.ts";
import { runPb, startServer, tempDir, testAppConfig, type TestServer } from "../harness.ts";
import { imageMeta, sampleGif, sampleJpeg, samplePng, sampleWebp } from "./images.ts";

const THUMBS = ["50x50", "50x50t", "50x50b", "50x50f", "0x30", "40x0", "600x400f"];
const NAME_RE = /^[a-z0-9_]+_[a-z0-9]{10}(\.[\w.*\-+=#]+)?$/;

export interface SuiteOptions {
  /** Store files in this bucket instead of pb_data/storage. */
  s3?: () => S3Config;
}

async function waitFor(cond: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await Bun.sleep(25);
  }
  return cond();
}

export function filesSuite(label: string, opts: SuiteOptions = {}) {
  let srv: TestServer;
  let su: PocketBase;
  let guest: PocketBase;
  let storage: Filesystem;
  let ids: { [name: string]: string } = {};
  let png: Uint8Array<ArrayBuffer>;

  const key = (collection: string, recordId: string, name = "") =>
    `${ids[collection]}/${recordId}${name ? "/" + name : ""}`;
  const fileUrl = (collection: string, recordId: string, name: string, query = "") =>
    `${srv.url}/api/files/${collection}/${recordId}/${encodeURIComponent(name)}${query}`;

  beforeAll(async () => {
    png = samplePng();
    const work = tempDir();
    const dataDir = join(work, "pb_data");
    const app = new App(await testAppConfig({ dataDir }));
    await app.bootstrap();
    const users = app.findCollection("users")!;
    users.createRule = users.viewRule = "";
    await saveCollection(app, users);
    const docs = newBaseCollection("docs");
    docs.fields.add(
      new TextField({ name: "title" }),
      new FileField({ name: "file", maxSelect: 1, thumbs: THUMBS }),
      new FileField({ name: "files", maxSelect: 5 }),
      new JSONField({ name: "meta" }),
    );
    docs.listRule = docs.viewRule = docs.createRule = docs.updateRule = docs.deleteRule = "";
    await saveCollection(app, docs);
    const priv = newBaseCollection("private");
    priv.fields.add(new FileField({ name: "doc", maxSelect: 1, protected: true }));
    priv.viewRule = '@request.auth.id != ""';
    await saveCollection(app, priv);
    ids = { docs: docs.id, private: priv.id, users: users.id };
    if (opts.s3) {
      const settings = app.settings();
      settings.s3 = { ...settings.s3, ...opts.s3(), enabled: true };
      await app.saveSettings(settings);
    }
    await app.terminate();
    storage = opts.s3 ? Filesystem.s3(opts.s3()) : Filesystem.local(join(dataDir, "storage"));
    expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dataDir}`])).code).toBe(0);
    srv = await startServer({ workDir: work });
    su = srv.sdk();
    await su.collection("_superusers").authWithPassword("root@example.com", "1234567890");
    guest = srv.sdk();
  });
  afterAll(() => srv?.stop());

  describe(`${label}: uploads`, () => {
    test("a single upload gets a normalized name and is stored with its attributes", async () => {
      const rec = await guest.collection("docs").create({ title: "one", file: new File([png], "My Photo.PNG") });
      expect(rec.file).toMatch(/^my_photo_[a-z0-9]{10}\.PNG$/);
      const k = key("docs", rec.id, rec.file);
      expect(await storage.bytes(k)).toEqual(png);
      const attrs = await storage.attributes(k);
      expect(attrs.contentType).toBe("image/png");
      expect(attrs.metadata["original-filename"]).toBe("My Photo.PNG");
      if (!opts.s3) {
        const sidecar = readFileSync(join(srv.dataDir, "storage", k + ".attrs"), "utf8");
        const md5 = new Bun.CryptoHasher("md5").update(png).digest("base64");
        expect(sidecar).toBe(
          `{"user.cache_control":"","user.content_disposition":"","user.content_encoding":"","user.content_language":"","user.content_type":"image/png","user.metadata":{"original-filename":"My Photo.PNG"},"md5":"${md5}"}\n`,
        );
      }
    });

    test("several files, files+ appends, files- removes and deletes the removed file", async () => {
      const a = new File(["alpha"], "a.txt");
      const b = new File(["bravo"], "b.txt");
      let rec = await guest.collection("docs").create({ title: "multi", files: [a, b] });
      expect(rec.files).toHaveLength(2);
      expect(rec.files[0]).toMatch(/^a[a-z0-9]{10}_[a-z0-9]{10}\.txt$/);
      const [first, second] = rec.files as string[];
      rec = await guest.collection("docs").update(rec.id, { "files+": new File(["charlie"], "c.txt") });
      expect(rec.files).toHaveLength(3);
      expect(rec.files.slice(0, 2)).toEqual([first, second]);
      rec = await guest.collection("docs").update(rec.id, { "files-": [first] });
      expect(rec.files).toEqual([second, rec.files[1]]);
      expect(await waitFor(async () => !(await storage.exists(key("docs", rec.id, first!))))).toBe(true);
      expect(await storage.exists(key("docs", rec.id, second!))).toBe(true);
      expect(new TextDecoder().decode(await storage.bytes(key("docs", rec.id, second!)))).toBe("bravo");
      // keep only one by listing the remaining names
      rec = await guest.collection("docs").update(rec.id, { files: [second] });
      expect(rec.files).toEqual([second]);
    });

    test("multipart with @jsonPayload, and names kept next to new uploads under the plain key", async () => {
      const form = new FormData();
      form.append("@jsonPayload", JSON.stringify({ title: "payload", meta: { a: [1, 2] } }));
      form.append("files", new File(["one"], "one.txt"));
      form.append("files", new File(["two"], "two.txt"));
      let res = await fetch(`${srv.url}/api/collections/docs/records`, { method: "POST", body: form });
      expect(res.status).toBe(200);
      const rec = (await res.json()) as { id: string; title: string; meta: unknown; files: string[] };
      expect(rec.title).toBe("payload");
      expect(rec.meta).toEqual({ a: [1, 2] });
      expect(rec.files).toHaveLength(2);
      const form2 = new FormData();
      form2.append("files", rec.files[1]);
      form2.append("files", new File(["three"], "three.txt"));
      res = await fetch(`${srv.url}/api/collections/docs/records/${rec.id}`, { method: "PATCH", body: form2 });
      const updated = (await res.json()) as { files: string[] };
      expect(updated.files).toHaveLength(2);
      expect(updated.files[0]).toBe(rec.files[1]);
      expect(updated.files[1]).toMatch(/^three_/);
      expect(await waitFor(async () => !(await storage.exists(key("docs", rec.id, rec.files[0]))))).toBe(true);
    });

    test("replacing a single file deletes the old one with its thumbs; failed saves leave nothing behind", async () => {
      let rec = await guest.collection("docs").create({ title: "replace", file: new File([png], "old.png") });
      const old = rec.file as string;
      expect((await fetch(fileUrl("docs", rec.id, old, "?thumb=50x50"))).status).toBe(200);
      expect(await waitFor(() => storage.exists(key("docs", rec.id, `thumbs_${old}/50x50_${old}`)))).toBe(true);
      rec = await guest.collection("docs").update(rec.id, { file: new File([png], "new.png") });
      expect(rec.file).toMatch(/^new_/);
      expect(await waitFor(async () => !(await storage.exists(key("docs", rec.id, old))))).toBe(true);
      expect(await storage.exists(key("docs", rec.id, `thumbs_${old}/50x50_${old}`))).toBe(false);
      expect(await storage.exists(key("docs", rec.id, rec.file))).toBe(true);

      // an invented name fails validation and stores nothing
      const before = (await storage.list(key("docs", rec.id) + "/")).map((o) => o.key).sort();
      const bad = await guest
        .collection("docs")
        .update(rec.id, { files: ["not_uploaded.txt"], file: new File([png], "x.png") })
        .catch((e) => e);
      expect(bad.status).toBe(400);
      expect(bad.response.data.files.code).toBe("validation_invalid_file");
      expect((await storage.list(key("docs", rec.id) + "/")).map((o) => o.key).sort()).toEqual(before);
    });

    test("deleting a record removes its storage folder", async () => {
      const rec = await guest
        .collection("docs")
        .create({ title: "gone", file: new File([png], "g.png"), files: [new File(["x"], "x.txt")] });
      await fetch(fileUrl("docs", rec.id, rec.file, "?thumb=100x100"));
      expect((await storage.list(key("docs", rec.id) + "/")).length).toBeGreaterThanOrEqual(3);
      await guest.collection("docs").delete(rec.id);
      expect(await waitFor(async () => (await storage.list(key("docs", rec.id) + "/")).length === 0)).toBe(true);
      if (!opts.s3)
        expect(await waitFor(() => !existsSync(join(srv.dataDir, "storage", key("docs", rec.id))))).toBe(true);
    });
  });

  describe(`${label}: serving`, () => {
    test("bytes and upstream's headers; Range, If-Modified-Since, download", async () => {
      const rec = await guest.collection("docs").create({
        title: "serve",
        file: new File([png], "pic.png"),
        files: [
          new File(["hello world"], "doc.txt"),
          new File(['<svg xmlns="http://www.w3.org/2000/svg"></svg>'], "logo.svg"),
        ],
      });
      const url = guest.files.getURL(rec, rec.file);
      let res = await fetch(url);
      expect(res.status).toBe(200);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
      expect(res.headers.get("content-type")).toBe("image/png");
      expect(res.headers.get("content-disposition")).toBe(`inline; filename=${rec.file}`);
      expect(res.headers.get("content-security-policy")).toBe(
        "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox",
      );
      expect(res.headers.get("cache-control")).toBe("max-age=2592000, stale-while-revalidate=86400");
      expect(res.headers.get("accept-ranges")).toBe("bytes");
      expect(res.headers.get("x-frame-options")).toBeNull();
      expect(res.headers.get("etag")).toBeNull();
      const lastModified = res.headers.get("last-modified")!;
      expect(lastModified).toMatch(/GMT$/);

      res = await fetch(url, { method: "HEAD" });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-length")).toBe(String(png.length));

      res = await fetch(url, { headers: { Range: "bytes=1-3" } });
      expect(res.status).toBe(206);
      expect(res.headers.get("content-range")).toBe(`bytes 1-3/${png.length}`);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(png.subarray(1, 4));
      res = await fetch(url, { headers: { Range: `bytes=${png.length + 10}-` } });
      expect(res.status).toBe(416);

      res = await fetch(url, { headers: { "If-Modified-Since": lastModified } });
      expect(res.status).toBe(304);

      res = await fetch(guest.files.getURL(rec, rec.file, { download: true }));
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename=${rec.file}`);

      const txt = rec.files[0];
      res = await fetch(guest.files.getURL(rec, txt));
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename=${txt}`);
      expect(await res.text()).toBe("hello world");
      // a thumb of a non-image is the original
      res = await fetch(guest.files.getURL(rec, txt, { thumb: "100x100" }));
      expect(await res.text()).toBe("hello world");

      res = await fetch(guest.files.getURL(rec, rec.files[1]));
      expect(res.headers.get("content-type")).toBe("image/svg+xml");
      expect(res.headers.get("content-disposition")).toStartWith("attachment;");

      for (const path of [`/api/files/docs/${rec.id}/missing.png`, `/api/files/docs/nope/${rec.file}`]) {
        res = await fetch(srv.url + path);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ data: {}, message: "The requested resource wasn't found.", status: 404 });
      }
      // the collection-aware rate limiter answers first for an unknown collection, as upstream
      res = await fetch(`${srv.url}/api/files/nope/${rec.id}/${rec.file}`);
      expect(await res.json()).toEqual({ data: {}, message: "Missing or invalid collection context.", status: 404 });
    });

    test("thumbs: every mode, sizes from the field or 100x100, each format", async () => {
      const sources = {
        png: { bytes: png as Uint8Array<ArrayBuffer>, type: "image/png", thumbFormat: "png" },
        jpeg: { bytes: await sampleJpeg(), type: "image/jpeg", thumbFormat: "jpeg" },
        gif: { bytes: sampleGif(), type: "image/gif", thumbFormat: "gif" },
        webp: { bytes: await sampleWebp(), type: "image/webp", thumbFormat: "png" },
      };
      const expected: { [size: string]: [number, number] } = {
        "100x100": [100, 100],
        "50x50": [50, 50],
        "50x50t": [50, 50],
        "50x50b": [50, 50],
        "50x50f": [50, 33],
        "0x30": [45, 30],
        "40x0": [40, 27],
        "600x400f": [300, 200],
      };
      for (const [fmt, src] of Object.entries(sources)) {
        const rec = await guest.collection("docs").create({ title: fmt, file: new File([src.bytes], `pic.${fmt}`) });
        for (const [size, [w, h]] of Object.entries(expected)) {
          const res = await fetch(guest.files.getURL(rec, rec.file, { thumb: size }));
          expect(res.status).toBe(200);
          const bytes = new Uint8Array(await res.arrayBuffer());
          const meta = await imageMeta(bytes);
          expect([fmt, size, meta.format, meta.width, meta.height]).toEqual([fmt, size, src.thumbFormat, w, h]);
          expect(res.headers.get("content-type")).toBe(
            src.thumbFormat === "jpeg" ? "image/jpeg" : `image/${src.thumbFormat}`,
          );
          expect(res.headers.get("content-disposition")).toBe(`inline; filename=${size}_${rec.file}`);
          const tk = key("docs", rec.id, `thumbs_${rec.file}/${size}_${rec.file}`);
          expect(await storage.exists(tk)).toBe(true);
          // served again from storage, byte for byte
          const again = new Uint8Array(
            await (await fetch(guest.files.getURL(rec, rec.file, { thumb: size }))).arrayBuffer(),
          );
          expect(again).toEqual(await storage.bytes(tk));
        }
        // a size the field doesn't list is the original
        const res = await fetch(guest.files.getURL(rec, rec.file, { thumb: "999x999" }));
        expect(new Uint8Array(await res.arrayBuffer())).toEqual(src.bytes);
        expect(res.headers.get("content-type")).toBe(src.type);
      }
    });

    test("protected files: 404 without a valid file token, served with one", async () => {
      const rec = await su.collection("private").create({ doc: new File(["top secret"], "secret.txt") });
      const url = su.files.getURL(rec, rec.doc);
      expect((await fetch(url)).status).toBe(404);
      // the Authorization header doesn't count
      expect((await fetch(url, { headers: { Authorization: su.authStore.token } })).status).toBe(404);
      expect((await fetch(url + "?token=garbage")).status).toBe(404);
      const suToken = await su.files.getToken();
      let res = await fetch(su.files.getURL(rec, rec.doc, { token: suToken }));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("top secret");
      // an auth token is not a file token
      expect((await fetch(su.files.getURL(rec, rec.doc, { token: su.authStore.token }))).status).toBe(404);

      await guest
        .collection("users")
        .create({ email: "u@example.com", password: "1234567890", passwordConfirm: "1234567890" });
      const user = srv.sdk();
      await user.collection("users").authWithPassword("u@example.com", "1234567890");
      const userToken = await user.files.getToken();
      res = await fetch(user.files.getURL(rec, rec.doc, { token: userToken }));
      expect(res.status).toBe(200);

      const noAuth = await fetch(`${srv.url}/api/files/token`, { method: "POST" });
      expect(noAuth.status).toBe(401);
    });
  });

  describe(`${label}: hostile names`, () => {
    test("names never leave the record folder and never cause a 500", async () => {
      const hostile = [
        "../../../etc/passwd",
        "..%2F..%2Fx.txt",
        "%2e%2e%2fdata.db",
        "\u0000evil.txt",
        "a".repeat(300) + ".txt",
        "noext",
        ".hidden",
        "..",
        "a/b/c.txt",
        "C:\\win\\x.txt",
        "ünï cödé.tar.gz",
        "x." + "e".repeat(40),
      ];
      const rec = await guest
        .collection("docs")
        .create({ title: "hostile", files: hostile.slice(0, 5).map((n) => new File([png], n)) });
      const rec2 = await guest
        .collection("docs")
        .create({ title: "hostile2", files: hostile.slice(5, 10).map((n) => new File(["text"], n)) });
      const rec3 = await guest
        .collection("docs")
        .create({ title: "hostile3", files: hostile.slice(10).map((n) => new File(["text"], n)) });
      const all: [string, string][] = [rec, rec2, rec3].flatMap((r) =>
        r.files.map((n: string) => [r.id, n] as [string, string]),
      );
      expect(all).toHaveLength(hostile.length);
      for (const [id, name] of all) {
        expect(name).toMatch(NAME_RE);
        expect(name.length).toBeLessThanOrEqual(100 + 1 + 10 + 21);
        expect(await storage.exists(key("docs", id, name))).toBe(true);
      }
      const noext = rec2.files[0] as string;
      expect(noext).toMatch(/^noext_[a-z0-9]{10}\.txt$/);
      expect(rec.files[4]).toMatch(/^a{100}_[a-z0-9]{10}\.txt$/);
      // nothing was written outside the collection's folder
      const outside = (await storage.list("")).filter(
        (o) => !o.key.startsWith(ids.docs + "/") && !o.key.startsWith(ids.private + "/"),
      );
      expect(outside).toEqual([]);

      for (const path of [
        "..%2F..%2Fdata.db",
        "%2e%2e%2f%2e%2e%2fdata.db",
        "..%5C..%5Cdata.db",
        "%00",
        "a%00b",
        "..",
        "%2e%2e",
        "x".repeat(400),
        "thumbs_x%2F..%2F..%2Fdata.db",
      ]) {
        const res = await fetch(`${srv.url}/api/files/docs/${rec.id}/${path}`);
        expect([path, res.status]).toEqual([path, 404]);
        expect((await fetch(`${srv.url}/api/files/docs/${path}/x.png`)).status).toBe(404);
      }
      // a raw multipart body with a NUL and slashes in the file name
      const boundary = "xXxBoundary";
      const body = Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="../\u0000/../x.txt"\r\nContent-Type: text/plain\r\n\r\nnul\r\n--${boundary}--\r\n`,
        ),
      ]);
      const res = await fetch(`${srv.url}/api/collections/docs/records`, {
        method: "POST",
        headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
        body,
      });
      expect(res.status).toBeLessThan(500);
      if (res.status === 200) {
        const r = (await res.json()) as { id: string; files: string[] };
        for (const n of r.files) {
          expect(n).toMatch(NAME_RE);
          expect(await storage.exists(key("docs", r.id, n))).toBe(true);
        }
      }
    });
  });
}
