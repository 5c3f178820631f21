import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiError } from "./errors.ts";
import { setupTestData, type TestData } from "./record_field_resolver.testutil.ts";
import {
  COLLECTION_LIST_FIELDS,
  findFirstRecordByFilter,
  findRecordsByFilter,
  findRecordsByFilterAsync,
  replaceFilterPlaceholders,
  searchRecords,
  searchTable,
  type SearchRecordsOptions,
} from "./record_search.ts";
import { ReadPool } from "./db/index.ts";
import { join } from "node:path";
import type { RequestInfo } from "./request_info.ts";
import { FilterError, parseFilter, setMacroClock, type Expr } from "../tools/search/index.ts";

let td: TestData;
beforeAll(async () => {
  td = await setupTestData();
});
afterAll(() => td.cleanup());

/** Ids of `collection` records matching `filter` (internal query: no rule, hidden fields allowed). */
async function ids(collection: string, filter: string, opts: SearchRecordsOptions = {}): Promise<string[]> {
  const c = td.app.findCollection(collection)!;
  const r = await searchRecords(td.app, c, { filter, sort: "id", perPage: 1000, ...opts });
  return r.items.map((x) => short(x.id));
}

/** Test ids are padded with a's or 0's to 15 characters. */
const short = (id: string) => id.replace(/(a+|0+)$/, "");

/** A client list request (`rule` = the collection's listRule) as `requestInfo`. */
async function clientIds(collection: string, filter: string, requestInfo: RequestInfo, sort = "id"): Promise<string[]> {
  const c = td.app.findCollection(collection)!;
  const r = await searchRecords(td.app, c, { filter, sort, requestInfo, rule: c.listRule, isClientQuery: true });
  return r.items.map((x) => short(x.id));
}

async function apiError(fn: () => Promise<unknown>): Promise<ApiError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError");
}

describe("plain fields", () => {
  test("comparisons, LIKE, sort and pagination", async () => {
    expect(await ids("posts", "views > 5")).toEqual(["p1", "p2"]);
    expect(await ids("posts", "title ~ 'WORLD'")).toEqual(["p1"]);
    expect(await ids("posts", "title ~ '_'")).toEqual(["p2"]); // `_` is escaped, not a wildcard
    expect(await ids("posts", "title ~ '100%'")).toEqual([]); // own % → pattern used as is
    expect(await ids("posts", "title ~ '%100\\%'")).toEqual(["p4"]);
    expect(await ids("posts", "author = ''")).toEqual(["p3"]);
    expect(await ids("posts", "author != ''")).toEqual(["p1", "p2", "p4"]);
    expect(await ids("posts", "status = 'live' || views = 0 && title = 'third'")).toEqual(["p1", "p3"]);

    const c = td.app.findCollection("posts")!;
    const page = await searchRecords(td.app, c, { sort: "-views,title", page: "2", perPage: "2" });
    expect(page.items.map((r) => r.id)).toEqual(["p4aaaaaaaaaaaaa", "p3aaaaaaaaaaaaa"]);
    expect([page.page, page.perPage, page.totalItems, page.totalPages]).toEqual([2, 2, 4, 2]);
    const skipped = await searchRecords(td.app, c, { skipTotal: "true", perPage: 9999 });
    expect([skipped.perPage, skipped.totalItems, skipped.totalPages, skipped.items.length]).toEqual([1000, -1, -1, 4]);
  });

  test("json paths, select multi :length/:each, geoDistance, strftime", async () => {
    expect(await ids("posts", "data.meta.score > 5")).toEqual(["p1"]);
    expect(await ids("posts", "data.arr.1 = 'y'")).toEqual(["p1"]);
    expect(await ids("posts", "data = 5")).toEqual(["p4"]);
    expect(await ids("posts", "data = null")).toEqual(["p3"]);
    expect(await ids("posts", "labels:length = 2")).toEqual(["p1"]);
    expect(await ids("posts", "labels:length = 0")).toEqual(["p4"]);
    expect(await ids("posts", "labels:each ?= 'a'")).toEqual(["p1", "p2"]);
    expect(await ids("posts", "labels:each = 'a'")).toEqual(["p2"]); // every label is 'a'
    expect(await ids("posts", "labels ~ 'b'")).toEqual(["p1"]);
    expect(await ids("posts", "labels = 'a'")).toEqual([]); // the raw JSON text is '["a"]'
    expect(await ids("posts", "location.lat > 45")).toEqual(["p2"]);
    // Sofia ↔ Paris ≈ 1750 km
    expect(
      await ids("posts", "location.lat != 0 && geoDistance(location.lon, location.lat, 2.35, 48.85) < 100"),
    ).toEqual(["p2"]);
    expect(
      await ids("posts", "location.lat != 0 && geoDistance(location.lon, location.lat, 2.35, 48.85) < 2000"),
    ).toEqual(["p1", "p2"]);
    expect(await ids("posts", "strftime('%Y', published) = '2024'")).toEqual(["p1"]);
    expect(await ids("posts", "strftime('%Y', published) = ''")).toEqual(["p3", "p4"]);
  });

  test("datetime macros", async () => {
    const restore = setMacroClock(() => new Date(Date.UTC(2024, 0, 15)));
    try {
      expect(await ids("posts", "published != '' && published < @now")).toEqual(["p2"]);
      expect(await ids("posts", "published > @yearStart")).toEqual(["p1"]);
    } finally {
      restore();
    }
  });
});

