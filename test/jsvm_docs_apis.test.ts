/**
 * The JS APIs upstream's JS docs show (pocketbase/site docs/js-*), each answered by a route of a real
 * pb_hooks file: logger groups (read back through /api/logs), collectionQuery / recordQuery /
 * logQuery into arrayOf(...), $http.send with a FormData body (received by a local server),
 * e.fileFS, $app.subscriptionsBroker() with a live SSE client, $app.newFilesystem(),
 * $app.newBackupsFilesystem() with $app.createBackup(), $filesystem.local and the logs helpers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type PocketBase from "pocketbase";
import { TEST_DB, type TestServer } from "./harness.ts";
import { POSTS_MIGRATION, startJsServer, superuserClient } from "./support/jsvm.ts";

const DOCS_MIGRATION = `/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  const docs = new Collection({
    type: "base",
    name: "docs",
    listRule: "",
    viewRule: "",
    createRule: "",
    fields: [
      { type: "text", name: "title" },
      { type: "file", name: "document", maxSelect: 1, maxSize: 1000000 },
    ],
  });
  app.save(docs);
}, (app) => {
  app.delete(app.findCollectionByNameOrId("docs"));
})
`;

const HOOKS = `
routerAdd("POST", "/log", (e) => {
  $app.logger().withGroup("sub").info("grouped", "total", 1)
  $app.logger().with("a", 1).withGroup("g").with("b", 2).withGroup("h").info("mixed", "c", 3)
  $app.logger().withGroup("empty").info("bare")
  return e.json(200, {})
})

routerAdd("GET", "/logs-query", (e) => {
  let logs = arrayOf(new DynamicModel({ id: "", created: "", message: "", level: 0, data: {} }))
  $app.logQuery().
    andWhere($dbx.in("level", -4, 0)).
    // the engine's own JSON syntax (logs live in PostgreSQL too under --db)
    andWhere($dbx.exp($app.dbDialect() === "postgres" ? "(data::jsonb #>> '{sub,total}')::float8 = 1" : "json_extract(data, '$.sub.total') = 1")).
    orderBy("created DESC").
    limit(100).
    all(logs)
  return e.json(200, logs.map((l) => ({ id: l.id, message: l.message, level: l.level, data: l.data })))
})

routerAdd("GET", "/logs-misc/{id}", (e) => {
  const log = $app.findLogById(e.request.pathValue("id"))
  const stats = $app.logsStats($dbx.exp("message = 'grouped'"))
  let missing = ""
  try { $app.findLogById("nope") } catch (err) { missing = err.message }
  return e.json(200, { message: log.message, data: log.data, total: stats.reduce((n, s) => n + s.total, 0), missing })
})

routerAdd("DELETE", "/logs-old", (e) => {
  $app.deleteOldLogs(new DateTime())
  return e.json(200, {})
})

routerAdd("GET", "/collections-query", (e) => {
  const all = arrayOf(new Collection)
  $app.collectionQuery().
    andWhere($dbx.hashExp({ "viewRule": null })).
    orderBy("created DESC").
    all(all)
  const one = new Collection()
  $app.collectionQuery().andWhere($dbx.hashExp({ name: "posts" })).one(one)
  const recs = arrayOf(new Record)
  $app.recordQuery("posts").orderBy("title ASC").all(recs)
  const dyn = arrayOf(new DynamicModel({ id: "", title: "", views: 0 }))
  $app.recordQuery("posts").orderBy("title ASC").all(dyn)
  const r = new Record()
  $app.recordQuery("posts").andWhere($dbx.hashExp({ title: "b" })).one(r)
  const d = new DynamicModel({ title: "", views: 0 })
  $app.recordQuery("posts").andWhere($dbx.hashExp({ title: "a" })).one(d)
  return e.json(200, {
    names: all.map((c) => c.name),
    allCollections: all.every((c) => c instanceof Collection),
    one: { name: one.name, type: one.type, fields: one.fields.map((f) => f.name), listRule: one.listRule },
    recs: recs.map((x) => x.get("title")),
    recsAreRecords: recs.every((x) => x instanceof Record),
    dyn: dyn.map((x) => ({ title: x.title, views: x.views })),
    r: r.get("title"),
    d: { title: d.title, views: d.views },
  })
})

routerAdd("POST", "/send-form", (e) => {
  const url = e.requestInfo().body.url
  const formData = new FormData()
  formData.append("title", "Hello world!")
  formData.append("documents", $filesystem.fileFromBytes("doc1", "doc1.txt"))
  formData.append("documents", $filesystem.fileFromBytes("doc2", "doc2.txt"))
  formData.append("photo", $filesystem.fileFromPath(__hooks + "/assets/hello.txt"))
  const res = $http.send({ url, method: "POST", body: formData })
  return e.json(200, { status: res.statusCode, parts: res.json })
})

routerAdd("GET", "/fs/{path...}", (e) => e.fileFS($os.dirFS(__hooks + "/assets"), e.request.pathValue("path")))

routerAdd("POST", "/broker/send", (e) => {
  const message = new SubscriptionMessage({ name: "example", data: JSON.stringify({ hello: "world" }) })
  const clients = $app.subscriptionsBroker().clients()
  const seen = []
  for (let clientId in clients) {
    const c = clients[clientId]
    seen.push({ key: clientId, id: c.id(), subs: Object.keys(c.subscriptions()), has: c.hasSubscription("example") })
    if (clients[clientId].hasSubscription("example")) clients[clientId].send(message)
  }
  return e.json(200, { total: $app.subscriptionsBroker().totalClients(), seen })
})

routerAdd("POST", "/broker/discard/{id}", (e) => {
  const c = $app.subscriptionsBroker().clientById(e.request.pathValue("id"))
  c.discard()
  let missing = ""
  try { $app.subscriptionsBroker().clientById("nope") } catch (err) { missing = err.message }
  return e.json(200, { discarded: c.isDiscarded(), missing })
})

routerAdd("POST", "/fsys", (e) => {
  const out = {}
  let fsys, reader
  try {
    fsys = $app.newFilesystem()
    fsys.upload(toBytes("hello fs"), "jsfs/a.txt")
    out.exists = fsys.exists("jsfs/a.txt")
    reader = fsys.getReader("jsfs/a.txt")
    out.content = toString(reader)
    out.size = reader.size()
    out.contentType = fsys.attributes("jsfs/a.txt").contentType
    fsys.copy("jsfs/a.txt", "jsfs/b.txt")
    out.list = fsys.list("jsfs/").map((o) => o.key).sort()
    const f = fsys.getReuploadableFile("jsfs/a.txt", true)
    out.reupload = { name: f.name, size: f.size }
    fsys.delete("jsfs/b.txt")
    out.afterDelete = fsys.exists("jsfs/b.txt")
    let missing = ""
    try { fsys.getReader("jsfs/nope.txt") } catch (err) { missing = err.message }
    out.missing = missing
  } finally {
    reader?.close()
    fsys?.close()
  }
  // closing the script's handle leaves the app's storage usable
  const again = $app.newFilesystem()
  out.afterClose = toString(again.getReader("jsfs/a.txt"))
  again.deletePrefix("jsfs/")
  out.cleaned = !again.exists("jsfs/a.txt")
  return e.json(200, out)
})

routerAdd("GET", "/record-file/{id}", (e) => {
  const record = $app.findRecordById("docs", e.request.pathValue("id"))
  const key = record.baseFilesPath() + "/" + record.get("document")
  let fsys, reader, content
  try {
    fsys = $app.newFilesystem()
    reader = fsys.getReader(key)
    content = toString(reader)
  } finally {
    reader?.close()
    fsys?.close()
  }
  return e.json(200, { key, content })
})

routerAdd("GET", "/fsys-serve", (e) => {
  const fsys = $app.newFilesystem()
  fsys.upload(toBytes("served!"), "jsserve/s.txt")
  fsys.serve(e.response, e.request, "jsserve/s.txt", "s.txt")
})

routerAdd("POST", "/backup", (e) => {
  $app.createBackup(new Context(), "js_backup.zip")
  const fsys = $app.newBackupsFilesystem()
  try {
    return e.json(200, { keys: fsys.list("").map((o) => o.key), exists: fsys.exists("js_backup.zip") })
  } finally {
    fsys.close()
  }
})

routerAdd("POST", "/schema-helpers", (e) => {
  $app.saveView("v_posts", "select id, title from posts")
  const viewFields = $app.createViewFields("select id, title, views from posts").map((f) => f.name + ":" + f.type())
  const viewRows = arrayOf(new DynamicModel({ title: "" }))
  $app.db().newQuery("SELECT title FROM v_posts ORDER BY title").all(viewRows)
  const hadView = $app.hasTable("v_posts")
  $app.deleteView("v_posts")
  $app.db().newQuery("CREATE TABLE tmp_js (id TEXT)").execute()
  const hadTable = $app.hasTable("tmp_js")
  $app.deleteTable("tmp_js")
  $app.deleteExpiredMFAs()
  $app.deleteExpiredOTPs()
  $app.auxVacuum()
  const users = $app.findCollectionByNameOrId("users")
  return e.json(200, {
    viewFields,
    viewRows: viewRows.map((r) => r.title),
    hadView,
    viewGone: !$app.hasTable("v_posts"),
    hadTable,
    tableGone: !$app.hasTable("tmp_js"),
    auxLogs: $app.auxHasTable("_logs"),
    refs: Object.keys($app.findCachedCollectionReferences(users)).length,
  })
})

routerAdd("POST", "/fs-local", (e) => {
  const dir = $os.tempDir() + "/pbjs-local-" + $security.randomString(6)
  const fsys = $filesystem.local(dir)
  fsys.upload(toBytes("local!"), "x/y.txt")
  const text = toString($os.readFile(dir + "/x/y.txt"))
  const keys = fsys.list("").map((o) => o.key)
  fsys.close()
  $os.removeAll(dir)
  const s3 = $filesystem.s3("bucket", "region", "http://127.0.0.1:9", "key", "secret", true)
  s3.close()
  return e.json(200, { text, keys })
})
`;

let srv: TestServer;
let su: PocketBase;

beforeAll(async () => {
  srv = await startJsServer({
    hooks: {
      "main.pb.js": HOOKS,
      "assets/hello.txt": "hello from assets",
      "assets/sub/index.html": "<p>sub index</p>",
    },
    migrations: { "1700000000_posts.js": POSTS_MIGRATION, "1700000001_docs.js": DOCS_MIGRATION },
  });
  su = await superuserClient(srv);
});

afterAll(async () => {
  await srv?.stop();
});

const get = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(srv.url + path, init);
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, text, json };
};

/** Polls until `fn` returns a value (logs are written in batches, a few seconds after the call). */
async function eventually<T>(fn: () => Promise<T | null | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(200);
  }
}

