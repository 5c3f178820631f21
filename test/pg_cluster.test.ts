/**
 * The PostgreSQL test cluster (test/support/pg.ts) and the parts of Bun's built-in SQL client that the
 * PostgreSQL engine (issue 17) relies on, checked against a real server before any engine code uses
 * them: one isolated database per test, `unsafe(text, params)` with `$1` placeholders, where Bun puts
 * the SQLSTATE of a unique violation (23505) and of a statement timeout (57014), and that `Bun.SQL`
 * still works inside a `bun build --compile` binary, since pb ships as one.
 *
 * Skips with a message when PostgreSQL is not installed (.ci/run installs it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_CONNECTIONS, PG_MISSING_MESSAGE, postgresInstalled, startPostgres, type PgCluster } from "./support/pg.ts";

const INSTALLED = postgresInstalled();

/** A rejected promise's error, so its fields can be asserted (expect().rejects only matches messages). */
async function errorOf(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the query to fail");
}

describe.skipIf(!INSTALLED)("PostgreSQL test cluster", () => {
  let pg: PgCluster;
  const clients: SQL[] = [];
  /** A client on a fresh database, closed in afterAll. max 2: Bun opens the whole pool at the first query. */
  const connect = async () => {
    const sql = new SQL(await pg.createDatabase(), { max: 2 });
    clients.push(sql);
    return sql;
  };

  // initdb takes ~1.5 s on a 2-core box; the default 5 s hook timeout leaves too little for a loaded CI.
  beforeAll(async () => {
    pg = await startPostgres();
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await pg?.stop();
  }, 30_000);

  test("runs on loopback with durability off", async () => {
    const sql = new SQL(pg.url(), { max: 1 });
    clients.push(sql);
    const [row] = await sql`SELECT current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen,
      current_setting('max_connections')::int AS conns, current_user AS usr, current_setting('server_encoding') AS enc`;
    expect(row).toEqual({ fsync: "off", listen: "127.0.0.1", conns: MAX_CONNECTIONS, usr: "postgres", enc: "UTF8" });
  });

  test("each createDatabase is a separate, empty database", async () => {
    const a = await connect();
    const b = await connect();
    const [[da], [db]] = await Promise.all([a`SELECT current_database() AS d`, b`SELECT current_database() AS d`]);
    expect(da.d).toMatch(/^t_[0-9a-f]{12}$/);
    expect(db.d).toMatch(/^t_[0-9a-f]{12}$/);
    expect(da.d).not.toBe(db.d);

    await a`CREATE TABLE items (id int PRIMARY KEY, name text)`;
    await a`INSERT INTO items VALUES (1, 'one')`;
    expect((await a`SELECT count(*)::int AS n FROM items`)[0].n).toBe(1);
    expect((await b`SELECT to_regclass('items') AS t`)[0].t).toBeNull();
    const err = await errorOf(b`SELECT * FROM items`);
    expect(err.errno).toBe("42P01"); // undefined_table
  });

  test("unsafe(text, params) binds $1 placeholders", async () => {
    const sql = await connect();
    await sql.unsafe("CREATE TABLE kv (k text PRIMARY KEY, v text)");
    await sql.unsafe("INSERT INTO kv (k, v) VALUES ($1, $2), ($3, $4)", ["a", "x'); DROP TABLE kv; --", "b", null]);
    const rows = await sql.unsafe("SELECT k, v FROM kv WHERE k = $1 OR v IS NULL ORDER BY k", ["a"]);
    expect([...rows]).toEqual([
      { k: "a", v: "x'); DROP TABLE kv; --" },
      { k: "b", v: null },
    ]);
  });

  test("a unique violation carries SQLSTATE 23505 in err.errno", async () => {
    const sql = await connect();
    await sql`CREATE TABLE u (email text)`;
    await sql`CREATE UNIQUE INDEX idx_u_email ON u (email)`;
    await sql`INSERT INTO u VALUES ('a@b.c')`;
    const err = await errorOf(sql.unsafe("INSERT INTO u VALUES ($1)", ["a@b.c"]));
    console.log(
      `  unique violation: ${err.constructor.name} code=${err.code} errno=${err.errno} constraint=${err.constraint}` +
        ` table=${err.table} detail=${JSON.stringify(err.detail)}`,
    );
    expect(err).toBeInstanceOf(SQL.PostgresError);
    expect(err.errno).toBe("23505");
    expect(err.code).toBe("ERR_POSTGRES_SERVER_ERROR");
    expect(err.constraint).toBe("idx_u_email");
  });

  test("statement_timeout cancels pg_sleep with SQLSTATE 57014", async () => {
    const sql = await connect();
    // SET applies to one connection; a reserved one makes sure the sleep runs where the SET ran.
    const conn = await sql.reserve();
    try {
      await conn`SET statement_timeout = '100ms'`;
      const t0 = performance.now();
      const err = await errorOf(conn`SELECT pg_sleep(5)`);
      console.log(
        `  statement timeout: code=${err.code} errno=${err.errno} after ${Math.round(performance.now() - t0)} ms`,
      );
      expect(err.errno).toBe("57014");
      expect(err.code).toBe("ERR_POSTGRES_SERVER_ERROR");
      expect(performance.now() - t0).toBeLessThan(3000);
      // The connection survives a cancelled statement.
      expect((await conn`SELECT 1 AS one`)[0].one).toBe(1);
    } finally {
      conn.release();
    }
  });

  // pb ships as a `bun build --compile` binary, so the client must work there, not only under `bun`.
  test("Bun.SQL works inside a bun build --compile binary", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pb-pg-compile-"));
    try {
      writeFileSync(
        join(dir, "main.ts"),
        [
          'import { SQL } from "bun";',
          "const sql = new SQL(process.argv.at(-1)!);",
          "const [row] = await sql`SELECT 1+1 AS n`;",
          "console.log(row.n);",
          "await sql.close();",
        ].join("\n"),
      );
      const build = Bun.spawnSync(
        [process.execPath, "build", "--compile", join(dir, "main.ts"), "--outfile", join(dir, "app")],
        { cwd: dir, stdout: "pipe", stderr: "pipe" },
      );
      if (build.exitCode !== 0) throw new Error(`bun build --compile failed:\n${build.stderr.toString()}`);
      const proc = Bun.spawn([join(dir, "app"), await pg.createDatabase()], { stdout: "pipe", stderr: "pipe" });
      const [out, errOut, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      expect(errOut).toBe("");
      expect(code).toBe(0);
      expect(out.trim()).toBe("2");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

if (!INSTALLED) test.skip(PG_MISSING_MESSAGE, () => {});
