/**
 * `cluster` (PostgreSQL only, issue 18): 1, then 2, then 3 `pb serve --reusePort` nodes on one port of
 * one host, all on the pass's PostgreSQL database and the same pb_data folder, under the same client
 * load at each count: a filtered list, a view by id, creates. The kernel spreads connections over the
 * nodes (SO_REUSEPORT), so both client modes spread: a new connection per request, or one keep-alive
 * connection per worker (50 of them).
 *
 * Each row's server CPU is every node's plus the PostgreSQL cluster's; the split per node is in the
 * note and in the summary table, with how many of 60 new-connection health probes (superuser,
 * `data.node`) each node answered. Peak RSS is the largest node's. Figures only: on a 2-core machine
 * more nodes cannot add cores.
 *
 * Runs after the pass's own pb stopped (it would otherwise be a fourth node of the cluster), on the
 * pass's data set; it makes its own two collections (the read set, seeded unmeasured, and a target for
 * the creates, so the read set keeps its size from one node count to the next).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { Api } from "../lib/api.ts";
import { JSON_HEADERS, type Bench } from "../lib/bench.ts";
import { encodeRequest, requestOnce, runLoad, type HttpRequest } from "../lib/http_client.ts";
import { cpuSeconds, freePort, HOST, rssSampler, spawnServer, type ServerProc } from "../lib/proc.ts";
import { fmtMs, fmtRps, toRow, type Mode, type Row } from "../lib/report.ts";
import { createPosts } from "../lib/schema.ts";
import { postBody } from "./create.ts";

const SECTION = "cluster";
const READS = "cluster_posts";
const WRITES = "cluster_writes";
const FILTER = "public = true && type ?= 'b'";
const PROBES = 60;

/** [requests, concurrency] per load, the read set's size and an unmeasured warm-up after a node joins. */
const COUNTS = {
  full: { seed: 10_000, list: [5000, 50], view: [10_000, 50], create: [5000, 50], warm: 2000, nodes: 3 },
  quick: { seed: 2000, list: [2000, 50], view: [3000, 50], create: [1500, 50], warm: 1000, nodes: 3 },
  smoke: { seed: 40, list: [40, 5], view: [40, 5], create: [20, 5], warm: 10, nodes: 2 },
} as const;

interface Node {
  /** 1, 2, 3: the order it joined. */
  n: number;
  proc: ServerProc;
  /** Its `data.node` from the health API (superuser), or "" when this build reports none. */
  id: string;
}

/** One measured load at one node count, for the summary table. */
interface Result {
  nodes: number;
  /** "up": measured as nodes joined; "down": again as they left (1, 2, 3, 2, 1: a drift of the machine cancels out). */
  pass: "up" | "down";
  load: string;
  row: Row;
  /** CPU seconds per node (join order) and of the PostgreSQL cluster (NaN: unreadable). */
  nodeCpu: number[];
  dbCpu: number;
}

export async function cluster(b: Bench): Promise<void> {
  if (!b.engine.dbUrl) {
    b.print("cluster: PostgreSQL only (skipped on SQLite)");
    return;
  }
  const counts = COUNTS[b.profile.name];
  const help = spawnSync(b.binary, ["serve", "--help"], { encoding: "utf8" }).stdout ?? "";
  const reusePort = help.includes("--reusePort");
  const maxNodes = reusePort ? counts.nodes : 1;
  if (!reusePort) b.print("cluster: this build has no `serve --reusePort`: 1 node only");
  const port = await freePort();
  const nodes: Node[] = [];
  const results: Result[] = [];
  const spread: string[] = [];
  const idle: string[] = [];
  const api = new Api(`http://${HOST}:${port}`, b.api.token);
  // 1, 2, 3 nodes as they join, then 2 and 1 again as the newest leave: on a shared machine the load
  // from elsewhere drifts during a run, and the mean of the two passes cancels a steady drift
  const plan: ("up" | "down")[] = [
    ...Array.from({ length: maxNodes }, () => "up" as const),
    ...Array.from({ length: maxNodes - 1 }, () => "down" as const),
  ];
  try {
    let requests: Load[] = [];
    for (const pass of plan) {
      if (pass === "up") {
        const n = nodes.length + 1;
        nodes.push(await startNode(b, port, n, reusePort, nodes));
        if (n === 1) await seed(b, api, counts.seed, port);
        if (n === 1) requests = await loads(b, api);
        // a node that just joined starts cold (JIT, caches, pools): warm every node up, unmeasured
        for (const l of requests) await measure(b, port, nodes, l, counts.warm, 50, "keepalive", false);
      } else {
        const gone = nodes.pop()!;
        await gone.proc.stop();
        b.print(`cluster: node ${gone.n} stopped, ${nodes.length} node${nodes.length > 1 ? "s" : ""} on :${port}`);
        await Bun.sleep(500);
      }
      for (const mode of b.modes) {
        for (const l of requests) {
          const [total, conc] = counts[l.key];
          await b.cooldown();
          const r = await measure(
            b,
            port,
            nodes,
            l,
            total,
            conc,
            mode,
            true,
            pass === "down" ? " (again, as nodes left)" : "",
          );
          results.push({ nodes: nodes.length, pass, load: l.label, ...r });
        }
      }
      if (pass === "up") {
        spread.push(await probeSpread(port, nodes, b.api.token));
        idle.push(await idleCpu(b, nodes));
      }
    }
  } finally {
    for (const node of nodes.reverse()) await node.proc.stop();
  }
  const md = summary(results, spread, idle, b, reusePort, counts.seed);
  b.extra.markdown.push(md);
  b.print(`\n${md}`);
}

