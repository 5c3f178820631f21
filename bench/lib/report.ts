/**
 * Figures from a load run (requests/s, latency percentiles, wall time, errors) and their output:
 * an aligned table on the console and a Markdown file under bench/results/.
 */
import type { LoadResult } from "./http_client.ts";

export type Mode = "close" | "keepalive";

/** One line of the results table. */
export interface Row {
  section: string;
  name: string;
  /** "close" (new connection per request), "keepalive", or "" (not a load run). */
  mode: Mode | "";
  reqs: number;
  conc: number;
  rps: number;
  /** Mean latency, ms. */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  best: number;
  wallMs: number;
  /** Responses with status ≥ 400 plus network failures and timeouts. */
  errors: number;
  /** e.g. "400×3 net×1" when errors > 0. */
  errorDetail: string;
  /** Server's peak RSS during the run, bytes (0 = not measured). */
  peakRss: number;
  /** Server process CPU time (user + system, all its threads) per request, µs (NaN = not measured). */
  cpuPerReq: number;
  note: string;
}

/** Percentile (nearest rank) of an ascending array. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Turns a load result into a row. */
export function toRow(
  r: LoadResult,
  o: { section: string; name: string; mode: Mode; conc: number; peakRss?: number; cpuSeconds?: number; note?: string },
): Row {
  const done: number[] = [];
  let errors = 0;
  const byStatus = new Map<string, number>();
  for (let i = 0; i < r.sent; i++) {
    const s = r.statuses[i]!;
    if (!Number.isNaN(r.latencies[i]!)) done.push(r.latencies[i]!);
    if (s >= 400 || s < 0 || s === 0) {
      errors++;
      const k = s === -1 ? "net" : s === -2 ? "timeout" : s === 0 ? "none" : String(s);
      byStatus.set(k, (byStatus.get(k) ?? 0) + 1);
    }
  }
  const notSent = r.statuses.length - r.sent;
  const lat = Float64Array.from(done).sort();
  const detail = [...byStatus].map(([k, n]) => `${k}×${n}`);
  if (notSent > 0) detail.push(`not sent×${notSent}`);
  return {
    section: o.section,
    name: o.name,
    mode: o.mode,
    reqs: r.sent,
    conc: o.conc,
    rps: r.wallMs > 0 ? (r.sent / r.wallMs) * 1000 : 0,
    mean: lat.length ? lat.reduce((a, b) => a + b, 0) / lat.length : NaN,
    p50: percentile(lat, 50),
    p90: percentile(lat, 90),
    p99: percentile(lat, 99),
    max: lat.length ? lat[lat.length - 1]! : NaN,
    best: lat.length ? lat[0]! : NaN,
    wallMs: r.wallMs,
    errors: errors + notSent,
    errorDetail: detail.join(" "),
    peakRss: o.peakRss ?? 0,
    cpuPerReq: o.cpuSeconds !== undefined && r.sent > 0 ? (o.cpuSeconds * 1e6) / r.sent : NaN,
    note: o.note ?? "",
  };
}

/** A row that only carries a note (a skipped or unavailable scenario, a single figure). */
export function noteRow(section: string, name: string, note: string): Row {
  return {
    section,
    name,
    mode: "",
    reqs: 0,
    conc: 0,
    rps: NaN,
    mean: NaN,
    p50: NaN,
    p90: NaN,
    p99: NaN,
    max: NaN,
    best: NaN,
    wallMs: NaN,
    errors: 0,
    errorDetail: "",
    peakRss: 0,
    cpuPerReq: NaN,
    note,
  };
}

export const fmtMs = (ms: number) =>
  Number.isNaN(ms)
    ? ""
    : ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : ms >= 100
        ? `${ms.toFixed(0)} ms`
        : ms >= 10
          ? `${ms.toFixed(1)} ms`
          : `${ms.toFixed(2)} ms`;
export const fmtRps = (n: number) =>
  Number.isNaN(n) ? "" : n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1);
export const fmtMB = (b: number) => (b ? `${(b / 1048576).toFixed(0)} MB` : "");

const COLS: [string, (r: Row) => string, "l" | "r"][] = [
  ["scenario", (r) => r.name, "l"],
  ["mode", (r) => (r.mode === "keepalive" ? "keep-alive" : r.mode === "close" ? "new conn" : ""), "l"],
  ["reqs", (r) => (r.reqs ? String(r.reqs) : ""), "r"],
  ["conc", (r) => (r.conc ? String(r.conc) : ""), "r"],
  ["req/s", (r) => fmtRps(r.rps), "r"],
  ["p50", (r) => fmtMs(r.p50), "r"],
  ["p90", (r) => fmtMs(r.p90), "r"],
  ["p99", (r) => fmtMs(r.p99), "r"],
  ["max", (r) => fmtMs(r.max), "r"],
  ["total", (r) => fmtMs(r.wallMs), "r"],
  [
    "errors",
    (r) => (r.mode === "" && !r.errors ? "" : String(r.errors) + (r.errorDetail ? ` (${r.errorDetail})` : "")),
    "l",
  ],
  [
    "srv CPU/req",
    (r) =>
      Number.isNaN(r.cpuPerReq)
        ? ""
        : r.cpuPerReq >= 10000
          ? `${(r.cpuPerReq / 1000).toFixed(0)} ms`
          : `${r.cpuPerReq.toFixed(0)} µs`,
    "r",
  ],
  ["peak RSS", (r) => fmtMB(r.peakRss), "r"],
  ["note", (r) => r.note, "l"],
];

/** One console line for a row (printed as each run finishes). */
export function consoleLine(r: Row, widths = CONSOLE_WIDTHS): string {
  return COLS.map(([, f, align], i) => {
    const s = f(r);
    const w = widths[i]!;
    return align === "r" ? s.padStart(w) : s.padEnd(w);
  })
    .join("  ")
    .trimEnd();
}
const CONSOLE_WIDTHS = [60, 10, 6, 5, 8, 9, 9, 9, 9, 9, 8, 11, 8, 0];
export function consoleHeader(widths = CONSOLE_WIDTHS): string {
  return COLS.map(([h, , align], i) => (align === "r" ? h.padStart(widths[i]!) : h.padEnd(widths[i]!)))
    .join("  ")
    .trimEnd();
}

/** Markdown table of rows, grouped by section. */
export function markdownTables(rows: Row[]): string {
  const out: string[] = [];
  const sections = [...new Set(rows.map((r) => r.section))];
  for (const s of sections) {
    out.push(`### ${s}`, "");
    out.push("| " + COLS.map(([h]) => h).join(" | ") + " |");
    out.push("|" + COLS.map(([, , a]) => (a === "r" ? "---:" : "---")).join("|") + "|");
    for (const r of rows.filter((x) => x.section === s)) {
      out.push("| " + COLS.map(([, f]) => f(r).replace(/\|/g, "\\|")).join(" | ") + " |");
    }
    out.push("");
  }
  return out.join("\n");
}
