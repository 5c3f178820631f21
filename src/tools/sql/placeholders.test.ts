/**
 * toNumbered: SQLite-style placeholders (`?`, `:name`) rewritten into PostgreSQL's `$1…$n`. Table
 * cases for the placeholders, the quoting and comments that must stay untouched, and the binding
 * errors; then a property check over what the filter compiler really produces (the fuzz corpus,
 * compiled through planSearch with the SQLite dialect): every `:pN` numbered, one number per name, and
 * numbering undone gives the text back. No database: the rewrite is text only.
 */
import { describe, expect, test } from "bun:test";
import { FilterError } from "../search/errors.ts";
import { randomFilter, randomSort, seededRandom } from "../search/fuzz_corpus.ts";
import { parseSearchQuery, planSearch } from "../search/provider.ts";
import { SimpleFieldResolver } from "../search/resolver.ts";
import { SelectQuery, SqlParams } from "../search/sql.ts";
import { sqliteDialect } from "./dialect.ts";
import { PLACEHOLDER_CACHE_MAX, PlaceholderError, placeholderCacheSize, toNumbered } from "./placeholders.ts";

type Case = [
  label: string,
  sql: string,
  params: unknown[] | Record<string, unknown> | undefined,
  want: string,
  wantParams: unknown[],
];

