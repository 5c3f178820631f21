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
 *   npm run bench -- --db=postgres        every row on SQLite, then on PostgreSQL, side by side
 *   npm run bench -- cluster              1, 2, 3 pb nodes on one port and one PostgreSQL (implies --db=postgres)
 *
 * Scenarios: create auth search custom delete floor realtime startup; cluster (PostgreSQL only, not in the default set).
 * Options: --quick | --full | --profile=smoke, --mode=both|close|keepalive, --binary=<path>,
 *   --no-build (use dist/pb as it is), --out=<file>|none, --keep (keep the temp pb_data),
 *   --cooldown=<ms>, --realtime-clients=<n> (default 10,000 full, 2,000 quick),
 *   --db=postgres (a throwaway cluster, test/support/pg.ts) | --db=postgres://user:pass@host:port/db
 *   (an existing server: a scratch database per data set, dropped afterwards).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, release, tmpdir, totalmem } from "node:os";
import { join, relative, resolve } from "node:path";
import { Api } from "./lib/api.ts";
import { Bench, SQLITE, type Engine } from "./lib/bench.ts";
import { isPostgresSpec, openPostgres, type PostgresTarget } from "./lib/postgres.ts";
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
import {
  fmtMB,
  geoMeanRatio,
  markdownTables,
  noteRow,
  pairConsole,
  pairMarkdown,
  pairRows,
  type Mode,
} from "./lib/report.ts";
import { createSchema, disableRequestLogs } from "./lib/schema.ts";
import { upstreamTable } from "./lib/upstream.ts";
import { authScenario } from "./scenarios/auth.ts";
import { cluster } from "./scenarios/cluster.ts";
import { create } from "./scenarios/create.ts";
import { custom } from "./scenarios/custom.ts";
import { deleteScenario } from "./scenarios/delete.ts";
import { floor } from "./scenarios/floor.ts";
import { realtime } from "./scenarios/realtime.ts";
import { search } from "./scenarios/search.ts";
import { median, startup } from "./scenarios/startup.ts";

