/**
 * The example pb_hooks under hooks/ (written after upstream's documentation patterns), each
 * exercised over HTTP with the official SDK. The server runs in-process so the cron example can
 * be fired with an injected clock.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { runAllMigrations } from "../src/core/migrations_runner.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { jsCron } from "../src/jsvm/cron.ts";
import { registerJsvm, type JsvmPlugin } from "../src/jsvm/plugin.ts";
import { testAppConfig } from "./harness.ts";

const EXAMPLES = join(import.meta.dir, "..", "hooks");

let dir: string;
let app: App;
let plugin: JsvmPlugin;
let server: RunningServer;
let remote: ReturnType<typeof Bun.serve>;
let su: PocketBase;
let user: PocketBase;
let guest: PocketBase;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pb-hooks-examples-"));
  app = new App(await testAppConfig({ dataDir: join(dir, "pb_data") }));
  plugin = await registerJsvm(app, {
    hooksDir: join(EXAMPLES, "pb_hooks"),
    migrationsDir: join(EXAMPLES, "pb_migrations"),
    hooksWatch: false,
    hooksPool: 2,
  });
  await app.bootstrap();
  await runAllMigrations(app, plugin.appMigrations);
  await createSuperuser(app, "su@example.com", "1234567890");
  server = await startServer(app, { http: "127.0.0.1:0" });
  remote = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (req) => Response.json({ echoed: ((await req.json()) as { text: string }).text }),
  });
  su = new PocketBase(server.url);
  await su.collection("_superusers").authWithPassword("su@example.com", "1234567890");
  guest = new PocketBase(server.url);
  await guest
    .collection("users")
    .create({ email: "ann@example.com", password: "1234567890", passwordConfirm: "1234567890" });
  user = new PocketBase(server.url);
  await user.collection("users").authWithPassword("ann@example.com", "1234567890");
}, 30_000);

afterAll(async () => {
  await server?.stop();
  remote?.stop(true);
  await app?.terminate();
  rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const call = (pb: PocketBase, path: string, opts: any = {}): Promise<any> => pb.send(path, opts);

test("01 hello: a route with a path parameter", async () => {
  expect(await call(guest, "/hello/world")).toEqual({ message: "Hello world" });
});

test("02 auth route: $apis.requireAuth", async () => {
  expect((await call(guest, "/api/myapp/me").catch((e) => e)).status).toBe(401);
  const me = await call(user, "/api/myapp/me");
  expect(me).toEqual({ id: user.authStore.record!.id, email: "ann@example.com", collection: "users" });
  expect((await call(su, "/api/myapp/me").catch((e) => e)).status).toBe(403);
});

test("03 slug and owner filled on create; 04 spam titles refused; 05 audit trail", async () => {
  const a = await user.collection("articles").create({ title: "Hello Wörld, again!", body: "one two three" });
  expect(a.slug).toBe("hello-world-again");
  expect(a.owner).toBe(user.authStore.record!.id);

  const err = await user
    .collection("articles")
    .create({ title: "Cheap SPAM here" })
    .catch((e) => e);
  expect(err.status).toBe(400);
  expect(err.response.data).toEqual({ title: { code: "validation_spam", message: "The title looks like spam." } });

  await user.collection("articles").update(a.id, { title: "Renamed", views: 3 });
  await user.collection("articles").delete(a.id);
  const trail = await su.collection("audit").getFullList({ filter: `record = "${a.id}"`, sort: "created,action" });
  expect(trail.map((t) => t.action).sort()).toEqual(["create", "delete", "update"]);
  const upd = trail.find((t) => t.action === "update")!;
  expect(upd.changes).toEqual({ title: { from: "Hello Wörld, again!", to: "Renamed" }, views: { from: 0, to: 3 } });
});

test("06 enrich: internal fields hidden from users, computed fields added", async () => {
  const a = await su
    .collection("articles")
    .create({ title: "Long read", body: "word ".repeat(450), internalNote: "editorial only" });
  const asUser = await user.collection("articles").getOne(a.id);
  expect(asUser.internalNote).toBeUndefined();
  expect(asUser.readingMinutes).toBe(3);
  const asSu = await su.collection("articles").getOne(a.id);
  expect(asSu.internalNote).toBe("editorial only");
});

test("07 middlewares: a global header and a prioritized route middleware", async () => {
  const r = await fetch(server.url + "/api/health");
  expect(r.headers.get("x-powered-by")).toBe("pb-hooks");
  expect(await call(guest, "/api/myapp/timed")).toEqual({ steps: ["outer", "inner"] });
});

test("08 cron: the nightly job prunes old audit entries", async () => {
  const old = await su.collection("audit").create({ action: "ancient", collection: "articles", record: "x" });
  await app.db.run("UPDATE audit SET created = '2000-01-01 00:00:00.000Z' WHERE id = ?", [old.id]);
  const fresh = await su.collection("audit").create({ action: "recent", collection: "articles", record: "y" });
  expect(
    jsCron(app)
      .jobs()
      .map((j) => j.id),
  ).toContain("pruneAudit");
  // the job is the app's: the crons API lists it
  expect((await su.crons.getFullList()).map((j) => j.id)).toContain("pruneAudit");
  jsCron(app).runDue(new Date("2030-01-01T03:00:00Z"));
  for (
    let i = 0;
    i < 100 && (await su.collection("audit").getList(1, 1, { filter: `id = "${old.id}"` })).totalItems > 0;
    i++
  )
    await Bun.sleep(20);
  expect((await su.collection("audit").getList(1, 1, { filter: `id = "${old.id}"` })).totalItems).toBe(0);
  expect((await su.collection("audit").getOne(fresh.id)).id).toBe(fresh.id);
});

test("09 $http.send forwards to another service", async () => {
  const r = await call(su, "/api/myapp/forward", {
    method: "POST",
    body: { url: `http://127.0.0.1:${remote.port}/`, text: "ping" },
  });
  expect(r).toEqual({ status: 200, reply: { echoed: "ping" } });
});

test("10 quota: state shared in $app.store()", async () => {
  const used = [];
  for (let i = 0; i < 3; i++) used.push((await call(guest, "/api/myapp/quota")).used);
  expect(used).toEqual([1, 2, 3]);
  const err = await call(guest, "/api/myapp/quota").catch((e) => e);
  expect(err.status).toBe(429);
  expect(err.response.message).toBe("Quota exceeded.");
});

test("11 db query: grouped rows into DynamicModels", async () => {
  const r = await call(guest, "/api/myapp/stats");
  const byAction = Object.fromEntries(r.actions.map((x: { action: string; total: number }) => [x.action, x.total]));
  expect(byAction.create).toBeGreaterThanOrEqual(1);
  expect(typeof r.top.title).toBe("string");
  expect(typeof r.top.views).toBe("number");
});

test("12 transaction: clone an article and count the view atomically", async () => {
  const a = await su.collection("articles").create({ title: "Original", body: "text", views: 1 });
  const copy = await call(su, `/api/myapp/articles/${a.id}/clone`, { method: "POST" });
  expect(copy.title).toBe("Original (copy)");
  expect((await su.collection("articles").getOne(a.id)).views).toBe(2);
  const before = (await su.collection("articles").getList(1, 1)).totalItems;
  const err = await call(su, "/api/myapp/articles/missing/clone", { method: "POST" }).catch((e) => e);
  expect(err.status).toBe(404);
  expect((await su.collection("articles").getList(1, 1)).totalItems).toBe(before);
});

test("13 bootstrap: settings changed once the DB is ready", async () => {
  expect(app.settings().meta.appName).toBe("Hooks Example");
});

test("14 typescript: a .pb.ts route", async () => {
  const a = await su.collection("articles").create({ title: "Typed", body: "a b c d" });
  expect(await call(guest, `/api/myapp/articles/${a.id}/summary`)).toEqual({ id: a.id, title: "Typed", words: 4 });
});

test("exact routes: {$} for the root only, a trailing-slash subtree, a literal beating it", async () => {
  const home = await fetch(server.url + "/");
  expect(await home.text()).toContain("<h1>Welcome</h1>");
  // without pb_public here, other paths fall to upstream's not-found route
  expect((await fetch(server.url + "/welcome")).status).toBe(404);
  expect(await call(guest, "/guide/")).toEqual({ page: "index" });
  expect(await call(guest, "/guide/install/linux")).toEqual({ page: "install/linux" });
  expect(await call(guest, "/guide/changelog")).toEqual({ page: "changelog", version: "1.0.0" });
  const moved = await fetch(server.url + "/guide", { redirect: "manual" });
  expect(moved.status).toBe(301);
  expect(moved.headers.get("location")).toBe("/guide/");
});

test("async route: awaits $http.send and answers with its result; a failed call answers 400", async () => {
  const r = await call(su, "/api/myapp/async-forward", {
    method: "POST",
    body: { url: `http://127.0.0.1:${remote.port}/`, text: "pong" },
  });
  expect(r).toEqual({ status: 200, reply: { echoed: "pong" }, async: true });
  // nothing listens on port 1: the awaited call rejects
  const err = await call(su, "/api/myapp/async-forward", {
    method: "POST",
    body: { url: "http://127.0.0.1:1/", text: "x" },
  }).catch((e) => e);
  expect(err.status).toBe(400);
});

test("realtime: the connect, subscribe and message hooks shape what an SDK client gets", async () => {
  const rt = new PocketBase(server.url);
  // the SDK hands over the whole decoded message
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const events: { action: string; record: { id: string; [k: string]: any }; connectedAt?: string }[] = [];
  const before = Date.now();
  await rt.collection("articles").subscribe("*", (e) => events.push(e));
  try {
    const a = await su.collection("articles").create({ title: "Live", body: "x" });
    for (let i = 0; i < 250 && !events.some((e) => e.record.id === a.id); i++) await Bun.sleep(20);
    const ev = events.find((e) => e.record.id === a.id)!;
    expect(ev.record.title).toBe("Live");
    // stamped by the connect hook, added by the message hook
    expect(Date.parse(ev.connectedAt!)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(ev.connectedAt!)).toBeLessThanOrEqual(Date.now());

    for (let i = 0; i < 4; i++) await rt.collection("articles").subscribe(`topic${i}`, () => {});
    const err = await rt
      .collection("articles")
      .subscribe("sixth", () => {})
      .catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.response.message).toBe("Too many subscriptions (at most 5).");
  } finally {
    await rt.realtime.unsubscribe();
  }
});