describe("rewrites placeholders", () => {
  const cases: Case[] = [
    ["no placeholders, no params", "SELECT 1", undefined, "SELECT 1", []],
    ["no placeholders, empty array", "SELECT 1", [], "SELECT 1", []],
    ["no placeholders, unused object keys", "SELECT 1", { p0: 1 }, "SELECT 1", []],
    [
      "positional in order",
      "SELECT * FROM t WHERE a = ? AND b IN (?, ?)",
      [1, "x", null],
      "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)",
      [1, "x", null],
    ],
    ["positional at both ends", "?+?", [1, 2], "$1+$2", [1, 2]],
    [
      "named",
      "SELECT * FROM t WHERE a = :p0 AND b = :p1",
      { p0: 1, p1: "x" },
      "SELECT * FROM t WHERE a = $1 AND b = $2",
      [1, "x"],
    ],
    ["named in first-use order", "a = :p1 OR b = :p0", { p0: "zero", p1: "one" }, "a = $1 OR b = $2", ["one", "zero"]],
    ["a name used twice keeps its number", ":a + :b + :a + :b", { a: 1, b: 2 }, "$1 + $2 + $1 + $2", [1, 2]],
    ["name prefixes are distinct names", ":p1 :p10 :p1", { p1: 1, p10: 10 }, "$1 $2 $1", [1, 10]],
    ["name right after a word (SQLite's tokenizer)", "x:p0", { p0: 7 }, "x$1", [7]],
    [
      "digit-first and underscore names",
      ":1 :_x :a_b2",
      { 1: "one", _x: "x", a_b2: "ab" },
      "$1 $2 $3",
      ["one", "x", "ab"],
    ],
    ["the non-strict `:name` key", "a = :p0", { ":p0": 5 }, "a = $1", [5]],
    ["the bare key wins over `:name`", "a = :p0", { p0: "bare", ":p0": "colon" }, "a = $1", ["bare"]],
    ["what SqlParams.finalize binds (both keys)", "a = :p0", { p0: 1, ":p0": 1 }, "a = $1", [1]],
    ["undefined and null values pass through", ":a :b", { a: undefined, b: null }, "$1 $2", [undefined, null]],
    ["a lone colon", "a : :p0", { p0: 1 }, "a : $1", [1]],
    ["a colon before a non-name", "a:=:p0", { p0: 1 }, "a:=$1", [1]],
    // quoting and comments
    ["single-quoted string", "SELECT '?', ':p0', ? ", [1], "SELECT '?', ':p0', $1 ", [1]],
    ["'' escape inside a string", "SELECT 'it''s :p0 ?' , :p0", { p0: 1 }, "SELECT 'it''s :p0 ?' , $1", [1]],
    ["'' empty strings", "SELECT '', '''', ?", [1], "SELECT '', '''', $1", [1]],
    [
      "backslash in a standard string ends nothing",
      "a LIKE ? ESCAPE '\\' AND b = ?",
      [1, 2],
      "a LIKE $1 ESCAPE '\\' AND b = $2",
      [1, 2],
    ],
    ["E'' string with an escaped quote", "SELECT E'\\' ?', ?", [1], "SELECT E'\\' ?', $1", [1]],
    ["lowercase e'' string", "SELECT e'\\':p0', :p0", { p0: 1 }, "SELECT e'\\':p0', $1", [1]],
    ["a word ending in e is no E'' string", "SELECT name'\\' , ?", [1], "SELECT name'\\' , $1", [1]],
    [
      "double-quoted identifier",
      'SELECT "a?b", ":p0" FROM t WHERE x = :p0',
      { p0: 1 },
      'SELECT "a?b", ":p0" FROM t WHERE x = $1',
      [1],
    ],
    ['"" escape inside an identifier', 'SELECT "a""?""b", ?', [1], 'SELECT "a""?""b", $1', [1]],
    ["backtick identifier", "SELECT `a?:p0`, `x``?`, ?", [1], "SELECT `a?:p0`, `x``?`, $1", [1]],
    ["$$ dollar-quoted", "SELECT $$it's ? :p0$$, ?", [1], "SELECT $$it's ? :p0$$, $1", [1]],
    ["$tag$ dollar-quoted", "SELECT $fn$ $$ ? $x$ :p0 $fn$, :p0", { p0: 1 }, "SELECT $fn$ $$ ? $x$ :p0 $fn$, $1", [1]],
    ["a $ inside a name", "SELECT a$b, c$1, ? FROM t$", [1], "SELECT a$b, c$1, $1 FROM t$", [1]],
    ["-- line comment", "SELECT ? -- what :p0? \n, ?", [1, 2], "SELECT $1 -- what :p0? \n, $2", [1, 2]],
    ["-- line comment at the end", "SELECT ? -- ?", [1], "SELECT $1 -- ?", [1]],
    ["/* block */ comment", "SELECT /* ? :p0 */ ?", [1], "SELECT /* ? :p0 */ $1", [1]],
    ["nested block comments (PostgreSQL)", "SELECT /* a /* ? */ :p0 */ ?", [1], "SELECT /* a /* ? */ :p0 */ $1", [1]],
    ["a lone dash and slash", "SELECT 1 - ? / ?", [1, 2], "SELECT 1 - $1 / $2", [1, 2]],
    ["unterminated string: the engine reports it", "SELECT ?, 'oops :p0", [1], "SELECT $1, 'oops :p0", [1]],
    ["unterminated comment", "SELECT ? /* :p0", [1], "SELECT $1 /* :p0", [1]],
    // casts and JSON paths
    [
      "casts are not names",
      "SELECT x::text, :p0::json, '[]'::jsonb",
      { p0: "{}" },
      "SELECT x::text, $1::json, '[]'::jsonb",
      ["{}"],
    ],
    ["a cast right after a placeholder", "?::int", [1], "$1::int", [1]],
    [
      "JSON path strings",
      "JSON_EXTRACT(data, '$.a.b') = :p0 AND JSON_EXTRACT(d, '$[0]') = :p1",
      { p0: 1, p1: 2 },
      "JSON_EXTRACT(data, '$.a.b') = $1 AND JSON_EXTRACT(d, '$[0]') = $2",
      [1, 2],
    ],
    [
      "containment operators stay",
      "data @> ? AND ? <@ data",
      ['{"a":1}', "[]"],
      "data @> $1 AND $2 <@ data",
      ['{"a":1}', "[]"],
    ],
    // out of scope (we never emit jsonb's ?-operators): a ? outside quotes is always a placeholder
    ["? before | reads as a placeholder", "a ?| ?", [1, 2], "a $1| $2", [1, 2]],
    [
      "unicode around placeholders",
      "SELECT 'é?', \"ü:p0\", :p0 -- ✓ ?",
      { p0: "ß" },
      "SELECT 'é?', \"ü:p0\", $1 -- ✓ ?",
      ["ß"],
    ],
  ];
  test.each(cases)("%s", (_label, sql, params, want, wantParams) => {
    const got = toNumbered(sql, params);
    expect(got).toEqual({ sql: want, params: wantParams });
    // the cached analysis answers the same
    expect(toNumbered(sql, params)).toEqual({ sql: want, params: wantParams });
  });

  test("the params array is a copy", () => {
    const given = [1, 2];
    const got = toNumbered("? ?", given);
    expect(got.params).not.toBe(given);
    got.params.push(3);
    expect(toNumbered("? ?", given).params).toEqual([1, 2]);
  });
});

describe("errors", () => {
  const cases: [
    label: string,
    sql: string,
    params: unknown[] | Record<string, unknown> | undefined,
    message: RegExp,
  ][] = [
    ["a missing name is named", "a = :p0 AND b = :p1", { p0: 1 }, /:p1 has no value/],
    ["named without params", "a = :p0", undefined, /:p0 has no value/],
    ["an inherited key is no value", "a = :constructor", {}, /:constructor has no value/],
    ["an array for names", "a = :p0", [1], /bind an object, not an array/],
    ["an object for ?", "a = ?", { p0: 1 }, /bind an array, not an object/],
    ["? without params", "a = ?", undefined, /1 "\?" placeholders but no values/],
    ["too few values", "? ?", [1], /2 "\?" placeholders but 1 values/],
    ["too many values", "?", [1, 2], /1 "\?" placeholders but 2 values/],
    ["values for a text without placeholders", "SELECT 1", [1], /no placeholders but 1 positional/],
    ["mixing ? then :name", "a = ? AND b = :p0", [1], /mixes/],
    ["mixing :name then ?", "a = :p0 AND b = ?", { p0: 1 }, /mixes/],
    ["already numbered", "a = $1", [1], /already has numbered placeholders \(\$1\)/],
    ["SQLite's ?NNN", "a = ?12", [1], /"\?12" placeholders are not supported/],
  ];
  test.each(cases)("%s", (_label, sql, params, message) => {
    expect(() => toNumbered(sql, params)).toThrow(PlaceholderError);
    expect(() => toNumbered(sql, params)).toThrow(message);
  });

  test("placeholder-looking text in strings does not count as mixing", () => {
    expect(toNumbered("SELECT '?', :p0", { p0: 1 })).toEqual({ sql: "SELECT '?', $1", params: [1] });
    expect(toNumbered("SELECT ':x', '$1', ?", [1])).toEqual({ sql: "SELECT ':x', '$1', $1", params: [1] });
  });
});

