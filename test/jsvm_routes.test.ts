/**
 * JS routes and middlewares from real pb_hooks files (.pb.js and .pb.ts), driven over HTTP:
 * path params, route and global middlewares, $apis middlewares, response helpers and upstream's
 * JSON quirks, error mapping, require(), $app.store(), request info and bindBody.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type PocketBase from "pocketbase";
import type { TestServer } from "./harness.ts";
import { POSTS_MIGRATION, startJsServer, superuserClient } from "./support/jsvm.ts";

const MAIN = `
routerUse((e) => {
  e.response.header().set("X-Global", "1")
  return e.next()
})

routerAdd("GET", "/hello/{name}", (e) => {
  const name = e.request.pathValue("name")
  return e.json(200, { message: "Hello " + name, z: 1, a: "<b>&", n: 1.0 })
})

routerAdd("GET", "/mw", (e) => {
  return e.json(200, { order: e.get("order") })
}, (e) => {
  e.set("order", (e.get("order") || "") + "first,")
  return e.next()
}, new Middleware((e) => {
  e.set("order", (e.get("order") || "") + "prio,")
  return e.next()
}, -10, "myPrio"))

routerAdd("GET", "/auth-only", (e) => e.json(200, { id: e.auth.id, su: e.hasSuperuserAuth() }), $apis.requireSuperuserAuth())

routerAdd("GET", "/text", (e) => e.string(201, "plain"))
routerAdd("GET", "/html", (e) => e.html(200, "<p>hi</p>"))
routerAdd("GET", "/nothing", (e) => e.noContent(204))
routerAdd("GET", "/go", (e) => e.redirect(302, "/hello/redirected"))

routerAdd("GET", "/throw-plain", (e) => { throw new Error("secret detail") })
routerAdd("GET", "/throw-api", (e) => { throw new BadRequestError("Invalid code", { code: new ValidationError("invalid_code", "bad code") }) })
routerAdd("GET", "/return-error", (e) => { return new NotFoundError("gone") })
routerAdd("GET", "/missing-record", (e) => { $app.findRecordById("posts", "nope"); return e.json(200, {}) })
routerAdd("GET", "/catch-missing", (e) => {
  try { $app.findRecordById("posts", "nope") } catch (err) { return e.json(200, { message: err.message }) }
})

routerAdd("POST", "/echo", (e) => {
  const info = e.requestInfo()
  const data = new DynamicModel({ title: "", total: 0, ratio: -0, ok: false, tags: [], meta: {} })
  e.bindBody(data)
  return e.json(200, {
    method: info.method,
    query: info.query.q,
    header: info.headers["x_custom"],
    body: info.body,
    model: { title: data.title, total: data.total, ratio: data.ratio, ok: data.ok, tags: data.tags, meta: data.meta },
    cookie: e.request.header.get("X-Custom"),
  })
})

routerAdd("GET", "/counter", (e) => {
  const n = $app.store().setFunc("counter", (old) => (old || 0) + 1)
  return e.json(200, { n, seen: $app.store().has("counter") })
})

routerAdd("GET", "/util", (e) => {
  const util = require(\`\${__hooks}/lib/util.js\`)
  // a relative path not found in the working directory is tried against the hooks dir
  const again = require("./lib/util.js")
  return e.json(200, { shout: util.shout("hey"), cfg: require(\`\${__hooks}/lib/config.json\`).name, same: again === util })
})

routerAdd("GET", "/closure", (e) => {
  return e.json(200, { type: typeof topLevelValue })
})
const topLevelValue = 42

routerAdd("GET", "/records", (e) => {
  const list = $app.findRecordsByFilter("posts", "views >= {:min}", "-views", 10, 0, { min: 2 })
  return e.json(200, list)
})

routerAdd("GET", "/records/{id}/get", (e) => {
  const r = $app.findRecordById("posts", e.request.pathValue("id"))
  return e.json(200, {
    title: r.get("title"),
    titleProp: r.title === undefined,
    views: r.getInt("views"),
    created: typeof r.get("created"),
    createdStr: r.getDateTime("created").string().length,
    json: JSON.parse(r.getString("data")),
    jsonDirect: r.get("data").x,
    tags: r.get("tags"),
    coll: r.collection().name,
    isNew: r.isNew(),
  })
})

routerAdd("POST", "/records/save", (e) => {
  const col = $app.findCollectionByNameOrId("posts")
  const r = new Record(col, { title: "from js", views: 3 })
  r.set("tags", ["a", "b"])
  $app.save(r)
  let failed = ""
  try { $app.save(new Record(col, {})) } catch (err) { failed = err.message }
  return e.json(200, { id: r.id, isNew: r.isNew(), failed, count: $app.countRecords("posts") })
})

routerAdd("POST", "/tx", (e) => {
  const col = $app.findCollectionByNameOrId("audit")
  try {
    $app.runInTransaction((txApp) => {
      const r = new Record(col, { action: "tx" })
      txApp.save(r)
      throw new Error("rollback please")
    })
  } catch (err) {}
  $app.runInTransaction((txApp) => {
    txApp.save(new Record(col, { action: "tx-ok" }))
  })
  const rows = arrayOf(new DynamicModel({ action: "", n: 0 }))
  $app.db().select("action", "COUNT(*) as n").from("audit").where($dbx.like("action", "tx")).groupBy("action").orderBy("action ASC").all(rows)
  return e.json(200, { rows: rows.map((r) => ({ action: r.action, n: r.n })) })
})

routerAdd("POST", "/tx-reads", (e) => {
  // findRecordsByFilter in a transaction sees its uncommitted writes (outside, it reads on the pool)
  const col = $app.findCollectionByNameOrId("audit")
  let inside = -1
  try {
    $app.runInTransaction((txApp) => {
      txApp.save(new Record(col, { action: "tx-reads" }))
      inside = txApp.findRecordsByFilter("audit", "action = 'tx-reads'").length
      throw new Error("rollback")
    })
  } catch (err) {}
  const after = $app.findRecordsByFilter("audit", "action = 'tx-reads'").length
  $app.save(new Record(col, { action: "tx-reads" }))
  const committed = $app.findRecordsByFilter("audit", "action = 'tx-reads'").length
  return e.json(200, { inside, after, committed })
})
`;

const TS_FILE = `
interface Greeting { text: string; count: number }
function shout(s: string): string { return s.toUpperCase() }
routerAdd("GET", "/ts", (e: any) => {
  const g: Greeting = { text: "typed", count: 2 }
  return e.json(200, g)
})
`;

const UTIL = `
module.exports = {
  shout: (s) => s.toUpperCase() + "!",
}
`;

let srv: TestServer;
let pb: PocketBase;

beforeAll(async () => {
  srv = await startJsServer({
    hooks: {
      "main.pb.js": MAIN,
      "typed.pb.ts": TS_FILE,
      "lib/util.js": UTIL,
      "lib/config.json": JSON.stringify({ name: "cfg" }),
    },
    migrations: { "1700000000_posts.js": POSTS_MIGRATION },
  });
  pb = await superuserClient(srv);
}, 30_000);

afterAll(async () => {
  await srv?.stop();
});

const get = (path: string, init?: RequestInit) => fetch(srv.url + path, init);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (r: Response): Promise<any> => r.json();

test("a route with a path param answers JSON with Go's key order and escaping", async () => {
  const r = await get("/hello/world");
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("application/json");
  expect(r.headers.get("x-global")).toBe("1");
  expect(await r.text()).toBe('{"a":"\\u003cb\\u003e\\u0026","message":"Hello world","n":1,"z":1}\n');
});

test("route middlewares run by priority, then the handler", async () => {
  const r = await get("/mw");
  expect(await json(r)).toEqual({ order: "prio,first," });
});

test("$apis.requireSuperuserAuth guards a route", async () => {
  expect((await get("/auth-only")).status).toBe(401);
  const r = await get("/auth-only", { headers: { Authorization: pb.authStore.token } });
  expect(r.status).toBe(200);
  expect(await json(r)).toEqual({ id: pb.authStore.record!.id, su: true });
});

test("string, html, noContent and redirect responses", async () => {
  let r = await get("/text");
  expect(r.status).toBe(201);
  expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
  expect(await r.text()).toBe("plain");
  r = await get("/html");
  expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(await r.text()).toBe("<p>hi</p>");
  r = await get("/nothing");
  expect(r.status).toBe(204);
  r = await get("/go", { redirect: "manual" });
  expect(r.status).toBe(302);
  expect(r.headers.get("location")).toBe("/hello/redirected");
});

test("errors: plain throws hide the message, ApiErrors keep theirs, a missing record is 404", async () => {
  let r = await get("/throw-plain");
  expect(r.status).toBe(400);
  expect(await json(r)).toEqual({
    data: {},
    message: "Something went wrong while processing your request.",
    status: 400,
  });
  r = await get("/throw-api");
  expect(r.status).toBe(400);
  expect(await json(r)).toEqual({
    data: { code: { code: "invalid_code", message: "Bad code." } },
    message: "Invalid code.",
    status: 400,
  });
  r = await get("/return-error");
  expect(r.status).toBe(404);
  expect((await json(r)).message).toBe("Gone.");
  r = await get("/missing-record");
  expect(r.status).toBe(404);
  expect((await json(r)).message).toBe("The requested resource wasn't found.");
  r = await get("/catch-missing");
  expect(await json(r)).toEqual({ message: "sql: no rows in result set" });
});

test("requestInfo and bindBody into a DynamicModel", async () => {
  const r = await get("/echo?q=search", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Custom": "hdr" },
    body: JSON.stringify({ title: "T", total: "12", ratio: 1.5, ok: true, tags: ["x"], meta: { a: 1 } }),
  });
  expect(r.status).toBe(200);
  expect(await json(r)).toEqual({
    method: "POST",
    query: "search",
    header: "hdr",
    body: { title: "T", total: "12", ratio: 1.5, ok: true, tags: ["x"], meta: { a: 1 } },
    model: { title: "T", total: 12, ratio: 1.5, ok: true, tags: ["x"], meta: { a: 1 } },
    cookie: "hdr",
  });
});

test("$app.store() is shared across calls and workers", async () => {
  const results = await Promise.all(Array.from({ length: 6 }, () => get("/counter").then(json)));
  const ns = results.map((x: { n: number }) => x.n).sort((a, b) => a - b);
  expect(ns).toEqual([1, 2, 3, 4, 5, 6]);
});

test("require() loads CommonJS modules and JSON relative to __hooks", async () => {
  const r = await get("/util");
  expect(await json(r)).toEqual({ shout: "HEY!", cfg: "cfg", same: true });
});

test("handlers do not see the file's top-level names (upstream's serialisation)", async () => {
  expect(await json(await get("/closure"))).toEqual({ type: "undefined" });
});

test("a .pb.ts file has its types stripped", async () => {
  expect(await json(await get("/ts"))).toEqual({ count: 2, text: "typed" });
});

test("records: save, find, typed getters and JSON quirks", async () => {
  let r = await get("/records/save", { method: "POST" });
  const saved = await json(r);
  expect(saved.isNew).toBe(false);
  expect(saved.failed).toContain("title");
  expect(saved.count).toBe(1);

  await pb.collection("posts").create({ title: "two", views: 5, data: { x: 1 }, tags: ["c"] });
  r = await get("/records");
  const list = await json(r);
  expect(list.map((x: { title: string }) => x.title)).toEqual(["two", "from js"]);
  expect(Object.keys(list[0])).toEqual([...Object.keys(list[0])].sort());

  const two = list[0];
  r = await get(`/records/${two.id}/get`);
  expect(await json(r)).toEqual({
    title: "two",
    titleProp: true,
    views: 5,
    created: "object",
    createdStr: 24,
    json: { x: 1 },
    // record.get() of a JSON field gives raw bytes: .x is undefined, which Go encodes as null
    jsonDirect: null,
    tags: ["c"],
    coll: "posts",
    isNew: false,
  });
});

test("runInTransaction rolls back on a throw; the query builder reads with $dbx", async () => {
  const r = await get("/tx", { method: "POST" });
  expect(await json(r)).toEqual({ rows: [{ action: "tx-ok", n: 1 }] });
});

test("findRecordsByFilter reads a transaction's own writes inside it and committed rows outside", async () => {
  const r = await get("/tx-reads", { method: "POST" });
  expect(await json(r)).toEqual({ inside: 1, after: 0, committed: 1 });
});
