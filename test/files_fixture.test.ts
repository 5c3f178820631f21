/**
 * Files on upstream's own pb_data (the conformance fixture), served by the compiled binary started
 * from a folder holding only that pb_data: every stored file and every stored thumb comes back byte
 * for byte, and thumbs the binary makes itself (Bun.Image inside the executable) are right and
 * stored with upstream's sidecar format.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, cpSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { ensureBuilt } from "../build.ts";
import { FIXTURE, SHARED_MISSING, dbEnvFor, runPb, startServer, tempDir, type TestServer } from "./harness.ts";
import { withDb } from "./support/db.ts";
import { imageMeta, sampleJpeg, samplePng } from "./support/images.ts";

let srv: TestServer;
let su: PocketBase;
let fileToken = "";

interface StoredFile {
  collection: string;
  collectionId: string;
  recordId: string;
  name: string;
  thumbs: string[];
}

/**
 * Every (collection, record, file name) the fixture's non-view tables reference, read from a copy
 * (the fixture is read-only, and opening a database may write beside it).
 */
function referencedFiles(): Promise<StoredFile[]> {
  const copy = join(tempDir(), "data.db");
  copyFileSync(join(FIXTURE, "data.db"), copy);
  chmodSync(copy, 0o644);
  return withDb(copy, async (db) => {
    const out: StoredFile[] = [];
    const cols = await db.all<{
      id: string;
      name: string;
      type: string;
      fields: string;
    }>("SELECT id, name, type, fields FROM _collections");
    for (const c of cols) {
      if (c.type === "view") continue;
      const fields = (JSON.parse(c.fields) as { type: string; name: string; thumbs?: string[] | null }[]).filter(
        (f) => f.type === "file",
      );
      for (const f of fields) {
        const rows = await db.all<{ id: string; v: string }>(`SELECT id, "${f.name}" AS v FROM "${c.name}"`);
        for (const r of rows) {
          const names = r.v?.startsWith("[") ? (JSON.parse(r.v) as string[]) : r.v ? [r.v] : [];
          for (const n of names)
            out.push({ collection: c.name, collectionId: c.id, recordId: r.id, name: n, thumbs: f.thumbs ?? [] });
        }
      }
    }
    return out;
  });
}

describe.skipIf(!!SHARED_MISSING)("fixture files through the compiled binary", () => {
  if (SHARED_MISSING) test.skip(SHARED_MISSING, () => {});
  beforeAll(async () => {
    const bin = await ensureBuilt("host");
    const work = tempDir();
    const dataDir = join(work, "pb_data");
    cpSync(FIXTURE, dataDir, { recursive: true });
    await dbEnvFor(dataDir, dataDir); // on PostgreSQL: the fixture copied into this pb_data's database
    expect(
      (
        await runPb(["superuser", "upsert", "files@example.com", "1234567890", `--dir=${dataDir}`], {
          binary: bin,
          cwd: work,
        })
      ).code,
    ).toBe(0);
    srv = await startServer({ binary: bin, workDir: work });
    su = srv.sdk();
    await su.collection("_superusers").authWithPassword("files@example.com", "1234567890");
    fileToken = await su.files.getToken();
  });
  afterAll(() => srv?.stop());

  test("every stored file is served byte for byte", async () => {
    const files = await referencedFiles();
    let served = 0;
    for (const f of files) {
      const path = join(FIXTURE, "storage", f.collectionId, f.recordId, f.name);
      if (!existsSync(path)) continue; // the fixture names a few files it doesn't ship
      const res = await fetch(
        `${srv.url}/api/files/${f.collection}/${f.recordId}/${encodeURIComponent(f.name)}?token=${fileToken}`,
      );
      expect([f.name, res.status]).toEqual([f.name, 200]);
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(path))).toBe(true);
      served++;
    }
    expect(served).toBeGreaterThanOrEqual(10);
  });

  test("stored thumbs are served as they are", async () => {
    let served = 0;
    for (const f of await referencedFiles()) {
      const dir = join(FIXTURE, "storage", f.collectionId, f.recordId, `thumbs_${f.name}`);
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir)) {
        if (entry.endsWith(".attrs")) continue;
        const size = entry.slice(0, entry.length - f.name.length - 1);
        if (size !== "100x100" && !f.thumbs.includes(size)) continue;
        const res = await fetch(
          `${srv.url}/api/files/${f.collection}/${f.recordId}/${encodeURIComponent(f.name)}?thumb=${size}&token=${fileToken}`,
        );
        expect(res.status).toBe(200);
        expect(res.headers.get("content-disposition")).toBe(`inline; filename=${entry}`);
        expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(dir, entry)))).toBe(true);
        served++;
      }
    }
    expect(served).toBeGreaterThanOrEqual(8);
  });

  test("the binary makes new thumbs (PNG and JPEG) and stores them as upstream does", async () => {
    const rec = await su.collection("demo5").create({ file: new File([samplePng(240, 160)], "new.png") });
    const jpg = await su.collection("demo5").create({ file: new File([await sampleJpeg(240, 160)], "new.jpg") });
    for (const [r, format] of [
      [rec, "png"],
      [jpg, "jpeg"],
    ] as const) {
      const res = await fetch(su.files.getURL(r, r.file, { thumb: "100x100" }));
      expect(res.status).toBe(200);
      const meta = await imageMeta(await res.arrayBuffer());
      expect(meta).toEqual({ width: 100, height: 100, format });
      const collectionId = r.collectionId as string;
      const thumbPath = join(srv.dataDir, "storage", collectionId, r.id, `thumbs_${r.file}`, `100x100_${r.file}`);
      expect(existsSync(thumbPath)).toBe(true);
      const md5 = new Bun.CryptoHasher("md5").update(readFileSync(thumbPath)).digest("base64");
      expect(readFileSync(thumbPath + ".attrs", "utf8")).toBe(
        `{"user.cache_control":"","user.content_disposition":"","user.content_encoding":"","user.content_language":"","user.content_type":"image/${format}","user.metadata":null,"md5":"${md5}"}\n`,
      );
    }
  });
});