test("the analysis cache stays bounded", () => {
  for (let i = 0; i < PLACEHOLDER_CACHE_MAX + 50; i++) toNumbered(`SELECT ${i} WHERE a = ?`, [i]);
  expect(placeholderCacheSize()).toBeGreaterThan(0);
  expect(placeholderCacheSize()).toBeLessThanOrEqual(PLACEHOLDER_CACHE_MAX);
  // an evicted text is analyzed again, with the same answer
  expect(toNumbered("SELECT 0 WHERE a = ?", [0])).toEqual({ sql: "SELECT 0 WHERE a = $1", params: [0] });
});

test("property: the filter compiler's SQL, numbered, round-trips", () => {
  // mostly fields the resolver knows (the JSON paths render '$.a' strings), so long filters compile too
  const vocab = { words: ["id", "name", "n", "data", "missing"], paths: ["id", "name", "n", "data.a", "data.b.c"] };
  const resolver = new SimpleFieldResolver(["id", "name", "n", "data", "^data\\.[\\w.:]*\\w+$"]);
  const rng = seededRandom(0x51a7);
  let plans = 0;
  let checked = 0;
  let maxNames = 0;
  let withStrings = 0;
  // most random filters are rejected by the parser or resolver: draw until a few hundred compile
  for (let i = 0; plans < 300 && i < 20_000; i++) {
    const filter = randomFilter(rng, vocab);
    const sort = rng() < 0.4 ? randomSort(rng, vocab) : "";
    let statements: { sql: string; bindings: Record<string, unknown> }[];
    try {
      const plan = planSearch(
        new SelectQuery("items", new SqlParams(sqliteDialect)),
        resolver,
        parseSearchQuery({ filter, sort, page: String(1 + Math.floor(rng() * 3)), perPage: "20" }),
      );
      statements = plan.count ? [plan.items, plan.count] : [plan.items];
      plans++;
    } catch (err) {
      if (err instanceof FilterError) continue;
      throw err;
    }
    for (const { sql, bindings } of statements) {
      const where = `case ${i}, filter ${JSON.stringify(filter)}: ${sql}`;
      const got = toNumbered(sql, bindings);
      // the names in first-use order, read from the input (the compiler's literals never reach the text)
      const names = [...new Set([...sql.matchAll(/:(p\d+)\b/g)].map((m) => m[1]!))];
      maxNames = Math.max(maxNames, names.length);
      if (sql.includes("'")) withStrings++;
      // (a) no :pN left
      expect(got.sql, where).not.toMatch(/:p\d/);
      // (b) the numbers are exactly 1..distinct names, each bound to its name's value
      const numbers = new Set([...got.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
      expect(
        [...numbers].sort((x, y) => x - y),
        where,
      ).toEqual(names.map((_, k) => k + 1));
      expect(got.params, where).toEqual(names.map((name) => bindings[name]));
      // (c) numbering undone gives the original text
      expect(
        got.sql.replace(/\$(\d+)/g, (_m, k: string) => ":" + names[Number(k) - 1]),
        where,
      ).toBe(sql);
      checked++;
    }
  }
  // the corpus must reach real statements with many parameters
  expect(plans).toBe(300);
  expect(checked).toBeGreaterThan(300);
  expect(maxNames).toBeGreaterThanOrEqual(10); // :p1 beside :p10
  expect(withStrings).toBeGreaterThan(20); // JSON paths, ESCAPE '\'
});

describe("only the first statement", () => {
  test("text after a top-level ';' is dropped, as SQLite compiles only the first statement", () => {
    expect(toNumbered("INSERT INTO t VALUES ('a'); DROP TABLE t").sql).toBe("INSERT INTO t VALUES ('a')");
    expect(toNumbered("SELECT ?; DROP TABLE t", [1])).toEqual({ sql: "SELECT $1", params: [1] });
    expect(toNumbered("SELECT :a;", { a: 1 })).toEqual({ sql: "SELECT $1", params: [1] });
  });
  test("a ';' inside strings, identifiers, comments and dollar quotes is not an end", () => {
    const sql = `SELECT 'a;b', "c;d", $$e;f$$ -- g;h\n/* i;j */ FROM t`;
    expect(toNumbered(sql).sql).toBe(sql);
  });
});
