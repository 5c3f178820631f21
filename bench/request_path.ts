#!/usr/bin/env bun
/**
 * The server-side cost of one request, without HTTP: an in-process App, its router compiled as `serve`
 * compiles it, and Requests handed straight to the handler in a loop. What is left is pb's own work per
 * request (middlewares, rules, SQLite, records, JSON) — the part issue 20 cuts — measured without the
 * socket and parser costs a load generator adds (and without a load generator sharing the cores): a
 * steadier figure to compare two versions of a function by, though rounds still move by ~15% on a VM.
 * A CPU profile of it (`bun --cpu-prof bench/request_path.ts getOne`) charges garbage collection to
 * whichever native call allocated when it ran: SQLite's `get` shows ~17 µs there, 4–8 µs alone.
 *
 *   bun bench/request_path.ts [health|getOne|list|create ...] [--n=20000] [--rounds=5]
 *
 * Prints µs per request (median round) for each load. Request logs are off, as in bench/run.ts.
 */
import "../migrations/index.ts";
import { rmSync } from "node:fs";
import { buildRouter } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { notFound } from "../src/core/errors.ts";
import { AutodateField, BoolField, EditorField, SelectField, TextField } from "../src/core/fields/index.ts";
import { Record } from "../src/core/record.ts";
import { saveRecord } from "../src/core/record_save.ts";
import { tempDir } from "../test/harness.ts";

const flag = (n: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${n}=`))?.split("=")[1] ?? d);
const loads = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const N = flag("n", 20000);
const ROUNDS = flag("rounds", 5);

const dir = tempDir("pb-request-path-");
const app = new App({ dataDir: dir });
await app.bootstrap();
const settings = app.settings();
settings.logs.maxDays = 0;
await app.saveSettings(settings);

const posts = newBaseCollection("posts");
posts.fields.add(
  new TextField({ name: "title" }),
  new EditorField({ name: "description" }),
  new BoolField({ name: "public" }),
  new SelectField({ name: "type", maxSelect: 3, values: ["a", "b", "c", "d"] }),
  new AutodateField({ name: "created", onCreate: true }),
  new AutodateField({ name: "updated", onCreate: true, onUpdate: true }),
);
posts.listRule = posts.viewRule = posts.createRule = posts.updateRule = posts.deleteRule = "";
await saveCollection(app, posts);
const ids: string[] = [];
for (let i = 0; i < 2000; i++) {
  const r = new Record(app.findCollection("posts")!);
  r.load({ title: `post ${i}`, description: "<p>hello</p>", public: i % 2 === 0, type: ["a", "b"] });
  await saveRecord(app, r);
  ids.push(r.id);
}

const router = buildRouter(app, {});
const elysia = router.compile(
  app,
  () => {
    throw notFound();
  },
  () => ({ realIP: "127.0.0.1", remoteIP: "127.0.0.1" }),
);
const handle = (req: Request) => elysia.handle(req);
const base = "http://127.0.0.1:8090";
const body = JSON.stringify({ title: "new post", description: "<p>x</p>", public: true, type: ["c"] });

const requests: { [load: string]: (i: number) => Request } = {
  health: () => new Request(`${base}/api/health`),
  getOne: (i) => new Request(`${base}/api/collections/posts/records/${ids[i % ids.length]}`),
  list: () => new Request(`${base}/api/collections/posts/records?perPage=20`),
  create: () =>
    new Request(`${base}/api/collections/posts/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    }),
};

for (const load of loads.length ? loads : Object.keys(requests)) {
  const make = requests[load];
  if (!make) throw new Error(`unknown load ${load}`);
  const n = load === "list" || load === "create" ? Math.ceil(N / 4) : N;
  for (let i = 0; i < Math.min(n, 2000); i++) await (await handle(make(i))).arrayBuffer(); // warm up
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const res = await handle(make(i));
      if (res.status >= 400) throw new Error(`${load}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
    rounds.push(((performance.now() - t0) * 1000) / n);
  }
  rounds.sort((a, b) => a - b);
  console.log(
    `${load.padEnd(8)} ${rounds[Math.floor(rounds.length / 2)]!.toFixed(1).padStart(7)} µs/request (median of ${ROUNDS} rounds of ${n}; min ${rounds[0]!.toFixed(1)})`,
  );
}
await app.terminate();
rmSync(dir, { recursive: true, force: true });
