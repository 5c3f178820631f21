/**
 * The PostgreSQL dialect against a real PostgreSQL 15: each rendering runs there and gives what
 * sqliteDialect's gives on SQLite (bun:sqlite) for the same inputs, modulo the documented text-vs-typed
 * results; DDL (column types, the rowid column, indexes) and the catalog queries work as core needs.
 */
import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseIndex } from "../../core/collection_index.ts";
import { PG_MISSING_MESSAGE, type PgCluster, postgresInstalled, startPostgres } from "../../../test/support/pg.ts";
import { type ColumnKind, sqliteDialect as lite } from "./dialect.ts";
import { toNumbered } from "./placeholders.ts";
import { postgresDialect as d } from "./postgres.ts";

const HAVE_PG = postgresInstalled();
if (!HAVE_PG) console.warn(PG_MISSING_MESSAGE);
const pgTest = HAVE_PG ? test : test.skip;

let cluster: PgCluster;
let pg: SQL;
const sqlite = new Database(":memory:");

beforeAll(async () => {
  if (!HAVE_PG) return;
  cluster = await startPostgres();
  pg = new SQL(await cluster.createDatabase(), { max: 2 });
  await pg.unsafe(d.setupScript).simple();
  // again, twice at once on the pool's two connections: idempotent, and concurrent runs do not collide
  await Promise.all([pg.unsafe(d.setupScript).simple(), pg.unsafe(d.setupScript).simple()]);
}, 60_000);

afterAll(async () => {
  sqlite.close();
  await pg?.close();
  await cluster?.stop();
});

/** Rows of a statement with `?`/`:name` placeholders, run on PostgreSQL. */
async function pgRows(sql: string, params: unknown[] | Record<string, unknown> = []): Promise<unknown[][]> {
  const n = toNumbered(sql, params);
  return (await pg.unsafe(n.sql, n.params).values()) as unknown[][];
}
async function pgAll<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const n = toNumbered(sql, params);
  return [...((await pg.unsafe(n.sql, n.params)) as T[])];
}
function liteRows(sql: string, params: unknown[] = []): unknown[][] {
  return sqlite.query(sql).values(...(params as never[])) as unknown[][];
}

/** A SQLite result as PostgreSQL's text-valued rendering gives it (see postgres.ts's header). */
function asText(v: unknown): unknown {
  return typeof v === "number" || typeof v === "bigint" ? String(v) : v;
}

/** Assorted stored values of a TEXT column. */
const VALUES: (string | null)[] = [
  "",
  null,
  "abc",
  '[1,"a"]',
  '{"a":1}',
  "[]",
  '["a","b"]',
  "[[1],2]",
  "5",
  '"quoted"',
  "[abc",
  "[1,]",
  "[1 2]",
  ' [ "x" , {"k":[1,{"z":null}]} ] ',
  "[{]}",
  '["\\u0041"]',
  '{"a":{"b":[1,2,3]}}',
  "true",
  "[true,false,null,1.5]",
];

beforeAll(async () => {
  sqlite.run("CREATE TABLE vals (id INTEGER PRIMARY KEY, v TEXT)");
  VALUES.forEach((v, i) => sqlite.run("INSERT INTO vals VALUES (?, ?)", [i + 1, v]));
  if (!HAVE_PG) return;
  await pg.unsafe("CREATE TABLE vals (id INTEGER PRIMARY KEY, v TEXT)");
  for (const [i, v] of VALUES.entries()) await pg.unsafe("INSERT INTO vals VALUES ($1, $2)", [i + 1, v]);
});

