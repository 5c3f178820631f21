/**
 * Filter fuzzing at scale: ≥10,000 random and hostile filter/sort/rule cases run through parse →
 * resolve → SQL → execution against a throwaway pb_data (the test schema of the filter engine tests),
 * as guests, users and superusers. Prints how the cases ended; any unexpected exception, any text
 * literal found in an SQL statement, or a lost canary table is reported and exits non-zero.
 * No timing assertions: the figures are for reading.
 *
 *   bun bench/fuzz-filters.ts [cases=10000] [seed=1]
 */
import "../migrations/index.ts"; // the system migrations register themselves (an entry point imports them)
import { MARKER, randomFilter, randomSort, seededRandom } from "../src/tools/search/fuzz_corpus.ts";
import { FilterError } from "../src/tools/search/index.ts";
import { ApiError } from "../src/core/errors.ts";
import { Record } from "../src/core/record.ts";
import { findRecordById } from "../src/core/record_query.ts";
import { FUZZ_PATHS, FUZZ_WORDS, setupTestData } from "../src/core/record_field_resolver.testutil.ts";
import { searchRecords } from "../src/core/record_search.ts";
import { canAccessRecord, checkCreateRule, checkRule } from "../src/core/rules.ts";

const total = Number(process.argv[2] ?? 10000);
const seed = Number(process.argv[3] ?? 1);

const td = await setupTestData();
const db = td.app.db;
await db.exec("CREATE TABLE canary (x TEXT); INSERT INTO canary VALUES ('alive')");

// every read's SQL text is checked for a literal
let leaked = 0;
let statements = 0;
const note = (sql: string) => {
  statements++;
  if (sql.includes(MARKER)) {
    leaked++;
    if (leaked <= 5) console.error("literal in SQL:", sql.slice(0, 300));
  }
};
const { all, get } = db;
db.all = <T>(sql: string, params?: Parameters<typeof all>[1]) => {
  note(sql);
  return all.call(db, sql, params) as Promise<T[]>;
};
db.get = <T>(sql: string, params?: Parameters<typeof get>[1]) => {
  note(sql);
  return get.call(db, sql, params) as Promise<T | null>;
};

const rng = seededRandom(seed);
const collections = ["posts", "members", "orgs", "tags", "comments", "likes", "post_stats", "locked"].map((n) =>
  td.app.findCollection(n)!,
);
const who = [null, td.ann, td.bob, td.superuser];
const counts: { [k: string]: number } = {};
const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);
const unexpected: string[] = [];
const started = performance.now();

for (let i = 0; i < total; i++) {
  const collection = collections[Math.floor(rng() * collections.length)]!;
  const auth = who[Math.floor(rng() * who.length)]!;
  const vocab = { words: FUZZ_WORDS, paths: FUZZ_PATHS[collection.name] };
  const filter = randomFilter(rng, vocab);
  const sort = rng() < 0.4 ? randomSort(rng, vocab) : "";
  const rule = rng() < 0.3 ? randomFilter(rng, vocab) : collection.listRule;
  const ri = td.as(auth, {
    query: { filter, q: MARKER + "q'" },
    headers: { x_h: MARKER + 'h"' },
    body: { title: MARKER + "b');--", views: 3, tags: ["tagxaaaaaaaaaaa"], data: { a: [1, MARKER] } },
  });
  const where = `case ${i} (seed ${seed}) ${collection.name}: filter=${JSON.stringify(filter.slice(0, 200))} sort=${JSON.stringify(sort)}`;
  try {
    const r = await searchRecords(td.app, collection, {
      filter,
      sort,
      rule,
      requestInfo: ri,
      isClientQuery: rng() < 0.7,
      perPage: 50,
    });
    bump(r.items.length > 0 ? "list: rows" : "list: empty");
  } catch (err) {
    if (err instanceof ApiError && (err.status === 400 || err.status === 403)) bump(`list: ${err.status}`);
    else unexpected.push(`${where}: ${String(err)}`);
  }
  try {
    checkRule(td.app, collection, filter);
    bump("checkRule: valid");
  } catch (err) {
    if (err instanceof Error && err.message.startsWith("Invalid rule. Raw error: ")) bump("checkRule: invalid");
    else unexpected.push(`${where} checkRule: ${String(err)}`);
  }
  const any = await db.get<{ id: string }>(`SELECT id FROM \`${collection.name}\` LIMIT 1`);
  if (any) {
    try {
      bump(
        (await canAccessRecord(td.app, (await findRecordById(td.app, collection, any.id))!, ri, filter))
          ? "access: granted"
          : "access: denied",
      );
      if (!collection.isView()) {
        const fresh = new Record(collection);
        fresh.set("title", MARKER + "'");
        bump((await checkCreateRule(td.app, fresh, ri, filter)) ? "create: pass" : "create: fail");
      }
    } catch (err) {
      if (err instanceof FilterError) bump("rule: FilterError");
      else unexpected.push(`${where} rules: ${String(err)}`);
    }
  }
}

const canary = await db.get<{ x: string }>("SELECT x FROM canary");
const ms = performance.now() - started;
console.log(`fuzz-filters: ${total} cases, seed ${seed}, ${statements} statements, ${(ms / 1000).toFixed(1)} s`);
for (const k of Object.keys(counts).sort()) console.log(`  ${k.padEnd(20)} ${counts[k]}`);
console.log(`  unexpected errors    ${unexpected.length}`);
console.log(`  literals in SQL      ${leaked}`);
console.log(`  canary               ${canary?.x ?? "GONE"}`);
for (const u of unexpected.slice(0, 10)) console.error(u);
await td.cleanup();
process.exit(unexpected.length > 0 || leaked > 0 || canary?.x !== "alive" ? 1 : 0);
