/**
 * `pb db copy FROM TO` (issue 17) through the real command: the conformance fixture (an upstream-made
 * pb_data) copied SQLite → SQLite and SQLite → PostgreSQL → SQLite must keep every row (values byte
 * for byte, apart from SQLite's storage class normalisation of an integral REAL), the schema pb
 * builds, and working passwords; a non-empty target is refused without --force; a view whose SQL
 * does not run on PostgreSQL is reported by name and left out.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { SQL } from "bun";
import { Database } from "bun:sqlite";
import { cpSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { App } from "../src/core/app.ts";
import { newBaseCollection, newViewCollection } from "../src/core/collection.ts";
import { NumberField, TextField } from "../src/core/fields/index.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { literalDefault } from "../src/core/db_copy.ts";
import { FIXTURE, SHARED_MISSING, runPb, startServer, tempDir } from "./harness.ts";
import { PG_MISSING_MESSAGE, postgresInstalled, startPostgres, type PgCluster } from "./support/pg.ts";

// every test runs pb processes (copies, a server) one after the other
setDefaultTimeout(60_000);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp folder (removed after the file) with `pb_data` inside it not yet created. */
function workDir(): string {
  const d = tempDir("pb-db-copy-test-");
  dirs.push(d);
  return d;
}

/** A writable copy of the fixture (FIXTURE itself is read-only). */
function fixtureCopy(): string {
  const dataDir = join(workDir(), "pb_data");
  cpSync(FIXTURE, dataDir, { recursive: true });
  return dataDir;
}

type Cell = { value: unknown; type: string };
type Snapshot = Map<string, Record<string, Cell>[]>;

/**
 * Every row of every table and view of data.db and of `_logs` in auxiliary.db, in rowid order, each
 * column with its value and storage class (`typeof`). Keys are `data:<table>` / `aux:<table>`.
 */
