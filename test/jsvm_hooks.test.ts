/**
 * JS hooks on the core bus, driven with the official SDK: request hooks that change and refuse
 * writes, model hooks, an audit trail written from an after-success hook (a nested save from a
 * JS hook), onRecordEnrich hiding and adding fields, tags, `e.next()` semantics, onBootstrap.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type PocketBase from "pocketbase";
import type { TestServer } from "./harness.ts";
import { POSTS_MIGRATION, startJsServer, superuserClient } from "./support/jsvm.ts";

const HOOKS = `
onBootstrap((e) => {
  e.next()
  // the DB is ready after e.next()
  $app.store().set("collectionsAtBoot", $app.findAllCollections().length)
})

routerAdd("GET", "/boot", (e) => e.json(200, { n: $app.store().get("collectionsAtBoot") }))

onRecordCreateRequest((e) => {
  const title = e.record.get("title")
  if (title === "forbidden") throw new BadRequestError("This title is not allowed.")
  e.record.set("title", title.toUpperCase())
  return e.next()
}, "posts")

onRecordCreate((e) => {
  if (e.record.getInt("views") === 0) e.record.set("views", 1)
  e.next()
}, "posts")

onRecordValidate((e) => {
  if (e.record.getString("secret") === "invalid") throw new BadRequestError("bad secret", { secret: new ValidationError("bad_secret", "nope") })
  e.next()
}, "posts")

onRecordAfterCreateSuccess((e) => {
  const audit = $app.findCollectionByNameOrId("audit")
  const entry = new Record(audit)
  entry.set("action", "created")
  entry.set("ref", e.record.id)
  entry.set("note", e.record.getString("title"))
  $app.save(entry)
  e.next()
}, "posts")

onRecordUpdateRequest((e) => {
  const before = e.record.original().getString("title")
  const after = e.record.getString("title")
  e.next()
  $app.save(new Record($app.findCollectionByNameOrId("audit"), { action: "updated", ref: e.record.id, note: before + " -> " + after }))
}, "posts")

onRecordDeleteRequest((e) => {
  if (e.record.getString("title").includes("LOCKED")) throw new ForbiddenError("Locked posts cannot be deleted.")
  return e.next()
}, "posts")

onRecordViewRequest((e) => {
  if (e.record.getString("title") === "HIJACK") {
    // no e.next(): the chain stops; this handler answers instead
    return e.json(200, { hijacked: true })
  }
  return e.next()
}, "posts")

onRecordEnrich((e) => {
  if (!e.requestInfo.auth || !e.requestInfo.auth.isSuperuser()) e.record.hide("secret")
  e.record.withCustomData(true)
  e.record.set("titleLength", e.record.getString("title").length)
  return e.next()
}, "posts")

onRecordsListRequest((e) => {
  e.response.header().set("X-Total", String(e.result.totalItems))
  return e.next()
}, "posts")

// a handler tagged for another collection never runs for posts
onRecordCreateRequest((e) => {
  throw new Error("must not run for posts")
}, "audit")

onRecordAfterCreateSuccess((e) => {
  $app.store().set("auditHookFor", e.record.getString("action"))
  e.next()
}, "audit")

routerAdd("GET", "/audit-hook", (e) => e.json(200, { last: $app.store().get("auditHookFor") }))

routerAdd("POST", "/bulk/{n}", (e) => {
  const n = parseInt(e.request.pathValue("n"))
  $app.runInTransaction((tx) => {
    for (let i = 0; i < n; i++) {
      tx.db().insert("posts", { id: "bulk" + String(i).padStart(11, "0"), title: "BULK " + i, views: 1, created: "2024-01-01 00:00:00.000Z" }).execute()
    }
  })
  return e.noContent(204)
})
`;

let srv: TestServer;
let pb: PocketBase;
let guest: PocketBase;

beforeAll(async () => {
  srv = await startJsServer({
    hooks: { "hooks.pb.js": HOOKS },
    migrations: { "1700000000_posts.js": POSTS_MIGRATION },
  });
  pb = await superuserClient(srv);
  guest = srv.sdk();
}, 30_000);

afterAll(async () => {
  await srv?.stop();
});

test("onBootstrap runs its after-next code with the DB open", async () => {
  const r = (await (await fetch(srv.url + "/boot")).json()) as { n: number };
  expect(r.n).toBeGreaterThan(4);
});

test("a create request hook changes the data; a model hook fills a default; an after hook audits", async () => {
  const rec = await guest.collection("posts").create({ title: "hello", secret: "s1" });
  expect(rec.title).toBe("HELLO");
  expect(rec.views).toBe(1);
  expect(rec.secret).toBeUndefined(); // hidden by onRecordEnrich for guests
  expect(rec.titleLength).toBe(5);
  const audit = await pb.collection("audit").getFullList({ filter: `ref = "${rec.id}"` });
  expect(audit.map((a) => [a.action, a.note])).toEqual([["created", "HELLO"]]);
  // the audit save fired the audit collection's own JS hook (a hook inside a hook)
  expect(await (await fetch(srv.url + "/audit-hook")).json()).toEqual({ last: "created" });
});

test("request and validation hooks refuse writes with their errors", async () => {
  const err1 = await guest
    .collection("posts")
    .create({ title: "forbidden" })
    .catch((e) => e);
  expect(err1.status).toBe(400);
  expect(err1.response.message).toBe("This title is not allowed.");
  const err2 = await guest
    .collection("posts")
    .create({ title: "ok", secret: "invalid" })
    .catch((e) => e);
  expect(err2.status).toBe(400);
  expect(err2.response.data).toEqual({ secret: { code: "bad_secret", message: "Nope." } });
  const list = await pb.collection("posts").getFullList({ filter: `title = "FORBIDDEN" || title = "OK"` });
  expect(list).toHaveLength(0);
});

test("an update hook audits the change after e.next()", async () => {
  const rec = await guest.collection("posts").create({ title: "first" });
  await guest.collection("posts").update(rec.id, { title: "second" });
  const audit = await pb.collection("audit").getFullList({ filter: `ref = "${rec.id}" && action = "updated"` });
  expect(audit.map((a) => a.note)).toEqual(["FIRST -> second"]);
});

test("a delete hook refuses with 403", async () => {
  const rec = await guest.collection("posts").create({ title: "locked one" });
  const err = await guest
    .collection("posts")
    .delete(rec.id)
    .catch((e) => e);
  expect(err.status).toBe(403);
  expect(err.response.message).toBe("Locked posts cannot be deleted.");
  expect((await pb.collection("posts").getOne(rec.id)).id).toBe(rec.id);
});

test("not calling e.next() stops the chain; the hook's own response is sent", async () => {
  const rec = await guest.collection("posts").create({ title: "hijack" });
  const r = await fetch(`${srv.url}/api/collections/posts/records/${rec.id}`);
  expect(await r.json()).toEqual({ hijacked: true });
});

test("enrich hides fields per requester and lists carry the hook's header", async () => {
  await guest.collection("posts").create({ title: "shown", secret: "topsecret" });
  const asGuest = await guest.collection("posts").getFullList({ filter: `title = "SHOWN"` });
  expect(asGuest[0]!.secret).toBeUndefined();
  const asSu = await pb.collection("posts").getFullList({ filter: `title = "SHOWN"` });
  expect(asSu[0]!.secret).toBe("topsecret");
  const r = await fetch(`${srv.url}/api/collections/posts/records?perPage=1`);
  expect(Number(r.headers.get("x-total"))).toBeGreaterThan(1);
});

test("onRecordEnrich on a 400-record page: one nested JS call per record, spread over workers", async () => {
  expect((await fetch(srv.url + "/bulk/400", { method: "POST" })).status).toBe(204);
  const page = await guest.collection("posts").getList(1, 400, { filter: `title ~ "BULK"`, skipTotal: true });
  expect(page.items).toHaveLength(400);
  expect(page.items.every((r) => r.titleLength === r.title.length && r.secret === undefined)).toBe(true);
}, 30_000);