describe("$app.logger() and the logs", () => {
  test("withGroup nests attributes; logQuery, findLogById, logsStats and deleteOldLogs read and prune them", async () => {
    expect((await get("/log", { method: "POST" })).status).toBe(200);
    const stored = await eventually(async () => {
      const list = await su.logs.getList(1, 50, {
        filter: "message = 'grouped' || message = 'mixed' || message = 'bare'",
      });
      return list.items.length === 3 ? list.items : null;
    });
    const byMessage = Object.fromEntries(stored.map((l) => [l.message, l.data]));
    expect(byMessage.grouped).toEqual({ sub: { total: 1 } });
    expect(byMessage.mixed).toEqual({ a: 1, g: { b: 2, h: { c: 3 } } });
    expect(byMessage.bare).toEqual({});

    const q = await get("/logs-query");
    expect(q.status).toBe(200);
    expect(q.json).toHaveLength(1);
    expect(q.json[0]).toMatchObject({ message: "grouped", level: 0, data: { sub: { total: 1 } } });

    const misc = await get(`/logs-misc/${q.json[0].id}`);
    expect(misc.status).toBe(200);
    expect(misc.json).toEqual({
      message: "grouped",
      data: { sub: { total: 1 } },
      total: 1,
      missing: "sql: no rows in result set",
    });

    expect((await get("/logs-old", { method: "DELETE" })).status).toBe(200);
    const after = await su.logs.getList(1, 50, { filter: "message = 'grouped'" });
    expect(after.items).toHaveLength(0);
  }, 60_000);
});