export const ROOT = resolve(import.meta.dir, "..");
export const SCENARIOS = ["create", "auth", "search", "custom", "floor", "realtime", "delete", "startup"] as const;
/** PostgreSQL-only scenarios: run when named, never by default; named alone, they imply --db=postgres and no SQLite pass. */
const PG_ONLY = ["cluster"] as const;
type Scenario = (typeof SCENARIOS)[number] | (typeof PG_ONLY)[number];
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
  /** "" (SQLite only, as ever), "postgres" (throwaway cluster) or a postgres:// URL: a second pass on PostgreSQL. */
  db: string;
  /** Only PostgreSQL-only scenarios were named: one pass, on PostgreSQL. */
  pgOnly: boolean;
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
  let db = "";
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
    else if (k === "--db") {
      if (v !== "" && v !== "sqlite" && !isPostgresSpec(v))
        throw new Error(`--db must be postgres or a postgres://user:pass@host:port/db URL (got "${v}")`);
      db = v === "sqlite" ? "" : v;
    } else if (k === "-h" || k === "--help") throw new HelpRequested();
    else {
      for (const s of a.split(",")) {
        if (![...SCENARIOS, ...PG_ONLY].includes(s as Scenario))
          throw new Error(`unknown scenario or option "${s}" (scenarios: ${[...SCENARIOS, ...PG_ONLY].join(", ")})`);
        scenarios.push(s as Scenario);
      }
    }
  }
  if (cooldown !== null && Number.isFinite(cooldown)) profile = { ...profile, cooldownMs: cooldown };
  if (realtimeClients !== null && realtimeClients > 0) profile = { ...profile, realtimeClients };
  const pgOnly = scenarios.length > 0 && scenarios.every((s) => (PG_ONLY as readonly string[]).includes(s));
  if (pgOnly && !db) db = "postgres";
  return {
    scenarios: scenarios.length ? [...SCENARIOS, ...PG_ONLY].filter((s) => scenarios.includes(s)) : [...SCENARIOS],
    profile,
    modes,
    binary,
    build,
    out,
    keep,
    db,
    pgOnly,
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
      "usage: npm run bench -- [scenario...] [--quick|--full] [--mode=both|close|keepalive] [--no-build] [--binary=path] [--out=file|none] [--keep] [--cooldown=ms] [--realtime-clients=n] [--db=postgres|postgres://…]\nscenarios: " +
      [...SCENARIOS, ...PG_ONLY].join(" ");
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

  const engines: Engine[] = o.pgOnly ? [] : [SQLITE];
  let pg: PostgresTarget | null = null;
  let failed = false;
  let pgCpu = 0;
  const passes: Pass[] = [];
  try {
    if (o.db) {
      pg = await openPostgres(o.db);
      print(
        `PostgreSQL ${pg.version}: ${pg.where}${o.pgOnly ? "" : "; each row runs on SQLite first, then on PostgreSQL (same binary, --db=)"}`,
      );
      const target = pg;
      engines.push({
        name: "PostgreSQL",
        dbUrl: "",
        freshDatabase: () => target.freshDatabase(),
        dbCpuSeconds: target.cpuSeconds,
      });
    }
    for (const engine of engines) {
      if (engines.length > 1) print(`\n######## ${engine.name} pass`);
      // the pass's own data set: on PostgreSQL a new database, as pb_data is a new folder
      const e = engine.freshDatabase ? { ...engine, dbUrl: await engine.freshDatabase() } : engine;
      const pass = await runPass(o, e, print, engines.length > 1 ? ` (${engine.name})` : "");
      passes.push(pass);
      failed ||= pass.failed;
    }
  } catch (e) {
    failed = true;
    console.error(e);
  } finally {
    // the cluster's processes are ours too (for the "other processes" figure), read before it stops
    pgCpu = pg?.cpuSeconds?.() ?? 0;
    await pg?.close().catch((e: unknown) => console.error(e));
  }

  const totalS = (performance.now() - t0) / 1000;
  const ownCpu = process.cpuUsage(cpu0);
  const ours = (ownCpu.user + ownCpu.system) / 1e6 + childCpuSeconds + pgCpu;
  const otherDuring = Math.min(
    1,
    Math.max(0, (machineBusySeconds() - busy0 - ours) / (((performance.now() - wall0) / 1000) * m.cores)),
  );
  const loadLine = `other processes on the machine used ${(loadBefore * 100).toFixed(0)}% of its CPU in the second before the run and ${(otherDuring * 100).toFixed(0)}% during it${otherDuring > 0.05 ? " (figures disturbed: rerun on a quiet machine)" : ""}`;
  print(`\n${loadLine}`);
  const done = passes.filter((p): p is Pass & { bench: Bench } => p.bench !== null);
  if (done.length) {
    const full = o.profile.name === "full";
    const two = engines.length > 1;
    const notes: string[] = [];
    if (two && done.length === 2) {
      const [a, b] = [done[0]!, done[1]!];
      const pairs = pairRows(a.bench.rows, b.bench.rows);
      const geo = geoMeanRatio(pairs);
      const geoLine = `${b.engine.name} ÷ ${a.engine.name}, geometric mean of the req/s ratios of ${geo.rows} rows without errors: ${Number.isFinite(geo.mean) ? geo.mean.toFixed(2) : "n/a"}`;
      print(
        `\n${a.engine.name} vs ${b.engine.name}, side by side (ratio = ${b.engine.name} req/s ÷ ${a.engine.name} req/s)`,
      );
      for (const l of pairConsole(pairs, a.engine.name, b.engine.name)) print(l);
      print(`\n${geoLine}`);
      notes.push(geoLine);
    }
    for (const p of done) {
      const peak = Math.max(
        0,
        ...p.bench.rows.filter((r) => r.section !== "floor" && r.section !== "custom").map((r) => r.peakRss),
      );
      const memLine = `${two ? `${p.engine.name}: ` : ""}pb peak RSS under load ${fmtMB(peak) || "n/a (no pb load scenario ran)"}; RSS at the end of the run (idle, data loaded) ${fmtMB(p.finalRss)}`;
      // with two engines the console keeps to the side-by-side rows; the file has both upstream tables
      if (!two && !o.pgOnly) print(`\n${upstreamTable(p.bench.rows, full)}`);
      print(`${memLine}${p.startupNote ? `\n${two ? `${p.engine.name}: ` : ""}${p.startupNote}` : ""}`);
      notes.push(memLine, ...(p.startupNote ? [`${two ? `${p.engine.name}: ` : ""}${p.startupNote}`] : []));
    }
    print(`total ${totalS.toFixed(0)} s`);
    notes.push(loadLine);
    const file = o.out === "" ? defaultOut(o, m) : o.out;
    if (file) {
      mkdirSync(join(file, ".."), { recursive: true });
      writeFileSync(file, renderMarkdown(o, m, done, notes, totalS, pg));
      print(`results: ${relative(process.cwd(), file) || file}`);
    }
  }
  for (const p of passes) {
    if (!o.keep) rmSync(p.work, { recursive: true, force: true });
    else print(`kept ${p.work}`);
  }
  return failed ? 1 : 0;
}

