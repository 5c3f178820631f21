/**
 * pb_migrations and the `migrate` command: JS migration files evaluated and applied by the
 * runner (all or nothing), `up`, `down [n]` with the y/N prompt, `create`, `collections`,
 * `history-sync`.
 */
import { afterAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { pbCommand } from "./harness.ts";
import type { SqliteDb } from "../src/core/db/sqlite.ts";
import { withDb } from "./support/db.ts";
import { jsWorkDir } from "./support/jsvm.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs `pb <args>` in `workDir` with `input` on stdin. */
async function pb(workDir: string, args: string[], input = "") {
  const proc = Bun.spawn([...pbCommand(), ...args, `--dir=${join(workDir, "pb_data")}`], {
    cwd: workDir,
    stdin: new TextEncoder().encode(input),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/** Runs `fn` on the work dir's data.db (opened after the pb process exited). */
function db<T>(workDir: string, fn: (d: SqliteDb) => Promise<T>): Promise<T> {
  return withDb(join(workDir, "pb_data", "data.db"), fn);
}

function tables(workDir: string): Promise<string[]> {
  return db(workDir, async (d) =>
    (await d.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")).map(
      (r) => r.name,
    ),
  );
}

function applied(workDir: string): Promise<string[]> {
  return db(workDir, async (d) =>
    (await d.all<{ file: string }>("SELECT file FROM _migrations ORDER BY file"))
      .map((r) => r.file)
      .filter((f) => !f.endsWith(".go")),
  );
}

const CREATE_NOTES = `migrate((app) => {
  const c = new Collection({ type: "base", name: "notes", fields: [{ type: "text", name: "body" }] })
  app.save(c)
}, (app) => {
  app.delete(app.findCollectionByNameOrId("notes"))
})
`;

const ADD_FIELD = `migrate((app) => {
  const c = app.findCollectionByNameOrId("notes")
  c.fields.add(new NumberField({ name: "score" }))
  c.indexes.push("CREATE INDEX idx_notes_score ON notes (score)")
  app.save(c)
  const r = new Record(c, { body: "seeded", score: 7 })
  app.save(r)
}, (app) => {
  const c = app.findCollectionByNameOrId("notes")
  c.fields.removeByName("score")
  c.indexes = []
  app.save(c)
})
`;

test("migrate up applies JS migrations in file order; a second run has nothing to do", async () => {
  const dir = jsWorkDir({
    migrations: {
      "1700000001_notes.js": CREATE_NOTES,
      "1700000002_score.ts": ADD_FIELD.replace("(app) =>", "(app: any) =>"),
    },
  });
  dirs.push(dir);
  let r = await pb(dir, ["migrate", "up"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("Applied 1700000001_notes.js");
  expect(r.stdout).toContain("Applied 1700000002_score.ts");
  expect(await tables(dir)).toContain("notes");
  expect(await applied(dir)).toEqual(["1700000001_notes.js", "1700000002_score.ts"]);
  await db(dir, async (d) => {
    expect(await d.all("SELECT body, score FROM notes")).toEqual([{ body: "seeded", score: 7 }]);
    expect(
      (await d.get<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'idx_notes_score'"))!.sql,
    ).toContain("score");
  });
  r = await pb(dir, ["migrate"]);
  expect(r.stdout).toContain("No new migrations to apply.");

  // down: an empty answer cancels; "y" reverts the last one (running its down)
  r = await pb(dir, ["migrate", "down"], "\n");
  expect(r.stderr).toContain(
    "1700000002_score.ts\nDo you really want to revert the last 1 applied migration(s)? (y/N) ",
  );
  expect(r.stdout).toContain("The command has been cancelled");
  expect(await applied(dir)).toHaveLength(2);
  r = await pb(dir, ["migrate", "down", "1"], "y\n");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain("Reverted 1700000002_score.ts");
  expect(await applied(dir)).toEqual(["1700000001_notes.js"]);
  expect((await db(dir, (d) => d.tableColumns("notes"))).map((c) => c.name)).not.toContain("score");
}, 30_000);

test("a failing migration rolls back the whole batch", async () => {
  const dir = jsWorkDir({
    migrations: {
      "1700000001_notes.js": CREATE_NOTES,
      "1700000002_boom.js": `migrate((app) => { throw new Error("boom") })`,
    },
  });
  dirs.push(dir);
  const r = await pb(dir, ["migrate", "up"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("failed to apply migration 1700000002_boom.js: boom");
  expect(await tables(dir)).not.toContain("notes");
  expect(await applied(dir)).toEqual([]);
}, 30_000);

test("returning a value other than nothing or null fails the migration", async () => {
  const dir = jsWorkDir({ migrations: { "1700000001_value.js": `migrate((app) => { return 42 })` } });
  dirs.push(dir);
  const r = await pb(dir, ["migrate", "up"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("failed to apply migration 1700000001_value.js");
}, 30_000);

test("a migration file that throws while loading aborts every command", async () => {
  const dir = jsWorkDir({ migrations: { "1700000001_bad.js": `throw new Error("bad file")` } });
  dirs.push(dir);
  const r = await pb(dir, ["superuser", "upsert", "a@example.com", "1234567890"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("failed to run migration 1700000001_bad.js: bad file");
}, 30_000);

test("migrate create and collections write upstream's templates after a y/N prompt", async () => {
  const dir = jsWorkDir({ migrations: { "1700000001_notes.js": CREATE_NOTES } });
  dirs.push(dir);
  await pb(dir, ["migrate", "up"]);
  let r = await pb(dir, ["migrate", "create", "AddPostsTable"], "y\n");
  expect(r.code).toBe(0);
  const created = readdirSync(join(dir, "pb_migrations")).find((f) => f.endsWith("_add_posts_table.js"))!;
  expect(created).toMatch(/^\d{10}_add_posts_table\.js$/);
  expect(readFileSync(join(dir, "pb_migrations", created), "utf8")).toBe(
    `/// <reference path="../pb_data/types.d.ts" />\nmigrate((app) => {\n}, (app) => {\n})\n`,
  );
  expect(r.stderr).toContain("Do you really want to create migration");

  r = await pb(dir, ["migrate", "create"], "y\n");
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("missing migration file name");

  r = await pb(dir, ["migrate", "collections"], "y\n");
  expect(r.code).toBe(0);
  const snapshotFile = readdirSync(join(dir, "pb_migrations")).find((f) => f.endsWith("_collections_snapshot.js"))!;
  const snapshot = readFileSync(join(dir, "pb_migrations", snapshotFile), "utf8");
  expect(snapshot).toStartWith(
    `/// <reference path="../pb_data/types.d.ts" />\nmigrate((app) => {\n  const snapshot = [\n    {\n`,
  );
  expect(snapshot).toContain(`return app.importCollections(snapshot, false);`);
  expect(snapshot).toContain(`"name": "notes"`);
  expect(snapshot).not.toMatch(/"created": "\d{4}-/);

  // the snapshot replays on a fresh data dir
  const fresh = jsWorkDir({ migrations: { [snapshotFile]: snapshot } });
  dirs.push(fresh);
  r = await pb(fresh, ["migrate", "up"]);
  expect(r.code).toBe(0);
  expect(await tables(fresh)).toContain("notes");

  r = await pb(dir, ["migrate", "nope"]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`unsupported command: "nope"`);
}, 30_000);

test("history-sync drops rows of migration files that are gone", async () => {
  const dir = jsWorkDir({
    migrations: { "1700000001_notes.js": CREATE_NOTES, "1700000003_noop.js": "migrate(() => {})" },
  });
  dirs.push(dir);
  await pb(dir, ["migrate", "up"]);
  expect(await applied(dir)).toEqual(["1700000001_notes.js", "1700000003_noop.js"]);
  rmSync(join(dir, "pb_migrations", "1700000003_noop.js"));
  const r = await pb(dir, ["migrate", "history-sync"]);
  expect(r.stdout).toContain("The _migrations table was synced with the available migrations.");
  expect(await applied(dir)).toEqual(["1700000001_notes.js"]);
}, 30_000);
