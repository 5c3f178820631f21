/**
 * Test data for the filter engine tests: a small schema saved through the collection API
 * (relations single and multiple, back-relations with and without a unique index, json, select,
 * geoPoint, hidden fields, an auth collection with email visibility, a locked collection) and
 * rows inserted directly.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "./app.ts";
import { newAuthCollection, newBaseCollection, newViewCollection } from "./collection.ts";
import { saveCollection } from "./collection_save.ts";
import {
  DateField,
  GeoPointField,
  JSONField,
  NumberField,
  RelationField,
  SelectField,
  TextField,
} from "./fields/index.ts";
import { Record } from "./record.ts";
import { findRecordById } from "./record_query.ts";
import { RequestInfo } from "./request_info.ts";

export interface TestData {
  app: App;
  dir: string;
  cleanup(): Promise<void>;
  /** A RequestInfo authenticated as the given record (or a guest one). */
  as(auth: Record | null, init?: Partial<RequestInfo>): RequestInfo;
  superuser: Record;
  ann: Record;
  bob: Record;
  cid: Record;
}

async function insert(app: App, table: string, row: { [k: string]: unknown }): Promise<void> {
  const cols = Object.keys(row);
  const values = cols.map((c) => {
    const v = row[c];
    if (Array.isArray(v) || (v !== null && typeof v === "object")) return JSON.stringify(v);
    if (typeof v === "boolean") return v ? 1 : 0;
    return v as string | number | null;
  });
  const q = app.db.dialect.quoteIdent;
  await app.db.run(
    `INSERT INTO ${q(table)} (${cols.map(q).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
    values,
  );
}

/** Builds the schema and rows in a fresh pb_data directory. */
export async function setupTestData(): Promise<TestData> {
  const dir = mkdtempSync(join(tmpdir(), "pb-filter-"));
  const app = new App({ dataDir: dir });
  await app.bootstrap();

  const orgs = newBaseCollection("orgs");
  orgs.listRule = "";
  orgs.viewRule = "";
  orgs.fields.add(new TextField({ name: "name" }), new TextField({ name: "secret", hidden: true }));
  await saveCollection(app, orgs);

  const locked = newBaseCollection("locked");
  locked.fields.add(new TextField({ name: "name" }));
  await saveCollection(app, locked);

  const members = newAuthCollection("members");
  members.listRule = "";
  members.viewRule = "";
  members.manageRule = "@request.auth.role = 'admin'";
  members.fields.add(
    new TextField({ name: "name" }),
    new TextField({ name: "role" }),
    new TextField({ name: "note", hidden: true }),
    new RelationField({ name: "org", collectionId: orgs.id, maxSelect: 1 }),
  );
  await saveCollection(app, members);

  const tags = newBaseCollection("tags");
  tags.listRule = "name != 'private'";
  tags.viewRule = "";
  tags.fields.add(new TextField({ name: "name" }));
  await saveCollection(app, tags);

  const posts = newBaseCollection("posts");
  posts.listRule = "";
  posts.viewRule = "";
  posts.fields.add(
    new TextField({ name: "title" }),
    new NumberField({ name: "views" }),
    new RelationField({ name: "author", collectionId: members.id, maxSelect: 1 }),
    new RelationField({ name: "tags", collectionId: tags.id, maxSelect: 5 }),
    new RelationField({ name: "locked", collectionId: locked.id, maxSelect: 1 }),
    new JSONField({ name: "data" }),
    new SelectField({ name: "status", values: ["draft", "live"], maxSelect: 1 }),
    new SelectField({ name: "labels", values: ["a", "b", "c"], maxSelect: 3 }),
    new GeoPointField({ name: "location" }),
    new DateField({ name: "published" }),
    new TextField({ name: "internal", hidden: true }),
  );
  await saveCollection(app, posts);

  const comments = newBaseCollection("comments");
  comments.listRule = "";
  comments.viewRule = "";
  comments.fields.add(
    new RelationField({ name: "post", collectionId: posts.id, maxSelect: 1 }),
    new TextField({ name: "message" }),
  );
  await saveCollection(app, comments);

  const covers = newBaseCollection("covers");
  covers.listRule = "";
  covers.fields.add(
    new RelationField({ name: "post", collectionId: posts.id, maxSelect: 1 }),
    new TextField({ name: "url" }),
  );
  covers.addIndex("idx_covers_post", true, "`post`");
  await saveCollection(app, covers);

  const likes = newBaseCollection("likes");
  likes.listRule = "";
  likes.fields.add(
    new RelationField({ name: "posts", collectionId: posts.id, maxSelect: 10 }),
    new TextField({ name: "who" }),
  );
  await saveCollection(app, likes);

  const postStats = newViewCollection("post_stats");
  postStats.listRule = "";
  postStats.viewQuery = "SELECT id, title, views FROM posts";
  await saveCollection(app, postStats);

  await insert(app, "orgs", { id: "org1aaaaaaaaaaa", name: "Acme", secret: "s1" });
  await insert(app, "orgs", { id: "org2aaaaaaaaaaa", name: "Globex", secret: "s2" });
  await insert(app, "locked", { id: "lock1aaaaaaaaaa", name: "L" });
  const member = (id: string, name: string, email: string, visible: boolean, org: string, role = "", note = "") =>
    insert(app, "members", {
      id,
      name,
      email,
      emailVisibility: visible,
      org,
      role,
      note,
      password: "x",
      tokenKey: id + "-token-key-0123456789012345678901234",
      verified: true,
    });
  await member("ann000000000000", "Ann", "ann@example.com", true, "org1aaaaaaaaaaa", "admin", "n1");
  await member("bob000000000000", "Bob", "bob@example.com", false, "org2aaaaaaaaaaa");
  await member("cid000000000000", "Cid", "cid@example.com", false, "", "", "n3");

  await insert(app, "tags", { id: "tagxaaaaaaaaaaa", name: "x" });
  await insert(app, "tags", { id: "tagyaaaaaaaaaaa", name: "y" });
  await insert(app, "tags", { id: "tagpaaaaaaaaaaa", name: "private" });

  const post = (row: { [k: string]: unknown }) =>
    insert(app, "posts", {
      status: "",
      labels: [],
      tags: [],
      location: { lon: 0, lat: 0 },
      author: "",
      locked: "",
      published: "",
      ...row,
    });
  await post({
    id: "p1aaaaaaaaaaaaa",
    title: "Hello world",
    views: 10,
    author: "ann000000000000",
    tags: ["tagxaaaaaaaaaaa", "tagyaaaaaaaaaaa"],
    data: { meta: { score: 7 }, arr: ["x", "y"] },
    status: "live",
    labels: ["a", "b"],
    location: { lon: 23.32, lat: 42.69 }, // Sofia
    published: "2024-03-01 10:00:00.000Z",
    internal: "i1",
    locked: "lock1aaaaaaaaaa",
  });
  await post({
    id: "p2aaaaaaaaaaaaa",
    title: "Second_post",
    views: 20,
    author: "bob000000000000",
    tags: ["tagxaaaaaaaaaaa"],
    data: { meta: { score: 3 } },
    status: "draft",
    labels: ["a"],
    location: { lon: 2.35, lat: 48.85 }, // Paris
    published: "2023-07-15 00:00:00.000Z",
  });
  await post({ id: "p3aaaaaaaaaaaaa", title: "third", views: 0, author: "", tags: [], data: null, labels: ["c"] });
  await post({
    id: "p4aaaaaaaaaaaaa",
    title: "fourth 100%",
    views: 5,
    author: "cid000000000000",
    tags: ["tagpaaaaaaaaaaa"],
    data: 5,
  });

  await insert(app, "comments", { id: "c1aaaaaaaaaaaaa", post: "p1aaaaaaaaaaaaa", message: "hi there" });
  await insert(app, "comments", { id: "c2aaaaaaaaaaaaa", post: "p1aaaaaaaaaaaaa", message: "hello" });
  await insert(app, "comments", { id: "c3aaaaaaaaaaaaa", post: "p2aaaaaaaaaaaaa", message: "hi" });
  await insert(app, "covers", { id: "v1aaaaaaaaaaaaa", post: "p1aaaaaaaaaaaaa", url: "a.png" });
  await insert(app, "likes", { id: "l1aaaaaaaaaaaaa", posts: ["p1aaaaaaaaaaaaa", "p2aaaaaaaaaaaaa"], who: "ann" });
  await insert(app, "likes", { id: "l2aaaaaaaaaaaaa", posts: ["p1aaaaaaaaaaaaa"], who: "bob" });

  const superuser = new Record(app.findCollection("_superusers")!);
  superuser.id = "su0000000000000";
  return {
    app,
    dir,
    superuser,
    ann: (await findRecordById(app, "members", "ann000000000000"))!,
    bob: (await findRecordById(app, "members", "bob000000000000"))!,
    cid: (await findRecordById(app, "members", "cid000000000000"))!,
    as: (auth, init = {}) => new RequestInfo({ method: "GET", ...init, auth }),
    async cleanup() {
      await app.terminate();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Words the fuzzers combine into (mostly invalid) identifiers. */
export const FUZZ_WORDS = [
  "id",
  "title",
  "views",
  "author",
  "tags",
  "locked",
  "data",
  "status",
  "labels",
  "location",
  "published",
  "internal",
  "name",
  "role",
  "note",
  "org",
  "email",
  "emailVisibility",
  "verified",
  "password",
  "tokenKey",
  "secret",
  "post",
  "message",
  "comments_via_post",
  "likes_via_posts",
  "posts_via_author",
  "members_via_org",
  "meta",
  "score",
  "lat",
  "lon",
  "0",
  "1",
  "created",
  "updated",
  "posts",
  "members",
  "missing",
];

/** Valid identifiers per test collection, so fuzzed filters also reach execution. */
export const FUZZ_PATHS: { readonly [collection: string]: readonly string[] } = {
  posts: [
    "id",
    "title",
    "views",
    "author",
    "tags",
    "data",
    "status",
    "labels",
    "published",
    "created",
    "internal",
    "author.name",
    "author.email",
    "author.org.name",
    "author.org.secret",
    "tags.name",
    "tags.id",
    "tags:length",
    "labels:each",
    "labels:length",
    "title:lower",
    "data.meta.score",
    "data.arr.0",
    "location.lat",
    "location.lon",
    "comments_via_post.message",
    "likes_via_posts.who",
    "covers_via_post.url",
    "locked.name",
    "@request.auth.id",
    "@request.auth.org.name",
    "@request.body.title",
    "@request.body.title:changed",
    "@request.body.tags:each",
    "@request.body.tags.name",
    "@request.query.q",
    "@request.headers.x_h",
    "@collection.tags.name",
    "@collection.members:m.role",
    "@now",
    "@todayStart",
  ],
  members: [
    "id",
    "name",
    "role",
    "note",
    "email",
    "emailVisibility",
    "verified",
    "org",
    "org.name",
    "posts_via_author.title",
    "@request.auth.id",
    "email:lower",
  ],
  orgs: ["id", "name", "secret", "members_via_org.name", "members_via_org.posts_via_author.views"],
  tags: ["id", "name", "posts_via_tags.title", "name:lower"],
  comments: ["id", "message", "post", "post.title", "post.author.name", "post.tags.name"],
  likes: ["id", "who", "posts", "posts.title", "posts:length", "posts:each"],
  post_stats: ["id", "title", "views"],
  locked: ["id", "name"],
};
