/**
 * The SQLite dialect's renderings, run against a real SQLite (through the driver): each helper must
 * give the results upstream's SQL gives (tools/dbutils, the dbx builder, core/field_*.go).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteDb } from "../../core/db/sqlite.ts";
import { sqliteDialect as d, type ColumnKind } from "./dialect.ts";

const dir = mkdtempSync(join(tmpdir(), "pb-dialect-"));
let db: SqliteDb;

beforeAll(async () => {
  db = new SqliteDb(join(dir, "data.db"));
  // one column of assorted stored values, as a field column may hold them
  await db.exec("CREATE TABLE vals (id INTEGER PRIMARY KEY, v)");
  const rows: unknown[] = ['["a","b"]', "plain", "", null, "[]", '{"k":1}', "5", "[[1],2]"];
  for (const v of rows) await db.run("INSERT INTO vals (v) VALUES (?)", [v]);
});

afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The single value of a one-column SELECT. */
async function scalar(sql: string, params?: Record<string, unknown> | unknown[]): Promise<unknown> {
  const row = await db.values(sql, params);
  return row[0]?.[0];
}

describe("quoting", () => {
  test("quoteIdent doubles embedded backticks and round-trips hostile names", async () => {
    expect(d.quoteIdent("posts")).toBe("`posts`");
    expect(d.quoteIdent("a`b")).toBe("`a``b`");
    const table = "we`ird; DROP TABLE vals; --";
    const column = "co`l`";
    await db.exec(`CREATE TABLE ${d.quoteIdent(table)} (${d.quoteIdent(column)} TEXT)`);
    await db.run(`INSERT INTO ${d.quoteTable(table)} (${d.quoteIdent(column)}) VALUES (?)`, ["x"]);
    expect(await db.all(`SELECT ${d.quoteIdent(column)} FROM ${d.quoteTable(table)}`)).toEqual([{ [column]: "x" }]);
    expect((await db.tableColumns(table)).map((c) => c.name)).toEqual([column]);
    expect(await db.hasTable("vals")).toBe(true);
  });

  test("quoteColumn quotes each dotted part and keeps *", async () => {
    expect(d.quoteColumn("vals.v")).toBe("`vals`.`v`");
    expect(d.quoteColumn("vals.*")).toBe("`vals`.*");
    expect(d.quoteColumn("v")).toBe("`v`");
    expect(await db.all(`SELECT ${d.quoteColumn("vals.v")} FROM vals WHERE id = 2`)).toEqual([{ v: "plain" }]);
    expect((await db.all(`SELECT ${d.quoteColumn("vals.*")} FROM vals WHERE id = 2`)).length).toBe(1);
  });

  test("quoteTable leaves a table expression as written", async () => {
    expect(d.quoteTable("vals")).toBe("`vals`");
    const expr = d.jsonEachParam(":p0");
    expect(d.quoteTable(expr)).toBe(expr);
  });
});

describe("parameters and limits", () => {
  test("realParam binds as a float (Go float64: a TEXT '5' does not equal 5.0)", async () => {
    expect(await scalar(`SELECT typeof(${d.realParam(":p0")})`, { p0: 5 })).toBe("real");
    await db.exec("CREATE TABLE texts (t TEXT)");
    await db.run("INSERT INTO texts VALUES ('5')");
    expect(await scalar("SELECT COUNT(*) FROM texts WHERE t = :p0", { p0: 5 })).toBe(1);
    expect(await scalar(`SELECT COUNT(*) FROM texts WHERE t = ${d.realParam(":p0")}`, { p0: 5 })).toBe(0);
  });

  test("limitAll means no limit when only an offset is wanted", async () => {
    const rows = await db.values(`SELECT id FROM vals ORDER BY id LIMIT ${d.limitAll} OFFSET 6`);
    expect(rows).toEqual([[7], [8]]);
  });
});

