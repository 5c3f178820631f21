/**
 * The SQLite driver through the `Db` interface only: what every caller in core/api/jsvm relies on
 * (results, parameters, typed errors, transactions and the write lock, catalog, closing).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db } from "./driver.ts";
import { DbError, UniqueViolationError } from "./errors.ts";
import { SqliteDb } from "./sqlite.ts";

const dir = mkdtempSync(join(tmpdir(), "pb-sqlitedb-"));
const opened: Db[] = [];
let seq = 0;

/** A fresh database file of its own (tests that wait on locks must not share one). */
async function fresh(opts?: ConstructorParameters<typeof SqliteDb>[1]): Promise<{ db: SqliteDb; path: string }> {
  const path = join(dir, `db${++seq}.db`);
  const db = new SqliteDb(path, opts);
  opened.push(db);
  await db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE, b TEXT NOT NULL DEFAULT '')");
  return { db, path };
}

afterAll(async () => {
  for (const db of opened) await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Whether a promise settles within a few milliseconds (a write held off by a lock stays pending). */
function settled(p: Promise<unknown>): Promise<"pending" | "done"> {
  const done = () => "done" as const;
  return Promise.race([p.then(done, done), Bun.sleep(5).then(() => "pending" as const)]);
}

describe("statements", () => {
  test("all, get, values, run and exec", async () => {
    const { db } = await fresh();
    // exec counts the changes of every statement in the script
    expect(await db.exec("INSERT INTO t (a) VALUES ('x'); INSERT INTO t (a) VALUES ('y');")).toEqual({ changes: 2 });
    expect(await db.all("SELECT id, a FROM t ORDER BY id")).toEqual([
      { id: 1, a: "x" },
      { id: 2, a: "y" },
    ]);
    expect(await db.get("SELECT a FROM t ORDER BY id DESC")).toEqual({ a: "y" });
    expect(await db.values("SELECT id, a FROM t ORDER BY id")).toEqual([
      [1, "x"],
      [2, "y"],
    ]);
    expect(await db.run("INSERT INTO t (a) VALUES ('w')")).toEqual({ changes: 1, lastInsertId: 3 });
    expect((await db.run("UPDATE t SET b = 'z'")).changes).toBe(3);
    expect((await db.run("DELETE FROM t WHERE a = 'nope'")).changes).toBe(0);
  });

  test("get gives null (not undefined) when there is no row; all gives []", async () => {
    const { db } = await fresh();
    expect(await db.get("SELECT * FROM t WHERE id = ?", [42])).toBeNull();
    expect(await db.all("SELECT * FROM t")).toEqual([]);
    expect(await db.values("SELECT * FROM t")).toEqual([]);
  });

  test("positional and named parameters", async () => {
    const { db } = await fresh();
    await db.run("INSERT INTO t (a, b) VALUES (?, ?)", ["p", "q"]);
    await db.run("INSERT INTO t (a, b) VALUES (:p0, :p1)", { p0: "n", p1: "m" });
    expect(await db.all("SELECT a, b FROM t WHERE a IN (?, ?) ORDER BY a", ["n", "p"])).toEqual([
      { a: "n", b: "m" },
      { a: "p", b: "q" },
    ]);
    expect(await db.get("SELECT b FROM t WHERE a = :p0", { p0: "p" })).toEqual({ b: "q" });
    // the same cached statement with other values
    expect(await db.get("SELECT b FROM t WHERE a = :p0", { p0: "n" })).toEqual({ b: "m" });
    expect(await db.values("SELECT a FROM t WHERE b = ?", ["m"])).toEqual([["n"]]);
  });

  test("run compiles only the first statement of the text", async () => {
    const { db } = await fresh();
    await db.exec("CREATE TABLE x (v)");
    await db.run("SELECT 1; DROP TABLE x");
    expect(await db.hasTable("x")).toBe(true);
    // also for a statement that is not kept prepared (DDL)
    await db.run("CREATE TABLE y (v); DROP TABLE x");
    expect(await db.hasTable("y")).toBe(true);
    expect(await db.hasTable("x")).toBe(true);
    // a parameter value is only ever a value
    await db.run("INSERT INTO x (v) VALUES (?)", ["1); DROP TABLE x; --"]);
    expect(await db.all("SELECT v FROM x")).toEqual([{ v: "1); DROP TABLE x; --" }]);
  });

  test("exec runs every statement of a script", async () => {
    const { db } = await fresh();
    await db.exec("CREATE TABLE s1 (v); CREATE TABLE s2 (v); INSERT INTO s2 VALUES (1);");
    expect(await db.hasTable("s1")).toBe(true);
    expect(await db.get("SELECT v FROM s2")).toEqual({ v: 1 });
  });
});

describe("errors", () => {
  test("a unique violation is a UniqueViolationError with the columns and the engine's message", async () => {
    const { db } = await fresh();
    await db.run("INSERT INTO t (a) VALUES (?)", ["dup"]);
    const err = await db.run("INSERT INTO t (a) VALUES (?)", ["dup"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UniqueViolationError);
    expect(err).toBeInstanceOf(DbError);
    const u = err as UniqueViolationError;
    expect(u.message).toBe("UNIQUE constraint failed: t.a");
    expect(u.columns).toEqual(["t.a"]);
    expect(u.code).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect(u.errno).toBe(2067);
  });

  test("a composite unique index names every column; a primary key clash is a unique violation too", async () => {
    const { db } = await fresh();
    await db.exec("CREATE TABLE c (x, y); CREATE UNIQUE INDEX idx_c ON c (x, y);");
    await db.run("INSERT INTO c VALUES (1, 2)");
    const err = (await db.run("INSERT INTO c VALUES (1, 2)").catch((e: unknown) => e)) as UniqueViolationError;
    expect(err).toBeInstanceOf(UniqueViolationError);
    expect(err.message).toBe("UNIQUE constraint failed: c.x, c.y");
    expect(err.columns).toEqual(["c.x", "c.y"]);

    await db.run("INSERT INTO t (id, a) VALUES (7, 'q')");
    const pk = (await db.run("INSERT INTO t (id, a) VALUES (7, 'r')").catch((e: unknown) => e)) as UniqueViolationError;
    expect(pk).toBeInstanceOf(UniqueViolationError);
    expect(pk.columns).toEqual(["t.id"]);
  });

  test("other engine errors are DbErrors with errno and code, and no UniqueViolationError", async () => {
    const { db } = await fresh();
    const noCol = (await db.all("SELECT nope FROM t").catch((e: unknown) => e)) as DbError;
    expect(noCol).toBeInstanceOf(DbError);
    expect(noCol).not.toBeInstanceOf(UniqueViolationError);
    expect(noCol.message).toBe("no such column: nope");
    expect(noCol.errno).toBe(1);
    expect(noCol.code).toBe("SQLITE_ERROR");

    const notNull = (await db.run("INSERT INTO t (a, b) VALUES ('k', NULL)").catch((e: unknown) => e)) as DbError;
    expect(notNull).toBeInstanceOf(DbError);
    expect(notNull).not.toBeInstanceOf(UniqueViolationError);
    expect(notNull.message).toBe("NOT NULL constraint failed: t.b");
    expect(notNull.code).toBe("SQLITE_CONSTRAINT_NOTNULL");

    const syntax = (await db.exec("CREATE TABLE (").catch((e: unknown) => e)) as DbError;
    expect(syntax).toBeInstanceOf(DbError);
    expect(syntax.message).toContain("syntax error");
    for (const read of [db.get("SELECT * FROM missing"), db.values("SELECT * FROM missing")]) {
      const e = (await read.catch((x: unknown) => x)) as DbError;
      expect(e).toBeInstanceOf(DbError);
      expect(e.message).toBe("no such table: missing");
    }
  });

  test("errors are rejections, never synchronous throws", () => {
    // callers chain .catch(): a throw before the promise exists would escape it
    return fresh().then(({ db }) => {
      let sync: unknown = null;
      try {
        void db.all("SELECT nope").catch(() => {});
        void db.run("INSERT INTO nope VALUES (1)").catch(() => {});
        void db.exec("nonsense").catch(() => {});
      } catch (e) {
        sync = e;
      }
      expect(sync).toBeNull();
    });
  });
});

describe("transactions", () => {
  test("commits when fn resolves and hands back its value", async () => {
    const { db } = await fresh();
    const out = await db.transaction(async () => {
      expect(db.inTransaction).toBe(true);
      await db.run("INSERT INTO t (a) VALUES ('in')");
      await Bun.sleep(1);
      await db.run("INSERT INTO t (a) VALUES ('in2')");
      return 42;
    });
    expect(out).toBe(42);
    expect(db.inTransaction).toBe(false);
    expect(await db.all("SELECT a FROM t ORDER BY a")).toEqual([{ a: "in" }, { a: "in2" }]);
  });

  test("rolls back everything when fn throws, and rethrows the error", async () => {
    const { db } = await fresh();
    const boom = new Error("boom");
    const err = await db
      .transaction(async () => {
        await db.run("INSERT INTO t (a) VALUES ('gone')");
        await db.exec("CREATE TABLE gone_too (v)");
        await Bun.sleep(1);
        throw boom;
      })
      .catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(await db.all("SELECT * FROM t")).toEqual([]);
    expect(await db.hasTable("gone_too")).toBe(false);
    // a failing statement inside rolls back the earlier ones
    const dup = await db
      .transaction(async () => {
        await db.run("INSERT INTO t (a) VALUES ('d')");
        await db.run("INSERT INTO t (a) VALUES ('d')");
      })
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(UniqueViolationError);
    expect(await db.all("SELECT * FROM t")).toEqual([]);
    // and the database is usable afterwards
    await db.transaction(() => db.run("INSERT INTO t (a) VALUES ('ok')"));
    expect(await db.all("SELECT a FROM t")).toEqual([{ a: "ok" }]);
  });

  test("a synchronous fn works too", async () => {
    const { db } = await fresh();
    expect(await db.transaction(() => "sync")).toBe("sync");
    await expect(
      db.transaction(() => {
        throw new Error("sync boom");
      }),
    ).rejects.toThrow("sync boom");
    expect(db.inTransaction).toBe(false);
  });

  test("nested calls join the outer transaction", async () => {
    const { db } = await fresh();
    await db
      .transaction(async () => {
        await db.run("INSERT INTO t (a) VALUES ('outer')");
        const inner = await db.transaction(async () => {
          expect(db.inTransaction).toBe(true);
          await db.run("INSERT INTO t (a) VALUES ('inner')");
          return "inner done";
        });
        expect(inner).toBe("inner done");
        // an inner failure the outer catches does not end the outer transaction
        await db
          .transaction(async () => {
            await db.run("INSERT INTO t (a) VALUES ('inner2')");
            throw new Error("inner");
          })
          .catch(() => {});
        expect(db.inTransaction).toBe(true);
        throw new Error("outer fails");
      })
      .catch(() => {});
    // the outer rollback took the joined inner writes with it
    expect(await db.all("SELECT * FROM t")).toEqual([]);
  });

  test("the transaction follows the async context into callbacks and parallel work", async () => {
    const { db } = await fresh();
    await db.transaction(async () => {
      await Promise.all(
        ["p1", "p2", "p3"].map(async (a) => {
          await Bun.sleep(1);
          expect(db.inTransaction).toBe(true);
          await db.run("INSERT INTO t (a) VALUES (?)", [a]);
        }),
      );
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          expect(db.inTransaction).toBe(true);
          resolve();
        }, 1),
      );
    });
    expect((await db.all("SELECT a FROM t ORDER BY a")).length).toBe(3);
  });

  test("a write from another async context waits until the transaction commits", async () => {
    const { db } = await fresh();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async () => {
      await db.run("INSERT INTO t (a) VALUES ('tx')");
      await gate;
      order.push("commit");
    });
    await Bun.sleep(1);
    expect(db.inTransaction).toBe(false);
    const outside = db.run("INSERT INTO t (a) VALUES ('outside')").then(() => order.push("outside"));
    const outsideExec = db.exec("INSERT INTO t (a) VALUES ('outside2')").then(() => order.push("outside2"));
    expect(await settled(outside)).toBe("pending");
    expect(await settled(outsideExec)).toBe("pending");
    release();
    await Promise.all([tx, outside, outsideExec]);
    expect(order).toEqual(["commit", "outside", "outside2"]);
    expect(await db.all("SELECT a FROM t ORDER BY id")).toEqual([{ a: "tx" }, { a: "outside" }, { a: "outside2" }]);
  });

  test("a write from another async context is not rolled back with the transaction", async () => {
    const { db } = await fresh();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const tx = db
      .transaction(async () => {
        await db.run("INSERT INTO t (a) VALUES ('tx')");
        await gate;
        throw new Error("rolled back");
      })
      .catch((e: Error) => e.message);
    await Bun.sleep(1);
    const outside = db.run("INSERT INTO t (a) VALUES ('outside')");
    expect(await settled(outside)).toBe("pending");
    release();
    expect(await tx).toBe("rolled back");
    expect((await outside).changes).toBe(1);
    expect(await db.all("SELECT a FROM t")).toEqual([{ a: "outside" }]);
  });

  test("transactions from separate async contexts run one after the other", async () => {
    const { db } = await fresh();
    const log: string[] = [];
    const one = (name: string) =>
      db.transaction(async () => {
        log.push(name + " begin");
        await Bun.sleep(3);
        await db.run("INSERT INTO t (a) VALUES (?)", [name]);
        log.push(name + " end");
      });
    await Promise.all([one("a"), one("b"), one("c")]);
    expect(log).toEqual(["a begin", "a end", "b begin", "b end", "c begin", "c end"]);
  });

  test("work a transaction left running writes as an outsider once it ended, not into the next one", async () => {
    const { db } = await fresh();
    let fire!: () => void;
    const trigger = new Promise<void>((r) => (fire = r));
    let late!: Promise<unknown>;
    await db.transaction(async () => {
      // started inside the transaction, not awaited: it inherits the transaction's async context
      late = trigger.then(() => db.run("INSERT INTO t (a) VALUES ('late')"));
    });
    expect(db.inTransaction).toBe(false);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const next = db
      .transaction(async () => {
        await db.run("INSERT INTO t (a) VALUES ('next')");
        await gate;
        throw new Error("rolled back");
      })
      .catch((e: Error) => e.message);
    await Bun.sleep(1);
    fire();
    // it must queue behind the open transaction instead of joining it...
    expect(await settled(late)).toBe("pending");
    release();
    expect(await next).toBe("rolled back");
    await late;
    // ...so the rollback does not take it along
    expect(await db.all("SELECT a FROM t")).toEqual([{ a: "late" }]);
  });
});