describe("quoting and parameters", () => {
  pgTest("identifiers are double-quoted, embedded quotes doubled, hostile names round-trip", async () => {
    expect(d.quoteIdent('a"b')).toBe('"a""b"');
    expect(d.quoteColumn("t.*")).toBe('"t".*');
    expect(d.quoteColumn("t.c")).toBe('"t"."c"');
    const table = 'we"ird; DROP TABLE vals; --';
    await pg.unsafe(`CREATE TABLE ${d.quoteTable(table)} (${d.quoteIdent("Co\"l")} TEXT)`);
    await pg.unsafe(`INSERT INTO ${d.quoteTable(table)} VALUES ('x')`);
    expect(await pgRows(`SELECT ${d.quoteIdent('Co"l')} FROM ${d.quoteTable(table)}`)).toEqual([["x"]]);
    expect(d.quoteTable(d.jsonEachParam("?"))).toBe(d.jsonEachParam("?"));
  });

  pgTest("realParam is a float8; limitAll means no limit", async () => {
    expect(await pgRows(`SELECT pg_typeof(${d.realParam(":p0")})::text, ${d.realParam(":p0")} / 2`, { p0: 5 })).toEqual(
      [["double precision", 2.5]],
    );
    expect(await pgRows(`SELECT id FROM vals ORDER BY id LIMIT ${d.limitAll} OFFSET ${VALUES.length - 2}`)).toEqual([
      [VALUES.length - 1],
      [VALUES.length],
    ]);
  });
});

describe("JSON helpers give SQLite's results", () => {
  pgTest("jsonEach: an array's items, anything else as one item (values as text)", async () => {
    const q = (dd: typeof d) => `SELECT vals.id, je.value FROM vals, ${dd.jsonEach("vals.v")} je ORDER BY vals.id`;
    const want = liteRows(`SELECT vals.id, je.value FROM vals, ${lite.jsonEach("vals.v")} je ORDER BY vals.id, je.key`);
    const got = await pgRows(q(d));
    // SQLite's JSON true/false items are 1/0; PostgreSQL's text says true/false
    const fixBools = (row: unknown[]) =>
      VALUES[(row[0] as number) - 1] === "[true,false,null,1.5]" && typeof row[1] === "number" && row[1] !== 1.5
        ? [row[0], row[1] === 1 ? "true" : "false"]
        : row;
    expect(got).toEqual(want.map((r) => fixBools(r)).map((r) => [r[0], asText(r[1])]));
    expect(got).toContainEqual([3, "abc"]);
    expect(got).toContainEqual([1, ""]);
    expect(got).toContainEqual([2, null]);
  });

  pgTest("jsonEachParam iterates a bound JSON array", async () => {
    expect(await pgRows(`SELECT value FROM ${d.jsonEachParam(":p0")}`, { p0: '["x",2,null]' })).toEqual([
      ["x"],
      ["2"],
      [null],
    ]);
    expect(await pgRows(`SELECT value FROM ${d.jsonEachParam("?")}`, ["[]"])).toEqual([]);
  });

  pgTest("jsonArrayLength", async () => {
    const want = liteRows(`SELECT id, ${lite.jsonArrayLength("v")} FROM vals ORDER BY id`);
    expect(await pgRows(`SELECT id, ${d.jsonArrayLength("v")} FROM vals ORDER BY id`)).toEqual(want);
  });

  pgTest("jsonExtract paths (plain values at the root), also over parameters", async () => {
    for (const path of ["", "a", "a.b", "a.b[1]", "[0]", "[1]", "[0][0]", "k", "[#-1]"]) {
      const want = liteRows(`SELECT id, ${lite.jsonExtract("v", path)} FROM vals ORDER BY id`).map((r) => [
        r[0],
        asText(r[1]),
      ]);
      const got = await pgRows(`SELECT id, ${d.jsonExtract("v", path)} FROM vals ORDER BY id`);
      // SQLite re-serializes a whole value minified, PostgreSQL's json keeps the text; JSON true/false
      // are 1/0 in SQLite, 'true'/'false' in PostgreSQL
      const comparable = (rows: unknown[][]) =>
        rows
          .filter((r) => path !== "" || ![14, 19].includes(r[0] as number))
          .map((r) => [r[0], r[1] === "true" ? "1" : r[1] === "false" ? "0" : r[1]]);
      expect([path, comparable(got)]).toEqual([path, comparable(want)]);
    }
    // a bound value that is not JSON: no cast error
    expect(await pgRows(`SELECT ${d.jsonExtract("CAST(:p0 AS text)", "a")}`, { p0: "[abc" })).toEqual([[null]]);
    expect(await pgRows(`SELECT ${d.jsonExtract("CAST(:p0 AS text)", "")}`, { p0: "[abc" })).toEqual([["[abc"]]);
  });

  pgTest("jsonExtractRaw reads stored JSON; malformed JSON is an error", async () => {
    const raw = async (path: string, v: string | null) =>
      (await pgRows(`SELECT ${d.jsonExtractRaw("CAST(:p0 AS text)", path)}`, { p0: v }))[0]![0];
    expect(await raw(".a.b", '{"a":{"b":3}}')).toBe("3");
    expect(await raw("[1]", "[5,6]")).toBe("6");
    expect(await raw(".a[0]", '{"a":["x"]}')).toBe("x");
    expect(await raw(".missing", "{}")).toBeNull();
    expect(await raw(".a", null)).toBeNull();
    await expect(raw(".a", "plain")).rejects.toThrow();
  });

  pgTest("toJsonArray / lastJsonItem: the single <-> multiple conversions", async () => {
    const wantArr = liteRows(`SELECT id, ${lite.toJsonArray("v")} FROM vals ORDER BY id`);
    const gotArr = await pgRows(`SELECT id, ${d.toJsonArray("v")} FROM vals ORDER BY id`);
    expect(gotArr).toEqual(wantArr);
    const wantLast = liteRows(`SELECT id, ${lite.lastJsonItem("v")} FROM vals ORDER BY id`).map((r) => [
      r[0],
      asText(r[1]),
    ]);
    const gotLast = await pgRows(`SELECT id, ${d.lastJsonItem("v")} FROM vals ORDER BY id`);
    // SQLite's last item of [true,false,null,1.5] is the number 1.5 too
    expect(gotLast).toEqual(wantLast);
  });
});