describe("model queries", () => {
  test("collectionQuery and recordQuery fill arrayOf(new Collection / new Record / new DynamicModel)", async () => {
    for (const [title, views] of [
      ["b", 2],
      ["a", 1],
    ] as const)
      await su.collection("posts").create({ title, views });
    const res = await get("/collections-query");
    expect(res.status).toBe(200);
    const body = res.json;
    // collections with a null view rule: _superusers is one, posts and users are not
    expect(body.names).toContain("_superusers");
    expect(body.names).not.toContain("posts");
    expect(body.names).not.toContain("users");
    expect(body.allCollections).toBe(true);
    expect(body.one).toEqual({
      name: "posts",
      type: "base",
      fields: ["id", "title", "secret", "views", "data", "tags", "created"],
      listRule: "",
    });
    expect(body.recs).toEqual(["a", "b"]);
    expect(body.recsAreRecords).toBe(true);
    expect(body.dyn).toEqual([
      { title: "a", views: 1 },
      { title: "b", views: 2 },
    ]);
    expect(body.r).toBe("b");
    expect(body.d).toEqual({ title: "a", views: 1 });
  });
});

test("schema and cleanup helpers: saveView, createViewFields, deleteView, deleteTable, deleteExpired*, aux*", async () => {
  await su.collection("posts").create({ title: "for view", views: 3 });
  const res = await get("/schema-helpers", { method: "POST" });
  expect(res.status).toBe(200);
  expect(res.json).toMatchObject({
    viewFields: ["id:text", "title:text", "views:number"],
    hadView: true,
    viewGone: true,
    hadTable: true,
    tableGone: true,
    auxLogs: true,
    refs: 0,
  });
  expect(res.json.viewRows).toContain("for view");
});

