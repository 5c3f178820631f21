/** Records API end to end with the official SDK against a real server process. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { App } from "../src/core/app.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import {
  AutodateField,
  BoolField,
  EditorField,
  JSONField,
  NumberField,
  RelationField,
  SelectField,
  TextField,
} from "../src/core/fields/index.ts";
import { runPb, startServer, tempDir, testAppConfig, type TestServer } from "./harness.ts";

let srv: TestServer;
let su: PocketBase;
let guest: PocketBase;

/** Builds the schema in-process on the pb_data the server will open. */
async function buildSchema(dataDir: string) {
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const authors = newBaseCollection("authors");
  authors.fields.add(
    new TextField({ name: "name", required: true }),
    new EditorField({ name: "bio" }),
    new TextField({ name: "secret", hidden: true }),
  );
  authors.listRule = authors.viewRule = "";
  await saveCollection(app, authors);

  const posts = newBaseCollection("posts");
  posts.fields.add(
    new TextField({ name: "title", required: true, max: 100 }),
    new NumberField({ name: "views" }),
    new SelectField({ name: "tags", values: ["a", "b", "c"], maxSelect: 3 }),
    new RelationField({ name: "author", collectionId: authors.id, maxSelect: 1, cascadeDelete: true }),
    new RelationField({ name: "coauthors", collectionId: authors.id, maxSelect: 5 }),
    new JSONField({ name: "meta" }),
    new BoolField({ name: "published" }),
    new EditorField({ name: "body" }),
    new AutodateField({ name: "created", onCreate: true }),
    new AutodateField({ name: "updated", onCreate: true, onUpdate: true }),
  );
  posts.listRule = posts.viewRule = posts.createRule = posts.updateRule = posts.deleteRule = "";
  await saveCollection(app, posts);

  const notes = newBaseCollection("notes");
  notes.fields.add(
    new TextField({ name: "text" }),
    new RelationField({ name: "author", collectionId: authors.id, maxSelect: 1, required: true }),
  );
  notes.listRule = notes.viewRule = notes.createRule = "";
  await saveCollection(app, notes);

  const tagsC = newBaseCollection("labels");
  tagsC.fields.add(new TextField({ name: "name" }), new BoolField({ name: "visible" }));
  tagsC.viewRule = "visible = true";
  tagsC.listRule = "";
  await saveCollection(app, tagsC);
  const hidden = newBaseCollection("hiddenrefs");
  hidden.fields.add(new TextField({ name: "name" }));
  await saveCollection(app, hidden);
  const tagged = newBaseCollection("tagged");
  tagged.fields.add(
    new TextField({ name: "title" }),
    new RelationField({ name: "labels", collectionId: tagsC.id, maxSelect: 5 }),
    new RelationField({ name: "ref", collectionId: hidden.id, maxSelect: 1 }),
  );
  tagged.listRule = tagged.viewRule = tagged.createRule = "";
  await saveCollection(app, tagged);

  const locked = newBaseCollection("locked");
  locked.fields.add(new TextField({ name: "x" }));
  await saveCollection(app, locked);
  const settings = app.settings();
  settings.batch.enabled = true;
  settings.batch.maxRequests = 10;
  await app.saveSettings(settings);
  await app.terminate();
}

