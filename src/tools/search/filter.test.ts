import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SqliteDb } from "../../core/db/sqlite.ts";
import { queryAll } from "../../core/db/query.ts";
import { sqliteDialect } from "../sql/dialect.ts";
import { FilterError } from "./errors.ts";
import { buildFilterExpr } from "./filter.ts";
import { setMacroClock } from "./macros.ts";
import { SimpleFieldResolver } from "./resolver.ts";
import { SelectQuery, SqlParams } from "./sql.ts";

const resolver = new SimpleFieldResolver(["a", "b", "c", "n", "^j\\.[\\w.:]*\\w+$", "j"]);

/** The SQL (with placeholders as `?`) and the bound values of a filter. */
function sql(filter: string, maxExpr?: number): { text: string; values: unknown[] } {
  const p = new SqlParams(sqliteDialect);
  const built = p.finalize(buildFilterExpr(filter, resolver, p, maxExpr));
  const values = Object.entries(built.bindings)
    .filter(([k]) => !k.startsWith(":"))
    .map(([, v]) => v);
  return { text: built.sql.replace(/\(:p\d+ \+ 0\.0\)/g, "?r").replace(/:p\d+/g, "?"), values };
}

describe("filter SQL", () => {
  test("literals are always bound, never spliced", () => {
    const s = sql(`a = "x'); DROP TABLE t; --" && b > 12.5`);
    expect(s.text).toBe("(`a` = ? AND `b` > ?)"); // 12.5 is a real already
    expect(s.values).toEqual(["x'); DROP TABLE t; --", 12.5]);
  });

  test("the same filter always yields the same SQL text", () => {
    expect(sql("a = 'one' || b ~ 'two'").text).toBe(sql("a = 'three' || b ~ 'four'").text);
  });

  test("equality normalizations", () => {
    expect(sql("'' = null && null != ''").text).toBe("('' = '' AND '' IS NOT '')");
    // a lone OR-ed comparison keeps upstream's extra parentheses
    expect(sql("a = ''").text).toBe("((`a` = '' OR `a` IS NULL))");
    expect(sql("a != null").text).toBe("((`a` IS NOT '' AND `a` IS NOT NULL))");
    expect(sql("'' = a").text).toBe("(('' = `a` OR `a` IS NULL))");
    expect(sql("a = 'x'").text).toBe("`a` = ?");
    expect(sql("a != 'x'").text).toBe("`a` IS NOT ?");
    expect(sql("a = b").text).toBe("COALESCE(`a`, '') = COALESCE(`b`, '')");
    expect(sql("a != b").text).toBe("COALESCE(`a`, '') IS NOT COALESCE(`b`, '')");
    expect(sql("a = true && b != FALSE && c = Null").text).toBe(
      "(`a` = 1 AND `b` IS NOT 0 AND (`c` = '' OR `c` IS NULL))",
    );
    // json paths disable the fallback
    expect(sql("j.x = j.y || j.x != ''").text).toBe(
      "(JSON_EXTRACT(`j`, '$.x') IS JSON_EXTRACT(`j`, '$.y') OR JSON_EXTRACT(`j`, '$.x') IS NOT ?)",
    );
  });

  test("LIKE wraps bound values with % and escapes, unless they hold their own %", () => {
    const like = (f: string) => sql(f).values[0];
    expect(sql("a ~ 'x'").text).toBe("`a` LIKE ? ESCAPE '\\'");
    expect(like("a ~ 'x'")).toBe("%x%");
    expect(like("a ~ 'a_b'")).toBe("%a\\_b%");
    expect(like("a ~ 'x%'")).toBe("x%");
    expect(like("a ~ 'x\\%'")).toBe("%x\\%%");
    expect(like("a ~ 12")).toBe("%12%");
    expect(like("a ~ 'a__b'")).toBe("%a_\\_b%"); // upstream escapes every other char of a run
    expect(sql("a !~ 'x'").text).toBe("`a` NOT LIKE ? ESCAPE '\\'");
    expect(sql("a ~ b").text).toBe("`a` LIKE ('%' || `b` || '%') ESCAPE '\\'");
    expect(sql("'x' !~ b").text).toBe("? NOT LIKE ('%' || `b` || '%') ESCAPE '\\'");
  });

  test("AND binds tighter than OR through SQL precedence; groups keep their parentheses", () => {
    expect(sql("a = 1 || b = 2 && c = 3").text).toBe("(`a` = ?r OR `b` = ?r AND `c` = ?r)");
    expect(sql("(a = 1 || b = 2) && c = 3").text).toBe("((`a` = ?r OR `b` = ?r) AND `c` = ?r)");
    expect(sql("((a = 1))").text).toBe("`a` = ?r");
  });

  test("macros are bound in UTC", () => {
    const restore = setMacroClock(() => new Date(Date.UTC(2024, 1, 29, 13, 14, 15, 678)));
    try {
      const s = sql(
        "a = @now && a = @yesterday && a = @tomorrow && a = @todayStart && a = @todayEnd && a = @monthStart && a = @monthEnd && " +
          "a = @yearStart && a = @yearEnd && n = @second && n = @minute && n = @hour && n = @day && n = @month && n = @weekday && n = @year",
      );
      expect(s.values).toEqual([
        "2024-02-29 13:14:15.678Z",
        "2024-02-28 13:14:15.678Z",
        "2024-03-01 13:14:15.678Z",
        "2024-02-29 00:00:00.000Z",
        "2024-02-29 23:59:59.999Z",
        "2024-02-01 00:00:00.000Z",
        "2024-02-29 23:59:59.999Z",
        "2024-01-01 00:00:00.000Z",
        "2024-12-31 23:59:59.999Z",
        15,
        14,
        13,
        29,
        2,
        4,
        2024,
      ]);
    } finally {
      restore();
    }
  });

  test("functions", () => {
    expect(sql("geoDistance(a, b, 1, 2) < 10").text).toBe(
      "(6371 * acos(cos(radians(`b`)) * cos(radians(?r)) * cos(radians(?r) - radians(`a`)) + sin(radians(`b`)) * sin(radians(?r)))) < ?r",
    );
    expect(sql("strftime('%Y', a) = '2024'").text).toBe("strftime(?,`a`) = ?");
    expect(sql("strftime('%Y-%m', '2026-01-01') = ''").text).toBe("((strftime(?,?) = '' OR strftime(?,?) IS NULL))");
    for (const bad of [
      "geoDistance(1,2,3) < 1",
      "geoDistance('a',2,3,4) < 1",
      "strftime() = 1",
      "strftime(a) = 1",
      "strftime('%Y', a, b) = 1",
      "unknownFn(a) = 1",
      "strftime('%Y', strftime('%Y')) = 1",
    ]) {
      expect(() => sql(bad), bad).toThrow(FilterError);
    }
  });

  test("unknown identifiers fail; null/true/false work as literals when no such field", () => {
    expect(() => sql("missing = 1")).toThrow(FilterError);
    expect(sql("a = NULL").text).toBe("((`a` = '' OR `a` IS NULL))");
  });

  test("the comparison limit", () => {
    const f = Array.from({ length: 5 }, () => "a = 1").join(" && ");
    expect(() => sql(f, 5)).not.toThrow();
    expect(() => sql(f, 4)).toThrow("max filter expressions limit reached");
  });
});

