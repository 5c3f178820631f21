#!/usr/bin/env bun
/**
 * A backup of a large pb_data taken while writes continue (not part of CI: it builds ~200 MB).
 * Seeds a collection with rows of random text, starts dist/pb, keeps several clients creating
 * records, and meanwhile creates a backup through the API. Reports the time it took, the server's
 * peak RSS (sampled from /proc, worker threads included), the worst /api/health latency during the
 * backup, the writes that went through meanwhile, and checks the archive: it opens, its data.db
 * passes `PRAGMA integrity_check` and holds at least the seeded rows.
 *
 *   bun bench/backup-large.ts [--mb=200] [--writers=4] [--baseline=12 (s)] [--no-logs] [--binary=dist/pb] [--no-build]
 * [--keep]
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import "../migrations/index.ts"; // the system migrations register themselves (an entry point imports them)
import { App } from "../src/core/app.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { TextField } from "../src/core/fields/index.ts";
import { SqliteDb } from "../src/core/db/sqlite.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { extractArchive, ZipReader } from "../src/tools/archive/index.ts";
import { Api } from "./lib/api.ts";
import { freePort, HOST, readMem, spawnServer } from "./lib/proc.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def;
const MB = Number(arg("mb", "200"));
const WRITERS = Number(arg("writers", "4"));
const BINARY = resolve(arg("binary", join(ROOT, "dist/pb")));

if (!process.argv.includes("--no-build") || !existsSync(BINARY)) {
  const b = Bun.spawnSync(["bun", "build.ts"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (!b.success) throw new Error("build failed");
}

const work = mkdtempSync(join(tmpdir(), "pb-backup-large-"));
const dataDir = join(work, "pb_data");
const dirSize = (p: string): number => {
  const out = Bun.spawnSync(["du", "-sb", p]).stdout.toString();
  return Number(out.split(/\s/)[0] ?? 0);
};

// --- seed ----------------------------------------------------------------------------------------
let t = performance.now();
const app = new App({ dataDir });
await app.bootstrap();
const big = newBaseCollection("big");
big.fields.add(new TextField({ name: "title" }), new TextField({ name: "body", max: 100_000 }));
big.listRule = big.viewRule = big.createRule = "";
await saveCollection(app, big);
await createSuperuser(app, "bench@example.com", "1234567890");
const ROW_BYTES = 2000;
const rows = Math.ceil((MB * 1e6) / (ROW_BYTES + 120));
// random base64 text: compresses about as much as real user text does not
const pool = Buffer.from(crypto.getRandomValues(new Uint8Array(3 << 20))).toString("base64");
await app.runInTransaction(async () => {
  const ins = "INSERT INTO `big` (`id`, `title`, `body`) VALUES (?, ?, ?)";
  for (let i = 0; i < rows; i++) {
    const off = Math.floor(Math.random() * (pool.length - ROW_BYTES));
    await app.db.run(ins, [`seed${String(i).padStart(11, "0")}`, `row ${i}`, pool.slice(off, off + ROW_BYTES)]);
  }
});
await app.terminate();
const seedSize = dirSize(dataDir);
console.log(
  `seeded ${rows} rows, pb_data ${(seedSize / 1e6).toFixed(0)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s`,
);

// --- serve, write, back up -------------------------------------------------------------------------
const port = await freePort();
const pb = await spawnServer({
  name: "pb",
  cmd: [BINARY, "serve", `--http=${HOST}:${port}`, `--dir=${dataDir}`],
  port,
  cwd: work,
  logFile: join(work, "pb.log"),
  timeoutMs: 60_000,
});
const base = `http://${HOST}:${port}`;
const api = new Api(base);
api.token = (await api.authWithPassword("_superusers", "bench@example.com", "1234567890")).token;
if (process.argv.includes("--no-logs")) await api.call("PATCH", "/api/settings", { logs: { maxDays: 0 } });
await Bun.sleep(500);
const idleRss = readMem(pb.pid).rss;

let writing = true;
let writes = 0;
let writeErrors = 0;
const writers = Array.from({ length: WRITERS }, async (_, w) => {
  let n = 0;
  while (writing) {
    const res = await fetch(`${base}/api/collections/big/records`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ title: `during backup ${w}-${n++}`, body: "x".repeat(500) }),
    }).catch(() => null);
    if (res?.status === 200) writes++;
    else writeErrors++;
    await res?.arrayBuffer();
  }
});

let peakRss = idleRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, readMem(pb.pid).rss);
}, 25);
let maxHealthMs = 0;
let healthChecks = 0;
let probing = true;
const prober = (async () => {
  while (probing) {
    const s = performance.now();
    await fetch(`${base}/api/health`).then((r) => r.arrayBuffer());
    maxHealthMs = Math.max(maxHealthMs, performance.now() - s);
    healthChecks++;
    await Bun.sleep(50);
  }
})();

// a baseline: the same write load without a backup, about as long as a backup takes
await Bun.sleep(Number(arg("baseline", "12")) * 1000);
const loadPeakRss = peakRss;
const loadMaxHealthMs = maxHealthMs;
maxHealthMs = 0;
const writesBefore = writes;
t = performance.now();
await api.call("POST", "/api/backups", { name: "large.zip" });
const backupMs = performance.now() - t;
const writesDuring = writes - writesBefore;
probing = false;
await prober;
await Bun.sleep(500);
writing = false;
await Promise.all(writers);
clearInterval(sampler);
const finalRss = readMem(pb.pid).rss;
await pb.stop();

// --- check the archive -----------------------------------------------------------------------------
const zipPath = join(dataDir, "backups", "large.zip");
const zip = await ZipReader.open(zipPath);
const names = zip.entries.map((e) => e.name);
await zip.close();
const out = join(work, "restored");
await extractArchive(zipPath, out);
const db = new SqliteDb(join(out, "data.db"));
const integrity = (await db.get<{ integrity_check: string }>("PRAGMA integrity_check"))!.integrity_check;
const count = (await db.get<{ n: number }>("SELECT count(*) AS n FROM big"))!.n;
const during = (await db.get<{ n: number }>("SELECT count(*) AS n FROM big WHERE title LIKE 'during backup %'"))!.n;
await db.close();

const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
console.log(`
pb_data before the backup   ${mb(seedSize)}
backup                      ${(backupMs / 1000).toFixed(1)} s → large.zip ${mb(statSync(zipPath).size)} (${names.length} entries)
server RSS                  idle ${mb(idleRss)}; writes alone peak ${mb(loadPeakRss)}; with the backup peak ${mb(peakRss)}; after ${mb(finalRss)}
/api/health                 worst ${loadMaxHealthMs.toFixed(0)} ms under the writes alone, ${maxHealthMs.toFixed(0)} ms during the backup (${healthChecks} probes)
writes while backing up     ${writesDuring} creates ok (${writeErrors} errors in the whole run)
archive check               integrity_check=${integrity}; big rows ${count} (seeded ${rows}, ${during} written during the run before the snapshot)
`);
if (!process.argv.includes("--keep")) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