interface Pass {
  engine: Engine;
  bench: Bench | null;
  failed: boolean;
  /** pb's RSS at the end of the pass (idle, data loaded). */
  finalRss: number;
  startupNote: string;
  /** The pass's temp folder (pb_data, logs). */
  work: string;
}

/** Every chosen scenario on one engine: a pb server on a new data set, then startup once it stopped. */
async function runPass(o: Options, engine: Engine, print: (s: string) => void, sectionSuffix: string): Promise<Pass> {
  const work = mkdtempSync(join(tmpdir(), "pb-bench-"));
  const dataDir = join(work, "pb_data");
  const dbArgs = engine.dbUrl ? [`--db=${engine.dbUrl}`] : [];
  const pass: Pass = { engine, bench: null, failed: false, finalRss: 0, startupNote: "", work };
  let pb: ServerProc | null = null;
  try {
    const up = spawnSync(o.binary, ["superuser", "upsert", SU_EMAIL, SU_PASSWORD, `--dir=${dataDir}`, ...dbArgs], {
      encoding: "utf8",
    });
    if (up.status !== 0) throw new Error(`superuser upsert failed: ${up.stderr || up.stdout}`);
    const port = await freePort();
    // --queryTimeout=90: upstream's harness raised its query timeout to 90 s for the slow rule variants.
    pb = await spawnServer({
      name: "pb",
      cmd: [o.binary, "serve", `--http=${HOST}:${port}`, `--dir=${dataDir}`, ...dbArgs, "--queryTimeout=90"],
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
    pass.bench = new Bench(o.profile, o.modes, pb, api, dataDir, work, o.binary, print, engine, sectionSuffix);
    const b = pass.bench;

    const wantsData = o.scenarios.some((s) => NEEDS_DATA.includes(s));
    if (!o.scenarios.includes("create") && wantsData) {
      const ts = performance.now();
      print(`seeding the data set (not measured; ${o.profile.name} profile sizes)…`);
      await create(b, { record: false });
      print(`seeded in ${((performance.now() - ts) / 1000).toFixed(1)} s`);
    }
    for (const s of o.scenarios) {
      if (s === "startup" || s === "cluster") continue; // after pb stops
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
        pass.failed = true;
        b.add(noteRow(s, `${s} stopped by an error`, (e as Error).message.split("\n")[0]!.slice(0, 300)));
        console.error(e);
      }
      print(`-- ${s}${sectionSuffix}: ${((performance.now() - ts) / 1000).toFixed(1)} s`);
    }
    pass.finalRss = readMem(pb.pid).rss;
  } catch (e) {
    pass.failed = true;
    console.error(e);
  } finally {
    if (pb) await pb.stop();
  }

  const bench = pass.bench;
  if (bench && o.scenarios.includes("cluster")) {
    // its own nodes on the pass's data set (pb, still running, would be one more node)
    const ts = performance.now();
    try {
      await cluster(bench);
    } catch (e) {
      pass.failed = true;
      bench.add(noteRow("cluster", "cluster stopped by an error", (e as Error).message.split("\n")[0]!.slice(0, 300)));
      console.error(e);
    }
    print(`-- cluster${sectionSuffix}: ${((performance.now() - ts) / 1000).toFixed(1)} s`);
  }
  if (bench && o.scenarios.includes("startup")) {
    const ts = performance.now();
    try {
      const f = await startup(bench, o.binary);
      pass.startupNote = `cold start median ${median(f.coldMs).toFixed(0)} ms, idle RSS ${fmtMB(median(f.idleRss))}, binary ${(f.binaryBytes / 1e6).toFixed(1)} MB`;
    } catch (e) {
      pass.failed = true;
      bench.add(noteRow("startup", "startup stopped by an error", (e as Error).message.split("\n")[0]!));
      console.error(e);
    }
    print(`-- startup${sectionSuffix}: ${((performance.now() - ts) / 1000).toFixed(1)} s`);
  }
  return pass;
}

function defaultOut(o: Options, m: Machine): string {
  const date = new Date().toISOString().slice(0, 10);
  let name = `${date}-${m.commit}`;
  if (o.profile.name !== "full") name += `-${o.profile.name}`;
  if (o.scenarios.length !== SCENARIOS.length) name += `-${o.scenarios.join("-")}`;
  if (o.modes.length === 1) name += `-${o.modes[0]}`;
  if (o.db && !o.pgOnly) name += "-postgres";
  return join(ROOT, "bench/results", `${name}.md`);
}

/** The same file for one engine as ever; with two, the side-by-side tables first, then each pass's own. */
function renderMarkdown(
  o: Options,
  m: Machine,
  passes: (Pass & { bench: Bench })[],
  notes: string[],
  totalS: number,
  pg: PostgresTarget | null,
): string {
  const full = o.profile.name === "full";
  const two = passes.length > 1;
  const when = `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, commit ${m.commit}${m.dirty ? " (+ uncommitted changes)" : ""}`;
  const lines = [
    // a two-engine file is a comparison, not one of pb's own runs: its own title keeps it out of what
    // the top-level README's Performance section quotes (test/readme.test.ts: "# pb benchmark — …")
    two
      ? `# pb on ${passes.map((p) => p.engine.name).join(" vs ")} — ${when}`
      : o.pgOnly
        ? `# pb ${o.scenarios.join(", ")} on PostgreSQL — ${when}`
        : `# pb benchmark — ${when}`,
    "",
    `- profile: **${o.profile.name}**${full ? " (upstream's request counts)" : " (smaller counts than upstream's; not comparable one to one)"}; scenarios: ${o.scenarios.join(", ")}`,
    `- client modes: ${o.modes.map((x) => (x === "close" ? "new connection per request (as upstream's harness)" : "keep-alive")).join("; ")}`,
    `- machine: ${m.cores} cores (${m.cpu}), ${m.memory} RAM, ${m.kernel}`,
    `- Bun ${m.bun}; ${m.pb}; binary ${(statSync(o.binary).size / 1e6).toFixed(1)} MB`,
    ...(pg
      ? [
          `- storage: ${o.pgOnly ? "" : "SQLite (pb_data files, as always), then "}PostgreSQL ${pg.version} on ${pg.where}; the same binary with \`--db=<a new database>\` for each pb data set, seeded through the HTTP API as on SQLite; PostgreSQL runs in its own processes on the same cores, ${pg.cpuSeconds ? "and `srv CPU/req` on PostgreSQL is pb's CPU plus the cluster's (its backends do the work SQLite does inside pb)" : "whose CPU `srv CPU/req` cannot see (pb's CPU only)"}`,
        ]
      : []),
    "- load generator: raw HTTP/1.1 over Bun.connect, one connection per worker, pre-built requests; same machine as the server, loopback only",
    ...notes.map((n) => `- ${n}`),
    `- total run time ${totalS.toFixed(0)} s`,
    "",
    "errors = responses with status ≥ 400 plus network failures; latencies are per request, connect included in new-connection mode.",
    "",
  ];
  if (!two) {
    const b = passes[0]!.bench;
    lines.push(markdownTables(b.rows), ...b.extra.markdown, ...(o.pgOnly ? [] : [upstreamTable(b.rows, full)]));
    return lines.join("\n") + "\n";
  }
  const [a, z] = [passes[0]!, passes[1]!];
  lines.push(
    `## ${a.engine.name} vs ${z.engine.name}`,
    "",
    `Each row twice: ${a.engine.name} (first pass), ${z.engine.name} (second pass, its own data set built the same way). Ratio = ${z.engine.name} req/s ÷ ${a.engine.name} req/s (above 1: ${z.engine.name} faster; "errors" when either side had some). Figures, not a target; the passes ran one after the other, not interleaved.`,
    "",
    pairMarkdown(pairRows(a.bench.rows, z.bench.rows), a.engine.name, z.engine.name),
  );
  for (const [i, p] of passes.entries()) {
    // the first pass's sections keep their plain names, so bench/compare.ts matches them with a
    // one-engine run's; the second's carry the engine
    const tag = (s: string) => (i === 0 ? s : `${s} (${p.engine.name})`);
    lines.push(
      `## ${p.engine.name}`,
      "",
      markdownTables(p.bench.rows.map((r) => ({ ...r, section: tag(r.section) }))),
      ...p.bench.extra.markdown.map((md) => md.replace(/^### (.*)$/gm, (_, h: string) => `### ${tag(h)}`)),
      upstreamTable(p.bench.rows, full, p.engine.name),
    );
  }
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  process.exitCode = await main(process.argv.slice(2));
  process.exit(process.exitCode);
}