beforeAll(async () => {
  const work = tempDir();
  const dataDir = join(work, "pb_data");
  await buildSchema(dataDir);
  expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dataDir}`])).code).toBe(0);
  srv = await startServer({ workDir: work });
  su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", "1234567890");
  guest = srv.sdk();
});
afterAll(() => srv?.stop());

describe("create, view, update", () => {
  test("a JSON create returns the record with upstream's keys, defaults and order", async () => {
    const a = await guest
      .collection("authors")
      .getList(1, 1)
      .catch(() => null);
    expect(a).not.toBeNull();
    const author = await su.collection("authors").create({ name: "Ann", secret: "s3" });
    const res = await fetch(`${srv.url}/api/collections/posts/records`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ title: "<Hello>", author: author.id, tags: ["b", "a"] }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const rec = JSON.parse(text);
    expect(Object.keys(rec)).toEqual([
      "author",
      "body",
      "coauthors",
      "collectionId",
      "collectionName",
      "created",
      "id",
      "meta",
      "published",
      "tags",
      "title",
      "updated",
      "views",
    ]);
    expect(text).toContain('"title":"\\u003cHello\\u003e"');
    expect(rec).toMatchObject({
      author: author.id,
      body: "",
      coauthors: [],
      meta: null,
      published: false,
      tags: ["b", "a"],
      views: 0,
      collectionName: "posts",
    });
    expect(rec.id).toMatch(/^[a-z0-9]{15}$/);
    expect(rec.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(rec.updated).toBe(rec.created);

    const viewed = await guest.collection("posts").getOne(rec.id);
    expect(viewed.title).toBe("<Hello>");
  });

  test("modifiers: number +/-, list append/prepend/remove, autogenerate", async () => {
    const p = await guest.collection("posts").create({ title: "m", views: 5, tags: ["a"] });
    let u = await guest.collection("posts").update(p.id, { "views+": 3, "tags+": "c", "+tags": "b" });
    expect(u.views).toBe(8);
    expect(u.tags).toEqual(["b", "a", "c"]);
    u = await guest.collection("posts").update(p.id, { "views-": 10, "tags-": ["a", "b"] });
    expect(u.views).toBe(-2);
    expect(u.tags).toEqual(["c"]);
    const g = await guest
      .collection("posts")
      .create({ "title:autogenerate": "x" })
      .catch((e) => e);
    // title has no autogenerate pattern: the prefix alone is the value
    expect(g.title).toBe("x");
  });

  test("multipart bodies with @jsonPayload and inferred form values", async () => {
    const form = new FormData();
    form.append("title", "from form");
    form.append("views", "42");
    form.append("published", "true");
    form.append("@jsonPayload", JSON.stringify({ meta: { a: [1, 2] }, tags: ["a", "b"] }));
    const rec = await guest.collection("posts").create(form);
    expect(rec).toMatchObject({
      title: "from form",
      views: 42,
      published: true,
      meta: { a: [1, 2] },
      tags: ["a", "b"],
    });
  });

  test("validation errors come back in the envelope; unknown records are 404", async () => {
    const res = await fetch(`${srv.url}/api/collections/posts/records`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(400);
    expect(body.message).toBe("Failed to create record.");
    expect(body.data.title.code).toBe("validation_required");
    await expect(guest.collection("posts").getOne("nope")).rejects.toMatchObject({ status: 404 });
    await expect(guest.collection("missing").getList()).rejects.toMatchObject({ status: 404 });
  });
});

describe("rules and visibility", () => {
  test("a null rule is superusers only (403 for others)", async () => {
    await expect(guest.collection("locked").getList()).rejects.toMatchObject({ status: 403 });
    await expect(guest.collection("locked").create({ x: "1" })).rejects.toMatchObject({ status: 403 });
    expect((await su.collection("locked").create({ x: "1" })).x).toBe("1");
  });

  test("hidden fields: dropped from guest input and output, visible to superusers", async () => {
    const a = await su.collection("authors").create({ name: "Hid", secret: "top" });
    const asGuest = await guest.collection("authors").getOne(a.id);
    expect("secret" in asGuest).toBe(false);
    expect((await su.collection("authors").getOne(a.id)).secret).toBe("top");
  });

  test("client filters may not use @request or @collection", async () => {
    await expect(guest.collection("posts").getList(1, 5, { filter: "@request.auth.id = ''" })).rejects.toMatchObject({
      status: 403,
    });
  });
});

describe("list, expand, fields", () => {
  test("filter, sort, paging and skipTotal", async () => {
    for (let i = 0; i < 5; i++) await guest.collection("posts").create({ title: `page-${i}`, views: i });
    const page = await guest.collection("posts").getList(1, 2, { filter: "title ~ 'page-'", sort: "-views" });
    expect(page.totalItems).toBe(5);
    expect(page.totalPages).toBe(3);
    expect(page.items.map((r) => r.title)).toEqual(["page-4", "page-3"]);
    const fast = await guest
      .collection("posts")
      .getList(2, 2, { filter: "title ~ 'page-'", sort: "views", skipTotal: true });
    expect(fast.totalItems).toBe(-1);
    expect(fast.items.map((r) => r.title)).toEqual(["page-2", "page-3"]);
  });

  test("expand single, multiple and back-relations", async () => {
    const a = await su.collection("authors").create({ name: "Exp" });
    const b = await su.collection("authors").create({ name: "Co" });
    const p = await guest.collection("posts").create({ title: "exp", author: a.id, coauthors: [a.id, b.id] });
    const got = await guest.collection("posts").getOne(p.id, { expand: "author,coauthors" });
    expect(got.expand?.author.name).toBe("Exp");
    expect(got.expand?.coauthors.map((x: any) => x.name)).toEqual(["Exp", "Co"]);
    expect("secret" in got.expand!.author).toBe(false);
    const back = await guest.collection("authors").getOne(a.id, { expand: "posts_via_author" });
    expect(back.expand?.posts_via_author.map((x: any) => x.title)).toEqual(["exp"]);
  });

  test("expand applies each related collection's view rule; superusers see everything", async () => {
    const shown = await su.collection("labels").create({ name: "shown", visible: true });
    const secret = await su.collection("labels").create({ name: "secret", visible: false });
    const ref = await su.collection("hiddenrefs").create({ name: "only-su" });
    const t = await guest.collection("tagged").create({ title: "t", labels: [shown.id, secret.id], ref: ref.id });
    const asGuest = await guest.collection("tagged").getOne(t.id, { expand: "labels,ref" });
    expect(asGuest.expand?.labels.map((x: any) => x.name)).toEqual(["shown"]);
    expect(asGuest.expand?.ref).toBeUndefined();
    const asSu = await su.collection("tagged").getOne(t.id, { expand: "labels,ref" });
    expect(asSu.expand?.labels.map((x: any) => x.name)).toEqual(["shown", "secret"]);
    expect(asSu.expand?.ref.name).toBe("only-su");
  });

  test("fields picks nested paths and excerpts", async () => {
    const p = await guest
      .collection("posts")
      .create({ title: "f", body: "<p>Hello <b>big</b> world, this is long</p>" });
    const res = await fetch(`${srv.url}/api/collections/posts/records/${p.id}?fields=id,body:excerpt(9,true)`);
    expect(await res.json()).toEqual({ body: "Hello big...", id: p.id });
  });
});

describe("delete", () => {
  test("cascade delete removes dependants; a required relation blocks", async () => {
    const a = await su.collection("authors").create({ name: "Casc" });
    const p = await guest.collection("posts").create({ title: "dep", author: a.id });
    const n = await guest.collection("notes").create({ text: "n", author: a.id });
    await expect(su.collection("authors").delete(a.id)).rejects.toMatchObject({ status: 400 });
    expect((await guest.collection("posts").getOne(p.id)).id).toBe(p.id); // nothing half-deleted
    await su.collection("notes").delete(n.id);
    await su.collection("authors").delete(a.id);
    await expect(guest.collection("posts").getOne(p.id)).rejects.toMatchObject({ status: 404 });
  });
});

describe("batch", () => {
  test("refused while disabled in settings", async () => {
    const s = await startServer();
    try {
      const b = s.sdk().createBatch();
      b.collection("posts").create({ title: "b0" });
      await expect(b.send()).rejects.toMatchObject({ status: 403 });
    } finally {
      await s.stop();
    }
  });

  test("runs sub-requests in order in one transaction and returns their responses", async () => {
    const b = guest.createBatch();
    b.collection("posts").create({ title: "batch-1", views: 1 });
    b.collection("posts").create({ title: "batch-2", views: 2 });
    const out = await b.send();
    expect(out.map((r: any) => r.status)).toEqual([200, 200]);
    expect(out.map((r: any) => r.body.title)).toEqual(["batch-1", "batch-2"]);
    const upd = guest.createBatch();
    upd.collection("posts").update(out[0].body.id, { "views+": 10 });
    upd.collection("posts").delete(out[1].body.id);
    upd.collection("posts").upsert({ id: out[0].body.id, title: "upserted" });
    const res = await upd.send();
    expect(res.map((r: any) => r.status)).toEqual([200, 204, 200]);
    expect(res[2].body.title).toBe("upserted");
    expect(res[2].body.views).toBe(11);
  });

  test("one failing sub-request rolls back the others and names its index", async () => {
    const b = guest.createBatch();
    b.collection("posts").create({ title: "rollback-me" });
    b.collection("posts").create({});
    const err = await b.send().catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.response.message).toBe("Batch transaction failed.");
    expect(err.response.data.requests["1"].code).toBe("batch_request_failed");
    expect(err.response.data.requests["1"].response.data.title.code).toBe("validation_required");
    const found = await guest.collection("posts").getList(1, 1, { filter: "title = 'rollback-me'" });
    expect(found.totalItems).toBe(0);
  });
});
