/** The SQL console (`POST /api/sql`): reads on a worker, writes in a transaction, upstream's limits and errors. */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { splitStatements } from "../src/api/sql.ts";
import { App } from "../src/core/app.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { tempDir } from "./harness.ts";

setDefaultTimeout(20_000);

let app: App;
let server: RunningServer;
let dir: string;
let token: string;

async function sql(query: unknown, auth = token) {
  const res = await fetch(`${server.url}/api/sql`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify({ query }),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

beforeAll(async () => {
  dir = tempDir();
  app = new App({ dataDir: join(dir, "pb_data") });
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

describe("POST /api/sql", () => {
  test("guests 401", async () => {
    expect((await sql("select 1", "")).status).toBe(401);
  });

  test("a read: upstream's shape, cells as text", async () => {
    const r = await sql("select 1");
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(["execTime", "affectedRows", "columns", "rows"]);
    expect(r.json).toMatchObject({
      affectedRows: 0,
      columns: [{ name: "1", type: "", nullable: true }],
      rows: [["1"]],
    });
    const t = await sql(
      "select 1.5 as f, 1e21 as big, null as n, x'6869' as b, 'ü' as s, 7 as i, 1000000.0 as m, 2.0 as r, 9007199254740993 as huge",
    );
    expect(t.json.rows).toEqual([["1.5", "1e+21", null, "hi", "ü", "7", "1e+06", "2", "9007199254740993"]]);
  });

  test("several reads: the last one's rows; duplicate column names kept; declared types upper-cased", async () => {
    expect((await sql("select 1;select 2")).json).toMatchObject({ columns: [{ name: "2" }], rows: [["2"]] });
    const r = await sql("select id, id, email from _superusers");
    expect(r.json.columns).toEqual([
      { name: "id", type: "TEXT", nullable: true },
      { name: "id", type: "TEXT", nullable: true },
      { name: "email", type: "TEXT", nullable: true },
    ]);
    expect(r.json.rows[0][0]).toBe(r.json.rows[0][1]);
  });

  test("at most 1000 rows", async () => {
    const r = await sql("with recursive c(x) as (select 1 union all select x+1 from c where x < 5000) select x from c");
    expect(r.json.rows).toHaveLength(1000);
    expect(r.json.rows[999]).toEqual(["1000"]);
    const p = await sql("pragma table_info(_superusers)");
    expect(p.json.columns.map((c: { name: string }) => c.name)).toEqual([
      "cid",
      "name",
      "type",
      "notnull",
      "dflt_value",
      "pk",
    ]);
  });

  test("writes run in one transaction and report affected rows", async () => {
    let r = await sql("create table test_sql_table(id int primary key)");
    expect(r.json).toMatchObject({ affectedRows: 0, columns: [], rows: [] });
    r = await sql("insert into test_sql_table(id) VALUES(1);insert into test_sql_table(id) values (2)");
    expect(r.json.affectedRows).toBe(2);
    r = await sql("create table test_sql_table2(id int primary key);insert into test_sql_table2(id)VALUES(1);invalid");
    expect(r.status).toBe(400);
    expect(r.json.data).toEqual({});
    expect(r.json.message).toContain("Raw error:");
    expect(r.json.message).toContain("SQL logic error");
    expect((await sql("select count(*) from sqlite_master where name = 'test_sql_table2'")).json.rows).toEqual([["0"]]);
    r = await sql("insert into test_sql_table(id) values (1)");
    expect(r.json.message).toBe(
      "Failed to execute query. Raw error:\nconstraint failed: UNIQUE constraint failed: test_sql_table.id (1555).",
    );
    r = await sql("delete from test_sql_table");
    expect(r.json.affectedRows).toBe(2);
  });

  test("validation: required, at most 5000 characters, a string", async () => {
    let r = await sql("");
    expect(r.status).toBe(400);
    expect(r.json.data.query.code).toBe("validation_required");
    r = await sql("a".repeat(5001));
    expect(r.json.data.query.code).toBe("validation_length_too_long");
    r = await sql(`select '${"a".repeat(4985)}' as id`);
    expect(r.status).toBe(200);
    r = await sql(123);
    expect(r.status).toBe(400);
    r = await sql("invalid");
    expect(r.json.message).toBe(
      'Failed to execute query. Raw error:\nSQL logic error: near "invalid": syntax error (1).',
    );
  });

  test("a read does not hold up other requests", async () => {
    const slow = sql(
      "with recursive c(x) as (select 1 union all select x+1 from c where x < 1000000) select count(*) from c",
    );
    const started = performance.now();
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    const healthMs = performance.now() - started;
    const r = await slow;
    expect(r.json.rows).toEqual([["1000000"]]);
    expect(healthMs).toBeLessThan(r.json.execTime + 1);
  });
});

test("splitStatements respects quotes and comments", () => {
  expect(splitStatements("select 1; select ';' as x -- a; comment\n; select \"a;b\";/* ; */")).toEqual([
    "select 1",
    "select ';' as x -- a; comment",
    'select "a;b"',
  ]);
  expect(splitStatements("select 'it''s; fine'")).toEqual(["select 'it''s; fine'"]);
});