interface Load {
  key: "list" | "view" | "create";
  label: string;
  requests: HttpRequest[];
}

async function loads(b: Bench, api: Api): Promise<Load[]> {
  const ids = await api.randomIds(READS, 1000);
  const creates: HttpRequest[] = [];
  for (let i = 0; i < 1000; i++) {
    creates.push({
      method: "POST",
      path: `/api/collections/${WRITES}/records`,
      headers: JSON_HEADERS,
      body: postBody(`cluster${i}`, i, b.userIds),
    });
  }
  return [
    {
      key: "list",
      label: `list ${READS}, filter, 20 a page`,
      requests: [
        {
          method: "GET",
          path: `/api/collections/${READS}/records?perPage=20&sort=-created&filter=${encodeURIComponent(FILTER)}`,
        },
      ],
    },
    {
      key: "view",
      label: `view ${READS}/{id}`,
      requests: ids.map((id) => ({ method: "GET", path: `/api/collections/${READS}/records/${id}` })),
    },
    { key: "create", label: `create in ${WRITES}`, requests: creates },
  ];
}

/** The read set (posts-shaped, open rules), filled unmeasured, and the creates' target. */
async function seed(b: Bench, api: Api, n: number, port: number): Promise<void> {
  const t0 = performance.now();
  const usersId = (await api.collection("users")).id;
  await createPosts(api, READS, usersId);
  await createPosts(api, WRITES, usersId);
  const requests: HttpRequest[] = [];
  for (let i = 0; i < n; i++) {
    requests.push({
      method: "POST",
      path: `/api/collections/${READS}/records`,
      headers: JSON_HEADERS,
      body: postBody(`${READS}${i}`, i, b.userIds),
    });
  }
  const res = await runLoad({
    hostname: HOST,
    port,
    requests: requests.map((r) => encodeRequest(`${HOST}:${port}`, r, true)),
    total: n,
    concurrency: Math.min(50, n),
    keepAlive: true,
  });
  const failed = [...res.statuses].filter((s) => s !== 200).length;
  if (failed) throw new Error(`cluster: seeding ${READS} failed for ${failed} of ${n} records`);
  b.print(
    `cluster: ${READS} seeded with ${n} records in ${((performance.now() - t0) / 1000).toFixed(1)} s (not measured)`,
  );
}

/** Starts node `n` on the shared port and waits until it listens there itself (not only its elders). */
async function startNode(b: Bench, port: number, n: number, reusePort: boolean, running: Node[]): Promise<Node> {
  const proc = await spawnServer({
    name: `pb node ${n}`,
    cmd: [
      b.binary,
      "serve",
      ...(reusePort ? ["--reusePort"] : []),
      `--http=${HOST}:${port}`,
      `--dir=${b.dataDir}`,
      ...b.dbArgs,
      "--queryTimeout=90",
    ],
    port,
    cwd: b.workDir,
    logFile: join(b.workDir, `pb-node${n}.log`),
    timeoutMs: 60_000,
  });
  // with elders on the port, spawnServer's probe may have been answered by one of them
  const t0 = performance.now();
  while (!listensOn(proc.pid, port)) {
    if (proc.proc.exitCode !== null || performance.now() - t0 > 60_000) {
      await proc.stop();
      let log = "";
      try {
        log = readFileSync(proc.logFile, "utf8").slice(-2000);
      } catch {}
      throw new Error(`cluster: node ${n} did not listen on :${port} (exit ${proc.proc.exitCode})\n${log}`);
    }
    await Bun.sleep(20);
  }
  // its health id: the one id the probes had not seen from the running nodes
  const known = new Set(running.map((x) => x.id));
  let id = "";
  for (let i = 0; i < 300 && !id; i++) {
    const got = await nodeId(port, b.api.token);
    if (got === null) break; // this build reports no node id
    if (got && !known.has(got)) id = got;
  }
  b.print(
    `cluster: node ${n} up (pid ${proc.pid}${id ? `, data.node ${id}` : ""}), ${n} node${n > 1 ? "s" : ""} on :${port}`,
  );
  return { n, proc, id };
}

