import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueryTimeoutError, ReadPool } from "./read_pool.ts";

const dir = mkdtempSync(join(tmpdir(), "pb-pool-"));
const path = join(dir, "data.db");
const db = new Database(path, { create: true });
db.run("PRAGMA journal_mode = WAL");
db.run("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
for (let i = 0; i < 100; i++) db.query("INSERT INTO t (v) VALUES (?)").run("v" + i);
// a generous timeout for ordinary reads (a loaded CI box spawns workers slowly) …
const pool = new ReadPool(path, 2, 10);
afterAll(() => {
  pool.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test("reads committed rows on worker threads, params bound", async () => {
  expect(await pool.get("SELECT COUNT(*) AS n FROM t")).toEqual({ n: 100 });
  const rows = await Promise.all([1, 2, 3].map((i) => pool.all("SELECT v FROM t WHERE id = ?", [i])));
  expect(rows).toEqual([[{ v: "v0" }], [{ v: "v1" }], [{ v: "v2" }]]);
});

test("a batch runs its statements in order and answers them together", async () => {
  const [page, count] = await pool.batch([
    { sql: "SELECT v FROM t WHERE id > ? ORDER BY id LIMIT 2", params: [98], mode: "all" },
    { sql: "SELECT COUNT(*) AS total FROM t WHERE id > :min", params: [{ min: 90 }], mode: "get" },
  ]);
  expect(page).toEqual([{ v: "v98" }, { v: "v99" }]);
  expect(count).toEqual({ total: 10 });
});

test("a failing statement rejects with SQLite's message and the worker keeps serving", async () => {
  // Run in a plain `bun` process: under `bun test`, a worker that raises a SQLite error stalls
  // (a test-runner quirk; the server runs under plain bun, where this is what happens).
  const script = `
    const { ReadPool } = await import(${JSON.stringify(import.meta.dir + "/read_pool.ts")});
    const pool = new ReadPool(${JSON.stringify(path)}, 1, 10);
    const err = await pool.all("SELECT nope FROM t").then(() => "no error", (e) => e.message);
    const after = await pool.get("SELECT COUNT(*) AS n FROM t");
    console.log(JSON.stringify({ err, after }));
    pool.close();`;
  const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  expect(await proc.exited).toBe(0);
  expect(JSON.parse(out)).toEqual({ err: "no such column: nope", after: { n: 100 } });
});

test("a query past the timeout is abandoned and the pool keeps working", async () => {
  // a short timeout, used only once its worker is warm (the timeout counts from the post)
  const shortPool = new ReadPool(path, 1, 0.3);
  for (
    let i = 0;
    i < 20 &&
    !(await shortPool.get("SELECT 1").then(
      () => true,
      () => false,
    ));
    i++
  );
  const started = performance.now();
  // finite but long (seconds): a timed-out statement still finishes on its abandoned thread
  const endless =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000000) SELECT COUNT(*) FROM c";
  await expect(shortPool.all(endless)).rejects.toBeInstanceOf(QueryTimeoutError);
  expect(performance.now() - started).toBeLessThan(5000);
  expect(await pool.get("SELECT COUNT(*) AS n FROM t")).toEqual({ n: 100 });
  shortPool.close();
});

test("writes are refused", async () => {
  await expect(pool.all("DELETE FROM t")).rejects.toThrow();
  expect(db.query("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 100 });
});

test("closing the pool fails the queries still running and every later one (none hangs)", async () => {
  // plain `bun` process, as above: the missing-file case raises inside the worker
  const script = `
    const { ReadPool } = await import(${JSON.stringify(import.meta.dir + "/read_pool.ts")});
    const pool = new ReadPool(${JSON.stringify(path)}, 1, 0);
    await pool.get("SELECT 1");
    const long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000) SELECT COUNT(*) FROM c";
    const running = pool.all(long).then(() => "answered", (e) => e.message);
    await Bun.sleep(50);
    pool.close();
    const whileClosing = await running;
    const afterClose = await pool.get("SELECT 1").then(() => "answered", (e) => e.message);
    const missing = new ReadPool(${JSON.stringify(join(dir, "no-such-dir", "data.db"))}, 1, 0);
    const onMissing = await missing.get("SELECT 1").then(() => "answered", (e) => e.message);
    missing.close();
    console.log(JSON.stringify({ whileClosing, afterClose, onMissing }));`;
  const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
  const exited = await Promise.race([proc.exited, Bun.sleep(20_000).then(() => "hung")]);
  if (exited === "hung") proc.kill();
  expect(exited).toBe(0);
  const out = JSON.parse(await new Response(proc.stdout).text());
  expect(out.whileClosing).toBe("the database connection was closed");
  expect(out.afterClose).toBe("the database connection is closed");
  expect(out.onMissing).toContain("unable to open database");
});
