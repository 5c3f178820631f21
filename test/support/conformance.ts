/**
 * Runs upstream's black-box API corpus (../shared/conformance/run.ts) and reads its JSON report, for
 * the SQLite and PostgreSQL conformance tests: one place spawns the runner, keeps its output in a log
 * file and says why a scenario failed.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ROOT } from "../../build.ts";

export const CONFORMANCE_RUNNER = join(resolve(ROOT, "../shared"), "conformance/run.ts");
export const CONFORMANCE_FLOOR_FILE = join(ROOT, "test/conformance-floor.json");

export interface ConformanceReport {
  durationMs: number;
  totals: { passed: number; failed: number; skipped: number; percent: number };
  results: { id: string; status: "pass" | "fail" | "skip"; reasons: string[] }[];
}

export interface ConformanceRun {
  report: ConformanceReport;
  /** The ids that passed. */
  passing: string[];
  logFile: string;
  /** Wall-clock seconds of the run, one decimal. */
  wallS: string;
}

/**
 * Runs the corpus with `bin` as the server command (`{port}`, `{dir}` filled in by the runner);
 * its report and log (`logPrefix` first) go to `outDir`. Throws when the runner itself fails.
 */
export async function runConformance(opts: {
  bin: string;
  outDir: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  logPrefix?: string;
}): Promise<ConformanceRun> {
  const reportFile = join(opts.outDir, "report.json");
  const logFile = join(opts.outDir, "run.log");
  const started = performance.now();
  const proc = Bun.spawn(
    [
      process.execPath,
      CONFORMANCE_RUNNER,
      "--bin",
      opts.bin,
      "--json",
      reportFile,
      "--concurrency",
      "2",
      ...(opts.extraArgs ?? []),
    ],
    {
      cwd: ROOT,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NO_COLOR: "1", ...opts.env },
    },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const wallS = ((performance.now() - started) / 1000).toFixed(1);
  writeFileSync(logFile, (opts.logPrefix ?? "") + stdout + (stderr ? `\n--- stderr ---\n${stderr}` : ""));
  if (code !== 0)
    throw new Error(`the conformance runner failed (exit ${code}); see ${logFile}\n${stderr.slice(-2000)}`);
  const report = JSON.parse(await Bun.file(reportFile).text()) as ConformanceReport;
  const passing = report.results.filter((r) => r.status === "pass").map((r) => r.id);
  return { report, passing, logFile, wallS };
}

/** One line per id: the id and the start of the runner's reasons for it. */
export function failureReasons(report: ConformanceReport, ids: string[]): string {
  const why = (id: string) =>
    report.results
      .find((r) => r.id === id)
      ?.reasons.join("; ")
      .slice(0, 300) ?? "";
  return ids.map((id) => `  ${id}: ${why(id)}`).join("\n");
}
