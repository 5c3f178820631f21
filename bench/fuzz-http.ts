/**
 * HTTP fuzzing at scale against a real server process: ≥10,000 hostile requests (filters, sorts,
 * fields, expand, ids, bodies in every content type, batches). Prints the status mix and any
 * failure (a 5xx, an error without the envelope, a dead server); exits non-zero on failures.
 *
 *   bun bench/fuzz-http.ts [cases=10000] [seed=1]
 */
import { join } from "node:path";
import { runPb, startServer, tempDir } from "../test/harness.ts";
import { buildFuzzSchema } from "../test/support/fuzz_schema.ts";
import { runHttpFuzz } from "../test/support/http_fuzz.ts";

const cases = Number(process.argv[2] ?? 10000);
const seed = Number(process.argv[3] ?? 1);
const work = tempDir();
const dataDir = join(work, "pb_data");
const ids = await buildFuzzSchema(dataDir);
await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dataDir}`]);
const srv = await startServer({ workDir: work });
const su = await srv.sdk().collection("_superusers").authWithPassword("root@example.com", "1234567890");
const started = performance.now();
const stats = await runHttpFuzz(srv.url, cases, seed, ids, [su.token, "garbage", ""], 16);
const alive = (await fetch(`${srv.url}/api/health`)).status === 200;
await srv.stop();
console.log(`cases: ${stats.cases} in ${((performance.now() - started) / 1000).toFixed(1)} s, server alive: ${alive}`);
console.log("statuses:", Object.fromEntries([...stats.byStatus].sort((a, b) => a[0] - b[0])));
console.log(`failures: ${stats.failures.length}`);
for (const f of stats.failures.slice(0, 20)) console.log("  " + f);
process.exit(stats.failures.length || !alive ? 1 : 0);