describe("JSON helpers", () => {
  test("jsonEach iterates an array's items, else the value itself (also '' and NULL)", async () => {
    const rows = await db.values(
      `SELECT vals.id, je.value FROM vals, ${d.jsonEach("vals.v")} je ORDER BY vals.id, je.key`,
    );
    expect(rows).toEqual([
      [1, "a"],
      [1, "b"],
      [2, "plain"],
      [3, ""],
      [4, null],
      // [] has no items
      [6, '{"k":1}'],
      [7, "5"],
      [8, "[1]"],
      [8, 2],
    ]);
  });

  test("jsonEachParam iterates a bound JSON array", async () => {
    expect(await db.values(`SELECT value FROM ${d.jsonEachParam(":p0")} ORDER BY key`, { p0: '["x",2,null]' })).toEqual(
      [["x"], [2], [null]],
    );
    expect(await db.values(`SELECT value FROM ${d.jsonEachParam("?")}`, ["[]"])).toEqual([]);
  });

  test("jsonArrayLength counts as upstream: '' and NULL are 0 items, a plain value 1", async () => {
    const rows = await db.values(`SELECT id, ${d.jsonArrayLength("v")} FROM vals ORDER BY id`);
    expect(rows).toEqual([
      [1, 2],
      [2, 1],
      [3, 0],
      [4, 0],
      [5, 0],
      [6, 1],
      [7, 1],
      [8, 2],
    ]);
  });

  test("jsonExtract reads a path from JSON, and a plain value as the root", async () => {
    const ex = (path: string, v: unknown) => scalar(`SELECT ${d.jsonExtract(":p0", path)}`, { p0: v });
    expect(await ex("a.b[1]", '{"a":{"b":[1,2]}}')).toBe(2);
    expect(await ex("a", '{"a":"x"}')).toBe("x");
    expect(await ex("[0]", "[7,8]")).toBe(7);
    expect(await ex("missing", '{"a":1}')).toBeNull();
    expect(await ex("", '{"a":1}')).toBe('{"a":1}');
    // not JSON: the whole value at the root, nothing below it
    expect(await ex("", "plain")).toBe("plain");
    expect(await ex("a", "plain")).toBeNull();
    expect(await ex("[0]", "plain")).toBeNull();
    expect(await ex("", "")).toBe("");
    expect(await ex("", null)).toBeNull();
    // a stored column
    expect(await db.values(`SELECT ${d.jsonExtract("v", "[1]")} FROM vals WHERE id IN (1, 2) ORDER BY id`)).toEqual([
      ["b"],
      [null],
    ]);
  });

  test("jsonExtractRaw reads a path from stored JSON; malformed JSON is the engine's error", async () => {
    const raw = (path: string, v: unknown) => scalar(`SELECT ${d.jsonExtractRaw(":p0", path)}`, { p0: v });
    expect(await raw(".a.b", '{"a":{"b":3}}')).toBe(3);
    expect(await raw("[1]", "[5,6]")).toBe(6);
    expect(await raw(".a[0]", '{"a":["x"]}')).toBe("x");
    expect(await raw(".missing", "{}")).toBeNull();
    expect(await raw(".a", null)).toBeNull();
    await expect(raw(".a", "plain")).rejects.toThrow("malformed JSON");
  });
});

describe("comparisons", () => {
  beforeAll(async () => {
    await db.exec("CREATE TABLE words (w TEXT)");
    for (const w of ["a%b", "axb", "a_b", "a\\b", "A%B", "za%bz"]) await db.run("INSERT INTO words VALUES (?)", [w]);
  });
  const matching = (where: string, params: unknown[]) =>
    db.values(`SELECT w FROM words WHERE ${where} ORDER BY rowid`, params).then((r) => r.map((x) => x[0]));

  test("like escapes % and _ with a backslash (ASCII case-insensitive, as SQLite's LIKE)", async () => {
    expect(await matching(d.like("w", "?", false), ["a\\%b"])).toEqual(["a%b", "A%B"]);
    expect(await matching(d.like("w", "?", false), ["a\\_b"])).toEqual(["a_b"]);
    expect(await matching(d.like("w", "?", false), ["a\\\\b"])).toEqual(["a\\b"]);
    expect(await matching(d.like("w", "?", false), ["a_b"])).toEqual(["a%b", "axb", "a_b", "a\\b", "A%B"]);
    expect(await matching(d.like("w", "?", true), ["a\\%b"])).toEqual(["axb", "a_b", "a\\b", "za%bz"]);
  });

  test("likeContains matches the other expression anywhere, escapes kept", async () => {
    expect(await matching(d.likeContains("w", "?", false), ["\\%"])).toEqual(["a%b", "A%B", "za%bz"]);
    expect(await matching(d.likeContains("w", "?", true), ["\\%"])).toEqual(["axb", "a_b", "a\\b"]);
  });

  test("nullSafeEq treats NULL as equal to NULL", async () => {
    const eq = (l: string, r: string, negate: boolean) => scalar(`SELECT ${d.nullSafeEq(l, r, negate)}`);
    expect(await eq("NULL", "NULL", false)).toBe(1);
    expect(await eq("NULL", "1", false)).toBe(0);
    expect(await eq("1", "1", false)).toBe(1);
    expect(await eq("'a'", "'b'", false)).toBe(0);
    expect(await eq("NULL", "NULL", true)).toBe(0);
    expect(await eq("NULL", "1", true)).toBe(1);
  });

  test("nocaseEq compares ASCII letters case-insensitively (SQLite's NOCASE), other characters exactly", async () => {
    expect(d.nocaseEq("`email`", "?")).toBe("`email` = ? COLLATE NOCASE");
    expect(await matching(d.nocaseEq("w", "?"), ["A%b"])).toEqual(["a%b", "A%B"]);
    expect(await matching(d.nocaseEq("w", "?"), ["a%"])).toEqual([]);
    expect(await scalar(`SELECT ${d.nocaseEq("'É'", "'é'")}`)).toBe(0);
    // the collation binds to the comparison whichever side is the column
    expect(await matching(d.nocaseEq("?", "w"), ["AXB"])).toEqual(["axb"]);
  });

  test("strftime formats a stored date with modifiers", async () => {
    expect(await scalar(`SELECT ${d.strftime(["'%Y-%m'", "'2024-03-05 10:00:00.000Z'"])}`)).toBe("2024-03");
    expect(
      await scalar(`SELECT ${d.strftime(["'%Y-%m-%d'", ":p0", "'+1 month'"])}`, { p0: "2024-01-31 00:00:00.000Z" }),
    ).toBe("2024-03-02");
  });
});

