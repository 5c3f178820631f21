/**
 * Request logging and the logs API with the server in-process (so the log queue can be flushed
 * on demand): upstream's entry fields, the skip rules, logIP/logAuthId/minLevel/maxDays, the
 * list, stats, view and truncate routes, and retention through the cleanup cron.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import PocketBase from "pocketbase";
import type { Router } from "../src/api/router.ts";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { TextField } from "../src/core/fields/index.ts";
import { LOG_BATCH_SIZE, appLogger } from "../src/core/logs.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { tempDir, testAppConfig } from "./harness.ts";

setDefaultTimeout(20_000);

let app: App;
let server: RunningServer;
let dir: string;
let su: PocketBase;
let token: string;

type LogItem = { id: string; created: string; level: number; message: string; data: { [k: string]: unknown } };

async function logs(query = ""): Promise<{ items: LogItem[]; totalItems: number }> {
  await appLogger(app).flush();
  const res = await fetch(`${server.url}/api/logs?perPage=500${query ? "&" + query : ""}`, {
    headers: { Authorization: token },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { items: LogItem[]; totalItems: number };
}

async function patchSettings(body: unknown) {
  const res = await fetch(`${server.url}/api/settings`, {
    method: "PATCH",
    headers: { Authorization: token, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  dir = tempDir();
  mkdirSync(join(dir, "pb_public"));
  writeFileSync(join(dir, "pb_public", "index.html"), "<h1>hi</h1>");
  app = new App(await testAppConfig({ dataDir: join(dir, "pb_data") }));
  await app.bootstrap();
  const notes = newBaseCollection("notes");
  notes.fields.add(new TextField({ name: "title", required: true }));
  notes.listRule = notes.viewRule = notes.createRule = "";
  await saveCollection(app, notes);
  await createSuperuser(app, "root@example.com", "1234567890");
  app.onServe.bindFunc((e) => {
    const router = e.router as Router;
    router.get("/custom/meta", (ev) => {
      ev.store.set("pbLogMeta", { reason: "testing", n: 1 });
      ev.json(200, { ok: true });
    });
    return e.next();
  });
  server = await startServer(app, { http: "127.0.0.1:0", publicDir: join(dir, "pb_public") });
  su = new PocketBase(server.url);
  await su.collection("_superusers").authWithPassword("root@example.com", "1234567890");
  token = su.authStore.token;
});

afterAll(async () => {
  await server.stop();
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await appLogger(app).flush();
  await fetch(`${server.url}/api/logs`, { method: "DELETE", headers: { Authorization: token } });
});

describe("request logging", () => {
  test("a success: INFO, upstream's fields, keys sorted", async () => {
    const res = await fetch(`${server.url}/api/health?x=%20y`, {
      headers: { Referer: "http://ref.example/", "User-Agent": "pb-test/1.0" },
    });
    expect(res.status).toBe(200);
    const { items } = await logs();
    const log = items.find((l) => l.message === "GET /api/health?x= y")!;
    expect(log).toBeDefined();
    expect(log.level).toBe(0);
    expect(log.id).toMatch(/^[a-z0-9]{15}$/);
    expect(log.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Object.keys(log.data)).toEqual([
      "auth",
      "execTime",
      "method",
      "referer",
      "remoteIP",
      "status",
      "type",
      "url",
      "userAgent",
      "userIP",
    ]);
    expect(log.data).toMatchObject({
      type: "request",
      url: "/api/health?x=%20y",
      method: "GET",
      status: 200,
      referer: "http://ref.example/",
      userAgent: "pb-test/1.0",
      auth: "",
      userIP: "127.0.0.1",
      remoteIP: "127.0.0.1",
    });
    expect(typeof log.data.execTime).toBe("number");
  });

  test("an error: ERROR with the message and its details; auth is the collection name", async () => {
    const bad = await fetch(`${server.url}/api/collections/notes/records`, {
      method: "POST",
      headers: { Authorization: token, "Content-Type": "application/json" },
      body: JSON.stringify({ title: "" }),
    });
    expect(bad.status).toBe(400);
    await fetch(`${server.url}/api/collections/missing/records`);
    const { items } = await logs();
    const create = items.find((l) => l.message === "POST /api/collections/notes/records")!;
    expect(create.level).toBe(8);
    expect(create.data.status).toBe(400);
    expect(create.data.auth).toBe("_superusers");
    expect(create.data.error).toBe("Failed to create record.");
    expect(create.data.details).toBeDefined();
    expect(JSON.stringify(create.data.details)).toContain("title");
    const missing = items.find((l) => l.message === "GET /api/collections/missing/records")!;
    expect(missing.level).toBe(8);
    expect(missing.data.status).toBe(404);
    expect(missing.data.error).toBe("Missing collection context.");
  });

  test("successes of skipped routes are not logged, their failures are", async () => {
    await fetch(`${server.url}/api/logs/stats`, { headers: { Authorization: token } });
    await fetch(`${server.url}/api/logs/stats`); // 401
    await fetch(`${server.url}/index.html`); // pb_public
    await fetch(`${server.url}/`); // pb_public
    const { items } = await logs();
    const messages = items.map((l) => l.message);
    expect(messages).toContain("GET /api/logs/stats");
    expect(items.filter((l) => l.message === "GET /api/logs/stats")).toHaveLength(1);
    expect(items.find((l) => l.message === "GET /api/logs/stats")!.data.status).toBe(401);
    expect(messages.some((m) => m.startsWith("GET /index.html") || m === "GET /")).toBe(false);
  });

  test("pbLogMeta is saved as data.meta", async () => {
    await fetch(`${server.url}/custom/meta`);
    const { items } = await logs();
    expect(items.find((l) => l.message === "GET /custom/meta")!.data.meta).toEqual({ n: 1, reason: "testing" });
  });

  test("CORS preflights are not logged", async () => {
    const res = await fetch(`${server.url}/api/health`, {
      method: "OPTIONS",
      headers: { Origin: "http://x.example", "Access-Control-Request-Method": "GET" },
    });
    expect(res.status).toBe(204);
    const { items } = await logs();
    expect(items.some((l) => l.message.startsWith("OPTIONS"))).toBe(false);
  });

  test("logIP off hides the IPs, logAuthId on adds the auth id", async () => {
    await patchSettings({ logs: { logIP: false, logAuthId: true } });
    await fetch(`${server.url}/api/collections/notes/records`, { headers: { Authorization: token } });
    const { items } = await logs();
    const log = items.find((l) => l.message === "GET /api/collections/notes/records")!;
    expect(log.data).not.toHaveProperty("userIP");
    expect(log.data).not.toHaveProperty("remoteIP");
    expect(log.data.authId).toBe(su.authStore.record!.id);
    await patchSettings({ logs: { logIP: true, logAuthId: false } });
  });

  test("minLevel drops lower levels (and prunes stored ones); maxDays 0 turns logging off", async () => {
    await fetch(`${server.url}/api/health`);
    await appLogger(app).flush();
    await patchSettings({ logs: { minLevel: 4 } }); // WARN: stored INFO entries go too
    await fetch(`${server.url}/api/health`);
    await fetch(`${server.url}/api/collections/missing/records`);
    let { items } = await logs();
    expect(items.every((l) => l.level >= 4)).toBe(true);
    expect(items.some((l) => l.message === "GET /api/collections/missing/records")).toBe(true);

    await patchSettings({ logs: { minLevel: 0, maxDays: 0 } });
    await fetch(`${server.url}/api/collections/missing/records`);
    ({ items } = await logs());
    expect(items).toHaveLength(0);
    await patchSettings({ logs: { maxDays: 5 } });
  });
});

describe("the logger", () => {
  test("writes a full batch at once, without waiting for the timer", async () => {
    const logger = appLogger(app);
    for (let i = 0; i < LOG_BATCH_SIZE; i++) logger.info("batch entry", { i });
    expect(logger.pending).toBe(0); // handed to the writer
    await Bun.sleep(50);
    const count = (await app.auxDb.get<{
      n: number;
    }>("SELECT count(*) AS n FROM _logs WHERE message = 'batch entry'"))!;
    expect(count.n).toBe(LOG_BATCH_SIZE);
  });

  test("ids look like upstream's (15 of [a-z0-9]), unique and in time order", async () => {
    const logger = appLogger(app);
    logger.info("id entry", { n: 1 });
    await logger.flush();
    await Bun.sleep(5);
    for (let i = 0; i < 50; i++) logger.info("id entry", { n: 2 });
    await logger.flush();
    const rows = await app.auxDb.all<{ id: string; created: string }>(
      `SELECT id, created FROM _logs WHERE message = 'id entry' ORDER BY created, ${app.auxDb.dialect.rowid}`,
    );
    expect(rows).toHaveLength(51);
    for (const r of rows) expect(r.id).toMatch(/^[a-z0-9]{15}$/);
    expect(new Set(rows.map((r) => r.id)).size).toBe(51);
    // the later batch sorts after the first entry
    for (const r of rows.slice(1)) expect(r.id > rows[0]!.id).toBe(true);
  });

  test("errors in data are stored as their messages", async () => {
    appLogger(app).warn("custom warning", { error: new Error("boom"), nested: { at: new Date(0) } });
    const { items } = await logs("filter=" + encodeURIComponent("message='custom warning'"));
    expect(items[0]!.level).toBe(4);
    expect(items[0]!.data).toEqual({ error: "boom", nested: { at: "1970-01-01T00:00:00.000Z" } });
  });
});

describe("logs API", () => {
  const insert = (id: string, level: number, message: string, data: unknown, created: string) =>
    app.auxDb.run("INSERT INTO _logs (id, level, message, data, created) VALUES (?, ?, ?, ?, ?)", [
      id,
      level,
      message,
      JSON.stringify(data),
      created,
    ]);

  test("list with filter (data paths), sort and pagination; view; stats; truncate", async () => {
    await insert(
      "873f2133-9f38-44fb-bf82-c8f53b310d91",
      0,
      "test_message1",
      { status: 200 },
      "2022-05-01 10:00:00.123Z",
    );
    await insert(
      "f2133873-44fb-9f38-bf82-c918f53b310d",
      8,
      "test_message2",
      { status: 400 },
      "2022-05-02 10:00:00.123Z",
    );
    const h = { headers: { Authorization: token } };
    let res = await fetch(`${server.url}/api/logs?filter=${encodeURIComponent("data.status>200")}`, h);
    let body = (await res.json()) as { items: LogItem[]; totalItems: number };
    expect(body).toMatchObject({ page: 1, perPage: 30, totalItems: 1, totalPages: 1 });
    expect(body.items[0]).toEqual({
      id: "f2133873-44fb-9f38-bf82-c918f53b310d",
      created: "2022-05-02 10:00:00.123Z",
      data: { status: 400 },
      message: "test_message2",
      level: 8,
    });
    expect(Object.keys(body.items[0])).toEqual(["id", "created", "data", "message", "level"]);

    res = await fetch(
      `${server.url}/api/logs?sort=created&perPage=1&page=2&filter=${encodeURIComponent("message~'test_message'")}`,
      h,
    );
    body = (await res.json()) as { items: LogItem[]; totalItems: number };
    expect(body.items.map((l: LogItem) => l.message)).toEqual(["test_message2"]);
    expect(body.totalItems).toBe(2);

    res = await fetch(`${server.url}/api/logs?filter=${encodeURIComponent("unknown=1")}`, h);
    expect(res.status).toBe(400);

    res = await fetch(`${server.url}/api/logs/873f2133-9f38-44fb-bf82-c8f53b310d91`, h);
    expect(await res.json()).toMatchObject({ id: "873f2133-9f38-44fb-bf82-c8f53b310d91", level: 0 });
    expect((await fetch(`${server.url}/api/logs/missing`, h)).status).toBe(404);

    res = await fetch(`${server.url}/api/logs/stats?filter=${encodeURIComponent("created<'2023-01-01'")}`, h);
    expect(await res.text()).toBe(
      '[{"date":"2022-05-01 10:00:00.000Z","total":1},{"date":"2022-05-02 10:00:00.000Z","total":1}]\n',
    );
    res = await fetch(`${server.url}/api/logs/stats?filter=${encodeURIComponent("data.status>200")}`, h);
    expect(await res.json()).toEqual([{ date: "2022-05-02 10:00:00.000Z", total: 1 }]);
    res = await fetch(`${server.url}/api/logs/stats?filter=${encodeURIComponent("invalid(")}`, h);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe("Invalid filter format.");

    await appLogger(app).flush(); // the failed requests above are logged too
    await su.logs.truncate();
    expect((await logs()).totalItems).toBe(0);
  });

  test("guests 401, other records 403", async () => {
    expect((await fetch(`${server.url}/api/logs`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/logs/x`)).status).toBe(401);
  });

  test("retention: the cleanup cron deletes logs older than maxDays", async () => {
    const old = new Date(Date.now() - 6 * 86_400_000).toISOString().replace("T", " ");
    await insert("oldlog000000001", 0, "too old", {}, old);
    await insert("newlog000000001", 0, "recent", {}, new Date().toISOString().replace("T", " "));
    const res = await fetch(`${server.url}/api/crons/__pbLogsCleanup__`, {
      method: "POST",
      headers: { Authorization: token },
    });
    expect(res.status).toBe(204);
    await Bun.sleep(100);
    const { items } = await logs();
    expect(items.some((l) => l.message === "too old")).toBe(false);
    expect(items.some((l) => l.message === "recent")).toBe(true);
  });
});
