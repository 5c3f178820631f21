/** The Collections API end to end with the official SDK against a real server process. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import PocketBase, { ClientResponseError } from "pocketbase";
import { App } from "../src/core/app.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { NumberField, RelationField, TextField } from "../src/core/fields/index.ts";
import { Record } from "../src/core/record.ts";
import { saveRecord } from "../src/core/record_save.ts";
import { runPb, startServer, tempDir, TEST_DB, testAppConfig, type TestServer } from "./harness.ts";
import { withDataDb } from "./support/db.ts";

let srv: TestServer;
let su: PocketBase;
let userToken = "";

/** Builds a schema with data in-process, on the pb_data the server then opens. */
async function seed(dataDir: string) {
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const posts = newBaseCollection("posts");
  posts.fields.add(new TextField({ name: "title" }), new NumberField({ name: "views" }));
  await saveCollection(app, posts);
  for (const [title, views] of [
    ["first", 1],
    ["second", 2],
  ] as const) {
    const r = new Record(posts);
    r.set("title", title);
    r.set("views", views);
    await saveRecord(app, r);
  }
  const comments = newBaseCollection("comments");
  comments.fields.add(new RelationField({ name: "post", collectionId: posts.id, maxSelect: 1, required: true }));
  await saveCollection(app, comments);
  const c = new Record(comments);
  c.set("post", (await app.db.get<{ id: string }>("SELECT id FROM posts WHERE title = 'first'"))!.id);
  await saveRecord(app, c);

  const user = new Record(app.findCollection("users")!);
  user.set("email", "user@example.com");
  user.set("password", "1234567890");
  await saveRecord(app, user);
  await app.terminate();
}

/** A look at the server's database from outside. */
const rows = (sql: string) => withDataDb(srv.dataDir, (d) => d.all(sql));
const hasTable = (name: string) => withDataDb(srv.dataDir, (d) => d.hasTable(name));
const columnNames = (table: string) =>
  withDataDb(srv.dataDir, async (d) =>
    (await d.tableColumns(table))
      .map((c) => c.name)
      .filter((n) => n !== "_rowid_")
      .sort(),
  );

/** The error envelope of a failing SDK call. */
async function failure(p: Promise<unknown>): Promise<{ status: number; message: string; data: any }> {
  try {
    await p;
  } catch (err) {
    const e = err as ClientResponseError;
    return { status: e.status, message: e.response.message, data: e.response.data };
  }
  throw new Error("expected the call to fail");
}

