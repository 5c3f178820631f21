/**
 * Fuzz: hundreds of random and hostile filters and sorts parsed, resolved and executed against a real
 * SQLite file. Nothing may crash or throw anything but FilterError (or a SQLite error for a runtime
 * failure such as a bad JSON path), no literal may reach the SQL text, and the canary table must
 * survive. The record-level twin is src/core/record_search_fuzz.test.ts; bench/fuzz-filters.ts runs
 * the same generators at scale.
 */
import { afterAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FilterError } from "./errors.ts";
import { MARKER, randomFilter, randomSort, seededRandom } from "./fuzz_corpus.ts";
import { parseSearchQuery, runSearch } from "./provider.ts";
import { SimpleFieldResolver } from "./resolver.ts";
import { SelectQuery, statementCache } from "./sql.ts";

const dir = mkdtempSync(join(tmpdir(), "pb-fuzz-"));
const db = new Database(join(dir, "fuzz.db"), { create: true, strict: true });
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

db.run("CREATE TABLE canary (x TEXT)");
db.run("INSERT INTO canary VALUES ('alive')");
db.run(
  "CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT DEFAULT '' NOT NULL, n NUMERIC DEFAULT 0 NOT NULL, data JSON)",
);
for (let i = 0; i < 50; i++) {
  db.query("INSERT INTO items VALUES (?, ?, ?, ?)").run(
    `id${i}`,
    `name ${i} 'q' "dq" %_`,
    i,
    JSON.stringify({ a: i, b: [i, "x"] }),
  );
}

const VOCAB = ["id", "name", "n", "data", "a", "b", "missing"];
const resolver = new SimpleFieldResolver(["id", "name", "n", "data", "^data\\.[\\w.:]*\\w+$"]);

test("random and hostile filters/sorts: clean errors only, no literal in SQL, canary intact", () => {
  const seed = 0x5eed;
  const rng = seededRandom(seed);
  const cache = statementCache(db);
  const seen: string[] = [];
  const orig = cache.get.bind(cache);
  cache.get = (sql: string) => {
    seen.push(sql);
    return orig(sql);
  };
  const counts = { ok: 0, filterError: 0, sqliteError: 0 };
  try {
    for (let i = 0; i < 600; i++) {
      const filter = randomFilter(rng, VOCAB);
      const sort = rng() < 0.4 ? randomSort(rng, VOCAB) : "";
      try {
        const params = parseSearchQuery({
          filter,
          sort,
          page: String(1 + Math.floor(rng() * 3)),
          perPage: String(Math.floor(rng() * 2000) - 100),
        });
        runSearch(db, new SelectQuery("items"), resolver, params);
        counts.ok++;
      } catch (err) {
        if (err instanceof FilterError) counts.filterError++;
        else if (err instanceof Error && err.name === "SQLiteError") counts.sqliteError++;
        else
          throw new Error(
            `case ${i} (seed ${seed}) threw ${String(err)} for filter ${JSON.stringify(filter)} sort ${JSON.stringify(sort)}`,
          );
      }
    }
  } finally {
    cache.get = orig;
  }
  expect(seen.filter((sql) => sql.includes(MARKER))).toEqual([]);
  expect(db.query("SELECT x FROM canary").all()).toEqual([{ x: "alive" }]);
  expect(db.query("SELECT COUNT(*) AS n FROM items").get()).toEqual({ n: 50 });
  // the corpus must exercise both outcomes
  expect(counts.ok).toBeGreaterThan(40);
  expect(counts.filterError).toBeGreaterThan(100);
});