/** A small deterministic PRNG (mulberry32), so a failing case reproduces. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("pb_json_valid is SQLite's json_valid", () => {
  pgTest("on random token soups", async () => {
    const rand = prng(17);
    const TOKENS = ["[", "]", "{", "}", ",", ":", '"a"', '"k"', "1", "-0.5e3", "01", "1.", "true", "null", "nul", " ", "\n",
      '"\\u0041"', '"\\x"', '"', "x", '"a\tb"', "-", "[1]", '{"a":[]}'];
    const inputs: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const n = 1 + Math.floor(rand() * 7);
      let s = "";
      for (let j = 0; j < n; j++) s += TOKENS[Math.floor(rand() * TOKENS.length)]!.replace("\\n", "\n").replace("\\t", "\t");
      inputs.push(s);
    }
    const want = inputs.map((s) => (sqlite.query("SELECT json_valid(?) AS v").get(s) as { v: number }).v === 1);
    const got = (await pg.unsafe("SELECT pb_json_valid(x) AS v FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n", [inputs])).map(
      (r: { v: boolean }) => r.v,
    );
    const diffs = inputs.map((s, i) => [s, want[i], got[i]]).filter((x) => x[1] !== x[2]);
    expect(diffs).toEqual([]);
    expect(want.filter(Boolean).length).toBeGreaterThan(100);
  });
});

describe("comparisons give SQLite's results", () => {
  const WORDS = ["a%b", "axb", "a_b", "a\\b", "A%B", "za%bz", "ABC", "abc", null];
  beforeAll(async () => {
    sqlite.run("CREATE TABLE words (id INTEGER PRIMARY KEY, w TEXT)");
    WORDS.forEach((w, i) => sqlite.run("INSERT INTO words VALUES (?, ?)", [i + 1, w]));
    if (!HAVE_PG) return;
    await pg.unsafe("CREATE TABLE words (id INTEGER PRIMARY KEY, w TEXT)");
    for (const [i, w] of WORDS.entries()) await pg.unsafe("INSERT INTO words VALUES ($1, $2)", [i + 1, w]);
  });

  const PATTERNS = ["a\\%b", "a\\_b", "a\\\\b", "a_b", "%B%", "abc", "A%", "%", "\\%", "_b_"];

  pgTest("like / likeContains: %, _ and \\ escapes, ASCII case folding, negation", async () => {
    for (const pattern of PATTERNS)
      for (const negate of [false, true])
        for (const [fn, litFn] of [
          [d.like, lite.like],
          [d.likeContains, lite.likeContains],
        ] as const) {
          const want = liteRows(`SELECT id FROM words WHERE ${litFn("w", "?", negate)} ORDER BY id`, [pattern]);
          const got = await pgRows(`SELECT id FROM words WHERE ${fn("w", "CAST(? AS text)", negate)} ORDER BY id`, [
            pattern,
          ]);
          expect([pattern, negate, got]).toEqual([pattern, negate, want]);
        }
  });

  pgTest("nullSafeEq: NULL equals NULL", async () => {
    for (const [l, r] of [
      ["NULL", "NULL"],
      ["NULL", "'1'"],
      ["'1'", "'1'"],
      ["'a'", "'b'"],
      ["w", "'abc'"],
    ])
      for (const negate of [false, true]) {
        const want = liteRows(`SELECT id, ${lite.nullSafeEq(l!, r!, negate)} FROM words ORDER BY id`).map((x) => [
          x[0],
          x[1] === 1,
        ]);
        expect(await pgRows(`SELECT id, ${d.nullSafeEq(l!, r!, negate)} FROM words ORDER BY id`)).toEqual(want);
      }
  });

  pgTest("nocaseEq compares ASCII case-insensitively", async () => {
    for (const probe of ["abc", "ABC", "aBc", "a%", "A%B"]) {
      const want = liteRows(`SELECT id FROM words WHERE ${lite.nocaseEq("w", "?")} ORDER BY id`, [probe]);
      expect(await pgRows(`SELECT id FROM words WHERE ${d.nocaseEq("w", "CAST(? AS text)")} ORDER BY id`, [probe])).toEqual(
        want,
      );
    }
  });
});

describe("strftime gives SQLite's output", () => {
  const CASES: (string | number | null)[][] = [
    ["%Y-%m-%d %H:%M:%f", "2024-03-05 13:04:05.678Z"],
    ["%d|%e|%f|%F|%G|%g|%H|%I|%j|%J|%k|%l|%m|%M|%p|%P|%R|%s|%S|%T|%u|%U|%V|%w|%W|%Y|%%", "2024-03-05 13:04:05.678Z"],
    ["%d|%e|%G|%g|%I|%j|%k|%l|%p|%P|%u|%U|%V|%w|%W", "2021-01-01 00:30"],
    ["%G|%g|%j|%U|%V|%W", "2020-12-31 23:59:59.999"],
    ["%G|%g|%j|%U|%V|%W|%w", "2024-12-30"],
    ["%G|%V|%U|%W", "2027-01-03"],
    ["%J", "2024-01-03 10:00:00.123"],
    ["%J", "0000-01-01"],
    ["%J|%Y", "-4713-11-24 12:00"],
    ["%J", "-4713-11-24 11:00"],
    ["%s", "1969-12-31 23:59:59.5"],
    ["%f", "2024-01-01 00:00:59.9996"],
    ["%Y", 5373484.5],
    ["%Y-%m-%d %H:%M:%f", 5373484.4],
    ["%Y", "abc"],
    ["%Y", ""],
    ["%Y", null],
    ["x%", "2024-01-01"],
    ["%Q", "2024-01-01"],
    ["", "2024-01-01"],
    ["plain", "2024-01-01"],
    ["%Y", "2024-01-01 "],
    ["%Y", " 2024-01-01"],
    ["%Y %H", "2024-01-01T10:00"],
    ["%Y %H:%M", "2024-01-01 10:00 +02:30"],
    ["%Y %H:%M", "2024-01-01 10:00-11:15"],
    ["%Y %H", "10:00Z"],
    ["%Y %H", "2024-01-01 10:00:00."],
    ["%Y-%m-%d", "2024-02-30"],
    ["%F", "2024-02-30", "-10 years"],
    ["%F", "2024-02-30", "start of day", "-10 years"],
    ["%F", "2024-02-30", "+0 days", "-10 years"],
    ["%F", "2024-02-30", "start of month"],
    ["%F", "2023-01-31 10:00", "start of day", "+1 month", "floor"],
    ["%F", "2024-02-30", "+1 month", "floor"],
    ["%F", "2024-01-31", "+1 month", "+1 month"],
    ["%F", "2024-01-31", "+1 month", "+1 year", "floor"],
    ["%s", "2024-01-31 10:00:00.123", "subsec"],
    ["%s", "2024-01-31", "+1 day", "auto"],
    ["%Y-%m-%d", "2024-02-32"],
    ["%Y-%m-%d", "2024-13-01"],
    ["%Y-%m-%d %H:%M:%f", "2024-02-03 24:00:00"],
    ["%Y-%m-%d %H:%M:%f", "2024-02-03 23:60:00"],
    ["%Y-%m-%d %H:%M:%f", "2024-02-03 23:00:60"],
    ["%Y-%m-%d %H:%M:%f", "2024-02-03T23:00:59.12345Z"],
    ["%Y-%m-%d %H:%M:%f", "12:34"],
    ["%Y-%m-%d %H:%M:%f", "-0010-02-03"],
    ["%Y-%m-%d %H:%M:%f", "0000-02-29"],
    ["%Y-%m-%d", "2024-2-03"],
    ["%Y-%m-%d %H:%M:%f", 2460000.5],
    ["%Y-%m-%d %H:%M:%f", "2460000.25"],
    ["%Y", " 2460000.5 "],
    ["%Y", "1e3"],
    ["%Y-%m-%d %H:%M:%f", 1700000000, "unixepoch"],
    ["%Y-%m-%d %H:%M:%f", 1700000000.5, "unixepoch"],
    ["%Y-%m-%d %H:%M:%f", 1700000000, "+1 day", "unixepoch"],
    ["%Y-%m-%d %H:%M:%f", "1700000000", "unixepoch"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "unixepoch"],
    ["%Y-%m-%d %H:%M:%f", 2460000.5, "julianday"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "julianday"],
    ["%Y-%m-%d %H:%M:%f", 1700000000, "auto"],
    ["%Y-%m-%d %H:%M:%f", 2460000.5, "auto"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "auto"],
    ["%Y-%m-%d %H:%M:%f", 1700000000, "unixepoch", "unixepoch"],
    ["%Y-%m-%d %H:%M:%f", 1700000000, "subsec", "unixepoch"],
    ["%Y-%m-%d", "2024-01-31", "+1 month", "floor"],
    ["%Y-%m-%d", "2024-01-31", "+1 month", "ceiling"],
    ["%Y-%m-%d", "2024-01-31", "+1 month", "+1 day", "floor"],
    ["%Y-%m-%d", "2024-01-31", "floor"],
    ["%Y-%m-%d", "2023-03-31", "-1 month", "floor"],
    ["%Y-%m-%d", "2024-02-29", "+1 year"],
    ["%Y-%m-%d", "2024-02-29", "+1 year", "floor"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "+1.5 months"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "-1.5 months"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "+2.25 years"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "+13 months"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "-25 months"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", " +1 days "],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "+1 DAYS"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "+1day"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "1 day"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "-1.5 hours", "+90 minutes", "+0.001 seconds", "-7 seconds"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "+1e2 days"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "+01:30"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "-01:30:15.5"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "-0001-01-01"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "+0001-02-03 04:05:06.7"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "-0000-12-00"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-01", "-0000-11-30"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-03 10:00", "weekday 0"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-03 10:00", "weekday 3"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-03 10:00", "weekday 1.0"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-03 10:00", "weekday 7"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-03 10:00", "start of month"],
    ["%Y-%m-%d %H:%M:%f", "2024-05-03 10:00", "START OF YEAR"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-03 10:00:01.5", "start of day"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-03 10:00", "bogus"],
    ["%Y-%m-%d %H:%M:%f", "2024-01-03 10:00", "start of month", "+1 month", "-1 day"],
    ["%Y", "2024-01-01 10:00:00", "+10000 years"],
    ["%Y", "2024-01-01 10:00:00", "+1e300 days"],
    ["%Y-%m", "2026-01-02 01:02:03.456Z", "+1 years", "+5 months"],
  ];

  pgTest("a table of time values, modifiers and formats", { timeout: 60_000 }, async () => {
    const got: unknown[] = [];
    const want: unknown[] = [];
    for (const [format, ...rest] of CASES) {
      const args = [format, ...rest];
      const ph = args.map(() => "?");
      want.push([args, liteRows(`SELECT ${lite.strftime(ph)}`, args)[0]![0]]);
      got.push([args, (await pgRows(`SELECT ${d.strftime(ph)}`, args.map((a) => (a === null ? null : String(a)))))[0]![0]]);
    }
    expect(got).toEqual(want);
  });

  pgTest("random time values, modifiers and formats (one statement)", { timeout: 120_000 }, async () => {
    const rand = prng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const pad = (n: number, w: number) => String(n).padStart(w, "0");
    const time = () => {
      const r = rand();
      // not 'now' (it moves between the two engines' runs) nor an hour 24 with start of day (see pg_functions.ts)
      if (r < 0.1) return pick(["", "abc", "12:30", "23:59:59.999", "2460000.5", "1700000000", "-1", "2024-02-30", "2023-02-29"]);
      const y = pick([0, 1, 99, 1600, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 9999, Math.floor(rand() * 10000)]);
      let s = `${pad(y, 4)}-${pad(1 + Math.floor(rand() * 12), 2)}-${pad(1 + Math.floor(rand() * 31), 2)}`;
      if (rand() < 0.7) s += `${pick([" ", "T"])}${pad(Math.floor(rand() * 24), 2)}:${pad(Math.floor(rand() * 60), 2)}`;
      if (rand() < 0.5) s += `:${pad(Math.floor(rand() * 60), 2)}`;
      if (rand() < 0.3) s += `.${Math.floor(rand() * 1000)}`;
      if (rand() < 0.2) s += pick(["Z", "+02:00", "-05:30", " z"]);
      return s;
    };
    const MODS = ["+1 day", "-3 days", "+1 month", "-1 month", "+13 months", "+1 year", "-10 years", "+1.5 hours",
      "-90 minutes", "+3600 seconds", "start of month", "start of year", "start of day", "weekday 0", "weekday 6",
      "floor", "ceiling", "+01:30", "-0001-02-03", "unixepoch", "auto", "julianday", "subsec", "+0.25 months", "-0.5 years"];
    const FORMATS = ["%Y-%m-%d %H:%M:%f", "%j %U %W %V %G %g %w %u", "%s %J", "%e %k %l %I %p %P", "%F %T %R", "%Y%%%m"];
    const cases: { f: string; t: string; mods: string[] }[] = [];
    for (let i = 0; i < 600; i++) {
      const mods = Array.from({ length: Math.floor(rand() * 4) }, () => pick(MODS));
      cases.push({ f: pick(FORMATS), t: time(), mods });
    }
    const want = cases.map(
      (c) => liteRows(`SELECT strftime(?, ?${c.mods.map(() => ", ?").join("")})`, [c.f, c.t, ...c.mods])[0]![0],
    );
    const got = (
      await pg.unsafe(
        "SELECT pb_strftime(f, t, VARIADIC ARRAY(SELECT json_array_elements_text(m::json))) AS v " +
          "FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(f, t, m, n) ORDER BY n",
        [cases.map((c) => c.f), cases.map((c) => c.t), cases.map((c) => JSON.stringify(c.mods))],
      )
    ).map((r: { v: string | null }) => r.v);
    const diffs = cases.map((c, i) => [c, want[i], got[i]]).filter((x) => x[1] !== x[2]);
    expect(diffs).toEqual([]);
    expect(want.filter((w) => w !== null).length).toBeGreaterThan(300);
  });

  pgTest("the format alone formats now, and now is a time value", async () => {
    const [[year]] = (await pgRows(`SELECT ${d.strftime(["'%Y'"])}`)) as [[string]];
    expect(year).toBe(String(new Date().getUTCFullYear()));
    const [[day]] = (await pgRows(`SELECT ${d.strftime(["'%Y-%m-%d'", "'now'", "'start of day'"])}`)) as [[string]];
    expect(day).toBe(new Date().toISOString().slice(0, 10));
  });

  pgTest("a stored date column, one statement over many rows", { timeout: 30_000 }, async () => {
    await pg.unsafe("CREATE TABLE dates (d TEXT)");
    const days = Array.from({ length: 400 }, (_, i) => new Date(Date.UTC(2023, 11, 1) + i * 86400000 * 3.7));
    const texts = days.map((x) => x.toISOString().replace("T", " "));
    for (const t of texts) await pg.unsafe("INSERT INTO dates VALUES ($1)", [t]);
    const rows = await pgRows(`SELECT d, ${d.strftime(["'%Y-%j-%U-%V-%W-%G %H:%M:%f %J'", "d", "'+1 month'"])} FROM dates`);
    for (const [t, out] of rows)
      expect([t, out]).toEqual([t, liteRows("SELECT strftime('%Y-%j-%U-%V-%W-%G %H:%M:%f %J', ?, '+1 month')", [t])[0]![0]]);
  });
});

describe("DDL", () => {
  const KINDS: ColumnKind[] = ["text", "textPrimaryKey", "number", "bool", "json", "jsonArray", "geoPoint"];

  pgTest("a record table of every column type plus the rowid column takes upstream's defaults", async () => {
    const cols = KINDS.map((k) => `${d.quoteIdent(k)} ${d.columnType(k)}`);
    await pg.unsafe(`CREATE TABLE kinds (${[...cols, d.rowidColumn].join(", ")})`);
    await pg.unsafe("INSERT INTO kinds DEFAULT VALUES");
    await pg.unsafe("INSERT INTO kinds (\"textPrimaryKey\", text) VALUES ('second', 'x')");
    const rows = await pgAll<Record<string, unknown>>(`SELECT * FROM kinds ORDER BY ${d.rowid}`);
    expect(rows[0]!.textPrimaryKey).toMatch(/^r[0-9a-f]{14}$/);
    expect({ ...rows[0], textPrimaryKey: "id" } as Record<string, unknown>).toEqual({
      text: "",
      textPrimaryKey: "id",
      number: 0,
      bool: 0,
      json: null,
      jsonArray: "[]",
      geoPoint: '{"lon":0,"lat":0}',
      _rowid_: "1",
    });
    expect(rows[1]!.textPrimaryKey).toBe("second");
    // NOT NULL where upstream has it; any text goes into a JSON kind, as in SQLite
    await expect(pg.unsafe("INSERT INTO kinds (text) VALUES (NULL)")).rejects.toThrow();
    await pg.unsafe(`INSERT INTO kinds ("textPrimaryKey", "jsonArray") VALUES ('third', 'not json')`);
    // the default timestamp has upstream's shape
    const [[ts]] = (await pgRows(`SELECT ${d.timestampDefault}`)) as [[string]];
    expect(ts).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(ts.replace(" ", "T")) - Date.now())).toBeLessThan(60_000);
  });

  pgTest("buildIndex: double quotes, NOCASE as lower(), sort, WHERE requoted; sqlite text unchanged", async () => {
    await pg.unsafe(`CREATE TABLE users (${d.quoteIdent("id")} ${d.columnType("textPrimaryKey")}, email TEXT NOT NULL DEFAULT '', "name" TEXT NOT NULL DEFAULT '', n DOUBLE PRECISION NOT NULL DEFAULT 0, ${d.rowidColumn})`);
    const email = parseIndex("CREATE UNIQUE INDEX `idx_email` ON `users` (`email` COLLATE NOCASE) WHERE `email` != ''");
    expect(d.buildIndex(email)).toBe(`CREATE UNIQUE INDEX "idx_email" ON "users" ((lower("email"))) WHERE "email" != ''`);
    expect(lite.buildIndex(email)).toBe(
      "CREATE UNIQUE INDEX `idx_email` ON `users` (`email` COLLATE NOCASE) WHERE `email` != ''",
    );
    await pg.unsafe(d.buildIndex(email));
    await pg.unsafe("INSERT INTO users (id, email) VALUES ('a', 'Me@X.io'), ('b', ''), ('c', '')");
    await expect(pg.unsafe("INSERT INTO users (id, email) VALUES ('d', 'me@x.IO')")).rejects.toMatchObject({
      errno: "23505",
    });

    const multi = parseIndex(
      "create index if not exists idx_multi on users (name collate binary desc, `n` asc, (lower(`name`) || 'x'))",
    );
    const multiSql = d.buildIndex(multi);
    expect(multiSql).toBe(
      `CREATE INDEX IF NOT EXISTS "idx_multi" ON "users" (\n  "name" DESC,\n  "n" ASC,\n  ((lower("name") || 'x'))\n)`,
    );
    await pg.unsafe(multiSql);
    await pg.unsafe(multiSql);
    expect(d.buildIndex(parseIndex("nonsense"))).toBe("");

    // the catalog sees both, not the primary key's
    expect((await pgAll<{ name: string }>(d.catalog.tableIndexes, ["users"])).map((r) => r.name)).toEqual([
      "idx_email",
      "idx_multi",
    ]);
  });
});

describe("catalog SQL", () => {
  beforeAll(async () => {
    if (!HAVE_PG) return;
    await pg.unsafe(
      `CREATE TABLE cat (id TEXT PRIMARY KEY, name TEXT UNIQUE, n DOUBLE PRECISION NOT NULL DEFAULT 0, ${d.rowidColumn});` +
        "CREATE INDEX idx_cat_n ON cat (n);" +
        `CREATE VIEW "Cat_View" AS SELECT id, name AS label FROM cat WHERE n > 0;` +
        "INSERT INTO cat (id, name) VALUES ('1', 'one');",
    ).simple();
  });

  pgTest("hasTable: tables and views, case-insensitive; not indexes", async () => {
    for (const [name, want] of [
      ["cat", true],
      ["CAT", true],
      ["cat_view", true],
      ["Cat_View", true],
      ["idx_cat_n", false],
      ["nope", false],
    ] as const)
      expect([name, (await pgRows(d.catalog.hasTable, [name])).length > 0]).toEqual([name, want]);
  });

  pgTest("tableColumns: SQLite's table_info shape, _rowid_ left out", async () => {
    expect(await pgAll(d.catalog.tableColumns("cat"))).toEqual([
      { cid: 0, name: "id", type: "TEXT", notnull: 1, dflt_value: null, pk: 1 },
      { cid: 1, name: "name", type: "TEXT", notnull: 0, dflt_value: null, pk: 0 },
      { cid: 2, name: "n", type: "DOUBLE PRECISION", notnull: 1, dflt_value: "0", pk: 0 },
    ]);
    expect((await pgAll<{ name: string }>(d.catalog.tableColumns("CAT_VIEW"))).map((c) => c.name)).toEqual([
      "id",
      "label",
    ]);
    expect(await pgAll(d.catalog.tableColumns("nope"))).toEqual([]);
    expect(await pgAll(d.catalog.tableColumns("it's"))).toEqual([]);
  });

  pgTest("tableIndexes: created indexes only (not the primary key's or UNIQUE's)", async () => {
    expect(await pgAll(d.catalog.tableIndexes, ["cat"])).toEqual([
      { name: "idx_cat_n", sql: "CREATE INDEX idx_cat_n ON public.cat USING btree (n)" },
    ]);
  });

  pgTest("views: a runnable CREATE VIEW per view", async () => {
    const views = await pgAll<{ name: string; sql: string }>(d.catalog.views);
    expect(views.map((v) => v.name)).toEqual(["Cat_View"]);
    expect(views[0]!.sql).toStartWith('CREATE VIEW "Cat_View" AS SELECT');
    await pg.unsafe('DROP VIEW "Cat_View"');
    await pg.unsafe(views[0]!.sql);
    expect(await pgAll(d.catalog.views)).toEqual(views);
  });

  pgTest("indexTable and tableNames", async () => {
    expect(await pgAll(d.catalog.indexTable, ["IDX_Cat_N"])).toEqual([{ tbl_name: "cat" }]);
    expect(await pgAll(d.catalog.indexTable, ["nope"])).toEqual([]);
    const names = (await pgRows(d.catalog.tableNames)).map((r) => r[0]);
    expect(names).toContain("cat");
    expect(names).toContain("Cat_View");
    expect(names).toContain("vals");
    expect(names).not.toContain("idx_cat_n");
    expect(names.filter((n) => String(n).startsWith("pg_"))).toEqual([]);
  });
});
