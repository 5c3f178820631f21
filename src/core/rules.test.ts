import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiError } from "./errors.ts";
import { Record } from "./record.ts";
import { findRecordById } from "./record_query.ts";
import { setupTestData, type TestData } from "./record_field_resolver.testutil.ts";
import {
  canAccessRecord,
  checkCreateRule,
  checkRule,
  findManagedRecordIds,
  findRecordByIdWithRule,
  findRecordsByIdsWithRule,
  hasAuthManageAccess,
  requireRuleAccess,
} from "./rules.ts";

let td: TestData;
beforeAll(async () => {
  td = await setupTestData();
});
afterAll(() => td.cleanup());

const post = async (id: string) => (await findRecordById(td.app, "posts", id + "a".repeat(15 - id.length)))!;

describe("checkRule", () => {
  test("valid rules pass, including hidden fields, @request and @collection", () => {
    const posts = td.app.findCollection("posts")!;
    for (const rule of [
      "",
      "@request.auth.id != ''",
      "author = @request.auth.id && internal != ''",
      "tags.name ?= 'x' || comments_via_post.message ~ 'hi'",
      "@collection.members.role ?= 'admin'",
      "@request.body.title:changed = false && @request.body.tags:length < 3 && @request.body.tags:each ?= 'x'",
      "@request.body.author.name = 'Ann'",
      "// comment\ntitle = 'x' // trailing",
      "locked.name = 'x'", // rules may reach collections with a null list rule
    ]) {
      expect(() => checkRule(td.app, posts, rule), rule).not.toThrow();
    }
  });

  test("invalid rules throw upstream's message", () => {
    const posts = td.app.findCollection("posts")!;
    for (const rule of [
      "title =",
      "missing = 1",
      "title:nope = 1",
      "@collection.nope.x = 1",
      "@request.body.x:changed = 1",
      "author.nope = 1",
    ]) {
      expect(() => checkRule(td.app, posts, rule), rule).toThrow(/^Invalid rule\. Raw error: .+/);
    }
  });
});

describe("record access", () => {
  test("canAccessRecord: superusers, null, empty, expressions", async () => {
    const p1 = await post("p1");
    expect(await canAccessRecord(td.app, p1, td.as(td.superuser), null)).toBe(true);
    expect(await canAccessRecord(td.app, p1, td.as(td.ann), null)).toBe(false);
    expect(await canAccessRecord(td.app, p1, td.as(null), "")).toBe(true);
    expect(await canAccessRecord(td.app, p1, td.as(td.ann), "author = @request.auth.id")).toBe(true);
    expect(await canAccessRecord(td.app, p1, td.as(td.bob), "author = @request.auth.id")).toBe(false);
    expect(await canAccessRecord(td.app, p1, td.as(null), "author = @request.auth.id")).toBe(false);
    expect(await canAccessRecord(td.app, p1, td.as(td.bob), "tags.name ?= 'y' && internal = 'i1'")).toBe(true);
    expect(await canAccessRecord(td.app, p1, td.as(td.bob), "broken =")).toBe(false);
  });

  test("findRecordByIdWithRule: a failing rule looks like a missing record", async () => {
    const posts = td.app.findCollection("posts")!;
    expect(
      (await findRecordByIdWithRule(td.app, posts, "p1aaaaaaaaaaaaa", td.as(td.ann), "author = @request.auth.id"))?.id,
    ).toBe("p1aaaaaaaaaaaaa");
    expect(
      await findRecordByIdWithRule(td.app, posts, "p1aaaaaaaaaaaaa", td.as(td.bob), "author = @request.auth.id"),
    ).toBeNull();
    expect(await findRecordByIdWithRule(td.app, posts, "missing", td.as(td.ann), "")).toBeNull();
    expect(
      (await findRecordByIdWithRule(td.app, posts, "p2aaaaaaaaaaaaa", td.as(td.bob), ""))?.getString("title"),
    ).toBe("Second_post");
    expect(await findRecordByIdWithRule(td.app, posts, "p2aaaaaaaaaaaaa", td.as(td.bob), null)).toBeNull();
    expect((await findRecordByIdWithRule(td.app, posts, "p2aaaaaaaaaaaaa", td.as(td.superuser), null))?.id).toBe(
      "p2aaaaaaaaaaaaa",
    );
    // a multi-valued join in the rule does not duplicate or break the lookup
    expect(
      (await findRecordByIdWithRule(td.app, posts, "p1aaaaaaaaaaaaa", td.as(td.bob), "tags.name ?= 'x'"))?.id,
    ).toBe("p1aaaaaaaaaaaaa");
  });

  test("requireRuleAccess", () => {
    expect(() => requireRuleAccess(null, td.as(td.ann))).toThrow(ApiError);
    try {
      requireRuleAccess(null, null);
    } catch (err) {
      expect([(err as ApiError).status, (err as ApiError).message]).toEqual([
        403,
        "Only superusers can perform this action.",
      ]);
    }
    expect(() => requireRuleAccess(null, td.as(td.superuser))).not.toThrow();
    expect(() => requireRuleAccess("", td.as(null))).not.toThrow();
  });

  test("update rules see the new body and the stored record", async () => {
    const posts = td.app.findCollection("posts")!;
    const ri = td.as(td.ann, { body: { title: "changed", views: 10, tags: ["tagxaaaaaaaaaaa"] } });
    const find = async (rule: string) =>
      (await findRecordByIdWithRule(td.app, posts, "p1aaaaaaaaaaaaa", ri, rule))?.id.slice(0, 2) ?? null;
    expect(await find("@request.body.title:changed = true")).toBe("p1");
    expect(await find("@request.body.views:changed = false")).toBe("p1");
    expect(await find("@request.body.status:changed = false && @request.body.status:isset = false")).toBe("p1");
    expect(await find("@request.body.tags:length = 1 && @request.body.tags:each ?= 'tagxaaaaaaaaaaa'")).toBe("p1");
    expect(await find("@request.body.tags.name ?= 'x' && @request.body.tags.name = 'x'")).toBe("p1");
    expect(await find("@request.body.title:lower = 'CHANGED'")).toBeNull();
    expect(await find("@request.body.title:lower = 'changed'")).toBe("p1");
    expect(await find("@request.body.views = 10 && @request.body.views > 9.5")).toBe("p1");
  });

  test("findRecordsByIdsWithRule (expand)", async () => {
    const members = td.app.findCollection("members")!;
    const ids = ["ann000000000000", "bob000000000000", "missing", "ann000000000000"];
    expect((await findRecordsByIdsWithRule(td.app, members, ids, td.as(td.bob), "")).map((r) => r.id).sort()).toEqual([
      "ann000000000000",
      "bob000000000000",
    ]);
    expect(
      (
        await findRecordsByIdsWithRule(
          td.app,
          members,
          ids,
          td.as(td.bob, { context: "expand" }),
          "id = @request.auth.id && @request.context = 'expand'",
        )
      ).map((r) => r.id),
    ).toEqual(["bob000000000000"]);
    await expect(findRecordsByIdsWithRule(td.app, members, ids, td.as(td.bob), null)).rejects.toThrow();
    expect(await findRecordsByIdsWithRule(td.app, members, ids, td.as(td.superuser), null)).toHaveLength(2);
    expect(await findRecordsByIdsWithRule(td.app, members, [], td.as(td.bob), "")).toEqual([]);
  });
});

