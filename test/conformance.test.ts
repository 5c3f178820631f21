/**
 * Upstream API conformance, measured on the compiled binary: runs the black-box corpus in
 * ../shared/conformance against dist/pb and fails if any scenario recorded in
 * test/conformance-floor.json no longer passes (the floor only goes up).
 *
 * Raise the floor after making more scenarios pass:
 *   UPDATE_CONFORMANCE_FLOOR=1 bun test test/conformance.test.ts
 * which rewrites test/conformance-floor.json with the ids passing now (and says which recorded
 * ids it drops, if any). The full runner output and JSON report stay in .tmp/conformance/.
 */
import { expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "../build.ts";
import {
  CONFORMANCE_FLOOR_FILE as FLOOR_FILE,
  CONFORMANCE_RUNNER,
  failureReasons,
  runConformance,
} from "./support/conformance.ts";

const OUT_DIR = join(ROOT, ".tmp/conformance");
const UPDATE = ["1", "true", "yes"].includes((process.env.UPDATE_CONFORMANCE_FLOOR ?? "").toLowerCase());

interface Floor {
  /** How many scenarios must pass at least. */
  count: number;
  /** Scenario ids that must keep passing. */
  ids: string[];
  /** Informational: the totals of the run that recorded this floor. */
  recorded?: { date: string; passed: number; failed: number; skipped: number };
}

function readFloor(): Floor {
  if (!existsSync(FLOOR_FILE)) return { count: 0, ids: [] };
  return JSON.parse(readFileSync(FLOOR_FILE, "utf8")) as Floor;
}

if (!existsSync(CONFORMANCE_RUNNER)) {
  test.skip("skipped: ../shared not present", () => {});
} else {
  test(
    "upstream API scenarios: every id in conformance-floor.json still passes",
    async () => {
      const pb = await ensureBuilt("host");
      mkdirSync(OUT_DIR, { recursive: true });
      const { report, passing, logFile, wallS } = await runConformance({
        bin: `${pb} serve --http=127.0.0.1:{port} --dir={dir}`,
        outDir: OUT_DIR,
      });
      const passingSet = new Set(passing);
      const floor = readFloor();
      const lost = floor.ids.filter((id) => !passingSet.has(id));
      const { passed, failed, skipped } = report.totals;
      console.log(
        `conformance: ${passed} passed, ${failed} failed, ${skipped} skipped ` +
          `(floor ${floor.count}; runner ${(report.durationMs / 1000).toFixed(1)} s, wall ${wallS} s; log ${logFile})`,
      );

      if (UPDATE) {
        const next: Floor = {
          count: passing.length,
          ids: [...passing].sort(),
          recorded: { date: new Date().toISOString().slice(0, 10), passed, failed, skipped },
        };
        writeFileSync(FLOOR_FILE, JSON.stringify(next, null, 1) + "\n");
        console.log(`conformance floor rewritten: ${floor.count} -> ${next.count} ids in ${FLOOR_FILE}`);
        if (lost.length) console.log(`  dropped (no longer passing): ${lost.join(", ")}`);
        return;
      }

      if (lost.length) console.log(`no longer passing (${lost.length}):\n` + failureReasons(report, lost));
      expect(lost).toEqual([]);
      expect(passing.length).toBeGreaterThanOrEqual(floor.count);
      if (passing.length > floor.count) {
        console.log(
          `${passing.length - floor.count} more than the floor: raise it with UPDATE_CONFORMANCE_FLOOR=1 bun test test/conformance.test.ts`,
        );
      }
    },
    15 * 60_000,
  );
}
