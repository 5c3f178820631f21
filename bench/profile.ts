#!/usr/bin/env bun
/**
 * CPU profile of pb under one of the floor comparison's loads: runs pb from source with
 * `bun --cpu-prof`, seeds a posts-shaped collection, sends the load (keep-alive), stops pb and
 * prints where the server's time went (self and inclusive, top functions).
 *
 *   bun bench/profile.ts insert|getOne|list|auth-refresh [requests=20000] [concurrency=100] [--rows=5000] [--top=25]
 * [--logs]
 *
 * Request logs are off (as in bench/run.ts) unless --logs.
 *
 * The .cpuprofile file is kept (its path is printed) for Chrome DevTools or speedscope.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Api } from "./lib/api.ts";
import { encodeRequest, runLoad, type HttpRequest } from "./lib/http_client.ts";
import { freePort, HOST, spawnServer } from "./lib/proc.ts";
import { toRow } from "./lib/report.ts";
import { createPosts, disableRequestLogs } from "./lib/schema.ts";
import { postBody } from "./scenarios/create.ts";

const ROOT = resolve(import.meta.dir, "..");
const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const flag = (n: string, d: number) => Number(process.argv.find((a) => a.startsWith(`--${n}=`))?.split("=")[1] ?? d);
const what = args[0] ?? "getOne";
const total = Number(args[1] ?? 20000);
const conc = Number(args[2] ?? 100);
const rows = flag("rows", 5000);
const top = flag("top", 25);

const work = mkdtempSync(join(tmpdir(), "pb-profile-"));
const dataDir = join(work, "pb_data");
const profDir = join(work, "prof");
const src = [process.execPath, "--max-http-header-size=1052672"];
spawnSync(process.execPath, [
  join(ROOT, "src/main.ts"),
  "superuser",
  "upsert",
  "p@example.com",
  "1234567890",
  `--dir=${dataDir}`,
]);
// Seed with an unprofiled server, then restart it under the profiler: the profile holds only the load.
const start = async (profile: boolean) => {
  const port = await freePort();
  const prof = profile ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [];
  return spawnServer({
    name: profile ? "pb (profiled)" : "pb (seeding)",
    cmd: [...src, ...prof, join(ROOT, "src/main.ts"), "serve", `--http=${HOST}:${port}`, `--dir=${dataDir}`],
    port,
    cwd: work,
    logFile: join(work, "pb.log"),
  });
};
let pb = await start(false);
let api = new Api(`http://${HOST}:${pb.port}`);
api.token = (await api.authWithPassword("_superusers", "p@example.com", "1234567890")).token;
if (!process.argv.includes("--logs")) await disableRequestLogs(api);
const usersId = (await api.collection("users")).id;
await createPosts(api, "posts", usersId);
const path = "/api/collections/posts/records";
const inserts: HttpRequest[] = [];
for (let i = 0; i < Math.max(rows, what === "insert" ? total : 0); i++)
  inserts.push({
    method: "POST",
    path,
    headers: { "Content-Type": "application/json" },
    body: postBody(`p${i}`, i, []),
  });
const enc = (rs: HttpRequest[]) => rs.map((r) => encodeRequest(`${HOST}:${pb.port}`, r, true));
if (what !== "insert")
  await runLoad({
    hostname: HOST,
    port: pb.port,
    requests: enc(inserts.slice(0, rows)),
    total: rows,
    concurrency: 100,
    keepAlive: true,
  });
let refreshToken = "";
if (what === "auth-refresh") {
  const email = "u@example.com";
  await api.call("POST", "/api/collections/users/records", {
    email,
    password: "1234567890",
    passwordConfirm: "1234567890",
  });
  refreshToken = (await api.authWithPassword("users", email, "1234567890")).token;
}
const ids = what === "getOne" ? await api.randomIds("posts", 1000) : [];
await pb.stop();
pb = await start(true);
const port = pb.port;
api = new Api(`http://${HOST}:${port}`, api.token);

let requests: HttpRequest[];
if (what === "insert") requests = inserts;
else if (what === "getOne") requests = ids.map((id) => ({ method: "GET", path: `${path}/${id}` }));
else if (what === "list") requests = [{ method: "GET", path: `${path}?perPage=20` }];
else if (what === "auth-refresh")
  requests = [
    { method: "POST", path: "/api/collections/users/auth-refresh", headers: { Authorization: refreshToken } },
  ];
else throw new Error(`unknown load "${what}" (insert, getOne, list, auth-refresh)`);

const r = await runLoad({ hostname: HOST, port, requests: enc(requests), total, concurrency: conc, keepAlive: true });
const row = toRow(r, { section: "profile", name: what, mode: "keepalive", conc });
console.log(
  `${what}: ${row.reqs} requests @${conc}, ${row.rps.toFixed(0)} req/s, p50 ${row.p50.toFixed(2)} ms, errors ${row.errors} ${row.errorDetail}`,
);
await pb.stop();

const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error("no profile written");
const prof = JSON.parse(readFileSync(join(profDir, file), "utf8")) as {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfT = new Map<number, number>();
prof.samples.forEach((s, i) => selfT.set(s, (selfT.get(s) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const key = (id: number) => {
  const f = byId.get(id)!.callFrame;
  return `${f.functionName || "(anonymous)"}  ${f.url.replace(ROOT + "/", "").replace(/^file:\/\//, "") || "(native)"}:${f.lineNumber + 1}`;
};
const self = new Map<string, number>();
const incl = new Map<string, number>();
let all = 0;
for (const [id, t] of selfT) {
  all += t;
  self.set(key(id), (self.get(key(id)) ?? 0) + t);
  const seen = new Set<string>();
  for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
    const k = key(x);
    if (!seen.has(k)) incl.set(k, (incl.get(k) ?? 0) + t);
    seen.add(k);
  }
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (of ${(all / 1e6).toFixed(1)} s sampled in the server):`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(t / 1000).toFixed(0).padStart(7)} ms ${((100 * t) / all).toFixed(1).padStart(5)}%  ${k}`);
};
// Time by the nearest pb source file on the stack (native work such as a SQLite step or
// JSON.stringify counts for the file that called it).
const byFile = new Map<string, number>();
for (const [id, t] of selfT) {
  let f = "(runtime: Bun.serve, GC, idle)";
  for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
    const url = byId.get(x)!.callFrame.url;
    if (url.includes("/src/")) {
      f = url.slice(url.indexOf("/src/") + 1);
      break;
    }
  }
  byFile.set(f, (byFile.get(f) ?? 0) + t);
}
show("by pb source file (nearest on the stack)", byFile);
show("self time", self);
show("inclusive time", incl);
console.log(`\nprofile: ${join(profDir, file)}`);