describe("create and manage rules", () => {
  test("checkCreateRule evaluates the unsaved record and the body", async () => {
    const posts = td.app.findCollection("posts")!;
    const r = new Record(posts);
    r.set("title", "new post");
    r.set("views", 3);
    r.set("author", "bob000000000000");
    r.set("tags", ["tagxaaaaaaaaaaa", "tagyaaaaaaaaaaa"]);
    const ri = td.as(td.bob, { body: { title: "new post", views: 3, author: "bob000000000000" } });
    expect(await checkCreateRule(td.app, r, ri, "")).toBe(true);
    expect(await checkCreateRule(td.app, r, ri, null)).toBe(false);
    expect(await checkCreateRule(td.app, r, td.as(td.superuser), null)).toBe(true);
    expect(await checkCreateRule(td.app, r, ri, "author = @request.auth.id && views = 3 && title ~ 'new'")).toBe(true);
    expect(await checkCreateRule(td.app, r, ri, "author = @request.auth.id && views > 3")).toBe(false);
    expect(await checkCreateRule(td.app, r, ri, "author.name = 'Bob' && author.org.name = 'Globex'")).toBe(true);
    expect(await checkCreateRule(td.app, r, ri, "tags.name ?= 'y' && tags:length = 2")).toBe(true);
    expect(await checkCreateRule(td.app, r, ri, "tags.name = 'y'")).toBe(false);
    expect(await checkCreateRule(td.app, r, ri, "@request.body.views = 3 && @request.body.title:isset = true")).toBe(
      true,
    );
    expect(await checkCreateRule(td.app, r, ri, "id != ''")).toBe(true); // a temporary id stands in
    expect(await checkCreateRule(td.app, r, td.as(null), "@request.auth.id != ''")).toBe(false);
    expect(await checkCreateRule(td.app, r, ri, "nope = 1")).toBe(false);
  });

  test("the unsaved auth record is checked with verified = false", async () => {
    const members = td.app.findCollection("members")!;
    const m = new Record(members);
    m.set("email", "new@example.com");
    m.set("verified", true);
    m.set("role", "admin");
    expect(await checkCreateRule(td.app, m, td.as(td.bob), "verified = false && role = 'admin'")).toBe(true);
    expect(await hasAuthManageAccess(td.app, m, td.as(td.ann))).toBe(true); // ann is an admin
    expect(await hasAuthManageAccess(td.app, m, td.as(td.bob))).toBe(false);
  });

  test("manage access to stored records and managed ids", async () => {
    expect(await hasAuthManageAccess(td.app, td.bob, td.as(td.ann))).toBe(true);
    expect(await hasAuthManageAccess(td.app, td.bob, td.as(td.cid))).toBe(false);
    expect(await hasAuthManageAccess(td.app, td.bob, td.as(null))).toBe(false);
    const members = td.app.findCollection("members")!;
    expect(
      (await findManagedRecordIds(td.app, members, ["bob000000000000", "cid000000000000"], td.as(td.ann))).sort(),
    ).toEqual(["bob000000000000", "cid000000000000"]);
    expect(await findManagedRecordIds(td.app, members, ["bob000000000000"], td.as(td.bob))).toEqual([]);
  });
});
