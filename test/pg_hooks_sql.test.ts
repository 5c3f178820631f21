/**
 * Raw SQL from JS hooks on PostgreSQL (issue 17): a pb_hooks file whose routes use `$app.db()` —
 * newQuery with `{:param}` binding, `$dbx` expressions, the insert/update/upsert/delete and select
 * builders, quoting — against a real `pb serve` whose PB_DB_URL points at a throwaway cluster.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type PocketBase from "pocketbase";
import type { TestServer } from "./harness.ts";
import { startJsServer, superuserClient } from "./support/jsvm.ts";
import { PG_MISSING_MESSAGE, postgresInstalled, startPostgres, type PgCluster } from "./support/pg.ts";

setDefaultTimeout(60_000);

const HOOKS = `
routerAdd("GET", "/sql/dialect", (e) => {
  const db = $app.db()
  return e.json(200, {
    dialect: $app.dbDialect(),
    table: db.quoteTableName("my table"),
    column: db.quoteColumnName("t.my col"),
  })
})

routerAdd("POST", "/sql/setup", (e) => {
  const db = $app.db()
  db.createTable("kv", { id: "TEXT PRIMARY KEY NOT NULL", label: "TEXT NOT NULL DEFAULT ''", n: "INTEGER NOT NULL DEFAULT 0", ok: "SMALLINT NOT NULL DEFAULT 0" }).execute()
  const ins = db.insert("kv", { id: "a", label: "Apple", n: 1, ok: true }).execute()
  db.insert("kv", { id: "b", label: "banana", n: 2, ok: false }).execute()
  db.insert("kv", { id: "c", label: "Cherry", n: 3, ok: true }).execute()
  db.newQuery("INSERT INTO {{kv}} ([[id]], [[label]], [[n]]) VALUES ({:id}, {:label}, {:n})").bind({ id: "d", label: "date", n: 4 }).execute()
  return e.json(200, { inserted: ins.rowsAffected() })
})

routerAdd("GET", "/sql/read", (e) => {
  const db = $app.db()
  const rows = arrayOf(new DynamicModel({ id: "", label: "", n: 0, ok: false }))
  db.newQuery("SELECT id, label, n, ok FROM kv WHERE n >= {:min} ORDER BY n DESC LIMIT {:lim}").bind({ min: 2, lim: 2 }).all(rows)

  const one = new DynamicModel({ total: 0, biggest: "" })
  db.newQuery("SELECT count(*) AS total, max(label) AS biggest FROM kv").one(one)

  const built = arrayOf(new DynamicModel({ id: "" }))
  db.select("id").from("kv")
    .where($dbx.like("label", "AN"))
    .andWhere($dbx.notIn("id", "x", "y"))
    .orderBy("id ASC")
    .limit(5)
    .offset(0)
    .all(built)

  const paged = []
  db.select("id").from("kv").orderBy("n").offset(2).column(paged)

  const hashed = arrayOf(new DynamicModel({ id: "" }))
  db.select("id").from("kv").where($dbx.hashExp({ ok: true, n: [1, 3] })).orderBy("id").all(hashed)

  const between = []
  db.select("id").from("kv").where($dbx.and($dbx.between("n", 2, 3), $dbx.not($dbx.exp("label = {:l}", { l: "banana" })))).column(between)

  const pgOnly = new DynamicModel({ labels: "" })
  db.newQuery("SELECT string_agg(label, ',' ORDER BY label) AS labels FROM kv WHERE label ~* {:re}").bind({ re: "^[a-c]" }).one(pgOnly)

  return e.json(200, { rows, one, built: built.map((r) => r.id), paged, hashed: hashed.map((r) => r.id), between, pgOnly })
})

routerAdd("POST", "/sql/write", (e) => {
  const db = $app.db()
  const upd = db.update("kv", { n: 10 }, $dbx.hashExp({ id: "a" })).execute()
  db.upsert("kv", { id: "b", label: "Blueberry", n: 20, ok: 1 }).execute()
  db.upsert("kv", { id: "e", label: "Elder", n: 5, ok: 0 }, "id").execute()
  const del = db.delete("kv", $dbx.exp("n = {:n}", { n: 4 })).execute()
  let dupError = ""
  try {
    db.insert("kv", { id: "a", label: "again" }).execute()
  } catch (err) {
    dupError = String(err)
  }
  // a transaction: the failed insert inside it is caught, the rest commits
  $app.runInTransaction((tx) => {
    tx.db().update("kv", { label: "Cherry!" }, $dbx.hashExp({ id: "c" })).execute()
    try { tx.db().insert("kv", { id: "c" }).execute() } catch (_) {}
    tx.db().update("kv", { n: 30 }, $dbx.hashExp({ id: "c" })).execute()
  })
  const all = arrayOf(new DynamicModel({ id: "", label: "", n: 0, ok: false }))
  db.select("id", "label", "n", "ok").from("kv").orderBy("id").all(all)
  return e.json(200, { updated: upd.rowsAffected(), deleted: del.rowsAffected(), dupError, all })
})

routerAdd("POST", "/sql/views", (e) => {
  $app.saveView("hv1", "select id, label from kv")
  $app.saveView("hv2", "select id from hv1")
  const before = []
  $app.db().newQuery("SELECT table_name FROM information_schema.views WHERE table_name LIKE 'hv%' ORDER BY 1").column(before)
  // PostgreSQL refuses to drop a view another reads; SQLite drops it and leaves hv2 broken
  $app.deleteView("hv1")
  const after = []
  $app.db().newQuery("SELECT table_name FROM information_schema.views WHERE table_name LIKE 'hv%' ORDER BY 1").column(after)
  const fields = $app.createViewFields("select id, n::int as whole, label from kv")
  return e.json(200, { before, after, fields: JSON.parse(JSON.stringify(fields)).map((f) => f.name + ":" + f.type) })
})

routerAdd("GET", "/sql/records", (e) => {
  const recs = arrayOf(new Record)
  $app.recordQuery("notes").where($dbx.exp("[[title]] ILIKE {:t}", { t: "%NOTE%" })).orderBy("title DESC").all(recs)
  const count = new DynamicModel({ c: 0 })
  $app.db().select("count(*) as c").from("notes").one(count)
  return e.json(200, { titles: recs.map((r) => r.get("title")), c: count.c })
})
`;

const missing = !postgresInstalled();
let pg: PgCluster;
let srv: TestServer;
let su: PocketBase;
const savedUrl = process.env.PB_DB_URL;

beforeAll(async () => {
  if (missing) return;
  pg = await startPostgres();
  // runPb / startServer hand the process environment to pb: the superuser upsert and the server share it
  process.env.PB_DB_URL = await pg.createDatabase();
  // DEBUG_PG_HOOKS=1 prints the server output (with --dev: hook errors) after the run
  srv = await startJsServer({ hooks: { "main.pb.js": HOOKS } }, { args: process.env.DEBUG_PG_HOOKS ? ["--dev"] : [] });
  su = await superuserClient(srv);
});

afterAll(async () => {
  if (missing) return;
  if (savedUrl === undefined) delete process.env.PB_DB_URL;
  else process.env.PB_DB_URL = savedUrl;
  if (process.env.DEBUG_PG_HOOKS) console.log(srv?.output());
  await srv?.stop();
  await pg?.stop();
});

describe.skipIf(missing)("raw SQL in hooks on PostgreSQL", () => {
  if (missing) test.skip(PG_MISSING_MESSAGE, () => {});

  test("$app.dbDialect() and quoting follow the engine", async () => {
    expect(await su.send("/sql/dialect", {})).toEqual({
      dialect: "postgres",
      table: '"my table"',
      column: '"t"."my col"',
    });
  });

  test("builders and bound raw queries", async () => {
    expect(await su.send("/sql/setup", { method: "POST" })).toEqual({ inserted: 1 });
    const r = await su.send("/sql/read", {});
    expect(r.rows).toEqual([
      { id: "d", label: "date", n: 4, ok: false },
      { id: "c", label: "Cherry", n: 3, ok: true },
    ]);
    expect(r.one).toEqual({ total: 4, biggest: "date" });
    expect(r.built).toEqual(["b"]); // LIKE ignores case, as on SQLite
    expect(r.paged).toEqual(["c", "d"]); // OFFSET without LIMIT
    expect(r.hashed).toEqual(["a", "c"]);
    expect(r.between).toEqual(["c"]);
    expect(r.pgOnly).toEqual({ labels: "Apple,Cherry,banana" }); // the test cluster collates bytewise (C.UTF-8)
  });

  test("update, upsert (with and without a conflict target), delete, a caught failure in a transaction", async () => {
    const r = await su.send("/sql/write", { method: "POST" });
    expect(r.updated).toBe(1);
    expect(r.deleted).toBe(1);
    expect(r.dupError).toContain("UNIQUE constraint failed");
    expect(r.all).toEqual([
      { id: "a", label: "Apple", n: 10, ok: true },
      { id: "b", label: "Blueberry", n: 20, ok: true },
      { id: "c", label: "Cherry!", n: 30, ok: true },
      { id: "e", label: "Elder", n: 5, ok: false },
    ]);
  });

  test("$app.saveView / deleteView / createViewFields", async () => {
    expect(await su.send("/sql/views", { method: "POST" })).toEqual({
      before: ["hv1", "hv2"],
      after: [],
      fields: ["id:text", "whole:number", "label:json"],
    });
  });

  test("record queries with PostgreSQL SQL in $dbx.exp", async () => {
    await su.collections.create({ name: "notes", type: "base", fields: [{ name: "title", type: "text" }] });
    for (const title of ["first note", "Second NOTE", "other"]) await su.collection("notes").create({ title });
    expect(await su.send("/sql/records", {})).toEqual({ titles: ["first note", "Second NOTE"], c: 3 });
  });
});