describe("withWriteLock", () => {
  test("holds other writers off without a transaction; its own statements go straight through", async () => {
    const { db } = await fresh();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const locked = db.withWriteLock(async () => {
      expect(db.inTransaction).toBe(false);
      await db.run("INSERT INTO t (a) VALUES ('locked')");
      await gate;
      return "done";
    });
    await Bun.sleep(1);
    const outside = db.run("INSERT INTO t (a) VALUES ('outside')");
    const tx = db.transaction(() => db.run("INSERT INTO t (a) VALUES ('tx')"));
    expect(await settled(outside)).toBe("pending");
    expect(await settled(tx)).toBe("pending");
    // reads are not held off
    expect(await db.get("SELECT a FROM t")).toEqual({ a: "locked" });
    release();
    expect(await locked).toBe("done");
    await Promise.all([outside, tx]);
    expect(await db.all("SELECT a FROM t ORDER BY id")).toEqual([{ a: "locked" }, { a: "outside" }, { a: "tx" }]);
  });

  test("a statement that fails under the lock does not undo the earlier ones (no transaction)", async () => {
    const { db } = await fresh();
    const err = await db
      .withWriteLock(async () => {
        await db.run("INSERT INTO t (a) VALUES ('kept')");
        throw new Error("after the write");
      })
      .catch((e: Error) => e.message);
    expect(err).toBe("after the write");
    expect(await db.all("SELECT a FROM t")).toEqual([{ a: "kept" }]);
    // and the lock was released
    await db.run("INSERT INTO t (a) VALUES ('next')");
  });

  test("nests: inside a transaction, and a transaction inside it", async () => {
    const { db } = await fresh();
    const inTx = await db.transaction(() => db.withWriteLock(async () => db.inTransaction));
    expect(inTx).toBe(true);
    const txInLock = await db.withWriteLock(() =>
      db.transaction(async () => {
        await db.run("INSERT INTO t (a) VALUES ('nested')");
        return db.inTransaction;
      }),
    );
    expect(txInLock).toBe(true);
    expect(await db.all("SELECT a FROM t")).toEqual([{ a: "nested" }]);
  });
});

