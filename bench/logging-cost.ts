#!/usr/bin/env bun
/**
 * What request logging costs: getOne throughput (keep-alive, 50 in flight) against dist/pb with
 * logging on (`logs.maxDays` 5, the default) and off (`maxDays` 0), alternated over several rounds
 * so drift hits both sides alike. Prints req/s and p50/p99 latency per side, the median cost, and
 * how many `_logs` rows the "on" rounds wrote. A figure only; nothing passes or fails.
 *
 *   bun bench/logging-cost.ts [--requests=20000] [--rounds=3] [--conc=50] [--binary=dist/pb] [--no-build]
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import "../migrations/index.ts"; // the system migrations register themselves (an entry point imports them)
import { App } from "../src/core/app.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { TextField } from "../src/core/fields/index.ts";
import { Record } from "../src/core/record.ts";
import { saveRecord } from "../src/core/record_save.ts";
import { SqliteDb } from "../src/core/db/sqlite.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { Api } from "./lib/api.ts";
import { encodeRequest, runLoad } from "./lib/http_client.ts";
import { freePort, HOST, spawnServer } from "./lib/proc.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def;
const REQUESTS = Number(arg("requests", "20000"));
const ROUNDS = Number(arg("rounds", "3"));
const CONC = Number(arg("conc", "50"));
const BINARY = resolve(arg("binary", join(ROOT, "dist/pb")));

if (!process.argv.includes("--no-build") || !existsSync(BINARY)) {
  const b = Bun.spawnSync(["bun", "build.ts"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (!b.success) throw new Error("build failed");
}

const work = mkdtempSync(join(tmpdir(), "pb-logcost-"));
const dataDir = join(work, "pb_data");
const app = new App({ dataDir });
await app.bootstrap();
const posts = newBaseCollection("posts");
posts.fields.add(new TextField({ name: "title" }), new TextField({ name: "body" }));
posts.viewRule = "";
await saveCollection(app, posts);
const rec = new Record(posts);
rec.load({ title: "hello", body: "lorem ipsum ".repeat(20) });
await saveRecord(app, rec);
await createSuperuser(app, "bench@example.com", "1234567890");
await app.terminate();

const port = await freePort();
const pb = await spawnServer({
  name: "pb",
  cmd: [BINARY, "serve", `--http=${HOST}:${port}`, `--dir=${dataDir}`],
  port,
  cwd: work,
  logFile: join(work, "pb.log"),
});
const api = new Api(`http://${HOST}:${port}`);
api.token = (await api.authWithPassword("_superusers", "bench@example.com", "1234567890")).token;

const request = encodeRequest(
  `${HOST}:${port}`,
  { method: "GET", path: `/api/collections/posts/records/${rec.id}` },
  true,
);
const pct = (xs: Float64Array, p: number) => {
  const s = [...xs].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const logRows = async () => {
  const db = new SqliteDb(join(dataDir, "auxiliary.db"));
  try {
    return (await db.get<{ n: number }>("SELECT count(*) AS n FROM _logs"))!.n;
  } finally {
    await db.close();
  }
};

const results: { on: number[]; off: number[] } = { on: [], off: [] };
console.log(`getOne, ${REQUESTS} requests per run, ${CONC} in flight, keep-alive, ${ROUNDS} rounds`);
// warm up
await runLoad({ hostname: HOST, port, requests: [request], total: 2000, concurrency: CONC, keepAlive: true });
let written = 0;
for (let round = 1; round <= ROUNDS; round++) {
  for (const side of round % 2 ? (["on", "off"] as const) : (["off", "on"] as const)) {
    await api.call("PATCH", "/api/settings", { logs: { maxDays: side === "on" ? 5 : 0 } });
    await Bun.sleep(3500); // let the previous run's batch land
    const before = await logRows();
    const r = await runLoad({
      hostname: HOST,
      port,
      requests: [request],
      total: REQUESTS,
      concurrency: CONC,
      keepAlive: true,
    });
    const ok = [...r.statuses].filter((s) => s === 200).length;
    const rps = (ok / r.wallMs) * 1000;
    results[side].push(rps);
    await Bun.sleep(3500);
    const added = (await logRows()) - before;
    if (side === "on") written += added;
    console.log(
      `round ${round} logging ${side.padEnd(3)}: ${rps.toFixed(0).padStart(7)} req/s  p50 ${pct(r.latencies, 50).toFixed(2)} ms  p99 ${pct(r.latencies, 99).toFixed(2)} ms  ok ${ok}/${REQUESTS}  _logs +${added}`,
    );
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const on = median(results.on);
const off = median(results.off);
const paired = results.on.map((x, i) => (1 - x / results.off[i]!) * 100);
console.log(
  `\nmedian: on ${on.toFixed(0)} req/s, off ${off.toFixed(0)} req/s → logging costs ${(((off - on) / off) * 100).toFixed(1)}% of getOne throughput`,
);
console.log(
  `per round (on vs off of the same round): ${paired.map((p) => p.toFixed(1) + "%").join(", ")}; median ${median(paired).toFixed(1)}%`,
);
console.log(`rows written while on: ${written} (expected ${REQUESTS * ROUNDS})`);

await pb.stop();
rmSync(work, { recursive: true, force: true });