describe("relations", () => {
  test("single relation paths and nesting", async () => {
    expect(await ids("posts", "author.name = 'Ann'")).toEqual(["p1"]);
    expect(await ids("posts", "author.id = 'bob000000000000'")).toEqual(["p2"]);
    expect(await ids("posts", "author.org.name = 'Globex'")).toEqual(["p2"]);
    expect(await ids("posts", "author.org.name = ''")).toEqual(["p3", "p4"]);
  });

  test("multi relation: plain operators need every value, ? operators any value", async () => {
    expect(await ids("posts", "tags.name ?= 'y'")).toEqual(["p1"]);
    expect(await ids("posts", "tags.name = 'x'")).toEqual(["p2"]);
    expect(await ids("posts", "tags.name ?= 'x'")).toEqual(["p1", "p2"]);
    expect(await ids("posts", "tags.name != 'x'")).toEqual(["p3", "p4"]); // no tags: nothing fails the check
    expect(await ids("posts", "tags.id ?= 'tagyaaaaaaaaaaa'")).toEqual(["p1"]);
    expect(await ids("posts", "tags:length = 2")).toEqual(["p1"]);
    // DISTINCT: one row per post however many tags match; the count agrees
    const r = await searchRecords(td.app, td.app.findCollection("posts")!, { filter: "tags.id ?!= ''" });
    expect(r.items.map((x) => x.id).sort()).toEqual(["p1aaaaaaaaaaaaa", "p2aaaaaaaaaaaaa", "p4aaaaaaaaaaaaa"]);
    expect(r.totalItems).toBe(3);
  });

  test("back-relations", async () => {
    expect(await ids("posts", "comments_via_post.message ?~ 'hi'")).toEqual(["p1", "p2"]);
    expect(await ids("posts", "comments_via_post.message ~ 'hi'")).toEqual(["p2"]); // not unique → all must match
    expect(await ids("posts", "covers_via_post.url = 'a.png'")).toEqual(["p1"]); // unique → single-valued
    expect(await ids("posts", "likes_via_posts.who ?= 'bob'")).toEqual(["p1"]);
    expect(await ids("posts", "likes_via_posts.who = 'ann'")).toEqual(["p2"]);
    expect(await ids("members", "posts_via_author.title ?~ 'world'")).toEqual(["ann"]);
    expect(await ids("orgs", "members_via_org.posts_via_author.views ?> 15")).toEqual(["org2"]);
  });

  test("@collection joins", async () => {
    expect(await ids("posts", "@collection.tags.name ?= 'y' && @collection.tags.id ?= tags.id")).toEqual(["p1"]);
    expect(await ids("posts", "@collection.members:m.id ?= author && @collection.members:m.role = 'admin'")).toEqual(
      [],
    );
    // one alias = one joined row for both conditions
    expect(await ids("posts", "@collection.members:m.id ?= author && @collection.members:m.role ?= 'admin'")).toEqual([
      "p1",
    ]);
    expect(await ids("posts", "@collection.members:m.id ?= author && @collection.members:n.role ?= 'admin'")).toEqual([
      "p1",
      "p2",
      "p4",
    ]);
  });

  test("relation depth limit and unknown paths", async () => {
    const err = await apiError(() =>
      ids("posts", "author.org.members_via_org.org.members_via_org.org.members_via_org.name = 'x'"),
    );
    expect([err.status, err.message]).toEqual([400, "Something went wrong while processing your request."]);
    expect((await apiError(() => ids("posts", "title.x = 1"))).status).toBe(400);
    expect((await apiError(() => ids("posts", "nope_via_post.x = 1"))).status).toBe(400);
    expect((await apiError(() => ids("posts", "tags.missing = 1"))).status).toBe(400);
    expect((await apiError(() => ids("posts", "title:nope = 1"))).status).toBe(400);
  });
});