/** `data.node` of whichever node answers a new connection; null when the answer has none, "" on failure. */
async function nodeId(port: number, token: string): Promise<string | null> {
  const r = await requestOnce(HOST, port, { method: "GET", path: "/api/health", headers: { Authorization: token } });
  if (r.status !== 200) return "";
  try {
    const node = JSON.parse(r.body)?.data?.node;
    return typeof node === "string" || typeof node === "number" ? String(node) : null;
  } catch {
    return "";
  }
}

/** Which node answered each of PROBES new connections (the kernel's spread), as "node 1 ×21 · …". */
async function probeSpread(port: number, nodes: Node[], token: string): Promise<string> {
  if (!nodes.every((x) => x.id)) return `${nodes.length}: no data.node in this build's health answer`;
  const byId = new Map(nodes.map((x) => [x.id, 0]));
  let other = 0;
  for (let i = 0; i < PROBES; i++) {
    const id = await nodeId(port, token);
    if (id && byId.has(id)) byId.set(id, byId.get(id)! + 1);
    else other++;
  }
  const parts = nodes.map((x) => `node ${x.n} ×${byId.get(x.id)}`);
  if (other) parts.push(`unanswered/unknown ×${other}`);
  return `${nodes.length}: ${parts.join(" · ")}`;
}

const IDLE_MS = 3000;

/** CPU seconds the nodes and PostgreSQL use over IDLE_MS with no requests: what a node costs by being there. */
async function idleCpu(b: Bench, nodes: Node[]): Promise<string> {
  const db = b.engine.dbCpuSeconds;
  const cpu0 = nodes.map((x) => cpuSeconds(x.proc.pid));
  const db0 = db ? db() : NaN;
  await Bun.sleep(IDLE_MS);
  const nodeCpu = nodes.map((x, i) => cpuSeconds(x.proc.pid) - cpu0[i]!);
  const dbCpu = db ? db() - db0 : NaN;
  return `${nodes.length}: pb ${cpuSplit(nodeCpu)} s, PostgreSQL ${Number.isNaN(dbCpu) ? "n/a" : dbCpu.toFixed(2)} s`;
}

/** True when process `pid` holds a listening TCP socket on `port` (/proc/net/tcp{,6} and its fds). */
function listensOn(pid: number, port: number): boolean {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes = new Set<string>();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const c = line.trim().split(/\s+/);
      if (c.length > 9 && c[3] === "0A" && c[1]!.endsWith(hex)) inodes.add(c[9]!);
    }
  }
  if (!inodes.size) return false;
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1]!)) return true;
    } catch {}
  }
  return false;
}

/** One load on the shared port; the row's CPU is every node's plus PostgreSQL's. */
async function measure(
  b: Bench,
  port: number,
  nodes: Node[],
  l: Load,
  total: number,
  conc: number,
  mode: Mode,
  record: boolean,
  suffix = "",
): Promise<{ row: Row; nodeCpu: number[]; dbCpu: number }> {
  const keepAlive = mode === "keepalive";
  const encoded = l.requests.map((r) => encodeRequest(`${HOST}:${port}`, r, keepAlive));
  const db = b.engine.dbCpuSeconds;
  const cpu0 = nodes.map((x) => cpuSeconds(x.proc.pid));
  const db0 = db ? db() : NaN;
  const rss = nodes.map((x) => rssSampler(x.proc.pid));
  const res = await runLoad({ hostname: HOST, port, requests: encoded, total, concurrency: conc, keepAlive });
  const nodeCpu = nodes.map((x, i) => cpuSeconds(x.proc.pid) - cpu0[i]!);
  const dbCpu = db ? db() - db0 : NaN;
  const peakRss = Math.max(...rss.map((r) => r.stop()));
  const pbCpu = nodeCpu.reduce((a, c) => a + c, 0);
  const row = toRow(res, {
    section: SECTION,
    name: `${nodes.length} node${nodes.length > 1 ? "s" : ""}: ${l.label}${suffix}`,
    mode,
    conc,
    peakRss,
    cpuSeconds: pbCpu + (Number.isNaN(dbCpu) ? 0 : dbCpu),
    note: `CPU s: pb ${cpuSplit(nodeCpu)}${Number.isNaN(dbCpu) ? "" : `, PostgreSQL ${dbCpu.toFixed(2)}`}`,
  });
  if (record) b.add(row);
  return { row, nodeCpu, dbCpu };
}

