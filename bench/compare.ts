#!/usr/bin/env bun
/**
 * Compares benchmark result files (bench/results/*.md) of two builds, run interleaved on one machine:
 *
 *   bun bench/compare.ts before1.md before2.md … -- after1.md after2.md …
 *
 * Rows are matched by section, scenario, mode, request count and concurrency. For each row it prints
 * the median req/s and server CPU per request of each side and their ratios (after ÷ before), and marks
 * rows whose median throughput dropped by more than the threshold (`--threshold=5`, percent). Prints
 * figures only; it never fails on them. In a `--db=postgres` run's file the SQLite sections keep their
 * names (they match a one-engine run's) and the PostgreSQL ones read "<section> (PostgreSQL)"; the
 * side-by-side tables are skipped.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface Row {
  key: string;
  reqPerSec: number;
  cpuPerReqUs: number;
}

/** "2,927" → 2927; "" or a non-number → NaN. */
function num(s: string): number {
  return Number(s.replaceAll(",", "").trim() || "NaN");
}

/** "480 µs" / "71 ms" / "1.2 s" → µs. */
function micros(s: string): number {
  const m = /^([\d.,]+)\s*(µs|ms|s)$/.exec(s.trim());
  if (!m) return NaN;
  const v = num(m[1]!);
  return m[2] === "s" ? v * 1e6 : m[2] === "ms" ? v * 1e3 : v;
}

const STANDARD_HEADER =
  "| scenario | mode | reqs | conc | req/s | p50 | p90 | p99 | max | total | errors | srv CPU/req |";

/** The measured rows of one result file (rows without a req/s figure, such as notes, are skipped). */
export function parseResults(text: string): Row[] {
  const rows: Row[] = [];
  const seen = new Map<string, number>();
  let section = "";
  // only the one-engine tables; a --db run's side-by-side tables have other columns
  let standard = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("### ")) {
      section = line.slice(4).trim();
      standard = false;
    }
    if (line.startsWith("| scenario")) standard = line.startsWith(STANDARD_HEADER);
    if (!line.startsWith("| ") || line.startsWith("| scenario") || !standard) continue;
    const cells = line.split("|").map((c) => c.trim());
    // | scenario | mode | reqs | conc | req/s | p50 | p90 | p99 | max | total | errors | srv CPU/req | peak RSS | note |
    if (cells.length < 15) continue;
    const reqPerSec = num(cells[5]!);
    if (!Number.isFinite(reqPerSec)) continue;
    const base = `${section} · ${cells[1]} · ${cells[2]} · ${cells[3]}@${cells[4]}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    rows.push({ key: n > 1 ? `${base} #${n}` : base, reqPerSec, cpuPerReqUs: micros(cells[12]!) });
  }
  return rows;
}

function median(xs: number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function collect(files: string[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const f of files) {
    for (const r of parseResults(readFileSync(f, "utf8"))) {
      const list = out.get(r.key) ?? [];
      list.push(r);
      out.set(r.key, list);
    }
  }
  return out;
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "–";
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const threshold = Number(args.find((a) => a.startsWith("--threshold="))?.split("=")[1] ?? 5);
  const files = args.filter((a) => !a.startsWith("--threshold="));
  const split = files.indexOf("--");
  if (split <= 0 || split === files.length - 1) {
    console.error("usage: bun bench/compare.ts <before.md>... -- <after.md>... [--threshold=5]");
    process.exit(2);
  }
  const beforeFiles = files.slice(0, split);
  const afterFiles = files.slice(split + 1);
  const before = collect(beforeFiles);
  const after = collect(afterFiles);
  console.log(`before: ${beforeFiles.map((f) => basename(f)).join(", ")}`);
  console.log(`after:  ${afterFiles.map((f) => basename(f)).join(", ")}`);
  console.log(`medians per row; ratio = after ÷ before (req/s: higher is faster; CPU/req: lower is cheaper)\n`);
  console.log("| row | req/s before | req/s after | req/s ratio | CPU/req before | CPU/req after | CPU ratio | |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---|");
  const ratios: number[] = [];
  let slower = 0;
  for (const [key, rows] of before) {
    const other = after.get(key);
    if (!other) continue;
    const rb = median(rows.map((r) => r.reqPerSec));
    const ra = median(other.map((r) => r.reqPerSec));
    const cb = median(rows.map((r) => r.cpuPerReqUs));
    const ca = median(other.map((r) => r.cpuPerReqUs));
    const ratio = ra / rb;
    ratios.push(ratio);
    const flag = ratio < 1 - threshold / 100 ? `slower > ${threshold}%` : "";
    if (flag) slower++;
    console.log(
      `| ${key} | ${fmt(rb)} | ${fmt(ra)} | ${fmt(ratio, 3)} | ${fmt(cb)} µs | ${fmt(ca)} µs | ${fmt(ca / cb, 3)} | ${flag} |`,
    );
  }
  const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / Math.max(1, ratios.length));
  console.log(
    `\n${ratios.length} rows; geometric mean req/s ratio ${fmt(geo, 3)}; ${slower} row(s) slower by more than ${threshold}%`,
  );
}
