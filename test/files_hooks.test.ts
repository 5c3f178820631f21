/**
 * Files API hooks and batch uploads with the API served in-process: onFileTokenRequest and
 * onFileDownloadRequest see upstream's fields and can change the answer.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import PocketBase from "pocketbase";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { FileField, TextField } from "../src/core/fields/index.ts";
import { Record } from "../src/core/record.ts";
import { newUploadFile } from "../src/core/record_files.ts";
import { saveRecord } from "../src/core/record_save.ts";
import { tempDir, testAppConfig } from "./harness.ts";
import { imageMeta, samplePng } from "./support/images.ts";

let app: App;
let server: RunningServer;
let dir: string;
let pb: PocketBase;
const seen: string[] = [];

beforeAll(async () => {
  dir = tempDir();
  app = new App(await testAppConfig({ dataDir: dir }));
  await app.bootstrap();
  const docs = newBaseCollection("docs");
  docs.fields.add(
    new TextField({ name: "title" }),
    new FileField({ name: "file", maxSelect: 1 }),
    new FileField({ name: "files", maxSelect: 4 }),
  );
  docs.listRule = docs.viewRule = docs.createRule = docs.updateRule = docs.deleteRule = "";
  await saveCollection(app, docs);
  const limited = newBaseCollection("limited");
  limited.fields.add(new FileField({ name: "file", maxSelect: 1 }));
  limited.viewRule = "";
  await saveCollection(app, limited);
  const settings = app.settings();
  settings.batch.enabled = true;
  settings.rateLimits.enabled = true;
  settings.rateLimits.rules = [{ label: "limited:file", audience: "", duration: 60, maxRequests: 2 }];
  await app.saveSettings(settings);

  app.onFileTokenRequest().bindFunc(async (e) => {
    seen.push(`token:${e.record.collection.name}`);
    e.token = "custom-token";
    await e.next();
  });
  app.onFileDownloadRequest("docs").bindFunc(async (e) => {
    seen.push(
      `download:${e.collection.name}:${e.record.id}:${e.fileField.name}:${e.servedName}:${e.thumbError ? "thumbError" : "ok"}`,
    );
    if (e.record.getString("title") === "renamed") e.servedName = "renamed.png";
    if (e.record.getString("title") === "blocked") throw e.forbiddenError("Not today.");
    e.responseHeaders.set("X-Frame-Options", "DENY");
    await e.next();
  });
  server = await startServer(app, { http: "127.0.0.1:0" });
  pb = new PocketBase(server.url);
});
afterAll(async () => {
  await server?.stop();
  await app?.terminate();
  rmSync(dir, { recursive: true, force: true });
});

async function create(title: string): Promise<Record> {
  const r = new Record(app.findCollection("docs")!);
  r.set("title", title);
  r.set("file", await newUploadFile(new File([samplePng(120, 80)], "pic.png")));
  await saveRecord(app, r);
  return r;
}

test("onFileTokenRequest can replace the token", async () => {
  const su = new Record(app.findCollection("_superusers")!);
  su.set("email", "hooks@example.com");
  su.set("password", "1234567890");
  await saveRecord(app, su);
  await pb.collection("_superusers").authWithPassword("hooks@example.com", "1234567890");
  expect(await pb.files.getToken()).toBe("custom-token");
  expect(seen).toContain("token:_superusers");
  pb.authStore.clear();
});

test("onFileDownloadRequest sees the served file and can rename, block or set headers", async () => {
  const plain = await create("plain");
  let res = await fetch(`${server.url}/api/files/docs/${plain.id}/${plain.getString("file")}?thumb=100x100`);
  expect(res.status).toBe(200);
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("content-disposition")).toBe(`inline; filename=100x100_${plain.getString("file")}`);
  expect(seen).toContain(`download:docs:${plain.id}:file:100x100_${plain.getString("file")}:ok`);
  res = await fetch(`${server.url}/api/files/docs/${plain.id}/${plain.getString("file")}?thumb=7x7`);
  expect(seen).toContain(`download:docs:${plain.id}:file:${plain.getString("file")}:thumbError`);

  const renamed = await create("renamed");
  res = await fetch(`${server.url}/api/files/docs/${renamed.id}/${renamed.getString("file")}`);
  expect(res.headers.get("content-disposition")).toBe("inline; filename=renamed.png");

  const blocked = await create("blocked");
  res = await fetch(`${server.url}/api/files/docs/${blocked.id}/${blocked.getString("file")}`);
  expect(res.status).toBe(403);
  expect(((await res.json()) as { message: string }).message).toBe("Not today.");
});

test("concurrent requests for a new thumb share one generation", async () => {
  const r = await create("concurrent");
  const url = `${server.url}/api/files/docs/${r.id}/${r.getString("file")}?thumb=100x100`;
  const bodies = await Promise.all(
    Array.from({ length: 8 }, async () => new Uint8Array(await (await fetch(url)).arrayBuffer())),
  );
  for (const b of bodies) expect(b).toEqual(bodies[0]!);
  expect(await imageMeta(bodies[0]!)).toEqual({ width: 100, height: 100, format: "png" });
});

test("batch requests carry uploads (requests.N.field parts)", async () => {
  const batch = pb.createBatch();
  batch.collection("docs").create({ title: "b1", file: new File([samplePng(10, 10)], "one.png") });
  batch.collection("docs").create({ title: "b2", files: [new File(["x"], "x.txt"), new File(["y"], "y.txt")] });
  const out = await batch.send();
  expect(out.map((o) => o.status)).toEqual([200, 200]);
  const [a, b] = out.map((o) => o.body as { id: string; file: string; files: string[] });
  expect(a!.file).toMatch(/^one_[a-z0-9]{10}\.png$/);
  expect(b!.files).toHaveLength(2);
  const res = await fetch(`${server.url}/api/files/docs/${b!.id}/${b!.files[1]}`);
  expect(await res.text()).toBe("y");
});

test("downloads follow the collection's `file` rate limit rule", async () => {
  const r = new Record(app.findCollection("limited")!);
  r.set("file", await newUploadFile(new File(["z"], "z.txt")));
  await saveRecord(app, r);
  const url = `${server.url}/api/files/limited/${r.id}/${r.getString("file")}`;
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await fetch(url)).status);
  expect(statuses).toEqual([200, 200, 429]);
});
