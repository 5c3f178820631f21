/**
 * The sandbox limits and the threading model: a spinning hook and a memory-hungry hook are each
 * stopped within their limits and answer with an error envelope, while `/api/health` keeps
 * answering within 100 ms; `sleep` and `$http.send` block only their own handler.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import type { TestServer } from "./harness.ts";
import { startJsServer } from "./support/jsvm.ts";

const HOOKS = `
routerAdd("GET", "/spin", (e) => { while (true) {} })
routerAdd("GET", "/hog", (e) => {
  const keep = []
  for (let i = 0; ; i++) keep.push("x".repeat(1 << 16) + i)
})
routerAdd("GET", "/spin-caught", (e) => {
  try { while (true) {} } catch (err) { return e.json(200, { caught: true }) }
})
routerAdd("GET", "/ok", (e) => e.json(200, { ok: true }))
routerAdd("GET", "/sleep/{ms}", (e) => {
  const t = Date.now()
  sleep(parseInt(e.request.pathValue("ms")))
  return e.json(200, { slept: Date.now() - t })
})
routerAdd("POST", "/proxy", (e) => {
  const body = e.requestInfo().body
  const res = $http.send({
    url: body.url,
    method: "POST",
    body: JSON.stringify({ hello: "from js" }),
    headers: { "content-type": "application/json", "x-token": "abc" },
    timeout: 5,
  })
  return e.json(200, {
    status: res.statusCode,
    json: res.json,
    raw: toString(res.body),
    header: res.headers["X-Upstream"],
    cookie: res.cookies["sid"] ? res.cookies["sid"].value : null,
  })
})
routerAdd("GET", "/proxy-fail", (e) => {
  try {
    $http.send({ url: "http://127.0.0.1:1/nothing", timeout: 2 })
  } catch (err) {
    return e.json(200, { failed: true })
  }
  return e.json(200, { failed: false })
})
`;

let srv: TestServer;
let upstream: ReturnType<typeof Bun.serve>;

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = await req.text();
      await Bun.sleep(200); // a slow peer: the hook waits, the server does not
      return new Response(
        JSON.stringify({ got: JSON.parse(body || "null"), token: req.headers.get("x-token"), method: req.method }),
        {
          status: 201,
          headers: { "content-type": "application/json", "x-upstream": "yes", "set-cookie": "sid=42; Path=/" },
        },
      );
    },
  });
  srv = await startJsServer(
    { hooks: { "limits.pb.js": HOOKS } },
    { args: ["--hooksTimeout=1500", "--hooksMemory=64"] },
  );
}, 30_000);

afterAll(async () => {
  await srv?.stop();
  upstream?.stop(true);
});

/** Polls /api/health while `pending` runs; returns the slowest answer (ms). */
async function healthWhile(pending: Promise<unknown>): Promise<{ worst: number; count: number }> {
  let done = false;
  pending.finally(() => (done = true));
  let worst = 0;
  let count = 0;
  await Bun.sleep(30);
  while (!done) {
    const t = performance.now();
    const r = await fetch(srv.url + "/api/health");
    expect(r.status).toBe(200);
    await r.text();
    worst = Math.max(worst, performance.now() - t);
    count++;
    await Bun.sleep(20);
  }
  return { worst, count };
}

test("a spinning hook is stopped at --hooksTimeout with an error envelope; health answers meanwhile", async () => {
  const t0 = performance.now();
  const spin = fetch(srv.url + "/spin").then(async (r) => ({
    status: r.status,
    body: await r.json(),
    ms: performance.now() - t0,
  }));
  const health = await healthWhile(spin);
  const res = await spin;
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ data: {}, message: "Something went wrong while processing your request.", status: 400 });
  expect(res.ms).toBeGreaterThan(1400);
  expect(res.ms).toBeLessThan(5000);
  expect(health.count).toBeGreaterThan(5);
  expect(health.worst).toBeLessThan(100);
  expect(srv.output()).toContain("exceeded the 1500 ms time limit");
  // the interrupt cannot be caught by the script
  const caught = await fetch(srv.url + "/spin-caught");
  expect(caught.status).toBe(400);
  // the runtime was recycled: the next call works
  expect(await (await fetch(srv.url + "/ok")).json()).toEqual({ ok: true });
});

test("a memory-hungry hook is stopped at --hooksMemory; health answers meanwhile", async () => {
  const t0 = performance.now();
  const hog = fetch(srv.url + "/hog").then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { message: string },
    ms: performance.now() - t0,
  }));
  const health = await healthWhile(hog);
  const res = await hog;
  expect(res.status).toBe(400);
  expect(res.body.message).toBe("Something went wrong while processing your request.");
  expect(res.ms).toBeLessThan(5000);
  expect(health.worst).toBeLessThan(100);
  expect(srv.output()).toContain("exceeded the 64 MiB memory limit");
  expect(await (await fetch(srv.url + "/ok")).json()).toEqual({ ok: true });
});

test("sleep blocks only its handler", async () => {
  const slow = fetch(srv.url + "/sleep/600").then((r) => r.json());
  const health = await healthWhile(slow);
  expect(((await slow) as { slept: number }).slept).toBeGreaterThanOrEqual(590);
  expect(health.worst).toBeLessThan(100);
});

test("$http.send is synchronous to the script and reaches a local server", async () => {
  const call = fetch(srv.url + "/proxy", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: `http://127.0.0.1:${upstream.port}/echo` }),
  }).then((r) => r.json());
  const health = await healthWhile(call);
  expect(await call).toEqual({
    status: 201,
    json: { got: { hello: "from js" }, token: "abc", method: "POST" },
    raw: JSON.stringify({ got: { hello: "from js" }, token: "abc", method: "POST" }),
    header: ["yes"],
    cookie: "42",
  });
  expect(health.worst).toBeLessThan(100);
  expect(await (await fetch(srv.url + "/proxy-fail")).json()).toEqual({ failed: true });
});

test("a flood of slow calls waits for workers instead of starting a thread per call", async () => {
  // one pooled worker and at most 4 throw-away ones: 24 concurrent calls must not start 24 threads
  const small = await startJsServer(
    { hooks: { "sleep.pb.js": `routerAdd("GET", "/nap", (e) => { sleep(300); return e.json(200, { ok: true }) })` } },
    { args: ["--hooksPool=1"] },
  );
  const threads = () => readdirSync(`/proc/${small.proc.pid}/task`).length;
  try {
    expect((await fetch(small.url + "/nap")).status).toBe(200); // the pooled worker is up
    const idle = threads();
    let most = idle;
    const calls = Promise.all(Array.from({ length: 24 }, () => fetch(small.url + "/nap").then((r) => r.status)));
    let done = false;
    void calls.finally(() => (done = true));
    while (!done) {
      most = Math.max(most, threads());
      await Bun.sleep(20);
    }
    expect((await calls).every((s) => s === 200)).toBe(true);
    // a worker brings one or two threads: 4 more stay well below one per call (+47 without the cap)
    expect(most - idle).toBeLessThan(23);
  } finally {
    await small.stop();
  }
}, 60_000);
