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
/** Server CPU per request (µs in, "480 µs" / "71 ms" out). */
export const fmtCpu = (us: number) =>
  Number.isNaN(us) ? "" : us >= 10000 ? `${(us / 1000).toFixed(0)} ms` : `${us.toFixed(0)} µs`;
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
  ["srv CPU/req", (r) => fmtCpu(r.cpuPerReq), "r"],
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

/** One workload row as each of two engines ran it (null: that engine has no such row). */
export interface RowPair {
  section: string;
  left: Row | null;
  right: Row | null;
}

/**
 * Matches two passes' rows (section, scenario, mode and concurrency, then order among equals), in the
 * first pass's order; rows only the second pass has come last.
 */
export function pairRows(left: Row[], right: Row[]): RowPair[] {
  const keyed = (rows: Row[]) => {
    const seen = new Map<string, number>();
    return rows.map((r) => {
      const base = `${r.section}\u0000${r.name}\u0000${r.mode}\u0000${r.conc}`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      return [`${base}\u0000${n}`, r] as const;
    });
  };
  const rightByKey = new Map(keyed(right));
  const pairs: RowPair[] = [];
  for (const [k, r] of keyed(left)) {
    pairs.push({ section: r.section, left: r, right: rightByKey.get(k) ?? null });
    rightByKey.delete(k);
  }
  for (const r of rightByKey.values()) pairs.push({ section: r.section, left: null, right: r });
  return pairs;
}

/**
 * right req/s ÷ left req/s; NaN when either side has no throughput figure or had errors (a refused
 * request costs less than a served one, so its rate says nothing about the engine).
 */
export function pairRatio(p: RowPair): number {
  if (!p.left || !p.right || p.left.errors > 0 || p.right.errors > 0) return NaN;
  const [a, b] = [p.left.rps, p.right.rps];
  return a > 0 && b > 0 ? b / a : NaN;
}

/** Geometric mean of the pairs' ratios (rows without errors on either side) and how many rows it covers. */
export function geoMeanRatio(pairs: RowPair[]): { mean: number; rows: number } {
  const ratios = pairs.map(pairRatio).filter(Number.isFinite);
  const mean = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / Math.max(1, ratios.length));
  return { mean: ratios.length ? mean : NaN, rows: ratios.length };
}

type PairCol = [string, (p: RowPair) => string, "l" | "r", number];

/** The side-by-side columns: each figure for the left engine, then the right, and the throughput ratio. */
function pairCols(leftName: string, rightName: string): PairCol[] {
  const any = (p: RowPair) => (p.left ?? p.right)!;
  const both = (f: (r: Row) => string) => (p: RowPair) => {
    const a = p.left ? f(p.left) : "";
    const b = p.right ? f(p.right) : "";
    return a === b || !p.left || !p.right ? a || b : `${a} / ${b}`;
  };
  const side = (which: "left" | "right", f: (r: Row) => string) => (p: RowPair) => (p[which] ? f(p[which]!) : "");
  const errs = (r: Row) =>
    r.mode === "" && !r.errors ? "" : String(r.errors) + (r.errorDetail ? ` (${r.errorDetail})` : "");
  const note = (p: RowPair) => {
    const a = p.left?.note ?? "";
    const b = p.right?.note ?? "";
    if (a === b) return a;
    return [
      a && `${leftName}: ${a}`,
      b && `${rightName}: ${b}`,
      !p.left ? `${leftName}: no such row` : "",
      !p.right ? `${rightName}: no such row` : "",
    ]
      .filter(Boolean)
      .join(" · ");
  };
  const [L, R] = [leftName, rightName];
  return [
    ["scenario", (p) => any(p).name, "l", 60],
    ["mode", both((r) => (r.mode === "keepalive" ? "keep-alive" : r.mode === "close" ? "new conn" : "")), "l", 10],
    ["reqs", both((r) => (r.reqs ? String(r.reqs) : "")), "r", 6],
    ["conc", both((r) => (r.conc ? String(r.conc) : "")), "r", 5],
    [`${L} req/s`, side("left", (r) => fmtRps(r.rps)), "r", 12],
    [`${R} req/s`, side("right", (r) => fmtRps(r.rps)), "r", 16],
    [
      `${R} ÷ ${L}`,
      (p) => {
        const r = pairRatio(p);
        if (Number.isFinite(r)) return r.toFixed(2);
        return (p.left?.errors ?? 0) > 0 || (p.right?.errors ?? 0) > 0 ? "errors" : "";
      },
      "r",
      20,
    ],
    [`${L} p50`, side("left", (r) => fmtMs(r.p50)), "r", 10],
    [`${R} p50`, side("right", (r) => fmtMs(r.p50)), "r", 14],
    [`${L} p99`, side("left", (r) => fmtMs(r.p99)), "r", 10],
    [`${R} p99`, side("right", (r) => fmtMs(r.p99)), "r", 14],
    [`${L} errors`, side("left", errs), "l", 13],
    [`${R} errors`, side("right", errs), "l", 17],
    [`${L} CPU/req`, side("left", (r) => fmtCpu(r.cpuPerReq)), "r", 14],
    [`${R} CPU/req`, side("right", (r) => fmtCpu(r.cpuPerReq)), "r", 18],
    ["note", note, "l", 0],
  ];
}

/** The side-by-side rows as aligned console text, a header per section. */
export function pairConsole(pairs: RowPair[], leftName: string, rightName: string): string[] {
  const cols = pairCols(leftName, rightName);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (cols[i]![2] === "r" ? c.padStart(cols[i]![3]) : c.padEnd(cols[i]![3])))
      .join("  ")
      .trimEnd();
  const out: string[] = [];
  for (const s of [...new Set(pairs.map((p) => p.section))]) {
    out.push("", `== ${s}`, line(cols.map(([h]) => h)));
    for (const p of pairs.filter((x) => x.section === s)) out.push(line(cols.map(([, f]) => f(p))));
  }
  return out;
}

/** The side-by-side rows as Markdown tables, one per section. */
export function pairMarkdown(pairs: RowPair[], leftName: string, rightName: string): string {
  const cols = pairCols(leftName, rightName);
  const out: string[] = [];
  for (const s of [...new Set(pairs.map((p) => p.section))]) {
    out.push(`### ${s}`, "");
    out.push("| " + cols.map(([h]) => h).join(" | ") + " |");
    out.push("|" + cols.map(([, , a]) => (a === "r" ? "---:" : "---")).join("|") + "|");
    for (const p of pairs.filter((x) => x.section === s))
      out.push("| " + cols.map(([, f]) => f(p).replace(/\|/g, "\\|")).join(" | ") + " |");
    out.push("");
  }
  return out.join("\n");
}
