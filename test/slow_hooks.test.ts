/**
 * A slow hook stalls only its own request (issue 14, item 6; upstream runs create/update hook
 * chains outside any transaction, core/db.go). An onRecordCreate / onRecordUpdate hook on `slow`
 * waits 800 ms — `sleep(800)` in a pb_hooks file, `await Bun.sleep(800)` in TypeScript — and,
 * over real HTTP: writes to `fast` started meanwhile each answer in under 300 ms, two concurrent
 * writes to `slow` finish together in under 1.4 s, and /api/health answers in under 150 ms
 * throughout. The bounds are the acceptance.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { startServer as startInProcess, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { TextField } from "../src/core/fields/index.ts";
import { tempDir, type TestServer, testAppConfig } from "./harness.ts";
import { startJsServer } from "./support/jsvm.ts";

const NAP_MS = 800;

const JS_HOOKS = `
onRecordCreate((e) => { sleep(${NAP_MS}); e.next() }, "slow")
onRecordUpdate((e) => { sleep(${NAP_MS}); e.next() }, "slow")
`;

const JS_MIGRATION = `
migrate((app) => {
  for (const name of ["slow", "fast"]) {
    app.save(new Collection({
      type: "base", name,
      listRule: "", viewRule: "", createRule: "", updateRule: "",
      fields: [{ type: "text", name: "title" }],
    }))
  }
})
`;

interface Timed {
  status: number;
  body: { id?: string; title?: string };
  start: number;
  end: number;
  ms: number;
}

async function timed(url: string, method: string, body?: unknown): Promise<Timed> {
  const start = performance.now();
  const res = await fetch(url, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await res.json()) as Timed["body"];
  const end = performance.now();
  return { status: res.status, body: json, start, end, ms: end - start };
}

/** Polls /api/health every 20 ms until `stop()`; the slowest answer and how many there were. */
function healthPoller(base: string) {
  let done = false;
  let worst = 0;
  let count = 0;
  const loop = (async () => {
    while (!done) {
      const t = performance.now();
      const r = await fetch(base + "/api/health");
      await r.text();
      if (r.status !== 200) throw new Error(`health answered ${r.status}`);
      worst = Math.max(worst, performance.now() - t);
      count++;
      await Bun.sleep(20);
    }
  })();
  return async () => {
    done = true;
    await loop;
    return { worst, count };
  };
}

/**
 * One slow write, then three fast writes while its hook waits, then two slow writes at once.
 * `write(collection, i)` issues one create or update.
 */
async function runScenario(base: string, write: (collection: "slow" | "fast", i: number) => Promise<Timed>) {
  const stopHealth = healthPoller(base);
  try {
    await writes(write);
  } finally {
    const health = await stopHealth();
    expect(health.count).toBeGreaterThan(10);
    expect(health.worst).toBeLessThan(150);
  }
}

async function writes(write: (collection: "slow" | "fast", i: number) => Promise<Timed>) {
  const slow = write("slow", 0);
  await Bun.sleep(100); // its hook is asleep now
  const fast = await Promise.all([1, 2, 3].map((i) => write("fast", i)));
  const slowDone = await slow;

  expect(slowDone.status).toBe(200);
  expect(slowDone.ms).toBeGreaterThanOrEqual(NAP_MS - 50); // the hook did wait
  for (const f of fast) {
    expect(f.status).toBe(200);
    // each fast write ran while the slow hook was waiting, not after it
    expect(f.end).toBeLessThan(slowDone.end);
    expect(f.ms).toBeLessThan(300);
  }

  const t = performance.now();
  const pair = await Promise.all([write("slow", 1), write("slow", 2)]);
  const together = performance.now() - t;
  for (const p of pair) {
    expect(p.status).toBe(200);
    expect(p.ms).toBeGreaterThanOrEqual(NAP_MS - 50);
  }
  expect(together).toBeLessThan(1400);
}

/** Creates and updates in both collections of the server at `base`. */
function scenarios(base: () => string) {
  test("creates: a slow onRecordCreate stalls only its own request", async () => {
    await runScenario(base(), (c, i) =>
      timed(`${base()}/api/collections/${c}/records`, "POST", { title: `${c}-${i}` }),
    );
  });

  test("updates: a slow onRecordUpdate stalls only its own request", async () => {
    // records to update: three fast ones, three slow ones (the slow creates nap in parallel)
    const ids: Record<string, string[]> = { slow: [], fast: [] };
    for (const c of ["slow", "fast"] as const) {
      const made = await Promise.all(
        [0, 1, 2].map((i) => timed(`${base()}/api/collections/${c}/records`, "POST", { title: `seed-${i}` })),
      );
      ids[c] = made.map((m) => m.body.id!);
    }
    await runScenario(base(), async (c, i) => {
      const id = ids[c]![c === "fast" ? i - 1 : i]!;
      const r = await timed(`${base()}/api/collections/${c}/records/${id}`, "PATCH", { title: `updated-${i}` });
      expect(r.body.title).toBe(`updated-${i}`);
      return r;
    });
  });
}

describe("pb_hooks (sleep in QuickJS)", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startJsServer({ hooks: { "slow.pb.js": JS_HOOKS }, migrations: { "1_init.js": JS_MIGRATION } });
  });
  afterAll(async () => {
    await srv?.stop();
  });
  scenarios(() => srv.url);
});

describe("TypeScript hooks (await Bun.sleep)", () => {
  let app: App;
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    app = new App(await testAppConfig({ dataDir: dir }));
    await app.bootstrap();
    for (const name of ["slow", "fast"]) {
      const c = newBaseCollection(name);
      c.fields.add(new TextField({ name: "title" }));
      c.listRule = c.viewRule = c.createRule = c.updateRule = "";
      await saveCollection(app, c);
    }
    const nap = async (e: { next(): Promise<void> }) => {
      await Bun.sleep(NAP_MS);
      await e.next();
    };
    app.onRecordCreate("slow").bindFunc(nap);
    app.onRecordUpdate("slow").bindFunc(nap);
    server = await startInProcess(app, { http: "127.0.0.1:0" });
  });
  afterAll(async () => {
    await server?.stop();
    await app?.terminate();
    rmSync(dir, { recursive: true, force: true });
  });
  scenarios(() => server.url);
});