function snapshot(dataDir: string): Snapshot {
  const out: Snapshot = new Map();
  for (const [file, prefix] of [
    ["data.db", "data"],
    ["auxiliary.db", "aux"],
  ] as const) {
    const db = new Database(join(dataDir, file));
    try {
      const names = db
        .query<{ name: string; type: string }, []>(
          "SELECT name, type FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
        .all()
        .filter((t) => prefix === "data" || t.name === "_logs");
      for (const t of names) {
        const cols = db
          .query<{ name: string }, []>(`PRAGMA table_info(\`${t.name}\`)`)
          .all()
          .map((c) => c.name);
        const select = cols.map((c) => `\`${c}\`, typeof(\`${c}\`)`).join(", ");
        const order = t.type === "table" ? " ORDER BY rowid" : "";
        const rows = db.query(`SELECT ${select} FROM \`${t.name}\`${order}`).values() as unknown[][];
        out.set(
          `${prefix}:${t.name}`,
          rows.map((r) => Object.fromEntries(cols.map((c, i) => [c, { value: r[2 * i], type: String(r[2 * i + 1]) }]))),
        );
      }
    } finally {
      db.close();
    }
  }
  return out;
}

/**
 * `copy` holds the rows of `original`: same tables, same row order, same values and storage classes,
 * except that an integral REAL may come back as INTEGER (NUMERIC affinity). Columns the copy lacks are
 * allowed only where listed (`_logs.updated` of pre-v0.23 pb_data, which pb no longer has).
 */
function expectSameRows(
  original: Snapshot,
  copy: Snapshot,
  droppedColumns: Record<string, string[]> = {},
  unordered: Record<string, string> = {},
): void {
  expect([...copy.keys()].sort()).toEqual([...original.keys()].sort());
  const sorted = (table: string, rows: Record<string, Cell>[]) => {
    const by = unordered[table];
    if (!by) return rows;
    return [...rows].sort((a, b) => (String(a[by]!.value) < String(b[by]!.value) ? -1 : 1));
  };
  for (const [table, unsortedRows] of original) {
    const rows = sorted(table, unsortedRows);
    const copied = sorted(table, copy.get(table)!);
    expect([table, copied.length]).toEqual([table, rows.length]);
    rows.forEach((row, i) => {
      const other = copied[i]!;
      const expectedCols = Object.keys(row)
        .filter((c) => !(droppedColumns[table] ?? []).includes(c))
        .sort();
      expect([table, Object.keys(other).sort()]).toEqual([table, expectedCols]);
      for (const col of expectedCols) {
        const a = row[col]!;
        const b = other[col]!;
        const normalised = a.type === "real" && b.type === "integer" && Number.isInteger(a.value);
        expect([table, i, col, b.value, normalised ? a.type : b.type]).toEqual([table, i, col, a.value, a.type]);
      }
    });
  }
}

type MasterRow = { type: string; name: string; tbl_name: string; sql: string | null };

/** sqlite_master of both files, minus the planner's statistics tables. */
function master(dataDir: string): MasterRow[] {
  const rows: MasterRow[] = [];
  for (const file of ["data.db", "auxiliary.db"]) {
    const db = new Database(join(dataDir, file));
    try {
      rows.push(
        ...db
          .query<MasterRow, []>(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name",
          )
          .all()
          .map((r) => ({ ...r, name: `${file}:${r.name}` })),
      );
    } finally {
      db.close();
    }
  }
  return rows;
}

const withoutSql = (rows: MasterRow[]) => rows.map(({ type, name, tbl_name }) => ({ type, name, tbl_name }));

const LOGS_DROPPED = { "aux:_logs": ["updated"] };
/**
 * PostgreSQL's `_migrations` has no `_rowid_` (the runner creates it alone), so its rows come back in
 * file order; nothing reads them in any other order.
 */
const PG_UNORDERED = { "data:_migrations": "file" };

/** The fixture's superuser and an auth record sign in over HTTP on `dataDir` (served from a copy of it). */
async function expectLogins(dataDir: string): Promise<void> {
  const srv = await startServer({ fromDataDir: dataDir });
  try {
    const su = srv.sdk();
    const auth = await su.collection("_superusers").authWithPassword("test@example.com", "1234567890");
    expect(auth.record.email).toBe("test@example.com");
    const client = await srv.sdk().collection("clients").authWithPassword("test@example.com", "1234567890");
    expect(client.record.collectionName).toBe("clients");
    // the records are served as well, in their order
    const list = await su.collection("demo1").getFullList({ sort: "created" });
    expect(list.length).toBe(3);
  } finally {
    await srv.stop();
  }
}

describe.skipIf(!!SHARED_MISSING)("pb db copy, SQLite → SQLite", () => {
  if (SHARED_MISSING) test.skip(SHARED_MISSING, () => {});

  let source = "";
  let target = "";
  let original: Snapshot;

  beforeAll(() => {
    source = fixtureCopy();
    target = join(workDir(), "pb_data");
    original = snapshot(source);
  });

  test("copies every table's rows and reports progress per table and a summary", async () => {
    const r = await runPb(["db", "copy", source, target]);
    expect(r.stderr).not.toContain("Error");
    expect(r.code).toBe(0);
    // not a terminal: one plain line per table
    expect(r.stderr).toContain("copied demo1: 3 rows");
    expect(r.stderr).toContain("copied _migrations: 77 rows");
    // the fixture's _logs has a column pb no longer creates: named, not silently dropped
    expect(r.stderr).toContain("_logs: column(s) updated not copied");
    expect(r.stdout).toContain(`Successfully copied ${source} to ${target}: 16 collections, 35 records`);
    expectSameRows(original, snapshot(target), LOGS_DROPPED);
    // the source is untouched
    expectSameRows(original, snapshot(source));
  });

  test("the copy has the fixture's tables, views and indexes, and pb's own DDL for its system tables", async () => {
    const copied = master(target);
    // auxiliary.db's pre-v0.23 `_migrations` and old log indexes are no longer pb's: not recreated
    const pbOwn = (r: MasterRow) =>
      r.name.startsWith("data.db:") || /^auxiliary\.db:(_logs|sqlite_autoindex__logs_1|idx_logs_\w+)$/.test(r.name);
    expect(withoutSql(copied)).toEqual(withoutSql(master(source).filter(pbOwn)));

    // a freshly bootstrapped pb_data has the same system tables, statement for statement
    const fresh = join(workDir(), "pb_data");
    const app = new App({ dataDir: fresh });
    await app.bootstrap();
    await app.terminate();
    const system = (rows: MasterRow[]) =>
      rows.filter((r) => ["_params", "_collections", "_migrations", "_logs"].includes(r.tbl_name));
    expect(system(copied)).toEqual(system(master(fresh)));
  });

  test("refuses a non-empty target unless --force, which replaces it", async () => {
    const before = snapshot(target);
    const r = await runPb(["db", "copy", source, target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not empty");
    expect(r.stderr).toContain("--force");
    expectSameRows(before, snapshot(target));

    // a target with other data: --force starts it over
    const other = join(workDir(), "pb_data");
    const app = new App({ dataDir: other });
    await app.bootstrap();
    await app.terminate();
    const forced = await runPb(["db", "copy", source, other, "--force"]);
    expect(forced.stderr).not.toContain("Error");
    expect(forced.code).toBe(0);
    expectSameRows(original, snapshot(other), LOGS_DROPPED);
    for (const f of ["data.db-wal", "data.db-shm"]) expect(existsSync(join(other, f))).toBe(false);
  });

  test("refuses copying a folder onto itself, and a FROM that is no pb_data", async () => {
    const same = await runPb(["db", "copy", source, source + "/", "--force"]);
    expect(same.code).toBe(1);
    expect(same.stderr).toContain("FROM and TO are the same database");
    expectSameRows(original, snapshot(source));
    const empty = workDir();
    const none = await runPb(["db", "copy", empty, join(workDir(), "pb_data")]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("has no data.db");
    const usage = await runPb(["db", "copy", source]);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toContain("FROM and TO");
  });

  test("the fixture's superuser and auth records sign in on the copy (password hashes copied as they are)", async () => {
    await expectLogins(target);
  });

  test("`pb db copy --help` documents FROM, TO and --force", async () => {
    const r = await runPb(["db", "copy", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Usage:\n  pb db copy FROM TO [flags]\n\nExamples:\n  pb db copy ");
    expect(r.stdout).toContain("--force");
    expect((await runPb(["--help"])).stdout).toMatch(/\n  db +Copies the app data/);
  });
});

describe.skipIf(!!SHARED_MISSING || !postgresInstalled())("pb db copy, SQLite → PostgreSQL → SQLite", () => {
  if (SHARED_MISSING) test.skip(SHARED_MISSING, () => {});
  else if (!postgresInstalled()) test.skip(PG_MISSING_MESSAGE, () => {});

  let pg: PgCluster;
  let source = "";
  let url = "";
  let back = "";
  let original: Snapshot;

  beforeAll(async () => {
    pg = await startPostgres();
    source = fixtureCopy();
    original = snapshot(source);
    url = await pg.createDatabase();
    back = join(workDir(), "pb_data");
  });

  afterAll(async () => {
    await pg?.stop();
  });

  test("the round trip keeps every row, in order, and the schema a SQLite → SQLite copy gets", async () => {
    const there = await runPb(["db", "copy", source, url]);
    expect(there.stderr).not.toContain("Error");
    expect(there.code).toBe(0);
    expect(there.stdout).toContain("16 collections, 35 records");
    const home = await runPb(["db", "copy", url, back]);
    expect(home.stderr).not.toContain("Error");
    expect(home.code).toBe(0);
    expectSameRows(original, snapshot(back), LOGS_DROPPED, PG_UNORDERED);

    const direct = join(workDir(), "pb_data");
    expect((await runPb(["db", "copy", source, direct])).code).toBe(0);
    expect(master(back)).toEqual(master(direct));
  });

  test("PostgreSQL holds the rows with the hidden _rowid_ in the source's order, logs in pb_aux", async () => {
    const sql = new SQL(url, { max: 1 });
    try {
      const ids = (await sql.unsafe(`SELECT id FROM "demo1" ORDER BY "_rowid_"`)) as { id: string }[];
      const db = new Database(join(source, "data.db"));
      const expected = db.query<{ id: string }, []>("SELECT id FROM demo1 ORDER BY rowid").all();
      db.close();
      expect(ids.map((r) => r.id)).toEqual(expected.map((r) => r.id));
      const logs = (await sql.unsafe(`SELECT count(*)::int AS n FROM pb_aux."_logs"`)) as { n: number }[];
      expect(logs[0]!.n).toBe(1);
      const su = (await sql.unsafe(`SELECT "verified", "password" FROM "_superusers" ORDER BY "_rowid_"`)) as {
        verified: number;
        password: string;
      }[];
      expect(su.length).toBe(4);
      expect(su[0]!.password).toStartWith("$2a$");
    } finally {
      await sql.close();
    }
  });

  test("a non-empty PostgreSQL target is refused without --force and replaced with it", async () => {
    const r = await runPb(["db", "copy", source, url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not empty");
    const forced = await runPb(["db", "copy", source, url, "--force"]);
    expect(forced.stderr).not.toContain("Error");
    expect(forced.code).toBe(0);
    const again = join(workDir(), "pb_data");
    expect((await runPb(["db", "copy", url, again])).code).toBe(0);
    expectSameRows(original, snapshot(again), LOGS_DROPPED, PG_UNORDERED);
  });

  test("the fixture's superuser signs in on the round-tripped pb_data and on PostgreSQL itself", async () => {
    await expectLogins(back);
    const srv = await startServer({ args: [`--db=${url}`] });
    try {
      const auth = await srv.sdk().collection("_superusers").authWithPassword("test@example.com", "1234567890");
      expect(auth.record.email).toBe("test@example.com");
    } finally {
      await srv.stop();
    }
  });

  test("views whose SQL does not run on PostgreSQL are named on stderr and left out; the rest is copied", async () => {
    const withViews = fixtureCopy();
    const app = new App({ dataDir: withViews });
    await app.bootstrap();
    const only = newViewCollection("typeof_view");
    only.viewQuery = "SELECT id, typeof(title) AS kind FROM demo2";
    await saveCollection(app, only);
    const onTop = newViewCollection("on_top_view");
    onTop.viewQuery = "SELECT id, kind FROM typeof_view";
    await saveCollection(app, onTop);
    await app.terminate();

    const target = await pg.createDatabase();
    const r = await runPb(["db", "copy", withViews, target]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("view collection typeof_view skipped");
    expect(r.stderr).toContain("view collection on_top_view skipped");
    expect(r.stdout).toContain("16 collections");
    expect(r.stdout).toContain("2 view collections skipped: typeof_view, on_top_view");

    const home = join(workDir(), "pb_data");
    expect((await runPb(["db", "copy", target, home])).code).toBe(0);
    const copied = snapshot(home);
    expect(copied.has("data:typeof_view")).toBe(false);
    const names = copied.get("data:_collections")!.map((r) => r.name!.value);
    expect(names).not.toContain("typeof_view");
    expect(names).toContain("view2");
  });
});

describe.skipIf(!postgresInstalled())("pb db copy, values PostgreSQL columns cannot hold", () => {
  if (!postgresInstalled()) test.skip(PG_MISSING_MESSAGE, () => {});

  let pg: PgCluster;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });

  test("are stored as pb reads them, with a warning naming the column", async () => {
    const dataDir = join(workDir(), "pb_data");
    const app = new App({ dataDir });
    await app.bootstrap();
    const posts = newBaseCollection("posts");
    posts.fields.add(new TextField({ name: "title" }), new NumberField({ name: "score" }));
    await saveCollection(app, posts);
    // SQLite keeps whatever it is given: a NUL inside text, a word in a NUMERIC column
    await app.db.run("INSERT INTO posts (id, title, score) VALUES ('p1', ?, 'many'), ('p2', 'plain', 7.5)", [
      "a\u0000b",
    ]);
    await app.terminate();

    const url = await pg.createDatabase();
    const r = await runPb(["db", "copy", dataDir, url]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("posts.title: 1 value(s) with NUL characters");
    expect(r.stderr).toContain("posts.score: 1 value(s) that are not numbers stored as numbers");
    const sql = new SQL(url, { max: 1 });
    try {
      const rows = (await sql.unsafe(`SELECT id, title, score FROM "posts" ORDER BY "_rowid_"`)) as unknown[];
      expect(rows).toEqual([
        { id: "p1", title: "a\uFFFDb", score: 0 },
        { id: "p2", title: "plain", score: 7.5 },
      ]);
    } finally {
      await sql.close();
    }
  });
});

test("literalDefault reads plain column defaults of both engines and leaves computed ones", () => {
  expect(literalDefault("''")).toBe("");
  expect(literalDefault("'[]'")).toBe("[]");
  expect(literalDefault(`'{"lon":0,"lat":0}'`)).toBe(`{"lon":0,"lat":0}`);
  expect(literalDefault("'it''s'::text")).toBe("it's");
  expect(literalDefault("FALSE")).toBe(0);
  expect(literalDefault("0")).toBe(0);
  expect(literalDefault("'0'::double precision")).toBe("0");
  expect(literalDefault("(0)::smallint")).toBe(0);
  expect(literalDefault(`"[]"`)).toBe("[]");
  expect(literalDefault("('r'||lower(hex(randomblob(7))))")).toBeUndefined();
  expect(literalDefault("strftime('%Y-%m-%d %H:%M:%fZ')")).toBeUndefined();
  expect(literalDefault(null)).toBeUndefined();
});
