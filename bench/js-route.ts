#!/usr/bin/env bun
/**
 * JS route vs the same native (TypeScript) route: what a pb_hooks handler costs.
 *
 *   bun bench/js-route.ts [--quick] [--requests=N] [--conc=1,16,64] [--pool=N]
 *
 * Two servers on the same pb_data, both run from source with the same App, router and middlewares:
 * - pb (`src/main.ts serve`) with a pb_hooks file adding `GET /js/hello/{name}` and `GET /js/posts`;
 * - this script in `--native-server` mode adding the same two routes in TypeScript
 *   (`/native/hello/{name}`, `/native/posts`).
 * `hello` answers a small JSON object from a path parameter (the route is all overhead); `posts`
 * answers `findRecordsByFilter("benchposts", "title != ''", "-created", 20)` (upstream's custom
 * route, on 500 seeded rows); last, upstream's other comparison: PATCHes through the records API
 * with an `onRecordUpdateRequest` hook in JS vs in TypeScript. Keep-alive connections; rounds
 * alternate js/native.
 *
 * Prints requests/s, latency and server CPU per request (the JS workers are threads of the pb
 * process, so their CPU is counted) and the JS/native cost ratios. Figures only: it never fails
 * on time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { encodeRequest, runLoad } from "./lib/http_client.ts";
import { cpuSeconds, freePort, HOST, spawnServer, type ServerProc } from "./lib/proc.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string, def: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;

const HOOKS = `
routerAdd("GET", "/js/hello/{name}", (e) => {
  const name = e.request.pathValue("name")
  return e.json(200, { message: "Hello " + name })
})

routerAdd("GET", "/js/posts", (e) => {
  const records = $app.findRecordsByFilter("benchposts", "title != ''", "-created", 20)
  return e.json(200, records)
})

onRecordUpdateRequest((e) => {
  e.record.set("title", e.record.getString("title").trim() + " (js)")
  return e.next()
}, "jshook")
`;

const MIGRATION = `
migrate((app) => {
  const c = new Collection({
    type: "base",
    name: "benchposts",
    listRule: "",
    viewRule: "",
    fields: [
      { type: "text", name: "title" },
      { type: "editor", name: "body" },
      { type: "number", name: "views" },
      { type: "autodate", name: "created", onCreate: true },
    ],
    indexes: ["CREATE INDEX idx_benchposts_created ON benchposts (created)"],
  })
  app.save(c)
  // the update-hook comparison: the same collection twice, one with a JS hook, one with a native one
  for (const name of ["jshook", "nativehook"]) {
    app.save(new Collection({ type: "base", name, updateRule: "", viewRule: "", fields: [{ type: "text", name: "title" }] }))
    for (let i = 0; i < 100; i++) app.db().insert(name, { id: "row" + String(i).padStart(12, "0"), title: "row " + i }).execute()
  }
  for (let i = 0; i < 500; i++) {
    app.db().insert("benchposts", {
      id: "post" + String(i).padStart(11, "0"),
      title: "Post number " + i,
      body: "<p>" + "lorem ipsum ".repeat(20) + "</p>",
      views: i,
      created: "2024-01-01 00:00:" + String(i % 60).padStart(2, "0") + "." + String(i).padStart(3, "0").slice(-3) + "Z",
    }).execute()
  }
})
`;

async function nativeServer(): Promise<void> {
  await import("../migrations/index.ts"); // the system migrations register themselves (an entry point imports them)
  const { App } = await import("../src/core/app.ts");
  const { startServer } = await import("../src/api/server.ts");
  const { findRecordsByFilterAsync } = await import("../src/core/record_search.ts");
  const app = new App({ dataDir: arg("dir", "./pb_data") });
  await app.bootstrap();
  app.onServe.bindFunc(async (e) => {
    const router = e.router as import("../src/api/router.ts").Router;
    router.get("/native/hello/{name}", (re) => {
      re.json(200, { message: "Hello " + (re.params.name ?? "") });
    });
    router.get("/native/posts", async (re) => {
      re.json(200, await findRecordsByFilterAsync(app, "benchposts", "title != ''", "-created", 20));
    });
    await e.next();
  });
  app.onRecordUpdateRequest("nativehook").bindFunc(async (e) => {
    e.record!.set("title", e.record!.getString("title").trim() + " (native)");
    await e.next();
  });
  await startServer(app, { http: arg("http", "127.0.0.1:8092") });
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
  failed: number;
}

async function measure(server: ServerProc, path: string, total: number, conc: number, method = "GET"): Promise<Result> {
  const reqs =
    method === "PATCH"
      ? Array.from({ length: 100 }, (_, i) =>
          encodeRequest(
            `${HOST}:${server.port}`,
            {
              method,
              path: path.replace("{id}", "row" + String(i).padStart(12, "0")),
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ title: "row " + i }),
            },
            true,
          ),
        )
      : [encodeRequest(`${HOST}:${server.port}`, { method, path }, true)];
  const cpu0 = cpuSeconds(server.pid);
  const r = await runLoad({
    hostname: HOST,
    port: server.port,
    requests: reqs,
    total,
    concurrency: conc,
    keepAlive: true,
  });
  const cpu = cpuSeconds(server.pid) - cpu0;
  const lat = Float64Array.from(r.latencies.filter((x) => !Number.isNaN(x))).sort();
  let failed = 0;
  for (const s of r.statuses) if (s !== 200) failed++;
  return {
    rps: (r.sent / r.wallMs) * 1000,
    p50: lat[Math.floor(lat.length * 0.5)] ?? NaN,
    p99: lat[Math.floor(lat.length * 0.99)] ?? NaN,
    cpuUs: (cpu / Math.max(1, r.sent)) * 1e6,
    failed,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const total = Number(arg("requests", quick ? "2000" : "10000"));
  const concs = arg("conc", quick ? "1,32" : "1,16,64")
    .split(",")
    .map(Number);
  const rounds = quick ? 3 : 5;
  const pool = arg("pool", "4");

  const work = mkdtempSync(join(tmpdir(), "pb-bench-js-"));
  mkdirSync(join(work, "pb_hooks"));
  mkdirSync(join(work, "pb_migrations"));
  writeFileSync(join(work, "pb_hooks", "bench.pb.js"), HOOKS);
  writeFileSync(join(work, "pb_migrations", "1700000000_benchposts.js"), MIGRATION);
  const dataDir = join(work, "pb_data");

  const jsPort = await freePort();
  const js = await spawnServer({
    name: "pb with pb_hooks",
    cmd: [
      process.execPath,
      "--max-http-header-size=1052672",
      join(ROOT, "src/main.ts"),
      "serve",
      `--http=${HOST}:${jsPort}`,
      `--dir=${dataDir}`,
      "--hooksWatch=false",
      `--hooksPool=${pool}`,
    ],
    port: jsPort,
    cwd: work,
    logFile: join(work, "pb.log"),
    timeoutMs: 60_000,
  });
  const nativePort = await freePort();
  const native = await spawnServer({
    name: "native routes",
    cmd: [
      process.execPath,
      "--max-http-header-size=1052672",
      import.meta.path,
      "--native-server",
      `--http=${HOST}:${nativePort}`,
      `--dir=${dataDir}`,
    ],
    port: nativePort,
    cwd: work,
    logFile: join(work, "native.log"),
  });

  const lines: string[] = [];
  const out = (s: string) => {
    lines.push(s);
    console.log(s);
  };
  out(
    `JS route vs native route — ${total} keep-alive requests per run, ${rounds} rounds (median), --hooksPool=${pool}`,
  );
  out("");
  out(
    "| route | conc | native req/s | JS req/s | native p50 / p99 ms | JS p50 / p99 ms | native CPU µs/req | JS CPU µs/req | time ratio | CPU ratio |",
  );
  out("|---|---|---|---|---|---|---|---|---|---|");
  try {
    for (const [name, jsPath, nativePath] of [
      ["hello", "/js/hello/world", "/native/hello/world"],
      ["posts", "/js/posts", "/native/posts"],
    ] as const) {
      for (const conc of concs) {
        // warm both (JIT, the JS workers and their contexts)
        await measure(js, jsPath, Math.min(2000, total), conc);
        await measure(native, nativePath, Math.min(2000, total), conc);
        const rj: Result[] = [];
        const rn: Result[] = [];
        for (let i = 0; i < rounds; i++) {
          rj.push(await measure(js, jsPath, total, conc));
          rn.push(await measure(native, nativePath, total, conc));
        }
        const j = {
          rps: median(rj.map((r) => r.rps)),
          p50: median(rj.map((r) => r.p50)),
          p99: median(rj.map((r) => r.p99)),
          cpu: median(rj.map((r) => r.cpuUs)),
          failed: rj.reduce((a, r) => a + r.failed, 0),
        };
        const n = {
          rps: median(rn.map((r) => r.rps)),
          p50: median(rn.map((r) => r.p50)),
          p99: median(rn.map((r) => r.p99)),
          cpu: median(rn.map((r) => r.cpuUs)),
          failed: rn.reduce((a, r) => a + r.failed, 0),
        };
        out(
          `| ${name} | ${conc} | ${n.rps.toFixed(0)} | ${j.rps.toFixed(0)} | ${n.p50.toFixed(2)} / ${n.p99.toFixed(2)} | ${j.p50.toFixed(2)} / ${j.p99.toFixed(2)} | ${n.cpu.toFixed(0)} | ${j.cpu.toFixed(0)} | **${(n.rps / j.rps).toFixed(2)}×** | ${(j.cpu / n.cpu).toFixed(2)}× |` +
            (j.failed || n.failed ? ` failed: js ${j.failed}, native ${n.failed}` : ""),
        );
      }
    }
    // upstream's second comparison: an onRecordUpdateRequest hook in JS vs in TypeScript (the
    // JS server serves both collections; the hook only exists for one of them on each server)
    {
      const n = quick ? 200 : 1000;
      const rj: Result[] = [];
      const rn: Result[] = [];
      await measure(js, "/api/collections/jshook/records/{id}", 100, 10, "PATCH");
      await measure(native, "/api/collections/nativehook/records/{id}", 100, 10, "PATCH");
      for (let i = 0; i < rounds; i++) {
        rj.push(await measure(js, "/api/collections/jshook/records/{id}", n, 10, "PATCH"));
        rn.push(await measure(native, "/api/collections/nativehook/records/{id}", n, 10, "PATCH"));
      }
      const jr = median(rj.map((r) => r.rps));
      const nr = median(rn.map((r) => r.rps));
      const jc = median(rj.map((r) => r.cpuUs));
      const nc = median(rn.map((r) => r.cpuUs));
      out(
        `| PATCH + onRecordUpdateRequest | 10 | ${nr.toFixed(0)} | ${jr.toFixed(0)} | ${median(rn.map((r) => r.p50)).toFixed(2)} / ${median(rn.map((r) => r.p99)).toFixed(2)} | ${median(rj.map((r) => r.p50)).toFixed(2)} / ${median(rj.map((r) => r.p99)).toFixed(2)} | ${nc.toFixed(0)} | ${jc.toFixed(0)} | **${(nr / jr).toFixed(2)}×** | ${(jc / nc).toFixed(2)}× |`,
      );
    }
    out("");
    out(
      "time ratio = native req/s ÷ JS req/s (time per request, JS over native); CPU ratio = JS CPU per request ÷ native CPU per request.",
    );
  } finally {
    await js.stop();
    await native.stop();
    if (!process.argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes("--native-server")) await nativeServer();
else await main();
