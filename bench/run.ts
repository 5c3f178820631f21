#!/usr/bin/env bun
/**
 * `npm run bench` — upstream PocketBase's benchmark workload against dist/pb, plus a floor server,
 * cold start, memory and binary size. Prints a table as it goes and writes
 * bench/results/<date>-<commit>[-<profile>][-<scenarios>].md. Figures only: nothing here passes or
 * fails on time (the exit code is non-zero only when the harness itself broke).
 *
 *   npm run bench                         every scenario, full profile (upstream's counts)
 *   npm run bench -- --quick              every scenario, small counts (a minute or two)
 *   npm run bench -- search floor         only these (data is seeded unmeasured when `create` is not run)
 *   npm run bench -- --mode=keepalive     one client mode (default: both, new connection first)
 *
 * Scenarios: create auth search custom delete floor realtime startup.
 * Options: --quick | --full | --profile=smoke, --mode=both|close|keepalive, --binary=<path>,
 *   --no-build (use dist/pb as it is), --out=<file>|none, --keep (keep the temp pb_data),
 *   --cooldown=<ms>, --realtime-clients=<n> (default 10,000 full, 2,000 quick).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join, relative, resolve } from "node:path";
import { Api } from "./lib/api.ts";
import { Bench } from "./lib/bench.ts";
import {
  childCpuSeconds,
  freePort,
  HOST,
  machineBusySeconds,
  otherLoad,
  readMem,
  spawnServer,
  type ServerProc,
} from "./lib/proc.ts";
import { PROFILES, type Profile } from "./lib/profiles.ts";
import { fmtMB, markdownTables, noteRow, type Mode } from "./lib/report.ts";
import { createSchema, disableRequestLogs } from "./lib/schema.ts";
import { upstreamTable } from "./lib/upstream.ts";
import { authScenario } from "./scenarios/auth.ts";
import { create } from "./scenarios/create.ts";
import { custom } from "./scenarios/custom.ts";
import { deleteScenario } from "./scenarios/delete.ts";
import { floor } from "./scenarios/floor.ts";
import { realtime } from "./scenarios/realtime.ts";
import { search } from "./scenarios/search.ts";
import { median, startup } from "./scenarios/startup.ts";

export const ROOT = resolve(import.meta.dir, "..");
export const SCENARIOS = ["create", "auth", "search", "custom", "floor", "realtime", "delete", "startup"] as const;
type Scenario = (typeof SCENARIOS)[number];
const NEEDS_DATA: Scenario[] = ["auth", "search", "custom", "realtime", "delete"];
const SU_EMAIL = "bench@example.com";
const SU_PASSWORD = "1234567890";

export interface Options {
  scenarios: Scenario[];
  profile: Profile;
  modes: Mode[];
  binary: string;
  build: boolean;
  out: string | null;
  keep: boolean;
}

export function parseArgs(argv: string[]): Options {
  let profile: Profile = PROFILES.full;
  let modes: Mode[] = ["close", "keepalive"];
  let binary = join(ROOT, "dist/pb");
  let build = true;
  let out: string | null = "";
  let keep = false;
  let cooldown: number | null = null;
  let realtimeClients: number | null = null;
  const scenarios: Scenario[] = [];
  for (const a of argv) {
    const [k, v = ""] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, ""];
    if (k === "--quick") profile = PROFILES.quick;
    else if (k === "--full") profile = PROFILES.full;
    else if (k === "--profile") {
      const p = PROFILES[v as keyof typeof PROFILES];
      if (!p) throw new Error(`unknown profile "${v}" (full, quick, smoke)`);
      profile = p;
    } else if (k === "--mode") {
      if (v === "both") modes = ["close", "keepalive"];
      else if (v === "close" || v === "keepalive") modes = [v];
      else throw new Error(`--mode must be both, close or keepalive (got "${v}")`);
    } else if (k === "--binary") binary = resolve(v);
    else if (k === "--no-build") build = false;
    else if (k === "--out") out = v === "none" ? null : resolve(v);
    else if (k === "--keep") keep = true;
    else if (k === "--cooldown") cooldown = Number(v);
    else if (k === "--realtime-clients") realtimeClients = Number(v);
    else if (k === "-h" || k === "--help") throw new HelpRequested();
    else {
      for (const s of a.split(",")) {
        if (!(SCENARIOS as readonly string[]).includes(s))
          throw new Error(`unknown scenario or option "${s}" (scenarios: ${SCENARIOS.join(", ")})`);
        scenarios.push(s as Scenario);
      }
    }
  }
  if (cooldown !== null && Number.isFinite(cooldown)) profile = { ...profile, cooldownMs: cooldown };
  if (realtimeClients !== null && realtimeClients > 0) profile = { ...profile, realtimeClients };
  return {
    scenarios: scenarios.length ? SCENARIOS.filter((s) => scenarios.includes(s)) : [...SCENARIOS],
    profile,
    modes,
    binary,
    build,
    out,
    keep,
  };
}

class HelpRequested extends Error {}

function git(args: string[]): string {
  const r = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "";
}

export interface Machine {
  cores: number;
  cpu: string;
  memory: string;
  bun: string;
  kernel: string;
  pb: string;
  commit: string;
  dirty: boolean;
}

function machine(binary: string): Machine {
  const c = cpus();
  const v = spawnSync(binary, ["--version"], { encoding: "utf8" });
  const status = git(["status", "--porcelain", "--", "src", "migrations", "public", "build.ts"]);
  return {
    cores: c.length,
    cpu: c[0]?.model ?? "?",
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    bun: `${Bun.version} (${Bun.revision.slice(0, 9)})`,
    kernel: `Linux ${release()}`,
    pb: (v.stdout || "").trim(),
    commit: git(["rev-parse", "--short", "HEAD"]) || "nogit",
    dirty: status !== "",
  };
}

export async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parseArgs(argv);
  } catch (e) {
    const doc =
      "usage: npm run bench -- [scenario...] [--quick|--full] [--mode=both|close|keepalive] [--no-build] [--binary=path] [--out=file|none] [--keep] [--cooldown=ms] [--realtime-clients=n]\nscenarios: " +
      SCENARIOS.join(" ");
    if (e instanceof HelpRequested) {
      console.log(doc);
      return 0;
    }
    console.error(`${(e as Error).message}\n${doc}`);
    return 2;
  }
  const print = (s: string) => console.log(s);
  const t0 = performance.now();

  if (o.build && o.binary === join(ROOT, "dist/pb")) {
    try {
      const { ensureBuilt } = await import("../build.ts");
      await ensureBuilt("host");
    } catch (e) {
      if (!existsSync(o.binary)) throw e;
      print(
        `warning: the build failed, benchmarking the existing ${relative(ROOT, o.binary)}: ${(e as Error).message.split("\n")[0]}`,
      );
    }
  }
  if (!existsSync(o.binary)) {
    console.error(`no binary at ${o.binary} (run npm run build)`);
    return 2;
  }
  const m = machine(o.binary);
  print(`pb benchmark — profile ${o.profile.name}, modes ${o.modes.join(" + ")}, scenarios ${o.scenarios.join(" ")}`);
  print(
    `machine: ${m.cores} cores (${m.cpu}), ${m.memory}, Bun ${m.bun}, ${m.kernel}; ${m.pb}, commit ${m.commit}${m.dirty ? " + uncommitted changes" : ""}`,
  );
  print("load generator: raw HTTP/1.1 over Bun.connect in this process, on the same machine; all traffic on loopback");
  // The box may be shared: say how much CPU other processes take, before and during the run.
  const loadBefore = await otherLoad(1000);
  print(
    `other processes before the run: ${(loadBefore * 100).toFixed(0)}% of the machine's CPU${loadBefore > 0.05 ? " — figures will be disturbed" : ""}`,
  );
  const busy0 = machineBusySeconds();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();

  const work = mkdtempSync(join(tmpdir(), "pb-bench-"));
  const dataDir = join(work, "pb_data");
  let failed = false;
  let pb: ServerProc | null = null;
  let bench: Bench | null = null;
  let pbFinalRss = 0;
  try {
    const up = spawnSync(o.binary, ["superuser", "upsert", SU_EMAIL, SU_PASSWORD, `--dir=${dataDir}`], {
      encoding: "utf8",
    });
    if (up.status !== 0) throw new Error(`superuser upsert failed: ${up.stderr || up.stdout}`);
    const port = await freePort();
    // --queryTimeout=90: upstream's harness raised its query timeout to 90 s for the slow rule variants.
    pb = await spawnServer({
      name: "pb",
      cmd: [o.binary, "serve", `--http=${HOST}:${port}`, `--dir=${dataDir}`, "--queryTimeout=90"],
      port,
      cwd: work,
      logFile: join(work, "pb.log"),
    });
    const api = new Api(`http://${HOST}:${port}`);
    api.token = (await api.authWithPassword("_superusers", SU_EMAIL, SU_PASSWORD)).token;
    print(
      (await disableRequestLogs(api))
        ? "request logs off (logs.maxDays = 0), as upstream's harness"
        : "request logs: no settings API, left as they are",
    );
    await createSchema(api);
    bench = new Bench(o.profile, o.modes, pb, api, dataDir, work, o.binary, print);
    const b = bench;

    const wantsData = o.scenarios.some((s) => NEEDS_DATA.includes(s));
    if (!o.scenarios.includes("create") && wantsData) {
      const ts = performance.now();
      print(`seeding the data set (not measured; ${o.profile.name} profile sizes)…`);
      await create(b, { record: false });
      print(`seeded in ${((performance.now() - ts) / 1000).toFixed(1)} s`);
    }
    for (const s of o.scenarios) {
      if (s === "startup") continue; // after pb stops
      const ts = performance.now();
      try {
        if (s === "create") await create(b);
        else if (s === "auth") await authScenario(b);
        else if (s === "search") await search(b);
        else if (s === "custom") await custom(b);
        else if (s === "floor") await floor(b);
        else if (s === "realtime") await realtime(b);
        else if (s === "delete") await deleteScenario(b);
      } catch (e) {
        failed = true;
        b.add(noteRow(s, `${s} stopped by an error`, (e as Error).message.split("\n")[0]!.slice(0, 300)));
        console.error(e);
      }
      print(`-- ${s}: ${((performance.now() - ts) / 1000).toFixed(1)} s`);
    }
    pbFinalRss = readMem(pb.pid).rss;
  } catch (e) {
    failed = true;
    console.error(e);
  } finally {
    if (pb) await pb.stop();
  }

  let startupNote = "";
  if (bench && o.scenarios.includes("startup")) {
    const ts = performance.now();
    try {
      const f = await startup(bench, o.binary);
      startupNote = `cold start median ${median(f.coldMs).toFixed(0)} ms, idle RSS ${fmtMB(median(f.idleRss))}, binary ${(f.binaryBytes / 1e6).toFixed(1)} MB`;
    } catch (e) {
      failed = true;
      bench.add(noteRow("startup", "startup stopped by an error", (e as Error).message.split("\n")[0]!));
      console.error(e);
    }
    print(`-- startup: ${((performance.now() - ts) / 1000).toFixed(1)} s`);
  }

  const totalS = (performance.now() - t0) / 1000;
  const ownCpu = process.cpuUsage(cpu0);
  const ours = (ownCpu.user + ownCpu.system) / 1e6 + childCpuSeconds;
  const otherDuring = Math.min(
    1,
    Math.max(0, (machineBusySeconds() - busy0 - ours) / (((performance.now() - wall0) / 1000) * m.cores)),
  );
  const loadLine = `other processes on the machine used ${(loadBefore * 100).toFixed(0)}% of its CPU in the second before the run and ${(otherDuring * 100).toFixed(0)}% during it${otherDuring > 0.05 ? " (figures disturbed: rerun on a quiet machine)" : ""}`;
  print(`\n${loadLine}`);
  if (bench) {
    const peak = Math.max(
      0,
      ...bench.rows.filter((r) => r.section !== "floor" && r.section !== "custom").map((r) => r.peakRss),
    );
    const memLine = `pb peak RSS under load ${fmtMB(peak) || "n/a (no pb load scenario ran)"}; RSS at the end of the run (idle, data loaded) ${fmtMB(pbFinalRss)}`;
    print(`\n${upstreamTable(bench.rows, o.profile.name === "full")}`);
    print(`${memLine}${startupNote ? `\n${startupNote}` : ""}\ntotal ${totalS.toFixed(0)} s`);
    const file = o.out === "" ? defaultOut(o, m) : o.out;
    if (file) {
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(
        file,
        renderMarkdown(o, m, bench, [memLine, ...(startupNote ? [startupNote] : []), loadLine], totalS),
      );
      print(`results: ${relative(process.cwd(), file) || file}`);
    }
  }
  if (!o.keep) rmSync(work, { recursive: true, force: true });
  else print(`kept ${work}`);
  return failed ? 1 : 0;
}

function defaultOut(o: Options, m: Machine): string {
  const date = new Date().toISOString().slice(0, 10);
  let name = `${date}-${m.commit}`;
  if (o.profile.name !== "full") name += `-${o.profile.name}`;
  if (o.scenarios.length !== SCENARIOS.length) name += `-${o.scenarios.join("-")}`;
  if (o.modes.length === 1) name += `-${o.modes[0]}`;
  return join(ROOT, "bench/results", `${name}.md`);
}

function renderMarkdown(o: Options, m: Machine, b: Bench, notes: string[], totalS: number): string {
  const lines = [
    `# pb benchmark — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, commit ${m.commit}${m.dirty ? " (+ uncommitted changes)" : ""}`,
    "",
    `- profile: **${o.profile.name}**${o.profile.name === "full" ? " (upstream's request counts)" : " (smaller counts than upstream's; not comparable one to one)"}; scenarios: ${o.scenarios.join(", ")}`,
    `- client modes: ${o.modes.map((x) => (x === "close" ? "new connection per request (as upstream's harness)" : "keep-alive")).join("; ")}`,
    `- machine: ${m.cores} cores (${m.cpu}), ${m.memory} RAM, ${m.kernel}`,
    `- Bun ${m.bun}; ${m.pb}; binary ${(statSync(o.binary).size / 1e6).toFixed(1)} MB`,
    "- load generator: raw HTTP/1.1 over Bun.connect, one connection per worker, pre-built requests; same machine as the server, loopback only",
    ...notes.map((n) => `- ${n}`),
    `- total run time ${totalS.toFixed(0)} s`,
    "",
    "errors = responses with status ≥ 400 plus network failures; latencies are per request, connect included in new-connection mode.",
    "",
    markdownTables(b.rows),
    ...b.extra.markdown,
    upstreamTable(b.rows, o.profile.name === "full"),
  ];
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
  process.exit(process.exitCode);
}