describe("@request values", () => {
  test("auth, query, headers, method, context", async () => {
    const ri = td.as(td.ann, { query: { min: "15" }, headers: { x_tag: "y" }, method: "GET", context: "default" });
    const posts = td.app.findCollection("posts")!;
    const run = async (filter: string) =>
      (await searchRecords(td.app, posts, { filter, sort: "id", requestInfo: ri })).items.map((x) => x.id.slice(0, 2));
    expect(await run("author = @request.auth.id")).toEqual(["p1"]);
    expect(await run("author.email = @request.auth.email")).toEqual(["p1"]);
    expect(await run("@request.auth.org.name = 'Acme' && author.org = @request.auth.org")).toEqual(["p1"]);
    expect(await run("views > @request.query.min")).toEqual(["p2"]);
    expect(await run("tags.name ?= @request.headers.x_tag")).toEqual(["p1"]);
    expect(await run("@request.method = 'GET' && @request.context = 'default' && views = 20")).toEqual(["p2"]);
    expect(await run("@request.query.missing:isset = false && @request.query.min:isset = true && views = 0")).toEqual([
      "p3",
    ]);
    expect(await run("@request.auth.missing = null && @request.query.nope = null && views = 0")).toEqual(["p3"]);
    const guest = await searchRecords(td.app, posts, {
      filter: "@request.auth.id = '' && views = 0",
      requestInfo: td.as(null),
    });
    expect(guest.items.map((x) => x.id)).toEqual(["p3aaaaaaaaaaaaa"]);
  });
});

describe("client restrictions (non-superusers)", () => {
  test("rules apply; null rule → 403; superusers bypass", async () => {
    const locked = td.app.findCollection("locked")!;
    const e = await apiError(() =>
      searchRecords(td.app, locked, { requestInfo: td.as(td.ann), rule: locked.listRule, isClientQuery: true }),
    );
    expect([e.status, e.message]).toEqual([403, "Only superusers can perform this action."]);
    expect(
      (await searchRecords(td.app, locked, { requestInfo: td.as(td.superuser), rule: null, isClientQuery: true }))
        .totalItems,
    ).toBe(1);
    // tags hides "private" from non-superusers
    expect(await clientIds("tags", "", td.as(td.bob))).toEqual(["tagx", "tagy"]);
    expect(
      (
        await searchRecords(td.app, td.app.findCollection("tags")!, {
          requestInfo: td.as(td.bob),
          rule: "name != 'private'",
        })
      ).totalItems,
    ).toBe(2);
    expect(
      (
        await searchRecords(td.app, td.app.findCollection("tags")!, {
          requestInfo: td.as(td.superuser),
          rule: "name != 'private'",
        })
      ).totalItems,
    ).toBe(3);
  });

  test("@request. and @collection. in client filter/sort → 403", async () => {
    for (const [filter, sort, token] of [
      ["@request.auth.id != ''", "", "@request."],
      ["@collection.tags.name ?= 'x'", "", "@collection."],
      ["", "@request.auth.id", "@request."],
    ] as const) {
      const posts = td.app.findCollection("posts")!;
      const e = await apiError(() =>
        searchRecords(td.app, posts, { filter, sort, requestInfo: td.as(td.ann), rule: "", isClientQuery: true }),
      );
      expect([e.status, e.message]).toEqual([403, "Only superusers can filter by " + token]);
      // superusers may filter by them (a sort by a bound value is invalid for anyone)
      const asSuperuser = () =>
        searchRecords(td.app, posts, { filter, sort, requestInfo: td.as(td.superuser), rule: "", isClientQuery: true });
      if (sort) expect((await apiError(asSuperuser)).status).toBe(400);
      else await asSuperuser();
    }
  });

  test("hidden fields are not filterable or sortable by clients", async () => {
    for (const [filter, sort] of [
      ["internal = 'i1'", ""],
      ["", "internal"],
      ["author.note = 'n1'", ""],
      ["author.org.secret = 's1'", ""],
    ]) {
      expect((await apiError(() => clientIds("posts", filter!, td.as(td.ann), sort || "id"))).status).toBe(400);
    }
    expect(await ids("posts", "internal = 'i1' && author.note = 'n1'")).toEqual(["p1"]); // internal queries may
    expect(await clientIds("posts", "internal = 'i1'", td.as(td.superuser))).toEqual(["p1"]);
  });

  test("joined collections: null list rule → 400, non-empty list rule enforced", async () => {
    expect((await apiError(() => clientIds("posts", "locked.name = 'L'", td.as(td.ann)))).status).toBe(400);
    expect(await clientIds("posts", "locked.name = 'L'", td.as(td.superuser))).toEqual(["p1"]);
    // the private tag is invisible through the relation
    expect(await clientIds("posts", "tags.name ?= 'private'", td.as(td.ann))).toEqual([]);
    expect(await clientIds("posts", "tags.name ?= 'private'", td.as(td.superuser))).toEqual(["p4"]);
    // an empty relation does not hide the record from an OR-ed condition
    expect(await clientIds("posts", "tags.name ?= 'x' || views = 0", td.as(td.ann))).toEqual(["p1", "p2", "p3"]);
  });

  test("auth emails match only where visible", async () => {
    expect(await clientIds("members", "email ~ 'example.com'", td.as(td.bob))).toEqual(["ann"]);
    expect(await clientIds("posts", "author.email = 'bob@example.com'", td.as(td.bob))).toEqual([]);
    expect(await clientIds("posts", "author.email = 'bob@example.com'", td.as(td.superuser))).toEqual(["p2"]);
    expect(await clientIds("members", "email ~ 'example.com'", td.as(td.superuser))).toEqual(["ann", "bob", "cid"]);
  });

  test("invalid filters, sorts and params → generic 400", async () => {
    const posts = td.app.findCollection("posts")!;
    for (const opts of [
      { filter: "title = " },
      { filter: "(title = 'x'" },
      { sort: "nope" },
      { sort: "'x'" },
      { page: "x" },
      { perPage: "1.5" },
      { skipTotal: "maybe" },
      { filter: "x".repeat(3501) },
    ] as SearchRecordsOptions[]) {
      const e = await apiError(() =>
        searchRecords(td.app, posts, { ...opts, requestInfo: td.as(td.ann), rule: "", isClientQuery: true }),
      );
      expect([e.status, e.message, e.data]).toEqual([400, "Something went wrong while processing your request.", {}]);
    }
  });
});

