/**
 * The PostgreSQL driver against a real server: values in and out as SQLite hands them, transactions
 * on their own connection (joined through the async context, isolated from other contexts), errors
 * mapped to the seam's classes, and run() refusing stacked statements.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type PgCluster, PG_MISSING_MESSAGE, postgresInstalled, startPostgres } from "../../../test/support/pg.ts";
import { QueryTimeoutError, UniqueViolationError } from "./errors.ts";
import { openStorage } from "./index.ts";
import { PostgresDb, uniqueKeyColumns } from "./postgres.ts";

const HAVE_PG = postgresInstalled();
if (!HAVE_PG) test.skip(PG_MISSING_MESSAGE, () => {});

describe.skipIf(!HAVE_PG)("PostgresDb", () => {
  let pg: PgCluster;
  let url: string;
  const open: PostgresDb[] = [];
  const db = (opts: ConstructorParameters<typeof PostgresDb>[1] = {}) => {
    const d = new PostgresDb(url, { max: 3, ...opts });
    open.push(d);
    return d;
  };

  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase();
  });
  afterAll(async () => {
    for (const d of open) await d.close();
    await pg?.stop();
  });

  test("values come back as SQLite gives them: int8 as numbers, bools bound as 0/1, JSON text untouched", async () => {
    const d = db();
    await d.setup();
    await d.exec(
      `CREATE TABLE vals (id TEXT PRIMARY KEY, b SMALLINT NOT NULL DEFAULT 0, n DOUBLE PRECISION NOT NULL DEFAULT 0, j TEXT, "_rowid_" BIGINT GENERATED ALWAYS AS IDENTITY)`,
    );
    await d.run("INSERT INTO vals (id, b, n, j) VALUES (?, ?, ?, ?)", ["a", true, 2.5, '{"b":1,"a":[1, 2],"aa":2.50}']);
    await d.run("INSERT INTO vals (id, b, n, j) VALUES (:id, :b, :n, :j)", { id: "b", b: false, n: 3, j: null });
    const rows = await d.all<{ id: string; b: number; n: number; j: string | null; _rowid_: number }>(
      "SELECT * FROM vals ORDER BY _rowid_",
    );
    expect(rows).toEqual([
      { id: "a", b: 1, n: 2.5, j: '{"b":1,"a":[1, 2],"aa":2.50}', _rowid_: 1 },
      { id: "b", b: 0, n: 3, j: null, _rowid_: 2 },
    ]);
    expect(await d.get<{ c: number }>("SELECT COUNT(*) AS c FROM vals")).toEqual({ c: 2 });
    expect(await d.get("SELECT * FROM vals WHERE id = ?", ["zzz"])).toBeNull();
    expect(await d.values("SELECT id, b FROM vals ORDER BY id")).toEqual([
      ["a", 1],
      ["b", 0],
    ]);
    expect((await d.run("UPDATE vals SET n = n + 1")).changes).toBe(2);
  });

  test("a value with U+0000 (which PostgreSQL text cannot hold) misses a lookup instead of failing it", async () => {
    const d = db();
    await d.exec("CREATE TABLE nul (id TEXT PRIMARY KEY)");
    await d.run("INSERT INTO nul (id) VALUES (?)", ["a"]);
    expect(await d.get("SELECT * FROM nul WHERE id = ?", ["a\0b"])).toBeNull();
    expect(await d.get("SELECT * FROM nul WHERE id = ?", [new TextEncoder().encode("a\0")])).toBeNull();
    await d.run("INSERT INTO nul (id) VALUES (?)", ["x\0y"]);
    expect(await d.get("SELECT * FROM nul WHERE id LIKE 'x%'")).toEqual({ id: "x\uFFFDy" });
  });

  test("run() executes the first statement only, as SQLite: text stacked after ';' never runs", async () => {
    const d = db();
    await d.exec("CREATE TABLE stack (x TEXT)");
    expect((await d.run("INSERT INTO stack VALUES ('a'); DROP TABLE stack")).changes).toBe(1);
    expect((await d.run("INSERT INTO stack VALUES (?); DROP TABLE stack", ["b"])).changes).toBe(1);
    expect(await d.hasTable("stack")).toBe(true);
    await d.run("DELETE FROM stack");
    // exec runs scripts (DDL, several statements) and counts their changes
    const r = await d.exec("INSERT INTO stack VALUES ('a'); INSERT INTO stack VALUES ('b'), ('c');");
    expect(r.changes).toBe(3);
  });

  test("a transaction commits, rolls back on throw, joins nested calls and runs its end callbacks after", async () => {
    const d = db();
    await d.exec("CREATE TABLE tx (x TEXT)");
    const events: string[] = [];
    await d.transaction(async () => {
      expect(d.inTransaction).toBe(true);
      expect(d.onTransactionEnd((err) => void events.push(`end:${err === null}`))).toBe(true);
      await d.run("INSERT INTO tx VALUES ('a')");
      await d.transaction(async () => {
        await d.run("INSERT INTO tx VALUES ('b')");
      });
      // uncommitted rows are visible inside, not outside (another context takes a pool connection)
      expect((await d.all("SELECT * FROM tx")).length).toBe(2);
      const outside = await new Promise<number>((resolve) =>
        setImmediate(
          () =>
            void db()
              .all("SELECT * FROM tx")
              .then((r) => resolve(r.length)),
        ),
      );
      expect(outside).toBe(0);
      events.push("body");
    });
    expect(events).toEqual(["body", "end:true"]);
    expect(d.inTransaction).toBe(false);
    expect(d.onTransactionEnd(() => {})).toBe(false);

    const boom = new Error("boom");
    let endErr: unknown = null;
    await expect(
      d.transaction(async () => {
        d.onTransactionEnd((err) => void (endErr = err));
        await d.run("INSERT INTO tx VALUES ('c')");
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(endErr).toBe(boom);
    expect((await d.all<{ x: string }>("SELECT x FROM tx ORDER BY x")).map((r) => r.x)).toEqual(["a", "b"]);
  });

  test("a unique violation is a UniqueViolationError naming table.column (also for lower() indexes)", async () => {
    const d = db();
    await d.exec(
      `CREATE TABLE "users" ("id" TEXT PRIMARY KEY, "email" TEXT NOT NULL DEFAULT '', "a" TEXT, "b" TEXT);
       CREATE UNIQUE INDEX "idx_email" ON "users" ((lower("email"))) WHERE "email" != '';
       CREATE UNIQUE INDEX "idx_ab" ON "users" ("a", "b");`,
    );
    await d.run(`INSERT INTO "users" ("id", "email", "a", "b") VALUES ('1', 'A@x.io', 'p', 'q')`);
    const err = await d.run(`INSERT INTO "users" ("id", "email") VALUES ('2', 'a@X.io')`).catch((e) => e);
    expect(err).toBeInstanceOf(UniqueViolationError);
    expect((err as UniqueViolationError).columns).toEqual(["users.email"]);
    const err2 = await d.run(`INSERT INTO "users" ("id", "a", "b") VALUES ('3', 'p', 'q')`).catch((e) => e);
    expect((err2 as UniqueViolationError).columns).toEqual(["users.a", "users.b"]);
    const err3 = await d.run(`INSERT INTO "users" ("id") VALUES ('1')`).catch((e) => e);
    expect((err3 as UniqueViolationError).columns).toEqual(["users.id"]);
    expect(uniqueKeyColumns('Key ("we""ird", lower(x))=(1, 2) already exists.')).toEqual(['we"ird', "x"]);
  });

  test("a failed write inside a transaction leaves it usable, as on SQLite (a caught error does not doom it)", async () => {
    const d = db();
    await d.exec(`CREATE TABLE caught ("id" TEXT PRIMARY KEY)`);
    await d.transaction(async () => {
      await d.run(`INSERT INTO caught VALUES ('a')`);
      const err = await d.run(`INSERT INTO caught VALUES ('a')`).catch((e) => e);
      expect(err).toBeInstanceOf(UniqueViolationError);
      // concurrent writes of one transaction keep their savepoints apart
      await Promise.all([d.run(`INSERT INTO caught VALUES ('b')`), d.run(`INSERT INTO caught VALUES ('c')`)]);
    });
    expect((await d.all<{ id: string }>("SELECT id FROM caught ORDER BY id")).map((r) => r.id)).toEqual([
      "a",
      "b",
      "c",
    ]);
    // a caller's own savepoint through run() is not swallowed by the statement savepoints
    await d.transaction(async () => {
      await d.run("SAVEPOINT mine");
      await d.run(`INSERT INTO caught VALUES ('d')`);
      await d.run("ROLLBACK TO SAVEPOINT mine");
      await d.run("RELEASE SAVEPOINT mine");
    });
    expect((await d.all("SELECT id FROM caught")).length).toBe(3);
  });

  test("the query timeout bounds reads only: a write may run longer", async () => {
    const d = db({ queryTimeout: 1 });
    await d.exec("CREATE TABLE slow (x DOUBLE PRECISION)");
    expect((await d.run("INSERT INTO slow SELECT 1 FROM pg_sleep(1.3)")).changes).toBe(1);
  });

  test("a statement past the query timeout is a QueryTimeoutError", async () => {
    const d = db({ queryTimeout: 1 });
    const err = await d.get("SELECT pg_sleep(3)").catch((e) => e);
    expect(err).toBeInstanceOf(QueryTimeoutError);
  });

  test("a schema option keeps a database's tables apart (the logs' pb_aux) and the catalog sees only its own", async () => {
    const aux = db({ schema: "pb_aux_test" });
    await aux.setup();
    await aux.exec("CREATE TABLE _logs (id TEXT PRIMARY KEY, level INTEGER NOT NULL DEFAULT 0)");
    expect(await aux.hasTable("_logs")).toBe(true);
    expect(await aux.hasTable("_LOGS")).toBe(true);
    expect(await db().hasTable("_logs")).toBe(false);
    const cols = await aux.tableColumns("_logs");
    expect(cols.map((c) => [c.name, c.pk, c.notnull])).toEqual([
      ["id", 1, 1],
      ["level", 0, 1],
    ]);
  });

  test("a server that cannot be reached is named in the error, its password never", async () => {
    const bad = url.replace(/^postgres:\/\/([^@/]*)@/, "postgres://$1:hunter2@").replace(/:\d+\//, ":1/");
    const err = (await openStorage("/nonexistent", { queryTimeout: 0, dbUrl: bad }).catch((e) => e)) as Error;
    expect(err.message).toContain("cannot open the PostgreSQL database postgres://");
    expect(err.message).toContain(":***@127.0.0.1:1/");
    expect(err.message).not.toContain("hunter2");
  });

  test("withWriteLock sections exclude each other; statements inside go straight through", async () => {
    const d = db();
    const order: string[] = [];
    await Promise.all([
      d.withWriteLock(async () => {
        order.push("a1");
        await d.get("SELECT pg_sleep(0.05)");
        order.push("a2");
      }),
      d.withWriteLock(async () => {
        order.push("b1");
        await d.get("SELECT 1");
        order.push("b2");
      }),
    ]);
    expect(order).toEqual(["a1", "a2", "b1", "b2"]);
  });
});
