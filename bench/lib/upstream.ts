/**
 * Upstream PocketBase's published figures (v0.36, pure-Go SQLite, Hetzner CAX11: 2 vCPU ARM, load
 * generator on the same box opening a new connection per request) and the rows of our run they
 * compare with: our new-connection rows, same request counts and concurrency. A throughput figure
 * compares across profiles; one that depends on the data set size only in the full profile.
 */
import type { Row } from "./report.ts";
import { fmtMs, fmtRps } from "./report.ts";

interface Figure {
  what: string;
  /** Upstream's figure: total wall time for `reqs` requests, or a mean latency. */
  upstream: { totalS: number; reqs: number } | { meanMs: number };
  /** Our row: its name, concurrency; new-connection mode. */
  name: string | RegExp;
  conc: number;
  /** Depends on the data set size (comparable only in the full profile). */
  dataSized?: boolean;
}

export const UPSTREAM_FIGURES: Figure[] = [
  {
    what: "create 50k posts @500, no rule",
    upstream: { totalS: 24.8, reqs: 50000 },
    name: "posts100k no rule",
    conc: 500,
  },
  {
    what: "create 50k posts @500, auth + :isset rule",
    upstream: { totalS: 36.8, reqs: 50000 },
    name: "posts100k auth + :isset rule",
    conc: 500,
  },
  {
    what: "create 250 users @50 (bcrypt)",
    upstream: { totalS: 16.8, reqs: 250 },
    name: 'users (bcrypt) rule=""',
    conc: 50,
  },
  {
    what: "auth-with-password 250 @250 (bcrypt)",
    upstream: { totalS: 8.43, reqs: 250 },
    name: "auth-with-password (bcrypt)",
    conc: 250,
  },
  { what: "auth-refresh 1000 @1000", upstream: { totalS: 0.36, reqs: 1000 }, name: "auth-refresh", conc: 1000 },
  { what: "getOne user 1000 @100", upstream: { totalS: 0.38, reqs: 1000 }, name: "getOne users/{id}", conc: 100 },
  {
    what: "list posts10k perPage=20 @1, mean latency",
    upstream: { meanMs: 3.1 },
    name: /^posts10k \([\d,]+ rows\) list$/,
    conc: 1,
    dataSized: true,
  },
  {
    what: "list posts100k perPage=20 @1, mean latency",
    upstream: { meanMs: 13.3 },
    name: /^posts100k \([\d,]+ rows\) list$/,
    conc: 1,
    dataSized: true,
  },
  {
    what: "list posts100k 1000 @1000, with count",
    upstream: { totalS: 6.87, reqs: 1000 },
    name: /^posts100k \([\d,]+ rows\) list$/,
    conc: 1000,
    dataSized: true,
  },
  {
    what: "list posts100k 1000 @1000, skipTotal",
    upstream: { totalS: 0.89, reqs: 1000 },
    name: /^posts100k \([\d,]+ rows\) list skipTotal$/,
    conc: 1000,
    dataSized: true,
  },
  {
    what: "posts100k rule author = @request.auth.id, no index, 100 @10",
    upstream: { totalS: 4.43, reqs: 100 },
    name: "posts100k rule author = @request.auth.id (no index)",
    conc: 10,
    dataSized: true,
  },
  {
    what: "… with an index",
    upstream: { totalS: 0.35, reqs: 100 },
    name: "posts100k rule author = @request.auth.id (index)",
    conc: 10,
    dataSized: true,
  },
  {
    what: "… with an index and skipTotal",
    upstream: { totalS: 0.087, reqs: 100 },
    name: "posts100k rule author = @request.auth.id (index, skipTotal)",
    conc: 10,
    dataSized: true,
  },
  { what: "JS route 500 @50", upstream: { totalS: 6.2, reqs: 500 }, name: "JS route GET /js (pb_hooks)", conc: 50 },
  {
    what: "JS update hook, 100 PATCH @10",
    upstream: { totalS: 0.225, reqs: 100 },
    name: "PATCH + JS onRecordUpdateRequest hook",
    conc: 10,
  },
  {
    what: "native update hook, 100 PATCH @10",
    upstream: { totalS: 0.072, reqs: 100 },
    name: "PATCH + native onRecordUpdateRequest hook",
    conc: 10,
  },
  {
    what: "native (Go) route 500 @50",
    upstream: { totalS: 6.5, reqs: 500 },
    name: "native route GET /native",
    conc: 50,
  },
];

/**
 * Markdown table: upstream's figure, ours, and how many times faster ours is. `engine` names the
 * storage in the heading when a run has two.
 */
export function upstreamTable(rows: Row[], fullProfile: boolean, engine = ""): string {
  const out = [
    `### against upstream's published figures${engine ? ` — pb on ${engine}` : ""}`,
    "",
    "Upstream: PocketBase v0.36 on a Hetzner CAX11 (2 vCPU ARM), its own harness on the same box, new connection per request. Ours: the new-connection rows of this run. Different machines — read the ratio as an order of magnitude, not a verdict.",
    "",
    "| scenario | upstream | pb (this run) | pb speed ÷ upstream |",
    "|---|---:|---:|---:|",
  ];
  for (const f of UPSTREAM_FIGURES) {
    const named = (r: Row) => (typeof f.name === "string" ? r.name === f.name : f.name.test(r.name));
    const row = rows.find((r) => r.mode === "close" && r.conc === f.conc && named(r)) ?? null;
    const up =
      "meanMs" in f.upstream
        ? `${f.upstream.meanMs} ms mean`
        : `${fmtRps(f.upstream.reqs / f.upstream.totalS)} req/s (${f.upstream.totalS} s)`;
    if (!row || (f.dataSized && !fullProfile)) {
      out.push(
        `| ${f.what} | ${up} | ${f.dataSized && !fullProfile ? "n/a: smaller data set in this profile" : "not run"} | |`,
      );
      continue;
    }
    if ("meanMs" in f.upstream) {
      out.push(`| ${f.what} | ${up} | ${fmtMs(row.mean)} mean | ${(f.upstream.meanMs / row.mean).toFixed(1)}× |`);
    } else {
      const upRps = f.upstream.reqs / f.upstream.totalS;
      out.push(
        `| ${f.what} | ${up} | ${fmtRps(row.rps)} req/s (${row.reqs} reqs, ${fmtMs(row.wallMs)}) | ${(row.rps / upRps).toFixed(1)}× |`,
      );
    }
  }
  return out.join("\n") + "\n";
}