describe("catalog", () => {
  test("hasTable sees tables and views, case-insensitively (upstream's HasTable)", async () => {
    const { db } = await fresh();
    await db.exec("CREATE VIEW v AS SELECT a FROM t");
    expect(await db.hasTable("t")).toBe(true);
    expect(await db.hasTable("v")).toBe(true);
    // SQLite refuses a table "T" next to "t": a check that missed it would let a create fail later
    expect(await db.hasTable("T")).toBe(true);
    expect(await db.hasTable("V")).toBe(true);
    expect(await db.hasTable("nope")).toBe(false);
    // an index is not a table
    await db.exec("CREATE INDEX idx_b ON t (b)");
    expect(await db.hasTable("idx_b")).toBe(false);
  });

  test("tableColumns describes tables and views; [] for a missing one", async () => {
    const { db } = await fresh();
    await db.exec("CREATE VIEW v AS SELECT id, a AS renamed FROM t");
    expect(await db.tableColumns("t")).toEqual([
      { cid: 0, name: "id", type: "INTEGER", notnull: 0, dflt_value: null, pk: 1 },
      { cid: 1, name: "a", type: "TEXT", notnull: 0, dflt_value: null, pk: 0 },
      { cid: 2, name: "b", type: "TEXT", notnull: 1, dflt_value: "''", pk: 0 },
    ]);
    expect((await db.tableColumns("v")).map((c) => c.name)).toEqual(["id", "renamed"]);
    expect(await db.tableColumns("nope")).toEqual([]);
    // a name needing quotes
    await db.exec("CREATE TABLE `we``ird` (`x y` TEXT)");
    expect((await db.tableColumns("we`ird")).map((c) => c.name)).toEqual(["x y"]);
  });

  test("tableIndexes lists the created indexes with their SQL, not the automatic ones", async () => {
    const { db } = await fresh();
    await db.exec("CREATE UNIQUE INDEX idx_ab ON t (a, b); CREATE INDEX idx_b ON t (b);");
    const idx = await db.tableIndexes("t");
    expect(idx).toBeInstanceOf(Map);
    // the UNIQUE column's sqlite_autoindex_t_1 has no SQL and is left out
    expect([...idx.keys()].sort()).toEqual(["idx_ab", "idx_b"]);
    expect(idx.get("idx_ab")).toBe("CREATE UNIQUE INDEX idx_ab ON t (a, b)");
    expect(idx.get("idx_b")).toBe("CREATE INDEX idx_b ON t (b)");
    expect((await db.tableIndexes("nope")).size).toBe(0);
  });

  test("vacuum and optimize run", async () => {
    const { db } = await fresh();
    await db.run("INSERT INTO t (a) VALUES ('v')");
    await db.vacuum();
    await db.optimize();
    expect(await db.get("SELECT a FROM t")).toEqual({ a: "v" });
  });

  test("checkpoint folds the WAL into the file (on a worker) and truncates it; closed: a no-op", async () => {
    const { db, path } = await fresh();
    await db.run("INSERT INTO t (a) VALUES ('c')");
    expect(statSync(path + "-wal").size).toBeGreaterThan(0);
    await db.checkpoint();
    expect(statSync(path + "-wal").size).toBe(0);
    // the data is in the .db file itself: a copy without the WAL still has it
    const copy = join(dir, "checkpointed.db");
    copyFileSync(path, copy);
    const other = new SqliteDb(copy);
    opened.push(other);
    expect(await other.get("SELECT a FROM t")).toEqual({ a: "c" });
    await db.close();
    await db.checkpoint();
  });
});

