import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "./app.ts";
import {
  MigrationsRunner,
  mergeMigrations,
  newMigrationsRunner,
  runAllMigrations,
  systemMigrations,
  type Migration,
} from "./migrations_runner.ts";
import { newBaseCollection } from "./collection.ts";
import { saveCollection } from "./collection_save.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

let app: App;
beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), "pb-mig-"));
  dirs.push(dir);
  app = new App({ dataDir: dir });
  await app.bootstrap();
});

const files = async () =>
  ((await app.db.all("SELECT file FROM _migrations ORDER BY file")) as { file: string }[]).map((r) => r.file);

describe("migrations runner", () => {
  test("the system list is sorted by file name with .go names", () => {
    expect(systemMigrations.map((m) => m.file)).toEqual([...systemMigrations.map((m) => m.file)].sort());
    expect(systemMigrations.every((m) => m.file.endsWith(".go"))).toBe(true);
    expect(systemMigrations[0]!.file).toBe("1640988000_aux_init.go"); // "aux_init" sorts before "init"
  });

  test("app migrations merge with the system ones by file name", () => {
    const merged = mergeMigrations(systemMigrations, [{ file: "1700000000_posts.js" }, { file: "1000_first.js" }]);
    expect(merged.map((m) => m.file).slice(0, 3)).toEqual([
      "1000_first.js",
      "1640988000_aux_init.go",
      "1640988000_init.go",
    ]);
    // plain byte order: "1700000000…" sorts before the v0.23 "1717233556…" files
    expect(merged.map((m) => m.file).indexOf("1700000000_posts.js")).toBe(3);
  });

  test("up applies pending app migrations in one go and records them", async () => {
    const calls: string[] = [];
    const appMigrations: Migration[] = [
      {
        file: "1700000001_b.js",
        up: () => void calls.push("b"),
      },
      {
        file: "1700000000_a.js",
        up: async (tx) => {
          calls.push("a");
          const c = newBaseCollection("posts");
          await saveCollection(tx, c);
        },
      },
      { file: "1700000002_noop.js" }, // no up: just recorded
    ];
    expect(await runAllMigrations(app, appMigrations)).toEqual([
      "1700000000_a.js",
      "1700000001_b.js",
      "1700000002_noop.js",
    ]);
    expect(calls).toEqual(["a", "b"]);
    expect(await files()).toContain("1700000002_noop.js");
    expect(app.findCollection("posts")).not.toBeNull();
    expect(await runAllMigrations(app, appMigrations)).toEqual([]);
  });

  test("a failure rolls back every migration of the batch, in both databases", async () => {
    const appMigrations: Migration[] = [
      {
        file: "1700000000_ok.js",
        up: async (tx) => {
          await saveCollection(tx, newBaseCollection("posts"));
          await tx.auxDb.run("INSERT INTO _logs (id, level, message, data, created) VALUES ('l1', 0, 'm', '{}', '')");
        },
      },
      {
        file: "1700000001_boom.js",
        up: () => {
          throw new Error("boom");
        },
      },
    ];
    await expect(runAllMigrations(app, appMigrations)).rejects.toThrow(
      "failed to apply migration 1700000001_boom.js: boom",
    );
    expect(await files()).not.toContain("1700000000_ok.js");
    expect(await app.hasTable("posts")).toBe(false);
    expect(app.findCollection("posts")).toBeNull(); // the cache forgot the rolled back save
    expect(await app.auxDb.get("SELECT count(*) AS n FROM _logs")).toEqual({ n: 0 });
  });

  test("down reverts the newest applied migrations of the list; history-sync drops unknown rows", async () => {
    const log: string[] = [];
    const list: Migration[] = [
      { file: "1700000000_a.js", up: () => {}, down: () => void log.push("down a") },
      { file: "1700000001_b.js", up: () => {}, down: () => void log.push("down b") },
      { file: "1700000002_c.js", up: () => {} },
    ];
    const runner = newMigrationsRunner(app, list);
    await runner.up();
    // the system rows are older; within the same second ties break by file name, newest first
    await app.db.run("UPDATE _migrations SET applied = 1600000000 WHERE file LIKE '%.go'");
    await app.db.run("UPDATE _migrations SET applied = 1700000000 WHERE file LIKE '17000000%.js'");
    expect(await runner.lastAppliedMigrations(2)).toEqual(["1700000002_c.js", "1700000001_b.js"]);
    expect(await runner.down(2)).toEqual(["1700000002_c.js", "1700000001_b.js"]);
    expect(log).toEqual(["down b"]);
    expect(await files()).not.toContain("1700000001_b.js");
    expect(await files()).toContain("1700000000_a.js");

    await app.db.run("INSERT INTO _migrations (file, applied) VALUES ('1600000000_gone.js', 1)");
    await runner.removeMissingAppliedMigrations();
    expect(await files()).not.toContain("1600000000_gone.js");
    expect(await files()).toContain("1640988000_init.go");

    // a runner over only app migrations would forget the system ones: the CLI must pass the merged list
    await new MigrationsRunner(app, list).removeMissingAppliedMigrations();
    expect(await files()).toEqual(["1700000000_a.js"]);
  });

  test("microsecond and second timestamps order together", async () => {
    const runner = newMigrationsRunner(app, [{ file: "1.js" }, { file: "2.js" }]);
    await runner.up();
    await app.db.run("UPDATE _migrations SET applied = 1600000000 WHERE file LIKE '%.go'");
    await app.db.run("UPDATE _migrations SET applied = 1700000001 WHERE file = '1.js'"); // seconds, but later
    await app.db.run("UPDATE _migrations SET applied = 1700000000000000 WHERE file = '2.js'"); // µs
    expect(await runner.lastAppliedMigrations(1)).toEqual(["1.js"]);
  });

  test("the aux migration is re-applied when _logs is missing", async () => {
    await app.auxDb.run("DROP TABLE _logs");
    const applied = await newMigrationsRunner(app).up();
    expect(applied).toEqual(["1640988000_aux_init.go"]);
    expect(await app.auxHasTable("_logs")).toBe(true);
  });
});
