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
import { join, resolve } from "node:path";
import { ensureBuilt, ROOT } from "../build.ts";

const SHARED = resolve(ROOT, "../shared");
const RUNNER = join(SHARED, "conformance/run.ts");
const FLOOR_FILE = join(ROOT, "test/conformance-floor.json");
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

interface Report {
  durationMs: number;
  totals: { passed: number; failed: number; skipped: number; percent: number };
  results: { id: string; status: "pass" | "fail" | "skip"; reasons: string[] }[];
}

function readFloor(): Floor {
  if (!existsSync(FLOOR_FILE)) return { count: 0, ids: [] };
  return JSON.parse(readFileSync(FLOOR_FILE, "utf8")) as Floor;
}

if (!existsSync(RUNNER)) {
  test.skip("skipped: ../shared not present", () => {});
} else {
  test(
    "upstream API scenarios: every id in conformance-floor.json still passes",
    async () => {
      const pb = await ensureBuilt("host");
      mkdirSync(OUT_DIR, { recursive: true });
      const reportFile = join(OUT_DIR, "report.json");
      const logFile = join(OUT_DIR, "run.log");
      const started = performance.now();
      const proc = Bun.spawn(
        [
          process.execPath,
          RUNNER,
          "--bin",
          `${pb} serve --http=127.0.0.1:{port} --dir={dir}`,
          "--json",
          reportFile,
          "--concurrency",
          "2",
        ],
        { cwd: ROOT, stdin: "ignore", stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } },
      );
      const [stdout, stderr, code] = await Promise.all([
        new Response(proc.stdout).text(),
        new Response(proc.stderr).text(),
        proc.exited,
      ]);
      const wallS = ((performance.now() - started) / 1000).toFixed(1);
      writeFileSync(logFile, stdout + (stderr ? `\n--- stderr ---\n${stderr}` : ""));
      if (code !== 0)
        throw new Error(`the conformance runner failed (exit ${code}); see ${logFile}\n${stderr.slice(-2000)}`);

      const report = JSON.parse(readFileSync(reportFile, "utf8")) as Report;
      const passing = report.results.filter((r) => r.status === "pass").map((r) => r.id);
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

      if (lost.length) {
        const why = (id: string) =>
          report.results
            .find((r) => r.id === id)
            ?.reasons.join("; ")
            .slice(0, 300) ?? "";
        console.log(`no longer passing (${lost.length}):\n` + lost.map((id) => `  ${id}: ${why(id)}`).join("\n"));
      }
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
