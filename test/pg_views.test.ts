/**
 * View collections on PostgreSQL (issue 17): a real `pb serve --db=postgres://…` on a throwaway
 * cluster, driven over HTTP. The view query is PostgreSQL's SQL; fields are inferred as on SQLite plus
 * PostgreSQL's casts and column types; views other views or tables depend on survive source changes
 * (PostgreSQL refuses to drop what a view reads, so pb detaches and recreates them).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type PocketBase from "pocketbase";
import { failure, runPb, startServer, tempDir, type TestServer } from "./harness.ts";
import { PG_MISSING_MESSAGE, postgresInstalled, startPostgres, type PgCluster } from "./support/pg.ts";

setDefaultTimeout(60_000);

const missing = !postgresInstalled();
let pg: PgCluster;
let srv: TestServer;
let su: PocketBase;

/** The engine's own view of which views exist (through the SQL console). */
async function sqlViews(): Promise<string[]> {
  const res = await su.send("/api/sql", {
    method: "POST",
    body: { query: "SELECT table_name FROM information_schema.views WHERE table_schema = current_schema() ORDER BY 1" },
  });
  return (res.rows as string[][]).map((r) => r[0]!);
}

const fieldTypes = (c: { fields: { name: string; type: string }[] }) =>
  Object.fromEntries(c.fields.map((f) => [f.name, f.type]));

beforeAll(async () => {
  if (missing) return;
  pg = await startPostgres();
  const url = await pg.createDatabase();
  const workDir = tempDir();
  const env = { PB_DB_URL: url };
  const up = await runPb(
    ["superuser", "upsert", "root@example.com", "1234567890", `--dir=${join(workDir, "pb_data")}`],
    {
      env,
    },
  );
  if (up.code !== 0) throw new Error(up.stdout + up.stderr);
  srv = await startServer({ workDir, env });
  su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", "1234567890");

  const authors = await su.collections.create({
    name: "authors",
    type: "base",
    fields: [{ name: "name", type: "text" }],
  });
  await su.collections.create({
    name: "posts",
    type: "base",
    fields: [
      { name: "title", type: "text" },
      { name: "n", type: "number" },
      { name: "b", type: "bool" },
      { name: "extra", type: "text" },
      { name: "author", type: "relation", collectionId: authors.id, maxSelect: 1 },
    ],
  });
  const a1 = await su.collection("authors").create({ id: "a1xxxxxxxxxxxxx", name: "Ann" });
  const a2 = await su.collection("authors").create({ id: "a2xxxxxxxxxxxxx", name: "Bob" });
  await su.collection("posts").create({ id: "p1xxxxxxxxxxxxx", title: "one", n: 1, b: true, author: a1.id });
  await su.collection("posts").create({ id: "p2xxxxxxxxxxxxx", title: "two", n: 2.5, b: false, author: a1.id });
  await su.collection("posts").create({ id: "p3xxxxxxxxxxxxx", title: "three", n: 3, b: true, author: a2.id });
});

afterAll(async () => {
  if (missing) return;
  await srv?.stop();
  await pg?.stop();
});

