/**
 * The SQL console (`POST /api/sql`) on PostgreSQL (issue 17): a real `pb serve` with PB_DB_URL on a
 * throwaway cluster. Reads run in a read-only transaction, writes in a transaction with affectedRows,
 * errors are PostgreSQL's own text with the SQLSTATE, and the answer names the engine.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import { runPb, startServer, tempDir, type TestServer } from "./harness.ts";
import { PG_MISSING_MESSAGE, postgresInstalled, startPostgres, type PgCluster } from "./support/pg.ts";

setDefaultTimeout(60_000);

const missing = !postgresInstalled();
let pg: PgCluster;
let srv: TestServer;
let token = "";

async function sql(query: unknown, auth = token) {
  const res = await fetch(`${srv.url}/api/sql`, {
    method: "POST",
    headers: { Authorization: auth, "Content-Type": "application/json" },
    body: JSON.stringify({ query }),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the console's JSON, asserted field by field
  return { status: res.status, json: (await res.json()) as any };
}

beforeAll(async () => {
  if (missing) return;
  pg = await startPostgres();
  const env = { PB_DB_URL: await pg.createDatabase() };
  const workDir = tempDir();
  const up = await runPb(
    ["superuser", "upsert", "root@example.com", "1234567890", `--dir=${join(workDir, "pb_data")}`],
    {
      env,
    },
  );
  if (up.code !== 0) throw new Error(up.stdout + up.stderr);
  srv = await startServer({ workDir, env });
  const su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", "1234567890");
  token = su.authStore.token;
});

afterAll(async () => {
  if (missing) return;
  await srv?.stop();
  await pg?.stop();
});

describe.skipIf(missing)("POST /api/sql on PostgreSQL", () => {
  if (missing) test.skip(PG_MISSING_MESSAGE, () => {});

  test("superusers only", async () => {
    expect((await sql("select 1", "")).status).toBe(401);
  });

  test("a read: column names, PostgreSQL's type names, cells as text, the engine named", async () => {
    const r = await sql(
      "select 1 as a, 'x'::text as b, 2.5::float8 as c, null::int as d, true as e, 12345678901::bigint as f, '{\"k\":1}'::jsonb as g",
    );
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(["execTime", "affectedRows", "columns", "rows", "dialect"]);
    expect(r.json.dialect).toBe("postgres");
    expect(r.json.columns).toEqual([
      { name: "a", type: "INT4", nullable: true },
      { name: "b", type: "TEXT", nullable: true },
      { name: "c", type: "FLOAT8", nullable: true },
      { name: "d", type: "INT4", nullable: true },
      { name: "e", type: "BOOL", nullable: true },
      { name: "f", type: "INT8", nullable: true },
      { name: "g", type: "JSONB", nullable: true },
    ]);
    expect(r.json.rows).toEqual([["1", "x", "2.5", null, "true", "12345678901", '{"k":1}']]);
  });

  test("system tables read as stored; several statements give the last one's rows", async () => {
    const r = await sql(`select 1; select name, type from "_collections" where name = '_superusers'`);
    expect(r.status).toBe(200);
    expect(r.json.rows).toEqual([["_superusers", "auth"]]);
  });

  test("writes run in a transaction and report affectedRows", async () => {
    let r = await sql("CREATE TABLE console_t (id int primary key, v text)");
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ affectedRows: 0, columns: [], rows: [], dialect: "postgres" });
    r = await sql("INSERT INTO console_t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    expect(r.json.affectedRows).toBe(3);
    r = await sql("UPDATE console_t SET v = v || '!' WHERE id > 1; DELETE FROM console_t WHERE id = 1");
    expect(r.json.affectedRows).toBe(3);
    expect((await sql("select id, v from console_t order by id")).json.rows).toEqual([
      ["2", "b!"],
      ["3", "c!"],
    ]);
    // a failing statement rolls the whole text back
    r = await sql("INSERT INTO console_t VALUES (9, 'z'); INSERT INTO console_t VALUES (2, 'dup')");
    expect(r.status).toBe(400);
    expect((await sql("select count(*) from console_t")).json.rows).toEqual([["2"]]);
    r = await sql("TRUNCATE console_t");
    expect(r.status).toBe(200);
    expect((await sql("select count(*) from console_t")).json.rows).toEqual([["0"]]);
    expect((await sql("DROP TABLE console_t")).status).toBe(200);
  });

  test("errors: PostgreSQL's text with its SQLSTATE", async () => {
    let r = await sql("select * from nowhere");
    expect(r.status).toBe(400);
    expect(r.json.message).toBe(
      'Failed to execute query. Raw error:\nERROR: relation "nowhere" does not exist (SQLSTATE 42P01).',
    );
    // a read cannot write (a data-modifying CTE is no write statement by its first word)
    r = await sql("with x as (delete from _params returning 1) select * from x");
    expect(r.status).toBe(400);
    expect(r.json.message).toContain("read-only transaction (SQLSTATE 25006)");
    r = await sql("select 1/0");
    expect(r.json.message).toBe("Failed to execute query. Raw error:\nERROR: division by zero (SQLSTATE 22012).");
  });
});
