/** The crons API and the app scheduler: system jobs, jobs added with cronAdd, run-now, the auto-backup job. */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { appCron, cronAdd, cronRemove } from "../src/core/crons.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { TEST_DB, tempDir, testAppConfig } from "./harness.ts";

setDefaultTimeout(20_000);

let app: App;
let server: RunningServer;
let dir: string;
let token: string;
let ran: string[] = [];

const req = (method: string, path: string, body?: unknown) =>
  fetch(server.url + path, {
    method,
    headers: { Authorization: token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  dir = tempDir();
  app = new App(await testAppConfig({ dataDir: join(dir, "pb_data") }));
  await app.bootstrap();
  await createSuperuser(app, "root@example.com", "1234567890");
  server = await startServer(app, { http: "127.0.0.1:0" });
  const pb = new PocketBase(server.url);
  await pb.collection("_superusers").authWithPassword("root@example.com", "1234567890");
  token = pb.authStore.token;
});

afterAll(async () => {
  await server.stop();
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

describe("GET /api/crons", () => {
  test("the scheduler started with the server, with upstream's system jobs", async () => {
    expect(appCron(app).hasStarted).toBe(true);
    const res = await req("GET", "/api/crons");
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const job of [
      '{"id":"__pbLogsCleanup__","expression":"0 */6 * * *"}',
      '{"id":"__pbDBOptimize__","expression":"0 0 * * *"}',
      '{"id":"__pbMFACleanup__","expression":"0 * * * *"}',
      '{"id":"__pbOTPCleanup__","expression":"0 * * * *"}',
    ]) {
      expect(text).toContain(job);
    }
    expect(text).not.toContain("__pbAutoBackup__");
  });

  test("jobs added with cronAdd come first, sorted by id; macros are listed expanded", async () => {
    cronAdd(app, "zeta", "@daily", () => void ran.push("zeta"));
    cronAdd(app, "alpha", "*/5 * * * *", () => void ran.push("alpha"));
    const jobs = (await (await req("GET", "/api/crons")).json()) as { id: string; expression: string }[];
    expect(jobs.slice(0, 2)).toEqual([
      { id: "alpha", expression: "*/5 * * * *" },
      { id: "zeta", expression: "0 0 * * *" },
    ]);
    expect(jobs.slice(2).every((j) => j.id.startsWith("__pb"))).toBe(true);
    expect(() => cronAdd(app, "bad", "every minute", () => {})).toThrow("failed to add new cron job");
  });

  test("guests 401", async () => {
    expect((await fetch(server.url + "/api/crons")).status).toBe(401);
  });
});

describe("POST /api/crons/{id}", () => {
  test("runs the job in the background and answers 204; unknown ids 404", async () => {
    ran = [];
    const res = await req("POST", "/api/crons/alpha");
    expect(res.status).toBe(204);
    await Bun.sleep(20);
    expect(ran).toEqual(["alpha"]);
    const missing = await req("POST", "/api/crons/missing");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toBe("Missing or invalid cron job.");
    cronRemove(app, "alpha");
    expect((await req("POST", "/api/crons/alpha")).status).toBe(404);
  });

  test("a failing job is logged, not thrown", async () => {
    cronAdd(app, "failing", "* * * * *", () => {
      throw new Error("job exploded");
    });
    expect((await req("POST", "/api/crons/failing")).status).toBe(204);
    await Bun.sleep(20);
    const { appLogger } = await import("../src/core/logs.ts");
    await appLogger(app).flush();
    const row = await app.auxDb.get<{
      message: string;
      data: string;
    }>("SELECT message, data FROM _logs WHERE message LIKE '%failing%'");
    expect(row?.message).toBe('[Cron] Job "failing" failed');
    expect(JSON.parse(row!.data)).toEqual({ error: "job exploded" });
    cronRemove(app, "failing");
  });
});

// backups (and so the auto-backup job) are SQLite-only: a PostgreSQL database is backed up with its own tools
describe.skipIf(TEST_DB === "postgres")("__pbAutoBackup__", () => {
  test("follows backups.cron: added, changed and removed with the settings", async () => {
    let res = await req("PATCH", "/api/settings", { backups: { cron: "@daily", cronMaxKeep: 2 } });
    expect(res.status).toBe(200);
    let jobs = (await (await req("GET", "/api/crons")).json()) as { id: string; expression: string }[];
    expect(jobs.find((j) => j.id === "__pbAutoBackup__")).toEqual({ id: "__pbAutoBackup__", expression: "0 0 * * *" });

    res = await req("PATCH", "/api/settings", { backups: { cron: "30 2 * * 1" } });
    jobs = (await (await req("GET", "/api/crons")).json()) as { id: string; expression: string }[];
    expect(jobs.find((j) => j.id === "__pbAutoBackup__")?.expression).toBe("30 2 * * 1");

    // an invalid expression is refused by the settings validation
    res = await req("PATCH", "/api/settings", { backups: { cron: "* * *" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { data: { backups: { cron: { code: string } } } }).data.backups.cron.code).toBe(
      "validation_invalid_cron",
    );

    res = await req("PATCH", "/api/settings", { backups: { cron: "" } });
    jobs = (await (await req("GET", "/api/crons")).json()) as { id: string; expression: string }[];
    expect(jobs.some((j) => j.id === "__pbAutoBackup__")).toBe(false);
  });
});

describe("system jobs", () => {
  // the WAL is SQLite's (PostgreSQL manages its own)
  test.skipIf(TEST_DB === "postgres")(
    "__pbDBOptimize__ checkpoints the WAL off the JS thread (then PRAGMA optimize may add a few frames)",
    async () => {
      const { statSync } = await import("node:fs");
      const wal = () => statSync(join(app.dataDir, "data.db-wal")).size;
      await app.db.exec("PRAGMA wal_autocheckpoint = 0"); // let the WAL grow for the test
      try {
        for (let i = 0; i < 20; i++)
          expect((await req("PATCH", "/api/settings", { meta: { appName: `Acme ${i}` } })).status).toBe(200);
        const before = wal();
        expect(before).toBeGreaterThan(100_000);
        expect((await req("POST", "/api/crons/__pbDBOptimize__")).status).toBe(204);
        const deadline = Date.now() + 5000;
        while (wal() >= before / 2 && Date.now() < deadline) await Bun.sleep(50);
        expect(wal()).toBeLessThan(before / 2);
      } finally {
        await app.db.exec("PRAGMA wal_autocheckpoint = 1000");
      }
    },
  );
});
