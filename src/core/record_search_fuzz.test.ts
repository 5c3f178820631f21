/**
 * Record-level fuzz: random and hostile filters, sorts and rules through RecordFieldResolver
 * (relations, back-relations, @request, @collection, modifiers) against a real pb_data, as guests,
 * users and superusers, as client queries and as rules. Only our clean errors may escape, no text
 * literal may reach the SQL text, and the canary table must survive.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { MARKER, randomFilter, randomSort, seededRandom } from "../tools/search/fuzz_corpus.ts";
import { FilterError } from "../tools/search/index.ts";
import { DbError, type Db } from "./db/index.ts";
import { ApiError } from "./errors.ts";
import { Record } from "./record.ts";
import { FUZZ_PATHS, FUZZ_WORDS, setupTestData, type TestData } from "./record_field_resolver.testutil.ts";
import { searchRecords } from "./record_search.ts";
import {
  canAccessRecord,
  checkCreateRule,
  checkRule,
  findRecordByIdWithRule,
  findRecordsByIdsWithRule,
} from "./rules.ts";
import { findRecordById } from "./record_query.ts";

let td: TestData;
beforeAll(async () => {
  td = await setupTestData();
  await td.app.db.exec("CREATE TABLE canary (x TEXT); INSERT INTO canary VALUES ('alive')");
});
afterAll(() => td.cleanup());

/** Records the SQL text of every read on `db` until the returned function is called. */
function spyReads(db: Db, seen: string[]): () => void {
  const { all, get } = db;
  db.all = <T>(sql: string, params?: Parameters<Db["all"]>[1]) => {
    seen.push(sql);
    return all.call(db, sql, params) as Promise<T[]>;
  };
  db.get = <T>(sql: string, params?: Parameters<Db["get"]>[1]) => {
    seen.push(sql);
    return get.call(db, sql, params) as Promise<T | null>;
  };
  return () => {
    db.all = all;
    db.get = get;
  };
}

test("random filters, sorts and rules over records: clean errors only", async () => {
  const seed = 0xf11e;
  const rng = seededRandom(seed);
  const db = td.app.db;
  const seen: string[] = [];
  const restore = spyReads(db, seen);
  const collections = ["posts", "members", "orgs", "tags", "comments", "likes", "post_stats", "locked"].map((n) =>
    td.app.findCollection(n)!,
  );
  const who = [null, td.ann, td.bob, td.superuser];
  const counts = { ok: 0, apiError: 0, ruleRejected: 0 };
  try {
    for (let i = 0; i < 400; i++) {
      const collection = collections[Math.floor(rng() * collections.length)]!;
      const auth = who[Math.floor(rng() * who.length)]!;
      const vocab = { words: FUZZ_WORDS, paths: FUZZ_PATHS[collection.name] };
      const filter = randomFilter(rng, vocab);
      const sort = rng() < 0.4 ? randomSort(rng, vocab) : "";
      const rule = rng() < 0.3 ? randomFilter(rng, vocab) : collection.listRule;
      const ri = td.as(auth, {
        query: { filter, q: "QZXVquery'" },
        headers: { x_h: 'QZXVheader"' },
        body: {
          title: "QZXVbody');--",
          views: 3,
          tags: ["tagxaaaaaaaaaaa", "x'); DROP TABLE canary;--"],
          data: { a: [1, "QZXVnested"] },
        },
      });
      const context = `case ${i} (seed ${seed}) on ${collection.name}: filter ${JSON.stringify(filter)} sort ${JSON.stringify(sort)} rule ${JSON.stringify(rule)}`;
      try {
        await searchRecords(td.app, collection, {
          filter,
          sort,
          rule,
          requestInfo: ri,
          isClientQuery: rng() < 0.7,
          page: Math.floor(rng() * 3),
          perPage: Math.floor(rng() * 50),
        });
        counts.ok++;
      } catch (err) {
        if (!(err instanceof ApiError) || ![400, 403].includes(err.status))
          throw new Error(`${context} threw ${String(err)}`);
        counts.apiError++;
      }
      // the same text as a rule, through every rule entry point
      try {
        checkRule(td.app, collection, filter);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith("Invalid rule. Raw error: "))
          throw new Error(`${context} checkRule threw ${String(err)}`);
        counts.ruleRejected++;
      }
      const any = await db.get<{ id: string }>(`SELECT id FROM \`${collection.name}\` LIMIT 1`);
      if (any) {
        const record = (await findRecordById(td.app, collection, any.id))!;
        expect(typeof (await canAccessRecord(td.app, record, ri, filter))).toBe("boolean");
        await findRecordByIdWithRule(td.app, collection, any.id, ri, filter);
        try {
          await findRecordsByIdsWithRule(td.app, collection, [any.id, "x'--"], ri, filter);
        } catch (err) {
          if (!(err instanceof FilterError) && !(err instanceof DbError))
            throw new Error(`${context} findRecordsByIds threw ${String(err)}`);
        }
        if (!collection.isView()) {
          const fresh = new Record(collection);
          fresh.set("title", "QZXVfresh'");
          expect(typeof (await checkCreateRule(td.app, fresh, ri, filter))).toBe("boolean");
        }
      }
    }
  } finally {
    restore();
  }
  expect(seen.filter((sql) => sql.includes(MARKER) || sql.includes("DROP TABLE"))).toEqual([]);
  expect(await db.all("SELECT x FROM canary")).toEqual([{ x: "alive" }]);
  expect(counts.ok).toBeGreaterThan(20);
  expect(counts.apiError).toBeGreaterThan(50);
});
