/**
 * `async` handlers in pb_hooks (upstream's goja runs the promise jobs before a handler returns):
 * routes, middlewares, `routerUse`, record hooks and cron jobs whose code after an `await` runs and
 * decides the outcome, over HTTP against a real server. Host calls block the worker, so an awaited
 * `$http.send` has its answer when the job queue runs.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type PocketBase from "pocketbase";
import type { TestServer } from "./harness.ts";
import { POSTS_MIGRATION, startJsServer, superuserClient } from "./support/jsvm.ts";

const MAIN = `
routerUse(async (e) => {
  await null
  e.response.header().set("X-Async-Global", "1")
  return e.next()
})

routerAdd("POST", "/async/send", async (e) => {
  const url = e.requestInfo().body.url
  const res = await $http.send({ url: url, method: "GET" })
  return e.json(200, { status: res.statusCode, got: res.json })
})

routerAdd("GET", "/async/mw", async (e) => {
  const n = await Promise.resolve(2)
  return e.json(200, { order: e.get("order") + "handler" + n })
}, async (e) => {
  await Promise.resolve()
  e.set("order", "mw,")
  const r = await e.next()
  return r
})

routerAdd("GET", "/async/reject", async (e) => {
  await null
  throw new BadRequestError("async nope", { field: new ValidationError("bad_field", "Bad field.") })
})

routerAdd("GET", "/async/reject-plain", async (e) => {
  await null
  return Promise.reject(new Error("plain async failure"))
})

routerAdd("GET", "/async/resolve-error", async (e) => {
  await null
  return new NotFoundError("resolved to an error")
})

routerAdd("GET", "/async/never", async (e) => {
  await new Promise(() => {})
  return e.json(200, { unreachable: true })
})

routerAdd("POST", "/async/save", async (e) => {
  const col = $app.findCollectionByNameOrId("audit")
  const r = new Record(col, { action: "route-save" })
  await null
  $app.save(r)
  return e.json(200, { id: r.id, ref: r.getString("ref") })
})

// an async callback handed to a host call (runInTransaction) finishes inside the transaction
routerAdd("POST", "/async/tx", async (e) => {
  const col = $app.findCollectionByNameOrId("audit")
  try {
    await $app.runInTransaction(async (txApp) => {
      await null
      txApp.save(new Record(col, { action: "tx-async-rolled-back" }))
      throw new Error("roll it back")
    })
  } catch (err) {}
  $app.runInTransaction(async (txApp) => {
    await null
    txApp.save(new Record(col, { action: "tx-async-kept" }))
  })
  return e.json(200, {
    kept: $app.countRecords("audit", $dbx.hashExp({ action: "tx-async-kept" })),
    rolledBack: $app.countRecords("audit", $dbx.hashExp({ action: "tx-async-rolled-back" })),
  })
})

// awaited code runs before the record is saved
onRecordCreateRequest(async (e) => {
  const n = await $app.countRecords("audit")
  e.record.set("note", "async hook saw " + n)
  return e.next()
}, "audit")

// a hook fired by a host call of an async route (nested run) is async too
onRecordCreate(async (e) => {
  await null
  if (e.record.getString("action") === "route-save") e.record.set("ref", "nested-async")
  return e.next()
}, "audit")

// a sync handler's unawaited .then runs before the handler returns (as goja), not in a later one
routerAdd("GET", "/sync/then", (e) => {
  Promise.resolve().then(() => { $app.store().set("thenRan", "yes") })
  return e.json(200, {})
})
routerAdd("GET", "/sync/then-check", (e) => e.json(200, { v: $app.store().get("thenRan") || "no" }))

cronAdd("asyncjob", "0 0 1 1 *", async () => {
  await null
  const col = $app.findCollectionByNameOrId("audit")
  $app.save(new Record(col, { action: "cron-async" }))
})
`;

let srv: TestServer;
let pb: PocketBase;
let upstream: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req) => Response.json({ path: new URL(req.url).pathname, answer: 42 }),
  });
  srv = await startJsServer({ hooks: { "main.pb.js": MAIN }, migrations: { "1700000000_posts.js": POSTS_MIGRATION } });
  pb = await superuserClient(srv);
}, 30_000);

afterAll(async () => {
  await srv?.stop();
  upstream?.stop(true);
});

const get = (path: string, init?: RequestInit) => fetch(srv.url + path, init);

test("an async route that awaits $http.send answers with the fetched result", async () => {
  const r = await get("/async/send", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: `http://127.0.0.1:${upstream.port}/upstream/x` }),
  });
  expect(r.status).toBe(200);
  expect(r.headers.get("X-Async-Global")).toBe("1");
  expect(await r.json()).toEqual({ status: 200, got: { answer: 42, path: "/upstream/x" } });
});

test("async middlewares run their awaited code and e.next() continues the chain", async () => {
  const r = await get("/async/mw");
  expect(r.status).toBe(200);
  expect(await r.json()).toEqual({ order: "mw,handler2" });
});

test("a rejected promise gives the same error envelope as a thrown error", async () => {
  let r = await get("/async/reject");
  expect(r.status).toBe(400);
  expect(await r.json()).toEqual({
    status: 400,
    message: "Async nope.",
    data: { field: { code: "bad_field", message: "Bad field." } },
  });
  r = await get("/async/reject-plain");
  expect(r.status).toBe(400);
  expect(await r.json()).toEqual({
    status: 400,
    message: "Something went wrong while processing your request.",
    data: {},
  });
  // resolving to an error counts like returning it
  r = await get("/async/resolve-error");
  expect(r.status).toBe(404);
  expect(((await r.json()) as { message: string }).message).toBe("Resolved to an error.");
});

test("a promise that nothing can settle fails the request instead of answering empty", async () => {
  const r = await get("/async/never");
  expect(r.status).toBe(400);
  // log writes are queued: poll for the entry
  let details = "";
  for (let i = 0; i < 100 && !details; i++) {
    const logs = await pb.logs.getList(1, 5, { filter: `data.url = "/async/never"` });
    details = String(logs.items[0]?.data.details ?? "");
    if (!details) await Bun.sleep(100);
  }
  expect(details).toContain("did not finish");
});

test("an async onRecordCreateRequest hook's awaited code runs before the record is saved", async () => {
  const before = (await pb.collection("audit").getList(1, 1)).totalItems;
  const rec = await pb.collection("audit").create({ action: "via-api" });
  expect(rec.note).toBe(`async hook saw ${before}`);
  const stored = await pb.collection("audit").getOne(rec.id);
  expect(stored.note).toBe(`async hook saw ${before}`);
});

test("an async hook fired inside an async route (a nested run) finishes before the save returns", async () => {
  const r = await get("/async/save", { method: "POST" });
  expect(r.status).toBe(200);
  const body = (await r.json()) as { id: string; ref: string };
  expect(body.ref).toBe("nested-async");
  expect((await pb.collection("audit").getOne(body.id)).ref).toBe("nested-async");
});

test("an async cron job's awaited code runs", async () => {
  const r = await fetch(srv.url + "/api/crons/asyncjob", {
    method: "POST",
    headers: { Authorization: pb.authStore.token },
  });
  expect(r.status).toBe(204);
  // the run endpoint does not wait for the job: poll for its record
  let found = 0;
  for (let i = 0; i < 100 && found === 0; i++) {
    found = (await pb.collection("audit").getList(1, 1, { filter: `action = "cron-async"` })).totalItems;
    if (found === 0) await Bun.sleep(100);
  }
  expect(found).toBe(1);
});

test("a sync handler's unawaited promise jobs run before it returns", async () => {
  expect(await (await get("/sync/then-check")).json()).toEqual({ v: "no" });
  expect((await get("/sync/then")).status).toBe(200);
  expect(await (await get("/sync/then-check")).json()).toEqual({ v: "yes" });
});

test("code after an await is held to --hooksTimeout like any script", async () => {
  const limited = await startJsServer(
    {
      hooks: {
        "spin.pb.js": `
routerAdd("GET", "/async/spin", async (e) => {
  await null
  while (true) {}
})
routerAdd("GET", "/async/ok", async (e) => {
  const v = await Promise.resolve("fine")
  return e.json(200, { v })
})
`,
      },
    },
    { args: ["--hooksTimeout=1000"] },
  );
  try {
    const r = await fetch(limited.url + "/async/spin");
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      status: 400,
      message: "Something went wrong while processing your request.",
      data: {},
    });
    expect(limited.output()).toContain("time limit");
    // the stopped script's state is dropped; the next async handler runs normally
    const ok = await fetch(limited.url + "/async/ok");
    expect(await ok.json()).toEqual({ v: "fine" });
  } finally {
    await limited.stop();
  }
}, 30_000);

test("an async callback given to runInTransaction finishes inside it; its rejection rolls it back", async () => {
  const r = await get("/async/tx", { method: "POST" });
  expect(r.status).toBe(200);
  expect(await r.json()).toEqual({ kept: 1, rolledBack: 0 });
});
