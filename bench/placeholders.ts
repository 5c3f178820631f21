#!/usr/bin/env bun
/**
 * What numbering placeholders for PostgreSQL costs (src/tools/sql/placeholders.ts): `toNumbered` on a
 * statement the filter compiler produces, on a cache miss (a text never seen, scanned character by
 * character) and on a hit (a lookup plus the params array), beside the regex pass SqlParams.finalize
 * already makes over the same text, for scale. Prints ns per call; a figure only, nothing passes or fails.
 *
 *   bun bench/placeholders.ts [--iterations=200000]
 */
import { parseSearchQuery, planSearch } from "../src/tools/search/provider.ts";
import { SimpleFieldResolver } from "../src/tools/search/resolver.ts";
import { SelectQuery, SqlParams } from "../src/tools/search/sql.ts";
import { sqliteDialect } from "../src/tools/sql/dialect.ts";
import { PLACEHOLDER_CACHE_MAX, toNumbered } from "../src/tools/sql/placeholders.ts";

const arg = (name: string, def: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? def;
const ITERATIONS = Number(arg("iterations", "200000"));

// a list page with a typical filter and sort: 10 distinct parameters, JSON path strings, LIKE escapes
const resolver = new SimpleFieldResolver(["id", "name", "n", "data", "^data\\.[\\w.:]*\\w+$"]);
const plan = planSearch(
  new SelectQuery("items", new SqlParams(sqliteDialect)),
  resolver,
  parseSearchQuery({
    filter:
      "(name ~ 'abc' || name = 'x') && n > 5 && n < 100 && data.a = 'q' && data.b.c != 3 && id != '' && " +
      "(name !~ 'zz' || n = 7) && data.a ~ 'w'",
    sort: "-n,name",
    page: "2",
    perPage: "30",
  }),
);
const { sql, bindings } = plan.items;
console.log(`statement: ${sql.length} chars, ${Object.keys(bindings).length / 2} parameters`);

function time(label: string, n: number, fn: (i: number) => unknown): void {
  for (let i = 0; i < Math.min(n, 10_000); i++) fn(i); // warm the JIT
  const start = Bun.nanoseconds();
  let kept: unknown;
  for (let i = 0; i < n; i++) kept = fn(i);
  const ns = (Bun.nanoseconds() - start) / n;
  console.log(`${label.padEnd(44)} ${ns.toFixed(0).padStart(7)} ns/call`, kept ? "" : "(no result)");
}

// distinct texts (a trailing comment) cycled through more than the cache holds: every call misses
const distinct = Array.from({ length: PLACEHOLDER_CACHE_MAX * 4 }, (_, i) => `${sql} -- ${i}`);
const misses = Math.min(ITERATIONS, 50_000);
time("toNumbered, cache miss (scan)", misses, (i) => toNumbered(distinct[i % distinct.length]!, bindings));
time("toNumbered, cache hit", ITERATIONS, () => toNumbered(sql, bindings));
time("for scale: SqlParams.finalize's regex pass", ITERATIONS, () => sql.replace(/:(p\d+)\b/g, (m) => m));