describe("row order", () => {
  test("rowid follows insertion order, breaking ties of an ORDER BY (the text core always wrote)", async () => {
    expect(d.rowid).toBe("`rowid`");
    await db.exec("CREATE TABLE sessions (id TEXT PRIMARY KEY, created TEXT)");
    // text ids out of insertion order, and one shared created time
    for (const id of ["m", "c", "x", "a"]) await db.run("INSERT INTO sessions VALUES (?, '2024-01-01')", [id]);
    await db.run("DELETE FROM sessions WHERE id = 'c'");
    await db.run("INSERT INTO sessions VALUES ('b', '2024-01-01')");
    const order = (dir: string) =>
      db
        .values(`SELECT id FROM sessions ORDER BY ${d.quoteIdent("created")} ${dir}, ${d.rowid} ${dir}`)
        .then((r) => r.map((x) => x[0]));
    expect(await order("ASC")).toEqual(["m", "x", "a", "b"]);
    expect(await order("DESC")).toEqual(["b", "a", "x", "m"]);
  });
});

describe("single/multiple value conversions", () => {
  // upstream core/collection_record_table_sync.go (normalizeSingleVsMultipleFieldChanges), verbatim
  test("the texts are upstream's", () => {
    expect(d.toJsonArray("`t`")).toBe(
      "CASE WHEN json_valid(`t`) AND json_type(`t`) == 'array' THEN `t` ELSE json_array(`t`) END",
    );
    expect(d.lastJsonItem("`t`")).toBe(
      "CASE WHEN json_valid(`t`) AND json_type(`t`) == 'array' THEN COALESCE(json_extract(`t`, '$[#-1]'), '') ELSE `t` END",
    );
  });

  test("toJsonArray keeps an array and wraps anything else as one item", async () => {
    const rows = await db.values(`SELECT id, ${d.toJsonArray("v")} FROM vals ORDER BY id`);
    expect(rows).toEqual([
      [1, '["a","b"]'],
      [2, '["plain"]'],
      [3, '[""]'],
      [4, "[null]"],
      [5, "[]"],
      // valid JSON that is no array is wrapped as text, as upstream's json_array() does
      [6, '["{\\"k\\":1}"]'],
      [7, '["5"]'],
      [8, "[[1],2]"],
    ]);
    expect(await scalar(`SELECT ${d.toJsonArray(":p0")}`, { p0: 5 })).toBe("[5]");
  });

  test("lastJsonItem takes an array's last item ('' for none) and leaves anything else", async () => {
    const rows = await db.values(`SELECT id, ${d.lastJsonItem("v")} FROM vals ORDER BY id`);
    expect(rows).toEqual([
      [1, "b"],
      [2, "plain"],
      [3, ""],
      [4, null],
      [5, ""],
      [6, '{"k":1}'],
      [7, "5"],
      [8, 2],
    ]);
    expect(await scalar(`SELECT ${d.lastJsonItem(":p0")}`, { p0: '["a",null]' })).toBe("");
    expect(await scalar(`SELECT ${d.lastJsonItem(":p0")}`, { p0: '[["x"]]' })).toBe('["x"]');
  });
});