beforeAll(async () => {
  const work = tempDir();
  const dataDir = join(work, "pb_data");
  await seed(dataDir);
  expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dataDir}`])).code).toBe(0);
  srv = await startServer({ workDir: work });
  su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", "1234567890");
  const user = srv.sdk();
  userToken = (await user.collection("users").authWithPassword("user@example.com", "1234567890")).token;
});
afterAll(() => srv?.stop());

describe("access", () => {
  test("superusers only: 401 without auth, 403 for other auth records", async () => {
    const anon = await fetch(`${srv.url}/api/collections`);
    expect(anon.status).toBe(401);
    expect(await anon.json()).toEqual({
      data: {},
      message: "The request requires valid record authorization token.",
      status: 401,
    });
    const user = await fetch(`${srv.url}/api/collections/posts`, { headers: { Authorization: userToken } });
    expect(user.status).toBe(403);
    expect(((await user.json()) as any).message).toBe("The authorized record is not allowed to perform this action.");
  });
});

describe("list and view", () => {
  test("list with paging, sorting, filtering", async () => {
    const all = await su.collections.getFullList();
    expect(all.map((c) => c.name)).toEqual(expect.arrayContaining(["_superusers", "users", "posts", "comments"]));
    const page = await su.collections.getList(1, 2, { sort: "-created" });
    expect(page.perPage).toBe(2);
    expect(page.items.length).toBe(2);
    expect(page.totalItems).toBe(all.length);
    const filtered = await su.collections.getList(1, 30, { filter: "name ~ 'post'" });
    expect(filtered.items.map((c) => c.name)).toEqual(["posts"]);
    expect((await failure(su.collections.getList(1, 30, { filter: "nope = 1" }))).status).toBe(400);

    const raw = await (
      await fetch(`${srv.url}/api/collections?perPage=1`, { headers: { Authorization: su.authStore.token } })
    ).text();
    expect(raw.startsWith('{"items":[{"id":')).toBe(true);
    expect(raw).toContain('"page":1,"perPage":1,');
  });

  test("view by name or id, in upstream's key order without secrets", async () => {
    const users = await su.collections.getOne("users");
    const byId = await su.collections.getOne(users.id);
    expect(byId.name).toBe("users");
    const res = await fetch(`${srv.url}/api/collections/users`, { headers: { Authorization: su.authStore.token } });
    const text = await res.text();
    expect(Object.keys(JSON.parse(text)).slice(0, 13)).toEqual([
      "id",
      "listRule",
      "viewRule",
      "createRule",
      "updateRule",
      "deleteRule",
      "name",
      "type",
      "fields",
      "indexes",
      "created",
      "updated",
      "system",
    ]);
    expect(text).not.toContain('"secret"');
    expect(text).toContain('"authToken":{"duration":');
    expect((await failure(su.collections.getOne("missing"))).status).toBe(404);
  });
});

describe("create and update", () => {
  test("create a base collection with a unique index; validation errors as upstream", async () => {
    const c = await su.collections.create({
      name: "articles",
      type: "base",
      fields: [
        { name: "slug", type: "text", required: true },
        { name: "body", type: "editor" },
      ],
      indexes: ["CREATE UNIQUE INDEX idx_articles_slug ON articles (slug)"],
      listRule: "",
    });
    expect(c.id).toBe("pbc_" + Bun.hash.crc32("basearticles"));
    expect(c.fields.map((f: any) => [f.name, f.id])).toEqual([
      ["id", "text3208210256"],
      ["slug", "text" + Bun.hash.crc32("slug")],
      ["body", "editor" + Bun.hash.crc32("body")],
    ]);
    const indexes = await withDataDb(srv.dataDir, (d) => d.tableIndexes("articles"));
    if (TEST_DB === "sqlite") {
      expect(indexes.get("idx_articles_slug")).toBe("CREATE UNIQUE INDEX `idx_articles_slug` ON `articles` (`slug`)");
    } else {
      expect(indexes.get("idx_articles_slug")).toMatch(
        /^CREATE UNIQUE INDEX "?idx_articles_slug"? ON .*articles.* \("?slug"?\)$/,
      );
    }

    const dup = await failure(su.collections.create({ name: "Articles", fields: [{ name: "", type: "text" }] }));
    expect(dup.status).toBe(400);
    expect(dup.message).toBe("Failed to create collection.");
    expect(dup.data.name.code).toBe("validation_collection_name_exists");
    expect(dup.data.fields["1"].name).toEqual({ code: "validation_required", message: "Cannot be blank." });

    const badIndex = await failure(
      su.collections.create({
        name: "x1",
        fields: [{ name: "a", type: "text" }],
        indexes: ["create index i on x1 (missing)"],
      }),
    );
    expect(badIndex.data.indexes["0"].code).toBe("validation_invalid_index_expression");
    expect(await hasTable("x1")).toBe(false);

    const badType = await failure(su.collections.create({ name: "x2", fields: [{ name: "a", type: "nope" }] }));
    expect(badType.message).toBe("Failed to load the submitted data due to invalid formatting.");
    const badShape = await failure(su.collections.update("articles", { listRule: 123 }));
    expect(badShape).toEqual({
      status: 400,
      message: "Failed to load the submitted data due to invalid formatting.",
      data: {},
    });
  });

  test("update: rename a field keeping its data, add and drop fields, rename the collection", async () => {
    const posts = await su.collections.getOne("posts");
    const fields = posts.fields
      .map((f: any) => (f.name === "title" ? { ...f, name: "headline" } : f))
      .filter((f: any) => f.name !== "views");
    fields.push({ name: "published", type: "bool" });
    const updated = await su.collections.update("posts", { fields });
    expect(updated.fields.map((f: any) => f.name)).toEqual(["id", "headline", "published"]);
    expect(await rows("SELECT headline, published FROM posts ORDER BY headline")).toEqual([
      { headline: "first", published: 0 },
      { headline: "second", published: 0 },
    ]);
    expect(await columnNames("posts")).toEqual(["headline", "id", "published"]);

    const renamed = await su.collections.update(posts.id, { name: "entries" });
    expect(renamed.name).toBe("entries");
    expect(await rows("SELECT count(*) AS n FROM entries")).toEqual([{ n: 2 }]);
    await su.collections.update(posts.id, { name: "posts" });

    // a field without id is a new one: its column is dropped and re-added
    const again = await su.collections.getOne("posts");
    const stripped = again.fields.map((f: any) => (f.name === "headline" ? { name: "headline", type: "text" } : f));
    await su.collections.update("posts", { fields: stripped });
    expect(await rows("SELECT headline FROM posts")).toEqual([{ headline: "" }, { headline: "" }]);
  });

  test("update validation: type change, system fields, reserved names, auth options", async () => {
    const typeChange = await failure(su.collections.update("posts", { type: "auth", name: "comments" }));
    expect(typeChange.message).toBe("Failed to update collection.");
    expect(typeChange.data.type.code).toBe("validation_collection_type_change");
    expect(typeChange.data.name.code).toBe("validation_collection_name_exists");

    const reserved = await failure(su.collections.update("posts", { fields: [{ name: "expand", type: "text" }] }));
    expect(reserved.data.fields["1"].name.code).toBe("validation_not_in_invalid");

    const auth = await failure(su.collections.update("users", { passwordAuth: { identityFields: ["missing"] } }));
    expect(auth.data.passwordAuth.identityFields.code).toBe("validation_missing_field");

    const system = await failure(su.collections.update("_superusers", { listRule: "" }));
    expect(system.data.listRule.code).toBe("validation_collection_system_rule_change");

    // omitted options and secrets are kept on PATCH
    const before = (await rows("SELECT options FROM _collections WHERE name = 'users'")) as { options: string }[];
    await su.collections.update("users", { emailChangeToken: { duration: 1234 } });
    const after = (await rows("SELECT options FROM _collections WHERE name = 'users'")) as { options: string }[];
    const [o1, o2] = [JSON.parse(before[0]!.options), JSON.parse(after[0]!.options)];
    expect(o2.emailChangeToken).toEqual({ secret: o1.emailChangeToken.secret, duration: 1234 });
    expect(o2.authToken).toEqual(o1.authToken);
  });
});

describe("views", () => {
  test("create, dry run, read-only, delete protection of the source", async () => {
    const v = await su.collections.create({
      name: "post_views",
      type: "view",
      viewQuery: "select id, headline from posts",
    });
    expect(v.fields.map((f: any) => [f.name, f.type])).toEqual([
      ["id", "text"],
      ["headline", "text"],
    ]);
    expect(await rows("SELECT count(*) AS n FROM post_views")).toEqual([{ n: 2 }]);

    const dry = await su.send("/api/collections/meta/dry-run-view", {
      method: "POST",
      body: { query: "select id, headline as h from posts" },
    });
    expect(dry.fields.map((f: any) => f.name)).toEqual(["id", "h"]);
    expect(dry.sample.length).toBe(2);
    expect(dry.sample[0].collectionName).toMatch(/^temp_view_/);
    const bad = await failure(
      su.send("/api/collections/meta/dry-run-view", { method: "POST", body: { query: "select 1" } }),
    );
    expect(bad.message).toStartWith("Invalid view query. Raw error:");

    const invalid = await failure(su.collections.update("post_views", { viewQuery: "select nope from posts" }));
    expect(invalid.data.viewQuery.code).toBe("validation_invalid_view_query");

    const truncate = await failure(su.collections.truncate("post_views"));
    expect(truncate.message).toBe("View collections cannot be truncated since they don't store their own records.");

    const del = await failure(su.collections.delete("posts"));
    expect(del.status).toBe(400);
    expect(del.message).toBe("Failed to delete collection probably due to existing reference in comments.");

    await su.collections.delete("post_views");
    expect(await hasTable("post_views")).toBe(false);
  });
});

describe("delete and truncate", () => {
  test("system and referenced collections stay; truncate goes through record deletes", async () => {
    const system = await failure(su.collections.delete("_superusers"));
    expect(system).toEqual({ status: 400, message: "Failed to delete collection.", data: {} });
    expect((await failure(su.collections.delete("missing"))).status).toBe(404);

    // a required relation blocks deleting the referenced records
    const blocked = await failure(su.collections.truncate("posts"));
    expect(blocked.message).toBe(
      "Failed to truncate collection (most likely due to required cascade delete record references).",
    );
    expect(await rows("SELECT count(*) AS n FROM posts")).toEqual([{ n: 2 }]);

    await su.collections.truncate("comments");
    await su.collections.truncate("posts");
    expect(await rows("SELECT count(*) AS n FROM posts")).toEqual([{ n: 0 }]);

    await su.collections.delete("comments");
    await su.collections.delete("posts");
    expect([await hasTable("posts"), await hasTable("comments")]).toEqual([false, false]);
  });
});

describe("import", () => {
  test("creates and merges; deleteMissing removes the rest; failures roll back", async () => {
    await su.collections.import([
      { name: "books", type: "base", fields: [{ name: "title", type: "text" }] },
      { name: "book_titles", type: "view", viewQuery: "select id, title from books" },
    ] as any);
    expect((await su.collections.getOne("books")).fields.map((f: any) => f.name)).toEqual(["id", "title"]);
    expect((await su.collections.getOne("book_titles")).fields.map((f: any) => f.name)).toEqual(["id", "title"]);

    await su.collections.import([{ name: "books", fields: [{ name: "pages", type: "number" }] }] as any);
    expect((await su.collections.getOne("books")).fields.map((f: any) => f.name)).toEqual(["pages", "id", "title"]);

    const failed = await failure(su.collections.import([{ name: "bad name!", type: "base" }] as any));
    expect(failed.message).toBe("Failed to import collections.");
    expect(failed.data.collections.code).toBe("validation_collections_import_failure");

    const empty = await failure(su.collections.import([]));
    expect(empty).toEqual({
      status: 400,
      message: "An error occurred while validating the submitted data.",
      data: { collections: { code: "validation_required", message: "Cannot be blank." } },
    });

    const current = await su.collections.getFullList();
    const keep = current.filter((c) => c.name !== "book_titles");
    await su.collections.import(keep, true);
    const names = (await su.collections.getFullList()).map((c) => c.name);
    expect(names).not.toContain("book_titles");
    expect(names).toContain("books");
  });
});

describe("meta", () => {
  test("scaffolds and OAuth2 providers", async () => {
    const scaffolds = await su.collections.getScaffolds();
    expect(Object.keys(scaffolds)).toEqual(["auth", "base", "view"]);
    expect(scaffolds.auth!.id).toBe("");
    expect(scaffolds.auth!.name).toBe("");
    expect(scaffolds.auth!.fields.map((f: any) => f.name)).toEqual([
      "id",
      "password",
      "tokenKey",
      "email",
      "emailVisibility",
      "verified",
    ]);
    expect(JSON.stringify(scaffolds.auth)).not.toContain('"secret"');
    expect(scaffolds.view!.fields).toEqual([]);

    const providers = await su.send("/api/collections/meta/oauth2-providers", {});
    expect(providers[0]).toMatchObject({ name: "apple", displayName: "Apple" });
    expect(providers.find((p: any) => p.name === "oidc3").logo).toStartWith("<svg");
  });
});
