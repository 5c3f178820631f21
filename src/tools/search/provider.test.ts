import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SqliteDb } from "../../core/db/sqlite.ts";
import { FilterError } from "./errors.ts";
import { parseGoBool, parseGoInt, parseSearchQuery, runSearch, type SqlReader } from "./provider.ts";
import { SimpleFieldResolver } from "./resolver.ts";
import { parseSort } from "./sort.ts";
import { SelectQuery, SqlParams } from "./sql.ts";

describe("list parameter parsing", () => {
  test("Go int and bool syntax", () => {
    expect(parseGoInt("12")).toBe(12);
    expect(parseGoInt("+3")).toBe(3);
    expect(parseGoInt("-007")).toBe(-7);
    for (const bad of ["", "1.5", "a", " 1", "1 ", "9223372036854775808", "0x10"]) expect(parseGoInt(bad)).toBeNull();
    for (const t of ["1", "t", "T", "true", "TRUE", "True"]) expect(parseGoBool(t)).toBe(true);
    for (const f of ["0", "f", "F", "false", "FALSE", "False"]) expect(parseGoBool(f)).toBe(false);
    for (const bad of ["yes", "tRUE", "2", ""]) expect(parseGoBool(bad)).toBeNull();
  });

  test("parseSearchQuery", () => {
    expect(
      parseSearchQuery({ page: "3", perPage: "456", filter: "a=1", sort: "-a,b,+c", skipTotal: "t", other: "x" }),
    ).toEqual({
      page: 3,
      perPage: 456,
      filter: ["a=1"],
      sort: [
        { name: "a", direction: "DESC" },
        { name: "b", direction: "ASC" },
        { name: "c", direction: "ASC" },
      ],
      skipTotal: true,
    });
    expect(parseSearchQuery({ page: "", filter: "" })).toEqual({});
    expect(() => parseSearchQuery({ page: "a" })).toThrow(FilterError);
    expect(() => parseSearchQuery({ perPage: "1.0" })).toThrow(FilterError);
    expect(() => parseSearchQuery({ skipTotal: "yes" })).toThrow(FilterError);
  });

  test("parseSort keeps empty entries (they fail when resolved)", () => {
    expect(parseSort(" -a , ,@random")).toEqual([
      { name: "a", direction: "DESC" },
      { name: "", direction: "ASC" },
      { name: "@random", direction: "ASC" },
    ]);
  });
});

