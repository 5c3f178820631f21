/**
 * `startup`: cold start of the binary from an empty folder to its first 200 on /api/health
 * (several runs, median), idle RSS a moment after that, the binary's size — and the same for the
 * compiled floor server, for reference. On PostgreSQL each cold run gets an empty database of its own.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Bench } from "../lib/bench.ts";
import { freePort, readMem, spawnServer } from "../lib/proc.ts";
import { fmtMB, noteRow } from "../lib/report.ts";
import { floorCommand } from "./floor.ts";

const SECTION = "startup";
const IDLE_WAIT_MS = 1000;

export interface StartupFigures {
  coldMs: number[];
  /** Restart on the data folder the cold start made. */
  warmMs: number[];
  idleRss: number[];
  floorColdMs: number[];
  floorIdleRss: number[];
  binaryBytes: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

/**
 * Starts from an empty folder (and, on PostgreSQL, an empty database: `extraArgs` is called once per
 * run), then restarts on the data it made; both timed to the first 200.
 */
async function coldRuns(
  b: Bench,
  runs: number,
  cmdFor: (dir: string, port: number) => string[],
  extraArgs: () => Promise<string[]> = async () => [],
): Promise<{ ms: number[]; rss: number[]; warmMs: number[] }> {
  const ms: number[] = [];
  const rss: number[] = [];
  const warmMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(b.workDir, "cold-"));
    const extra = await extraArgs();
    let port = await freePort();
    const srv = await spawnServer({
      name: "cold start",
      cmd: [...cmdFor(dir, port), ...extra],
      port,
      cwd: dir,
      logFile: join(dir, "log.txt"),
      pollMs: 1,
    });
    ms.push(srv.startMs);
    await Bun.sleep(IDLE_WAIT_MS);
    rss.push(readMem(srv.pid).rss);
    await srv.stop();
    port = await freePort();
    const again = await spawnServer({
      name: "restart",
      cmd: [...cmdFor(dir, port), ...extra],
      port,
      cwd: dir,
      logFile: join(dir, "log.txt"),
      pollMs: 1,
    });
    warmMs.push(again.startMs);
    await again.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { ms, rss, warmMs };
}

export async function startup(b: Bench, binary: string): Promise<StartupFigures> {
  const runs = b.profile.startupRuns;
  const fresh = b.engine.freshDatabase;
  const pb = await coldRuns(
    b,
    runs,
    (dir, port) => [binary, "serve", `--http=127.0.0.1:${port}`, `--dir=${join(dir, "pb_data")}`],
    fresh ? async () => [`--db=${await fresh()}`] : undefined,
  );
  const floorCmd = await floorCommand(b.workDir);
  const fl = await coldRuns(b, runs, (dir, port) => [
    ...floorCmd,
    `--port=${port}`,
    `--dir=${join(dir, "floor_data")}`,
  ]);
  const f: StartupFigures = {
    coldMs: pb.ms,
    warmMs: pb.warmMs,
    idleRss: pb.rss,
    floorColdMs: fl.ms,
    floorIdleRss: fl.rss,
    binaryBytes: statSync(binary).size,
  };
  const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");
  b.add(
    noteRow(
      SECTION,
      `pb cold start to first 200 (empty folder, ${runs} runs)`,
      `median ${median(pb.ms).toFixed(0)} ms (${list(pb.ms)})`,
    ),
  );
  b.add(
    noteRow(
      SECTION,
      `pb restart on its existing pb_data (${runs} runs)`,
      `median ${median(pb.warmMs).toFixed(0)} ms (${list(pb.warmMs)})`,
    ),
  );
  b.add(noteRow(SECTION, `pb idle RSS ${IDLE_WAIT_MS} ms after start`, `median ${fmtMB(median(pb.rss))}`));
  b.add(noteRow(SECTION, "pb binary size", `${(f.binaryBytes / 1e6).toFixed(1)} MB`));
  b.add(
    noteRow(
      SECTION,
      `floor cold start to first 200 (${runs} runs)`,
      `median ${median(fl.ms).toFixed(0)} ms (${list(fl.ms)})`,
    ),
  );
  b.add(noteRow(SECTION, "floor idle RSS", `median ${fmtMB(median(fl.rss))}`));
  return f;
}

export { median };
