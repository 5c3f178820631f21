/**
 * `cronAdd`/`cronRemove` from pb_hooks, with an injected clock (the scheduler's `runDue(date)`):
 * jobs are serialised handlers run in executors, a failing job only logs, bad expressions fail
 * at registration, and executors can add and remove jobs too.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "../src/core/app.ts";
import { jsCron } from "../src/jsvm/cron.ts";
import { registerJsvm, type JsvmPlugin } from "../src/jsvm/plugin.ts";
import { appStore } from "../src/jsvm/store.ts";
import { appLogger } from "../src/core/logs.ts";
import { writeFiles } from "./support/jsvm.ts";
import { testAppConfig } from "./harness.ts";

let dir: string;
let app: App;
let plugin: JsvmPlugin;
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pb-jsvm-cron-"));
  writeFiles(join(dir, "pb_hooks"), {
    "cron.pb.js": `
cronAdd("tick", "*/5 * * * *", () => {
  $app.store().set("ticks", ($app.store().get("ticks") || 0) + 1)
})
cronAdd("daily", "@daily", () => { $app.store().set("daily", true) })
cronRemove("daily")
cronAdd("failing", "0 12 * * *", () => { throw new Error("cron boom") })
routerAdd("POST", "/schedule", (e) => {
  cronAdd("fromRoute", "30 * * * *", () => { $app.store().set("fromRoute", "ran") })
  return e.noContent(204)
})
`,
  });
  app = new App(await testAppConfig({ dataDir: join(dir, "pb_data") }));
  plugin = await registerJsvm(app, {
    hooksDir: join(dir, "pb_hooks"),
    migrationsDir: join(dir, "pb_migrations"),
    hooksWatch: false,
    hooksPool: 1,
    log: (l) => logs.push(l),
  });
  await app.bootstrap();
}, 30_000);

afterAll(async () => {
  await app?.terminate();
  rmSync(dir, { recursive: true, force: true });
});

async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(10);
  }
}

test("jobs registered at load time run when due, and only then", async () => {
  const cron = jsCron(app);
  expect(
    cron
      .jobs()
      .map((j) => j.id)
      .sort(),
  ).toEqual(["failing", "tick"]);
  cron.runDue(new Date("2026-01-01T00:03:00Z"));
  await Bun.sleep(100);
  expect(appStore(app).get("ticks")).toBeNull();
  cron.runDue(new Date("2026-01-01T00:05:00Z"));
  await until(() => appStore(app).get("ticks") === 1);
  cron.runDue(new Date("2026-01-01T00:10:00Z"));
  await until(() => appStore(app).get("ticks") === 2);
});

test("a failing job is logged and changes nothing else", async () => {
  jsCron(app).runDue(new Date("2026-01-01T12:00:00Z"));
  const find = () =>
    app.auxDb.all<{
      message: string;
      data: string;
    }>("SELECT message, data FROM _logs WHERE message LIKE '[cronAdd]%'");
  for (let i = 0; i < 200 && (await find()).length === 0; i++) {
    await appLogger(app).flush();
    await Bun.sleep(10);
  }
  const [entry] = await find();
  expect(entry!.message).toBe("[cronAdd] failed to execute cron job");
  expect(JSON.parse(entry!.data)).toEqual({ error: "cron boom", jobId: "failing" });
});

test("an executor can add jobs (cronAdd exists outside the loader too)", async () => {
  // no server here: run the route's source as the router would
  const src = plugin.pool.source(
    `(e) => { cronAdd("fromRoute", "30 * * * *", () => { $app.store().set("fromRoute", "ran") }) }`,
  );
  await plugin.pool.run(src, [null]);
  jsCron(app).runDue(new Date("2026-01-01T01:30:00Z"));
  await until(() => appStore(app).get("fromRoute") === "ran");
});

test("an invalid expression fails the hook file at load", async () => {
  const d = mkdtempSync(join(tmpdir(), "pb-jsvm-cron-bad-"));
  writeFiles(join(d, "pb_hooks"), { "bad.pb.js": `cronAdd("bad", "not a cron", () => {})` });
  const a = new App(await testAppConfig({ dataDir: join(d, "pb_data") }));
  try {
    await expect(
      registerJsvm(a, { hooksDir: join(d, "pb_hooks"), migrationsDir: join(d, "m"), hooksWatch: false, hooksPool: 1 }),
    ).rejects.toThrow(/failed to execute bad\.pb\.js:\n - \[cronAdd\] failed to register cron job bad: /);
  } finally {
    await a.terminate().catch(() => {});
    rmSync(d, { recursive: true, force: true });
  }
});
