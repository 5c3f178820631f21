/**
 * Backup hooks with the server in-process: create/restore events (names, excludes, refusals), the
 * one-at-a-time rule and canBackup, a failed restore leaving the data untouched, and the in-process
 * restart.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { activeBackup, createBackup, restartApp, restoreBackup, runAutoBackup } from "../src/core/backups.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { TextField } from "../src/core/fields/index.ts";
import { appLogger } from "../src/core/logs.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { ZipWriter } from "../src/tools/archive/index.ts";
import { failure, tempDir } from "./harness.ts";

setDefaultTimeout(20_000);

let app: App;
let server: RunningServer;
let dir: string;
let pb: PocketBase;

beforeAll(async () => {
  dir = tempDir();
  app = new App({ dataDir: join(dir, "pb_data") });
  await app.bootstrap();
  const notes = newBaseCollection("notes");
  notes.fields.add(new TextField({ name: "title" }));
  notes.listRule = notes.viewRule = notes.createRule = "";
  await saveCollection(app, notes);
  await createSuperuser(app, "root@example.com", "1234567890");
  server = await startServer(app, { http: "127.0.0.1:0" });
  pb = new PocketBase(server.url);
  await pb.collection("_superusers").authWithPassword("root@example.com", "1234567890");
});

afterAll(async () => {
  await server.stop();
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

describe("backup hooks and the one-at-a-time rule", () => {
  test("onBackupCreate can rename and exclude; while it runs canBackup is false and other backups/restores wait", async () => {
    writeFileSync(join(app.dataDir, "private.txt"), "keep out");
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const started = new Promise<void>((r) => (entered = r));
    const id = app.onBackupCreate.bindFunc(async (e) => {
      expect(e.name).toBe("");
      e.name = "renamed_by_hook.zip";
      e.exclude.push("private.txt");
      entered();
      await gate;
      await e.next();
    });
    try {
      const creating = pb.backups.create("", { requestKey: null });
      await started;
      expect(activeBackup(app)).toBe("pb_backup");
      expect((await pb.health.check()).data.canBackup).toBe(false);
      let err = await failure(pb.backups.create("other.zip", { requestKey: null }));
      expect(err.response.message).toBe("Try again later - another backup/restore process has already been started.");
      err = await failure(pb.backups.restore("renamed_by_hook.zip", { requestKey: null }));
      expect(err.status).toBe(400);
      release();
      await creating;
      expect((await pb.health.check()).data.canBackup).toBe(true);
      expect((await pb.backups.getFullList()).map((b) => b.key)).toContain("renamed_by_hook.zip");
    } finally {
      app.onBackupCreate.unbind(id);
    }
  });

  test("a failing restore (a hook refusing, an archive without data.db) leaves the data as it was", async () => {
    await pb.collection("notes").create({ title: "survivor" });
    const id = app.onBackupRestore.bindFunc(() => {
      throw new Error("not today");
    });
    await expect(restoreBackup(app, "renamed_by_hook.zip")).rejects.toThrow("not today");
    app.onBackupRestore.unbind(id);

    // an upload without data.db
    const zipPath = join(dir, "empty.zip");
    const w = await ZipWriter.create(zipPath);
    await w.addBytes("readme.txt", Buffer.from("no database here"));
    await w.close();
    const bytes = await Bun.file(zipPath).arrayBuffer();
    await pb.backups.upload({ file: new File([bytes], "no_db.zip") });
    await expect(restoreBackup(app, "no_db.zip")).rejects.toThrow("data.db file is missing or invalid");
    expect((await pb.collection("notes").getFullList()).map((r) => r.title)).toEqual(["survivor"]);
    expect(activeBackup(app)).toBeNull();
  });

  test("restore swaps pb_data and restarts in-process: onTerminate(isRestart) then onBootstrap fire", async () => {
    const events: string[] = [];
    const t = app.onTerminate.bindFunc(async (e) => {
      events.push(`terminate:${e.isRestart}`);
      await e.next();
    });
    const b = app.onBootstrap.bindFunc(async (e) => {
      events.push("bootstrap");
      await e.next();
    });
    try {
      const name = await createBackup(app, "before_more.zip");
      expect(name).toBe("before_more.zip");
      await pb.collection("notes").create({ title: "added later" });
      writeFileSync(join(app.dataDir, "extra.txt"), "added later too");
      await restoreBackup(app, "before_more.zip");
      expect(events).toEqual(["terminate:true", "bootstrap"]);
      expect((await pb.collection("notes").getFullList()).map((r) => r.title)).toEqual(["survivor"]);
      expect(existsSync(join(app.dataDir, "extra.txt"))).toBe(false);
      expect(existsSync(join(app.dataDir, "backups", "before_more.zip"))).toBe(true); // backups stay
      // logging still works on the restored auxiliary.db
      appLogger(app).info("after restore");
      await appLogger(app).flush();
      expect(await app.auxDb.get("SELECT count(*) AS n FROM _logs WHERE message = 'after restore'")).toEqual({
        n: 1,
      });
    } finally {
      app.onTerminate.unbind(t);
      app.onBootstrap.unbind(b);
    }
  });

  test("restartApp keeps serving", async () => {
    await restartApp(app);
    expect((await pb.collection("notes").getFullList()).length).toBe(1);
    expect((await pb.health.check()).code).toBe(200);
  });

  test("a failed auto backup is logged (and alerted), never thrown", async () => {
    const id = app.onBackupCreate.bindFunc(() => {
      throw new Error("disk full");
    });
    try {
      await runAutoBackup(app);
      await appLogger(app).flush();
      const row = await app.auxDb.get<{ data: string }>(
        "SELECT data FROM _logs WHERE message = '[Backup cron] Failed to create backup'",
      );
      expect(row).not.toBeNull();
      expect(JSON.parse(row!.data)).toMatchObject({ error: "disk full" });
      expect(JSON.parse(row!.data).name).toMatch(/^@auto_pb_backup_acme_\d{14}\.zip$/);
      expect(activeBackup(app)).toBeNull();
    } finally {
      app.onBackupCreate.unbind(id);
    }
  });
});