describe("searchRecords on a reader (worker read pool)", () => {
  test("same results as searchRecords, off the JS thread", async () => {
    const pool = new ReadPool(join(td.dir, "data.db"), 2, 30);
    try {
      const posts = td.app.findCollection("posts")!;
      const opts: SearchRecordsOptions = {
        filter: "tags.name ?= 'x' || views = 0",
        sort: "-views",
        perPage: 2,
        requestInfo: td.as(td.ann),
        rule: "",
        isClientQuery: true,
      };
      const direct = await searchRecords(td.app, posts, opts);
      const viaPool = await searchRecords(td.app, posts, { ...opts, reader: pool });
      expect(viaPool.items.map((r) => r.id)).toEqual(direct.items.map((r) => r.id));
      expect([viaPool.page, viaPool.perPage, viaPool.totalItems, viaPool.totalPages]).toEqual([1, 2, 3, 2]);
      const skipped = await searchRecords(td.app, posts, { ...opts, skipTotal: true, reader: pool });
      expect(skipped.totalItems).toBe(-1);
    } finally {
      pool.close();
    }
  });

  test("reader failures (a timeout) and bad filters are the generic 400", async () => {
    const failing = {
      all: () => Promise.reject(new Error("the query exceeded the 30s timeout")),
      get: () => Promise.reject(new Error("the query exceeded the 30s timeout")),
    };
    const posts = td.app.findCollection("posts")!;
    for (const opts of [{ filter: "views > 1" }, { filter: "views >" }]) {
      const err = await searchRecords(td.app, posts, { ...opts, reader: failing }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect([(err as ApiError).status, (err as ApiError).message]).toEqual([
        400,
        "Something went wrong while processing your request.",
      ]);
    }
  });
});

describe("findRecordsByFilter (hooks)", () => {
  test("placeholders are bound as literals whatever they hold", async () => {
    const titles = async (filter: string, params: { [k: string]: unknown }) =>
      (await findRecordsByFilter(td.app, "posts", filter, "-views", 0, 0, params)).map((r) => r.getString("title"));
    expect(await titles("title = {:t}", { t: "Hello world" })).toEqual(["Hello world"]);
    expect(await titles("views >= {:min} && internal = {:i}", { min: 10, i: "i1" })).toEqual(["Hello world"]);
    expect(await titles("title = {:t} || views > {:n}", { t: `x" || id != "`, n: 100 })).toEqual([]);
    expect(await titles("title = {:t}", { t: "'\"quote_with_backslash\\" })).toEqual([]);
    expect(await titles("author = {:a}", { a: null })).toEqual(["third"]);
    expect(await titles("views > {:n} && views < {:m}", { n: 4.5, m: 11 })).toEqual(["Hello world", "fourth 100%"]);
    expect((await findFirstRecordByFilter(td.app, "posts", "tags ~ {:tag}", { tag: "tagyaaaaaaaaaaa" }))?.id).toBe(
      "p1aaaaaaaaaaaaa",
    );
    expect(await findFirstRecordByFilter(td.app, "posts", "id = {:id}", { id: "nope" })).toBeNull();
    expect((await findRecordsByFilter(td.app, "posts", "", "views", 2, 1)).map((r) => r.getNumber("views"))).toEqual([
      5, 10,
    ]);
  });

  test("the placeholder text round-trips through the parser", async () => {
    for (const v of [
      "a\nb",
      "tab\there",
      "'single'",
      '"double"',
      "back\\slash",
      "\u0000ctl\u001f",
      "ünï 🎉 \u2028",
      "",
    ]) {
      const literal = replaceFilterPlaceholders("{:v}", { v });
      const parsed = parseFilter(`title = ${literal}`)[0]!.item as Expr;
      expect(parsed.right).toEqual({ type: "text", literal: v === "" ? '""' : v });
    }
    expect(replaceFilterPlaceholders("{:a} {:b} {:c} {:d}", { a: true, b: 1.5, c: ["x", "'y"], d: { k: 'q"' } })).toBe(
      `true 1.5 "[\\"x\\",\\"'y\\"]" "{\\"k\\":\\"q\\\\\\"\\"}"`,
    );
  });

  test("invalid filters throw", async () => {
    await expect(findRecordsByFilter(td.app, "posts", "title =")).rejects.toThrow("invalid filter expression");
    await expect(findRecordsByFilter(td.app, "posts", "", "nope")).rejects.toThrow(FilterError);
  });

  test("the async variant (read pool) finds the same records; bad filters reject", async () => {
    const cases: [string, string, number, number, { [k: string]: unknown }][] = [
      ["views >= {:min}", "-views", 0, 0, { min: 5 }],
      ["", "views", 2, 1, {}],
      ["author = {:a}", "", 0, 0, { a: null }],
    ];
    for (const [filter, sort, limit, offset, params] of cases) {
      const sync = (await findRecordsByFilter(td.app, "posts", filter, sort, limit, offset, params)).map((r) =>
        r.publicExport(),
      );
      const pooled = (await findRecordsByFilterAsync(td.app, "posts", filter, sort, limit, offset, params)).map((r) =>
        r.publicExport(),
      );
      expect(pooled.length).toBeGreaterThan(0);
      expect(pooled).toEqual(sync);
    }
    await expect(findRecordsByFilterAsync(td.app, "posts", "title =")).rejects.toThrow("invalid filter expression");
  });
});

describe("views and plain tables", () => {
  test("view collections (counted by id)", async () => {
    const r = await searchRecords(td.app, td.app.findCollection("post_stats")!, {
      filter: "views >= 10",
      sort: "-views",
    });
    expect(r.items.map((x) => x.id)).toEqual(["p2aaaaaaaaaaaaa", "p1aaaaaaaaaaaaa"]);
    expect(r.totalItems).toBe(2);
  });

  test("searchTable over _collections with the allowed fields only", async () => {
    const r = await searchTable(
      td.app,
      "_collections",
      { filter: "name ~ 'post' && system = false", sort: "-name" },
      COLLECTION_LIST_FIELDS,
    );
    expect(r.items.map((x) => x.name)).toEqual(["posts", "post_stats"]);
    expect(r.totalItems).toBe(2);
    expect(
      (await apiError(() => searchTable(td.app, "_collections", { filter: "fields ~ 'x'" }, COLLECTION_LIST_FIELDS)))
        .status,
    ).toBe(400);
    const all = await searchTable(td.app, "_collections", {}, COLLECTION_LIST_FIELDS);
    expect(all.items[0]!.name).toBe("_mfas"); // rowid order without a sort
  });
});