describe("column types", () => {
  // upstream core/field_*.go ColumnType(), verbatim: the schema test compares sqlite_master byte for byte
  const UPSTREAM: Record<ColumnKind, string> = {
    text: "TEXT DEFAULT '' NOT NULL",
    textPrimaryKey: "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL",
    number: "NUMERIC DEFAULT 0 NOT NULL",
    bool: "BOOLEAN DEFAULT FALSE NOT NULL",
    json: "JSON DEFAULT NULL",
    jsonArray: "JSON DEFAULT '[]' NOT NULL",
    geoPoint: `JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL`,
  };

  test("each kind renders upstream's column definition", () => {
    for (const kind of Object.keys(UPSTREAM) as ColumnKind[])
      expect([kind, d.columnType(kind)]).toEqual([kind, UPSTREAM[kind]]);
  });

  test("a table of every kind gets upstream's defaults, types and constraints", async () => {
    const kinds = Object.keys(UPSTREAM) as ColumnKind[];
    await db.exec(`CREATE TABLE kinds (${kinds.map((k) => `${d.quoteIdent(k)} ${d.columnType(k)}`).join(", ")})`);
    await db.run("INSERT INTO kinds DEFAULT VALUES");
    const row = (await db.get<Record<ColumnKind, unknown>>("SELECT * FROM kinds"))!;
    expect(row.textPrimaryKey).toMatch(/^r[0-9a-f]{14}$/);
    expect({ ...row, textPrimaryKey: "id" }).toEqual({
      text: "",
      textPrimaryKey: "id",
      number: 0,
      bool: 0,
      json: null,
      jsonArray: "[]",
      geoPoint: '{"lon":0,"lat":0}',
    });
    const info = await db.tableColumns("kinds");
    expect(info.map((c) => [c.name, c.type, c.notnull, c.pk])).toEqual([
      ["text", "TEXT", 1, 0],
      ["textPrimaryKey", "TEXT", 1, 1],
      ["number", "NUMERIC", 1, 0],
      ["bool", "BOOLEAN", 1, 0],
      ["json", "JSON", 0, 0],
      ["jsonArray", "JSON", 1, 0],
      ["geoPoint", "JSON", 1, 0],
    ]);
    // NOT NULL holds where upstream has it
    await expect(db.run("INSERT INTO kinds (text) VALUES (NULL)")).rejects.toThrow(
      "NOT NULL constraint failed: kinds.text",
    );
  });
});

describe("catalog SQL", () => {
  beforeAll(async () => {
    await db.exec(
      "CREATE TABLE cat (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, n NUMERIC);" +
        "CREATE INDEX idx_cat_n ON cat (n);" +
        "CREATE VIEW cat_view AS SELECT id, name AS label FROM cat;" +
        "INSERT INTO cat (name) VALUES ('one');" +
        "ANALYZE;",
    );
  });

  test("hasTable: tables and views, case-insensitive; not indexes", async () => {
    for (const [name, want] of [
      ["cat", true],
      ["CAT", true],
      ["cat_view", true],
      ["Cat_View", true],
      ["idx_cat_n", false],
      ["nope", false],
    ] as const)
      expect([name, (await db.get(d.catalog.hasTable, [name])) !== null]).toEqual([name, want]);
  });

  test("tableColumns: the columns of a table or a view", async () => {
    expect((await db.all<{ name: string }>(d.catalog.tableColumns("cat"))).map((c) => c.name)).toEqual([
      "id",
      "name",
      "n",
    ]);
    expect((await db.all<{ name: string }>(d.catalog.tableColumns("cat_view"))).map((c) => c.name)).toEqual([
      "id",
      "label",
    ]);
    expect(await db.all(d.catalog.tableColumns("nope"))).toEqual([]);
  });

  test("tableIndexes: created indexes with their SQL, automatic ones left out", async () => {
    expect(await db.all(d.catalog.tableIndexes, ["cat"])).toEqual([
      { name: "idx_cat_n", sql: "CREATE INDEX idx_cat_n ON cat (n)" },
    ]);
  });

  test("views: every view with the statement that created it", async () => {
    expect(await db.all(d.catalog.views)).toEqual([
      { name: "cat_view", sql: "CREATE VIEW cat_view AS SELECT id, name AS label FROM cat" },
    ]);
  });

  test("indexTable: the table owning an index, its name matched case-insensitively", async () => {
    expect(await db.get(d.catalog.indexTable, ["idx_cat_n"])).toEqual({ tbl_name: "cat" });
    expect(await db.get(d.catalog.indexTable, ["IDX_Cat_N"])).toEqual({ tbl_name: "cat" });
    expect(await db.get(d.catalog.indexTable, ["nope"])).toBeNull();
  });

  test("tableNames: tables and views, SQLite's own tables left out", async () => {
    const names = (await db.values(d.catalog.tableNames)).map((r) => r[0]);
    expect(names).toContain("cat");
    expect(names).toContain("cat_view");
    expect(names).toContain("vals");
    // AUTOINCREMENT made sqlite_sequence and ANALYZE sqlite_stat1; neither is ours
    expect(await db.get("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).not.toBeNull();
    expect(names.filter((n) => String(n).startsWith("sqlite_"))).toEqual([]);
    expect(names).not.toContain("idx_cat_n");
  });
});