describe("filter semantics on SQLite", () => {
  const db = new SqliteDb(":memory:");
  afterAll(() => db.close());
  const rows: [string, string, string | null, number, string | null][] = [
    ["r1", "", null, 0, null],
    ["r2", "x", "x", 1, '{"x":1,"y":"1"}'],
    ["r3", "Hello_World", "", 2.5, '{"x":2}'],
    ["r4", "123", "123", 123, "[1,2]"],
    ["r5", "50%", null, -1, '"str"'],
  ];
  beforeAll(async () => {
    await db.exec(
      "CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT DEFAULT '' NOT NULL, b TEXT, n NUMERIC DEFAULT 0 NOT NULL, j JSON)",
    );
    for (const r of rows) await db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", r);
  });
  const r = new SimpleFieldResolver(["a", "b", "n", "j", "^j\\.[\\w.]*\\w+$"]);
  const ids = async (filter: string) => {
    const q = new SelectQuery("t", new SqlParams(db.dialect));
    q.andWhere(buildFilterExpr(filter, r, q.params));
    q.andOrderBy("`t`.`id` ASC");
    return (await queryAll<{ id: string }>(db, q)).map((x) => x.id);
  };

  test("empty vs null", async () => {
    expect(await ids("b = ''")).toEqual(["r1", "r3", "r5"]);
    expect(await ids("b != ''")).toEqual(["r2", "r4"]);
    expect(await ids("b != 'x'")).toEqual(["r1", "r3", "r4", "r5"]); // NULL differs from 'x' too
    expect(await ids("a = b")).toEqual(["r1", "r2", "r4"]); // '' equals NULL
  });

  test("numbers bind as reals, as upstream's float64 (a TEXT '123' is not 123.0)", async () => {
    expect(await ids("n = 123")).toEqual(["r4"]);
    expect(await ids("a = 123")).toEqual([]);
    expect(await ids("a = '123'")).toEqual(["r4"]);
    expect(await ids("n > 1 && n < 100")).toEqual(["r3"]);
    expect(await ids("n >= -1 && n <= 0")).toEqual(["r1", "r5"]);
  });

  test("LIKE", async () => {
    expect(await ids("a ~ 'hello'")).toEqual(["r3"]); // case-insensitive for ASCII
    expect(await ids("a ~ 'o_W'")).toEqual(["r3"]);
    expect(await ids("a ~ 'oxW'")).toEqual([]);
    expect(await ids("a ~ '0\\%'")).toEqual(["r5"]);
    expect(await ids("a ~ 'x%'")).toEqual(["r2"]);
    expect(await ids("a !~ 'l'")).toEqual(["r1", "r2", "r4", "r5"]);
  });

  test("json paths", async () => {
    expect(await ids("j.x = 1")).toEqual(["r2"]);
    expect(await ids("j.x > 1")).toEqual(["r3"]);
    expect(await ids("j.y = '1'")).toEqual(["r2"]);
    expect(await ids("j.x = null")).toEqual(["r1", "r4", "r5"]);
  });
});