const fmtCpuPerReq = (us: number) =>
  Number.isNaN(us) ? "" : us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`;

/** "1.23 (0.40 + 0.41 + 0.42)": the sum over the nodes, then each (join order). */
function cpuSplit(cpu: number[]): string {
  const sum = cpu.reduce((a, c) => a + c, 0).toFixed(2);
  return cpu.length > 1 ? `${sum} (${cpu.map((c) => c.toFixed(2)).join(" + ")})` : sum;
}

function summary(
  results: Result[],
  spread: string[],
  idle: string[],
  b: Bench,
  reusePort: boolean,
  seeded: number,
): string {
  const out = [
    "### cluster: 1, 2, 3 nodes behind one port",
    "",
    `\`pb serve --reusePort --http=${HOST}:<one port> --db=<one database>\` × N on this machine, the same pb_data folder; ` +
      `${READS}: ${seeded.toLocaleString("en-US")} posts-shaped records (list filter \`${FILTER}\`, sorted by -created, with the total count). ` +
      "The load generator runs on the same cores. pb CPU = the nodes' CPU seconds over the row (each node's in join order); PostgreSQL CPU = the throwaway cluster's processes.",
    ...(reusePort ? [] : ["", "**This build has no `serve --reusePort`: 1 node only.**"]),
    "",
    "Rows in the order they ran: nodes joining (1, 2, 3), then leaving (2, 1: marked ↓).",
    "",
    "| nodes | load | mode | reqs @conc | req/s | p50 | p99 | errors | pb CPU s (per node) | PostgreSQL CPU s |",
    "|---:|---|---|---:|---:|---:|---:|---|---:|---:|",
  ];
  for (const r of results) {
    const x = r.row;
    out.push(
      `| ${r.nodes}${r.pass === "down" ? " ↓" : ""} | ${r.load} | ${x.mode === "keepalive" ? "keep-alive" : "new conn"} | ${x.reqs} @${x.conc} | ${fmtRps(x.rps)} | ${fmtMs(x.p50)} | ${fmtMs(x.p99)} | ${x.errors}${x.errorDetail ? ` (${x.errorDetail})` : ""} | ${cpuSplit(r.nodeCpu)} | ${Number.isNaN(r.dbCpu) ? "" : r.dbCpu.toFixed(2)} |`,
    );
  }
  // the same figures by node count, side by side
  const counts = [...new Set(results.map((r) => r.nodes))];
  if (counts.length > 1) {
    const by = (c: number) => `${c} node${c > 1 ? "s" : ""}`;
    out.push(
      "",
      `By node count (${counts.map(by).join(" / ")}): the mean of the two runs of a count that ran twice (joining and leaving; p50 and p99 too); CPU per request = the nodes' plus PostgreSQL's:`,
      "",
      `| load | mode | req/s | p50 | p99 | errors | CPU per request |`,
      "|---|---|---:|---:|---:|---:|---:|",
    );
    const keys = [...new Set(results.map((r) => `${r.load}\u0000${r.row.mode}`))];
    for (const k of keys) {
      const [load, mode] = k.split("\u0000");
      const rs = counts.map((c) => results.filter((r) => r.nodes === c && r.load === load && r.row.mode === mode));
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
      const col = (f: (r: Row) => number, fmt: (x: number) => string, sum = false) =>
        rs
          .map((g) =>
            g.length
              ? fmt((sum ? (xs: number[]) => xs.reduce((a, x) => a + x, 0) : mean)(g.map((r) => f(r.row))))
              : "–",
          )
          .join(" / ");
      out.push(
        `| ${load} | ${mode === "keepalive" ? "keep-alive" : "new conn"} | ${col((r) => r.rps, fmtRps)} | ${col((r) => r.p50, fmtMs)} | ${col((r) => r.p99, fmtMs)} | ${col((r) => r.errors, String, true)} | ${col((r) => r.cpuPerReq, fmtCpuPerReq)} |`,
      );
    }
  }
  out.push(
    "",
    `Which node answered ${PROBES} new-connection \`GET /api/health\` probes (superuser, \`data.node\`), per node count:`,
    "",
  );
  for (const s of spread) out.push(`- ${s}`);
  out.push(
    "",
    `CPU with no client load, over ${IDLE_MS / 1000} s after each count's rows (timers, the cluster's own traffic), per node count:`,
    "",
  );
  for (const s of idle) out.push(`- ${s}`);
  out.push(
    "",
    `(client modes: ${b.modes.join(", ")}; keep-alive = one connection per worker, spread when it connects)`,
    "",
  );
  return out.join("\n");
}
