/**
 * Fuzz: hundreds of random and hostile filters and sorts parsed, resolved and executed against a real
 * SQLite file. Nothing may crash or throw anything but FilterError (or a SQLite error for a runtime
 * failure such as a bad JSON path), no literal may reach the SQL text, and the canary table must
 * survive. The record-level twin is src/core/record_search_fuzz.test.ts; bench/fuzz-filters.ts runs
 * the same generators at scale.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DbError } from "../../core/db/errors.ts";
import { SqliteDb } from "../../core/db/sqlite.ts";
import { FilterError } from "./errors.ts";
import { MARKER, randomFilter, randomSort, seededRandom } from "./fuzz_corpus.ts";
import { parseSearchQuery, runSearch, type SqlReader } from "./provider.ts";
import { SimpleFieldResolver } from "./resolver.ts";
import { SelectQuery, SqlParams } from "./sql.ts";

const dir = mkdtempSync(join(tmpdir(), "pb-fuzz-"));
const db = new SqliteDb(join(dir, "fuzz.db"));
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  await db.exec(
    "CREATE TABLE canary (x TEXT); INSERT INTO canary VALUES ('alive');" +
      "CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT DEFAULT '' NOT NULL," +
      " n NUMERIC DEFAULT 0 NOT NULL, data JSON)",
  );
  for (let i = 0; i < 50; i++) {
    await db.run("INSERT INTO items VALUES (?, ?, ?, ?)", [
      `id${i}`,
      `name ${i} 'q' "dq" %_`,
      i,
      JSON.stringify({ a: i, b: [i, "x"] }),
    ]);
  }
});

const VOCAB = ["id", "name", "n", "data", "a", "b", "missing"];
const resolver = new SimpleFieldResolver(["id", "name", "n", "data", "^data\\.[\\w.:]*\\w+$"]);

test("random and hostile filters/sorts: clean errors only, no literal in SQL, canary intact", async () => {
  const seed = 0x5eed;
  const rng = seededRandom(seed);
  const seen: string[] = [];
  // the database, with every statement's text noted
  const reader: SqlReader = {
    all: (sql, params) => (seen.push(sql), db.all(sql, params)),
    get: (sql, params) => (seen.push(sql), db.get(sql, params)),
  };
  const counts = { ok: 0, filterError: 0, dbError: 0 };
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
      await runSearch(reader, new SelectQuery("items", new SqlParams(db.dialect)), resolver, params);
      counts.ok++;
    } catch (err) {
      if (err instanceof FilterError) counts.filterError++;
      else if (err instanceof DbError) counts.dbError++;
      else
        throw new Error(
          `case ${i} (seed ${seed}) threw ${String(err)} for filter ${JSON.stringify(filter)} sort ${JSON.stringify(sort)}`,
        );
    }
  }
  expect(seen.filter((sql) => sql.includes(MARKER))).toEqual([]);
  expect(await db.all("SELECT x FROM canary")).toEqual([{ x: "alive" }]);
  expect(await db.get("SELECT COUNT(*) AS n FROM items")).toEqual({ n: 50 });
  // the corpus must exercise both outcomes
  expect(counts.ok).toBeGreaterThan(40);
  expect(counts.filterError).toBeGreaterThan(100);
});