describe("runSearch", () => {
  const db = new SqliteDb(":memory:");
  afterAll(() => db.close());
  beforeAll(async () => {
    await db.exec("CREATE TABLE items (id TEXT PRIMARY KEY, n INTEGER, name TEXT)");
    for (let i = 1; i <= 45; i++)
      await db.run("INSERT INTO items VALUES (?, ?, ?)", [`i${String(i).padStart(2, "0")}`, i, i % 2 ? "odd" : "even"]);
  });
  const resolver = new SimpleFieldResolver(["id", "n", "name"]);
  /** The SQL text of every statement the searches ran. */
  const seen: string[] = [];
  const reader: SqlReader = {
    all: (sql, params) => (seen.push(sql), db.all(sql, params)),
    get: (sql, params) => (seen.push(sql), db.get(sql, params)),
  };
  const run = (opts: Parameters<typeof runSearch>[3]) =>
    runSearch<{ id: string }>(reader, new SelectQuery("items", new SqlParams(db.dialect)), resolver, opts);

  test("defaults: page 1, 30 per page, counted", async () => {
    const r = await run({ sort: parseSort("n") });
    expect([r.page, r.perPage, r.totalItems, r.totalPages, r.items.length]).toEqual([1, 30, 45, 2, 30]);
    expect(r.items[0]!.id).toBe("i01");
  });

  test("page/perPage normalization and clamping", async () => {
    const r = await run({ page: 0, perPage: -5, sort: parseSort("-n") });
    expect([r.page, r.perPage, r.items[0]!.id]).toEqual([1, 30, "i45"]);
    const big = await run({ perPage: 5000 });
    expect([big.perPage, big.items.length]).toEqual([1000, 45]);
    const last = await run({ page: 3, perPage: 20, sort: parseSort("n") });
    expect(last.items.map((x) => x.id)).toEqual(["i41", "i42", "i43", "i44", "i45"]);
    const past = await run({ page: 10, perPage: 0 });
    expect([past.page, past.perPage, past.items.length, past.totalItems]).toEqual([10, 30, 0, 45]);
    const huge = await run({ page: Number.MAX_SAFE_INTEGER, perPage: 1000 });
    expect(huge.items).toEqual([]);
  });

  test("filter + sort; skipTotal runs no COUNT query", async () => {
    seen.length = 0;
    const r = await run({ filter: ["name = 'even' && n > 30"], sort: parseSort("-n"), skipTotal: true, perPage: 3 });
    expect([r.totalItems, r.totalPages]).toEqual([-1, -1]);
    expect(r.items.map((x) => x.id)).toEqual(["i44", "i42", "i40"]);
    expect(seen.some((s) => s.includes("COUNT("))).toBe(false);
    seen.length = 0;
    const counted = await run({ filter: ["name = 'even' && n > 30"], perPage: 3 });
    expect([counted.totalItems, counted.totalPages]).toEqual([7, 3]);
    expect(seen.filter((s) => s.includes("COUNT(DISTINCT `items`.`id`)"))).toHaveLength(1);
    // a unique count column without joins is counted with the fast COUNT(*)
    seen.length = 0;
    const fast = await run({ filter: ["name = 'even' && n > 30"], perPage: 3, countColUnique: true });
    expect(fast.totalItems).toBe(7);
    expect(seen.filter((s) => s.startsWith("SELECT COUNT(*)"))).toHaveLength(1);
  });

  test("filter values are bound; LIMIT/OFFSET are literal clamped integers", async () => {
    seen.length = 0;
    for (let page = 1; page <= 3; page++) await run({ page, perPage: 10, skipTotal: true, filter: [`n > ${page}`] });
    await run({ page: 1e300, perPage: 10, skipTotal: true });
    expect(seen.map((s) => s.slice(s.indexOf(" LIMIT ")))).toEqual([
      " LIMIT 10 OFFSET 0",
      " LIMIT 10 OFFSET 10",
      " LIMIT 10 OFFSET 20",
      expect.stringMatching(/^ LIMIT 10 OFFSET \d+$/),
    ]);
    // the filter's literal never enters the text
    for (const s of seen.slice(0, 3)) expect(s).toContain(":p0");
  });

  test("a batching reader gets the page and its count in one round trip", async () => {
    const batches: string[][] = [];
    const batching: SqlReader = {
      ...reader,
      batch: async (statements) => {
        batches.push(statements.map((st) => `${st.mode} ${st.sql.includes("COUNT(") ? "count" : "page"}`));
        return Promise.all(statements.map((st) => (st.mode === "all" ? db.all : db.get).call(db, st.sql, st.params)));
      },
    };
    const q = new SelectQuery("items", new SqlParams(db.dialect));
    const r = await runSearch<{ id: string }>(batching, q, resolver, { filter: ["n > 40"], perPage: 2 });
    expect([r.items.map((x) => x.id), r.totalItems, r.totalPages]).toEqual([["i41", "i42"], 5, 3]);
    expect(batches).toEqual([["all page", "get count"]]);
  });

  test("sort specials and errors", async () => {
    expect((await run({ sort: parseSort("@rowid"), perPage: 1 })).items[0]!.id).toBe("i01");
    expect((await run({ sort: parseSort("-@rowid"), perPage: 1 })).items[0]!.id).toBe("i45");
    expect((await run({ sort: parseSort("@random") })).items).toHaveLength(30);
    await expect(run({ sort: parseSort("missing") })).rejects.toThrow(FilterError);
    await expect(run({ sort: parseSort("a,b,c,d,e,f,g,h,i") })).rejects.toThrow("max sort expressions limit reached");
    await expect(run({ sort: parseSort("x".repeat(256)) })).rejects.toThrow("max sort field length limit reached");
    await expect(run({ filter: ["n > 1 && " + "x".repeat(3500)] })).rejects.toThrow("max filter length limit reached");
    await expect(run({ filter: ["n >"] })).rejects.toThrow(FilterError);
  });
});

describe("statement cache", () => {
  test("closing the database finalizes cached statements (the WAL is checkpointed and removed)", async () => {
    const { mkdtempSync, readdirSync, rmSync } = require("node:fs") as typeof import("node:fs");
    const { join } = require("node:path") as typeof import("node:path");
    const { tmpdir } = require("node:os") as typeof import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "pb-stmt-"));
    try {
      const db = new SqliteDb(join(dir, "x.db"));
      await db.exec("CREATE TABLE t (id TEXT PRIMARY KEY); INSERT INTO t VALUES ('a')");
      const q = new SelectQuery("t", new SqlParams(db.dialect));
      expect((await runSearch(db, q, new SimpleFieldResolver(["id"]), { filter: ["id = 'a'"] })).totalItems).toBe(1);
      await db.close();
      expect(readdirSync(dir)).toEqual(["x.db"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