describe("$http.send with FormData", () => {
  test("files go as multipart parts under the names they were created with", async () => {
    const received: { field: string; filename?: string; value: string }[] = [];
    let contentType = "";
    const server = Bun.serve({
      port: 0,
      async fetch(req) {
        contentType = req.headers.get("content-type") ?? "";
        const form = await req.formData();
        for (const [field, v] of form.entries()) {
          if (typeof v === "string") received.push({ field, value: v });
          else received.push({ field, filename: (v as File).name, value: await (v as File).text() });
        }
        return Response.json({ ok: true, count: received.length });
      },
    });
    try {
      const res = await get("/send-form", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: `http://127.0.0.1:${server.port}/upload` }),
      });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ status: 200, parts: { ok: true, count: 4 } });
      expect(contentType).toStartWith("multipart/form-data; boundary=");
      expect(received).toEqual([
        { field: "title", value: "Hello world!" },
        { field: "documents", filename: "doc1.txt", value: "doc1" },
        { field: "documents", filename: "doc2.txt", value: "doc2" },
        { field: "photo", filename: "hello.txt", value: "hello from assets" },
      ]);
    } finally {
      server.stop(true);
    }
  });
});

describe("e.fileFS", () => {
  test("serves a file of an $os.dirFS, a directory's index.html, ranges, and 404 for missing or escaping paths", async () => {
    const file = await get("/fs/hello.txt");
    expect(file.status).toBe(200);
    expect(file.text).toBe("hello from assets");
    expect(file.headers.get("content-type")).toStartWith("text/plain");

    const dir = await get("/fs/sub");
    expect(dir.status).toBe(200);
    expect(dir.text).toBe("<p>sub index</p>");
    expect(dir.headers.get("content-type")).toStartWith("text/html");

    const range = await get("/fs/hello.txt", { headers: { range: "bytes=0-4" } });
    expect(range.status).toBe(206);
    expect(range.text).toBe("hello");

    const missing = await get("/fs/nope.txt");
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe("File not found.");

    const escaping = await get("/fs/sub/..%2F..%2Fmain.pb.js");
    expect(escaping.status).toBe(404);
  });
});

