/**
 * Automigrate: collection changes made through the collections API write upstream-format JS
 * migrations (created/updated/deleted), recorded as applied locally, that replay on another server.
 */
import { afterAll, expect, test } from "bun:test";
import { cpSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { startServer } from "./harness.ts";
import { withDb } from "./support/db.ts";
import { jsWorkDir, superuserClient, startJsServer } from "./support/jsvm.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function applied(workDir: string): Promise<string[]> {
  return withDb(join(workDir, "pb_data", "data.db"), async (d) =>
    (await d.all<{ file: string }>("SELECT file FROM _migrations ORDER BY file"))
      .map((r) => r.file)
      .filter((f) => !f.endsWith(".go")),
  );
}

test("automigrate writes create/update/delete files that replay on another server", async () => {
  const srv = await startJsServer({ hooks: {} });
  dirs.push(srv.workDir);
  const mdir = join(srv.workDir, "pb_migrations");
  try {
    const pbc = await superuserClient(srv);
    const col = await pbc.collections.create({
      name: "mytest",
      type: "base",
      fields: [{ name: "title", type: "text", required: true }],
      listRule: "",
    });
    let files = readdirSync(mdir).sort();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d+_created_mytest_\.js$/);
    const createdText = readFileSync(join(mdir, files[0]!), "utf8");
    expect(createdText).toContain(`const collection = new Collection({\n    "createRule": null,`);
    expect(createdText).toContain(
      `const collection = app.findCollectionByNameOrId("${col.id}");\n\n  return app.delete(collection);`,
    );

    await pbc.collections.update(col.id, {
      viewRule: "",
      fields: [...col.fields, { name: "score", type: "number" }],
    });
    files = readdirSync(mdir).sort();
    expect(files).toHaveLength(2);
    const updated = readFileSync(
      join(
        mdir,
        files.find((f) => f.includes("_updated_mytest_"))!,
      ),
      "utf8",
    );
    expect(updated).toContain(`// update collection data\n  unmarshal({\n    "viewRule": ""\n  }, collection)`);
    expect(updated).toContain(`// add field\n  collection.fields.addAt(`);
    expect(updated).toContain(`"name": "score"`);
    expect(updated).toContain(`// remove field\n  collection.fields.removeById(`);

    // the local DB counts the files as applied
    expect((await applied(srv.workDir)).length).toBe(2);

    // replay on a fresh server
    const other = jsWorkDir({});
    dirs.push(other);
    cpSync(mdir, join(other, "pb_migrations"), { recursive: true });
    const srv2 = await startServer({ workDir: other, args: ["--hooksWatch=false"] });
    try {
      const rec = await srv2
        .sdk()
        .collection("mytest")
        .create({ title: "x", score: 3 })
        .catch((e) => e);
      // createRule is null (superusers only); the collection exists with both fields
      expect(rec.status).toBe(403);
      const cols = (await withDb(join(other, "pb_data", "data.db"), (d) => d.tableColumns("mytest"))).map(
        (c) => c.name,
      );
      expect(cols).toEqual(expect.arrayContaining(["id", "title", "score"]));
    } finally {
      await srv2.stop();
    }

    await pbc.collections.delete(col.id);
    files = readdirSync(mdir).sort();
    expect(files.some((f) => /_deleted_mytest_\.js$/.test(f))).toBe(true);
  } finally {
    await srv.stop();
  }
}, 30_000);