describe.skipIf(missing)("view collections on PostgreSQL", () => {
  if (missing) test.skip(PG_MISSING_MESSAGE, () => {});

  test("create: fields copied from the source collection, records listed, sorted, filtered and expanded", async () => {
    const v = await su.collections.create({
      name: "post_view",
      type: "view",
      listRule: "",
      viewRule: "",
      viewQuery: "select p.id, p.title, p.n, p.b, p.author from posts p",
    });
    expect(fieldTypes(v)).toEqual({ id: "text", title: "text", n: "number", b: "bool", author: "relation" });

    const list = await su.collection("post_view").getList(1, 10, { sort: "-n", expand: "author" });
    expect(list.totalItems).toBe(3);
    expect(list.items.map((r) => [r.id, r.title, r.n, r.b, r.author, r.expand?.author?.name])).toEqual([
      ["p3xxxxxxxxxxxxx", "three", 3, true, "a2xxxxxxxxxxxxx", "Bob"],
      ["p2xxxxxxxxxxxxx", "two", 2.5, false, "a1xxxxxxxxxxxxx", "Ann"],
      ["p1xxxxxxxxxxxxx", "one", 1, true, "a1xxxxxxxxxxxxx", "Ann"],
    ]);
    // no sort: a view has no _rowid_, and listing without one must not ask for it
    const unsorted = await su.collection("post_view").getFullList();
    expect(unsorted.map((r) => r.id).sort()).toEqual(["p1xxxxxxxxxxxxx", "p2xxxxxxxxxxxxx", "p3xxxxxxxxxxxxx"]);
    const filtered = await su.collection("post_view").getList(1, 10, { filter: "n > 1 && b = true && title ~ 'HR'" });
    expect(filtered.items.map((r) => r.id)).toEqual(["p3xxxxxxxxxxxxx"]);
    expect(
      (await su.collection("post_view").getOne("p2xxxxxxxxxxxxx", { expand: "author" })).expand?.author?.name,
    ).toBe("Ann");
    // @rowid names a column a view lacks: a 400, as on SQLite (whose views have no rowid either)
    expect((await failure(su.collection("post_view").getList(1, 10, { sort: "@rowid" }))).status).toBe(400);
    // a guest (rules "") too, counting through the view's id
    const guest = srv.sdk();
    expect((await guest.collection("post_view").getList(1, 1)).totalItems).toBe(3);
  });

  test("fields from PostgreSQL's casts and column types; a numeric id becomes text", async () => {
    const v = await su.collections.create({
      name: "stats",
      type: "view",
      listRule: "",
      viewQuery: `select (ROW_NUMBER() OVER (ORDER BY author)) as id, author as who, count(*) as total,
        sum(n) as s, max(title)::text as t, CAST(min(n) AS bigint) as lo, bool_or(b = 1) as anyb,
        string_agg(title, ',' ORDER BY title) as last
        from posts group by author`,
    });
    expect(fieldTypes(v)).toEqual({
      id: "text",
      who: "relation",
      total: "number",
      s: "number",
      t: "text",
      lo: "number",
      anyb: "bool",
      last: "json",
    });
    const items = (await su.collection("stats").getFullList({ sort: "id" })).map((r) => [
      r.id,
      r.who,
      r.total,
      r.s,
      r.t,
      r.lo,
      r.anyb,
    ]);
    expect(items).toEqual([
      ["1", "a1xxxxxxxxxxxxx", 2, 3.5, "two", 1, true],
      ["2", "a2xxxxxxxxxxxxx", 1, 3, "three", 3, true],
    ]);
  });

  test("an unquoted alias is folded to lower case by PostgreSQL: the field follows the column", async () => {
    const v = await su.collections.create({
      name: "cased",
      type: "view",
      listRule: "",
      viewQuery: 'select id, title AS myTitle, n as "BigN" from posts',
    });
    expect(fieldTypes(v)).toEqual({ id: "text", mytitle: "text", BigN: "number" });
    const r = await su.collection("cased").getOne("p1xxxxxxxxxxxxx");
    expect([r.mytitle, r.BigN]).toEqual(["one", 1]);
    await su.collections.delete("cased");
  });

  test("an id from another collection's id is a relation, and expands", async () => {
    const v = await su.collections.create({
      name: "author_counts",
      type: "view",
      listRule: "",
      viewQuery:
        "select a.id, a.id as ref, count(p.id) as posts from authors a left join posts p on p.author = a.id group by a.id",
    });
    expect(fieldTypes(v)).toEqual({ id: "text", ref: "relation", posts: "number" });
    const rows = await su.collection("author_counts").getFullList({ sort: "-posts", expand: "ref" });
    expect(rows.map((r) => [r.id, r.posts, r.expand?.ref?.name])).toEqual([
      ["a1xxxxxxxxxxxxx", 2, "Ann"],
      ["a2xxxxxxxxxxxxx", 1, "Bob"],
    ]);
  });

  test("an invalid query is a validation error (never a 500), and leaves no temporary view", async () => {
    for (const viewQuery of [
      "select id from nowhere",
      "select title from posts",
      "select id, nope from posts",
      "select id, 1/0 as boom from posts",
      "select * from posts",
      "not sql",
    ]) {
      const err = await failure(su.collections.create({ name: "bad_view", type: "view", viewQuery }));
      expect(err.status).toBe(400);
      expect(err.response.data.viewQuery?.code).toBe("validation_invalid_view_query");
    }
    expect((await sqlViews()).filter((n) => n.startsWith("_temp") || n.startsWith("temp_view"))).toEqual([]);
  });

  test("the dashboard's dry run", async () => {
    const ok = await su.send("/api/collections/meta/dry-run-view", {
      method: "POST",
      body: { query: "select id, title, n::int as whole from posts order by n" },
    });
    expect(fieldTypes(ok)).toEqual({ id: "text", title: "text", whole: "number" });
    expect(ok.sample.map((r: { title: string; whole: number }) => [r.title, r.whole])).toEqual([
      ["one", 1],
      ["two", 2], // float8 → int rounds half to even
      ["three", 3],
    ]);
    const bad = await failure(
      su.send("/api/collections/meta/dry-run-view", { method: "POST", body: { query: "select id from nowhere" } }),
    );
    expect(bad.status).toBe(400);
    expect(bad.message).toContain('relation "nowhere" does not exist');
  });

  test("views reading a changed source survive: a dropped column, a view of a view, single→multiple", async () => {
    await su.collections.create({
      name: "titles",
      type: "view",
      listRule: "",
      viewQuery: "select id, title from post_view",
    });
    // drop a column post_view does not read (it reads posts.*-free columns): both views stay
    const posts = await su.collections.getOne("posts");
    await su.collections.update("posts", { fields: posts.fields.filter((f: { name: string }) => f.name !== "extra") });
    expect(await sqlViews()).toEqual(["author_counts", "post_view", "stats", "titles"]);
    expect((await su.collection("titles").getFullList()).length).toBe(3);

    // re-save the middle view with a new query: the view reading it is recreated after it
    await su.collections.update("post_view", { viewQuery: "select p.id, p.title, p.n, p.author from posts p" });
    expect(await sqlViews()).toContain("titles");
    expect((await su.collection("titles").getFullList({ sort: "title" })).map((r) => r.title)).toEqual([
      "one",
      "three",
      "two",
    ]);
    expect(fieldTypes(await su.collections.getOne("post_view"))).toEqual({
      id: "text",
      title: "text",
      n: "number",
      author: "relation",
    });

    // author becomes a multiple relation (its column is rebuilt): the views reading it come back
    const fresh = await su.collections.getOne("posts");
    await su.collections.update("posts", {
      fields: fresh.fields.map((f: { name: string }) => (f.name === "author" ? { ...f, maxSelect: 5 } : f)),
    });
    const pv = await su.collection("post_view").getOne("p1xxxxxxxxxxxxx");
    expect(pv.author).toEqual(["a1xxxxxxxxxxxxx"]);
    expect((await su.collection("titles").getFullList()).length).toBe(3);
  });

  test("a view reading a dropped column breaks, as on SQLite, without blocking the change", async () => {
    await su.collections.create({ name: "flags", type: "view", listRule: "", viewQuery: "select id, b from posts" });
    const posts = await su.collections.getOne("posts");
    await su.collections.update("posts", { fields: posts.fields.filter((f: { name: string }) => f.name !== "b") });
    // PostgreSQL cannot keep a view over a missing column: those reading b (flags, stats) are gone,
    // the others are back
    expect(await sqlViews()).toEqual(["author_counts", "post_view", "titles"]);
    expect((await failure(su.collection("flags").getList())).status).toBe(400);
    expect((await failure(su.collection("stats").getList())).status).toBe(400);
    // a broken view blocks deleting others (upstream's dependency check re-infers every view), and
    // is fixed by saving a query that works
    expect((await failure(su.collections.delete("flags"))).status).toBe(400);
    await su.collections.update("stats", {
      viewQuery: "select author as id, count(*) as total from posts group by author",
    });
    await su.collections.update("flags", { viewQuery: "select id, title from posts" });
    expect((await su.collection("flags").getFullList()).length).toBe(3);
    await su.collections.delete("flags");
  });

  test("deleting a collection a view reads is refused and changes nothing", async () => {
    const err = await failure(su.collections.delete("posts"));
    expect(err.status).toBe(400);
    expect(err.response.data).toEqual({});
    expect(await sqlViews()).toEqual(["author_counts", "post_view", "stats", "titles"]);
    expect((await su.collection("post_view").getFullList()).length).toBe(3);
    // a view others read cannot go either
    expect((await failure(su.collections.delete("post_view"))).status).toBe(400);

    // once nothing reads it, it goes
    await su.collections.delete("titles");
    await su.collections.delete("post_view");
    await su.collections.delete("stats");
    await su.collections.delete("author_counts");
    await su.collections.delete("posts");
    expect(await sqlViews()).toEqual([]);
  });
});