describe("$app.subscriptionsBroker()", () => {
  test("lists the connected clients with their subscriptions, sends them messages and discards them", async () => {
    const abort = new AbortController();
    const stream = await fetch(`${srv.url}/api/realtime`, { signal: abort.signal });
    const reader = stream.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    const readUntil = async (cond: () => boolean) => {
      while (!cond()) {
        const { done, value } = await reader.read();
        if (done) return false;
        text += dec.decode(value, { stream: true });
      }
      return true;
    };
    try {
      await readUntil(() => /^id:\w+\n/.test(text));
      const clientId = /^id:(\w+)\n/.exec(text)![1]!;
      const sub = await fetch(`${srv.url}/api/realtime`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ clientId, subscriptions: ["example"] }),
      });
      expect(sub.status).toBe(204);

      const sent = await get("/broker/send", { method: "POST" });
      expect(sent.status).toBe(200);
      expect(sent.json.total).toBeGreaterThanOrEqual(1);
      expect(sent.json.seen).toContainEqual({ key: clientId, id: clientId, subs: ["example"], has: true });

      expect(await readUntil(() => text.includes("event:example"))).toBe(true);
      await readUntil(() => /event:example\ndata:.*\n/.test(text));
      expect(/event:example\ndata:(.*)\n/.exec(text)![1]).toBe('{"hello":"world"}');

      const discarded = await get(`/broker/discard/${clientId}`, { method: "POST" });
      expect(discarded.json).toEqual({ discarded: true, missing: 'no client associated with connection ID "nope"' });
      // the discarded client's stream ends
      expect(await readUntil(() => false)).toBe(false);
    } finally {
      abort.abort();
    }
  });
});

describe("filesystems", () => {
  test("$app.newFilesystem(): upload, read, attributes, copy, list, re-upload, delete; close leaves the app's storage open", async () => {
    const res = await get("/fsys", { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      exists: true,
      content: "hello fs",
      size: 8,
      list: ["jsfs/a.txt", "jsfs/b.txt"],
      reupload: { name: "a.txt", size: 8 },
      afterDelete: false,
      afterClose: "hello fs",
      cleaned: true,
    });
    expect(res.json.contentType).toStartWith("text/plain");
    expect(res.json.missing).not.toBe("");
  });

  test("a record's file read through getReader, as the docs show", async () => {
    const form = new FormData();
    form.append("title", "with file");
    form.append("document", new File(["record file content"], "notes.txt", { type: "text/plain" }));
    const rec = await su.collection("docs").create(form);
    const res = await get(`/record-file/${rec.id}`);
    expect(res.status).toBe(200);
    expect(res.json.content).toBe("record file content");
    expect(res.json.key).toBe(`${rec.collectionId}/${rec.id}/${rec.document}`);
  });

  test("serve answers the request with the stored file", async () => {
    const res = await get("/fsys-serve");
    expect(res.status).toBe(200);
    expect(res.text).toBe("served!");
  });

  // backups are SQLite-only (a PostgreSQL database is backed up with its own tools)
  test.skipIf(TEST_DB === "postgres")(
    "$app.createBackup() and $app.newBackupsFilesystem()",
    async () => {
      const res = await get("/backup", { method: "POST" });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ keys: ["js_backup.zip"], exists: true });
      const list = await su.backups.getFullList();
      expect(list.map((b) => b.key)).toContain("js_backup.zip");
    },
    60_000,
  );

  test("$filesystem.local and $filesystem.s3 build filesystems", async () => {
    const res = await get("/fs-local", { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ text: "local!", keys: ["x/y.txt"] });
  });
});