describe("closing", () => {
  test("the statement cache stays bounded: after 600 distinct SELECTs close() really closes the file", async () => {
    const { db, path } = await fresh();
    for (let i = 0; i < 600; i++) expect(await db.get<{ n: number }>(`SELECT ${i} AS n`)).toEqual({ n: i });
    // the evicted statements were finalized on the way (the cache keeps at most 500 of them) ...
    const cached = (db as unknown as { statements?: { cache?: Map<string, unknown> } }).statements?.cache;
    if (cached) expect(cached.size).toBeLessThanOrEqual(500);
    // ... and a statement SQLite still held would keep the connection (and its -wal file) open
    await db.run("INSERT INTO t (a) VALUES ('w')");
    expect(existsSync(path + "-wal")).toBe(true);
    await db.close();
    expect(existsSync(path + "-wal")).toBe(false);
    expect(existsSync(path + "-shm")).toBe(false);
    // what was written is in the .db file itself
    const again = new SqliteDb(path);
    opened.push(again);
    expect(await again.get("SELECT a FROM t")).toEqual({ a: "w" });
    await again.close();
    // closing twice is harmless
    await db.close();
  });

  test("the read pool serves committed rows; closing fails its pending reads and drops it", async () => {
    const { db } = await fresh({ readPoolSize: 1 });
    await db.run("INSERT INTO t (a) VALUES ('pooled')");
    const pool = db.readPool;
    expect(pool).not.toBeNull();
    expect(db.readPool).toBe(pool); // one pool, started once
    expect(await pool!.all("SELECT a FROM t")).toEqual([{ a: "pooled" }]);
    const long =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000) SELECT COUNT(*) AS n FROM c";
    const pending = pool!.all(long).then(
      () => "answered",
      (e: Error) => e.message,
    );
    await Bun.sleep(20);
    await db.close();
    expect(await pending).toBe("the database connection was closed");
    expect(db.readPool).toBeNull();
    expect(await pool!.get("SELECT 1").catch((e: Error) => e.message)).toBe("the database connection is closed");
  });

  test("no read pool unless asked for", async () => {
    const { db } = await fresh();
    expect(db.readPool).toBeNull();
  });
});
