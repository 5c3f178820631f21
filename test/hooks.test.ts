/**
 * TypeScript handlers on the hook bus, with the API served in-process: request hooks see upstream's
 * event fields and can change what is saved and answered.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import PocketBase from "pocketbase";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { TextField } from "../src/core/fields/index.ts";
import { tempDir, testAppConfig } from "./harness.ts";

let app: App;
let server: RunningServer;
let dir: string;
let pb: PocketBase;
const seen: string[] = [];

beforeAll(async () => {
  dir = tempDir();
  app = new App(await testAppConfig({ dataDir: dir }));
  await app.bootstrap();
  const notes = newBaseCollection("notes");
  notes.fields.add(new TextField({ name: "title" }), new TextField({ name: "internal" }));
  notes.listRule = notes.viewRule = notes.createRule = notes.updateRule = notes.deleteRule = "";
  await saveCollection(app, notes);

  app.onRecordCreateRequest("notes").bindFunc(async (e) => {
    seen.push(`createRequest:${e.collection.name}:${e.record?.getString("title")}:${e.auth ? "auth" : "guest"}`);
    e.record!.set("title", e.record!.getString("title").toUpperCase());
    await e.next();
  });
  app.onRecordUpdateRequest("notes").bindFunc(async (e) => {
    if (e.record!.getString("title") === "forbidden") throw e.forbiddenError("No way.");
    await e.next();
  });
  app.onRecordDeleteRequest().bindFunc(async (e) => {
    seen.push(`deleteRequest:${e.record!.id}`);
    await e.next();
  });
  app.onRecordsListRequest("notes").bindFunc(async (e) => {
    seen.push(`listRequest:${e.records.length}:${e.result.totalItems}`);
    e.responseHeaders.set("X-Seen", "list");
    await e.next();
  });
  app.onRecordViewRequest("notes").bindFunc(async (e) => {
    if (e.record!.getString("title") === "SECRET") {
      e.json(200, { replaced: true });
      return; // not calling next: our response stands
    }
    await e.next();
  });
  app.onRecordEnrich("notes").bindFunc(async (e) => {
    e.record.hide("internal");
    e.record.exportCustomData = true;
    e.record.set("computed", e.record.getString("title").length);
    await e.next();
  });
  server = await startServer(app, { http: "127.0.0.1:0" });
  pb = new PocketBase(server.url);
});

afterAll(async () => {
  await server.stop();
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

test("request and enrich hooks change what is saved and returned", async () => {
  const rec = await pb.collection("notes").create({ title: "hello", internal: "x" });
  expect(rec.title).toBe("HELLO");
  expect(rec.computed).toBe(5);
  expect("internal" in rec).toBe(false);
  expect(seen).toContain("createRequest:notes:hello:guest");

  const res = await fetch(`${server.url}/api/collections/notes/records`);
  expect(res.headers.get("x-seen")).toBe("list");
  expect(seen).toContain("listRequest:1:1");

  const secret = await pb.collection("notes").create({ title: "secret" });
  expect(await pb.collection("notes").getOne(secret.id)).toEqual({ replaced: true } as any);

  await expect(pb.collection("notes").update(rec.id, { title: "forbidden" })).rejects.toMatchObject({
    status: 403,
    message: "No way.",
  });
  // the hook aborted before the save: the stored title is unchanged
  expect((await pb.collection("notes").getOne(rec.id)).title).toBe("HELLO");

  await pb.collection("notes").delete(rec.id);
  expect(seen).toContain(`deleteRequest:${rec.id}`);
});
