/** A few hundred hostile requests against a live server: no 5xx, no bare errors, no damage. */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { runPb, startServer, tempDir, TEST_DB } from "./harness.ts";
import { withDataDb } from "./support/db.ts";
import { buildFuzzSchema } from "./support/fuzz_schema.ts";
import { runHttpFuzz } from "./support/http_fuzz.ts";

test("hostile filters, sorts, fields, ids and bodies never yield a 5xx or a broken envelope", async () => {
  const work = tempDir();
  const dataDir = join(work, "pb_data");
  const ids = await buildFuzzSchema(dataDir);
  expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dataDir}`])).code).toBe(0);
  const srv = await startServer({ workDir: work });
  try {
    const su = await srv.sdk().collection("_superusers").authWithPassword("root@example.com", "1234567890");
    const stats = await runHttpFuzz(
      srv.url,
      Number(process.env.FUZZ_CASES ?? 400),
      Number(process.env.FUZZ_SEED ?? 7),
      ids,
      [su.token, "garbage", ""],
    );
    expect(stats.failures).toEqual([]);
    expect(stats.cases).toBeGreaterThanOrEqual(400);
    // both outcomes are exercised: accepted writes/reads and refused ones
    expect([...stats.byStatus.keys()].some((s) => s < 300)).toBe(true);
    expect([...stats.byStatus.keys()].some((s) => s >= 400)).toBe(true);
    expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);
  } finally {
    await srv.stop({ keep: true });
  }
  await withDataDb(dataDir, async (db) => {
    expect(await db.get("SELECT x FROM canary")).toEqual({ x: "alive" });
    // PostgreSQL has no integrity_check to ask: a crash-safe server keeps its own files consistent
    if (TEST_DB === "sqlite") expect(await db.get("PRAGMA integrity_check")).toEqual({ integrity_check: "ok" });
  });
});
