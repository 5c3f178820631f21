/**
 * Attack class: one collection taking over another's API path. `/api/collections/{nameOrId}/...`
 * accepts ids and names alike, so a collection whose id is another's name (or whose name is
 * another's id) could shadow it — e.g. an open auth collection with id "_superusers". Upstream
 * (core/collection_validate.go checkUniqueName) refuses a name equal to an existing id and its
 * lookup (FindCachedCollectionByNameOrId) keeps the older collection on the path; we also refuse an
 * id equal to another collection's name, on create, update and import.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { startServer, type TestServer } from "../harness.ts";
import { withDataDb } from "../support/db.ts";
import { startWithSuperuser } from "./support.ts";

let srv: TestServer;
let su: PocketBase;
let work = "";

beforeAll(async () => {
  ({ srv, su } = await startWithSuperuser());
  work = srv.workDir;
});
afterAll(() => srv?.stop());

async function post(path: string, body: unknown, method = "POST") {
  const res = await fetch(srv.url + path, {
    method,
    headers: { "content-type": "application/json", authorization: su.authStore.token },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

async function superuserCanLogIn() {
  const pb = srv.sdk();
  await pb.collection("_superusers").authWithPassword("root@example.com", "1234567890");
  return pb.authStore.record?.collectionName;
}

test("an auth collection with id _superusers is refused and superusers still log in", async () => {
  const r = await post("/api/collections", {
    id: "_superusers",
    name: "fakesu",
    type: "auth",
    createRule: "",
    listRule: "",
  });
  expect(r.status).toBe(400);
  expect(r.body.data.id.code).toBe("validation_collection_id_name_duplicate");
  expect(await su.collections.getFullList().then((l) => l.some((c) => c.name === "fakesu"))).toBe(false);
  expect(await superuserCanLogIn()).toBe("_superusers");
});

test("an id equal to another collection's name in other letter case is refused", async () => {
  const r = await post("/api/collections", { id: "USERS", name: "shadow", type: "base", listRule: "" });
  expect(r.status).toBe(400);
  expect(r.body.data.id.code).toBe("validation_collection_id_name_duplicate");
});

test("a name equal to another collection's id is refused", async () => {
  const users = await su.collections.getOne("users");
  const r = await post("/api/collections", { name: users.id, type: "base", listRule: "" });
  expect(r.status).toBe(400);
  expect(r.body.data.name.code).toBe("validation_collection_name_id_duplicate");
});

test("renaming a collection to another collection's id is refused", async () => {
  const superusers = await su.collections.getOne("_superusers");
  const mine = await su.collections.create({ name: "renameme", type: "base" });
  const r = await post(`/api/collections/${mine.id}`, { name: superusers.id }, "PATCH");
  expect(r.status).toBe(400);
  expect(r.body.data.name.code).toBe("validation_collection_name_id_duplicate");
  expect((await su.collections.getOne(mine.id)).name).toBe("renameme");
});

test("an import with a collection whose id is another's name is refused as a whole (nothing imported)", async () => {
  const r = await post(
    "/api/collections/import",
    {
      collections: [
        { name: "harmless", type: "base", fields: [{ name: "title", type: "text" }] },
        { id: "_superusers", name: "takeover", type: "auth", createRule: "", listRule: "", viewRule: "" },
      ],
      deleteMissing: false,
    },
    "PUT",
  );
  // the id names an existing collection, so the import matches it and refuses the id change
  expect(r.status).toBe(400);
  expect(r.body.data.collections.message).toContain("_superusers");
  const names = (await su.collections.getFullList()).map((c) => c.name);
  expect(names).not.toContain("takeover");
  expect(names).not.toContain("harmless");
  expect(await superuserCanLogIn()).toBe("_superusers");
});

test("an id equal to a name is fine when it is the collection's own (an update keeps working)", async () => {
  const c = await su.collections.create({
    id: "selfnamed12345",
    name: "selfnamed",
    type: "base",
    fields: [{ name: "t", type: "text" }],
  });
  const updated = await su.collections.update(c.id, { listRule: "" });
  expect(updated.listRule).toBe("");
});

test("when stored data already has an id equal to an older collection's name, the older one keeps the path", async () => {
  const older = await su.collections.create({
    name: "posts",
    type: "base",
    listRule: "",
    viewRule: "",
    fields: [{ name: "title", type: "text" }],
  });
  const newer = await su.collections.create({
    name: "intruder",
    type: "base",
    listRule: "",
    viewRule: "",
    fields: [{ name: "title", type: "text" }],
  });
  await su.collection("posts").create({ title: "the real post" });
  await su.collection("intruder").create({ title: "intruder's post" });
  await srv.stop({ keep: true });
  // what validation now refuses, written behind its back (e.g. by an older server)
  await withDataDb(join(work, "pb_data"), (db) =>
    db.run(`UPDATE ${db.dialect.quoteIdent("_collections")} SET id = 'posts' WHERE id = ?`, [newer.id]),
  );
  srv = await startServer({ workDir: work });
  su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", "1234567890");

  const guest = srv.sdk();
  const list = await guest.collection("posts").getFullList();
  expect(list.map((r) => r.title)).toEqual(["the real post"]);
  expect(list[0]!.collectionId).toBe(older.id);
  expect((await su.collections.getOne("posts")).id).toBe(older.id);
});
