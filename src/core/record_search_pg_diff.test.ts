/**
 * Differential filter fuzz, SQLite vs PostgreSQL (issue 17): the same collections and rows on both
 * engines, then thousands of seeded, generated filters and sorts (client filters as a superuser and
 * as a user, and rule-shaped ones) through searchRecords, the engine of the records list endpoint.
 * PostgreSQL must never fail with a database error (a 500 there, a bug in the compiler) and must
 * select the same records (in the same order when sorted) as SQLite, apart from the differences
 * listed in KNOWN_DIFFERENCES. Our own: upstream runs SQLite only.
 *
 * The PostgreSQL database uses an ICU en-US collation when available, so byte-order text semantics
 * are checked too. Environment: FUZZ_CASES (default 10000), FUZZ_SEED (default 40223); a failure
 * prints the seed and the case (FUZZ_SHOW = how many). Debugging: FUZZ_ONLY=<case> runs one case
 * and prints PostgreSQL's statements (FUZZ_EXPLAIN=1: with their plans); FUZZ_SLOW=<n> runs
 * PostgreSQL one case at a time and prints the time by kind of filter and the n slowest batches.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { SQL } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PG_MISSING_MESSAGE, postgresInstalled, startPostgres, type PgCluster } from "../../test/support/pg.ts";
import { seededRandom } from "../tools/search/fuzz_corpus.ts";
import { FilterError } from "../tools/search/index.ts";
import { setMacroClock } from "../tools/search/macros.ts";
import { App } from "./app.ts";
import { newAuthCollection, newBaseCollection, newViewCollection, type Collection } from "./collection.ts";
import { saveCollection } from "./collection_save.ts";
import { DbError } from "./db/index.ts";
import { ApiError } from "./errors.ts";
import {
  AutodateField,
  BoolField,
  DateField,
  EditorField,
  EmailField,
  FileField,
  GeoPointField,
  JSONField,
  NumberField,
  PasswordField,
  RelationField,
  SelectField,
  TextField,
  URLField,
} from "./fields/index.ts";
import { Record } from "./record.ts";
import { findRecordById } from "./record_query.ts";
import { searchRecords } from "./record_search.ts";
import { RequestInfo } from "./request_info.ts";

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;

// --- the data set ---------------------------------------------------------------------------------

/** Text values: empty, numeric-looking, JSON-looking, case and unicode variants, LIKE wildcards. */
const TEXTS = [
  "",
  "5",
  "05",
  "5.0",
  "-3",
  "1e3",
  "0",
  " 5",
  "abc",
  "ABC",
  "Abc def",
  "é",
  "É",
  "ÉCOLE",
  "école",
  "🎉",
  "100%",
  "a_b",
  "a\\b",
  "null",
  "true",
  "[1,2]",
  '{"a":1}',
  "2024-03-01 10:00:00.000Z",
];
const NUMBERS = [0, 5, -3, 1.5, 1000, 1e-7, 123456789, -0.5, 2];
const DATES = [
  "",
  "2024-03-01 10:00:00.000Z",
  "2023-07-15 00:00:00.000Z",
  "2026-12-07 11:59:59.999Z",
  "2026-12-07 12:00:00.001Z",
  "1999-12-31 23:59:59.999Z",
];
/** JSON field values as stored (NULL included): every JSON shape, numbers and strings that look alike. */
const JSONS: (string | null)[] = [
  null,
  "5",
  '"5"',
  '"abc"',
  '"ABC"',
  "true",
  "false",
  "null",
  "[]",
  "[1,2,3]",
  '["a","b"]',
  "{}",
  '{"a":1,"b":{"c":"x"}}',
  '{"a":"5","b":{"c":5}}',
  '{"a":[1,"2",null],"b":true}',
  '{"a":true}',
  '{"a":null}',
  "1.5",
  '""',
  "[[1],[2]]",
  '{"a":"é","b":{"c":""}}',
];
const POINTS = ['{"lon":0,"lat":0}', '{"lon":23.32,"lat":42.69}', '{"lon":2.35,"lat":48.85}', '{"lon":-70,"lat":-33.4}'];
const SELECT_VALUES = ["a", "b", "c", "5"];
const FILES = ["", "x_abc.png", "y_def.txt", "5.jpg"];

const userIds = ["u1aaaaaaaaaaaaa", "u2aaaaaaaaaaaaa", "u3aaaaaaaaaaaaa", "u4aaaaaaaaaaaaa"];
const tagIds = ["t1aaaaaaaaaaaaa", "t2aaaaaaaaaaaaa", "t3aaaaaaaaaaaaa", "t4aaaaaaaaaaaaa", "t5aaaaaaaaaaaaa"];
const ITEM_COUNT = 24;
const itemIds = Array.from({ length: ITEM_COUNT }, (_, i) => `i${String(i).padStart(2, "0")}aaaaaaaaaaaa`);

type Row = { [column: string]: string | number | null };

/** Every table's rows, generated once from a fixed seed so both engines get the same bytes. */
function buildRows(): { table: string; rows: Row[] }[] {
  const rng = seededRandom(0xda7a);
  const some = <T>(list: readonly T[], max: number): T[] => {
    const out: T[] = [];
    const n = Math.floor(rng() * (max + 1));
    for (let i = 0; i < n; i++) {
      const v = pick(rng, list);
      if (!out.includes(v)) out.push(v);
    }
    return out;
  };
  const users: Row[] = userIds.map((id, i) => ({
    id,
    name: pick(rng, TEXTS),
    age: pick(rng, NUMBERS),
    role: pick(rng, ["", "admin", "5", "Admin"]),
    email: `user${i}@example.com`,
    emailVisibility: i % 2,
    verified: 1,
    password: "x",
    tokenKey: id + "-token-key-0123456789012345678901234",
    created: pick(rng, DATES.slice(1)),
    updated: pick(rng, DATES.slice(1)),
  }));
  const tags: Row[] = tagIds.map((id) => ({
    id,
    name: pick(rng, TEXTS),
    weight: pick(rng, NUMBERS),
    created: DATES[1]!,
    updated: DATES[1]!,
  }));
  const items: Row[] = itemIds.map((id, i) => ({
    id,
    title: pick(rng, TEXTS),
    code: pick(rng, TEXTS),
    n: pick(rng, NUMBERS),
    flag: rng() < 0.5 ? 1 : 0,
    mail: rng() < 0.3 ? "" : pick(rng, ["a@example.com", "B@Example.com", "5@x.io"]),
    site: rng() < 0.3 ? "" : pick(rng, ["https://a.io", "http://B.io/x?y=1"]),
    body: pick(rng, ["", "<p>abc</p>", "<b>5</b>", "plain é"]),
    day: pick(rng, DATES),
    created: pick(rng, DATES.slice(1)),
    updated: pick(rng, DATES.slice(1)),
    status: rng() < 0.3 ? "" : pick(rng, SELECT_VALUES),
    labels: JSON.stringify(some(SELECT_VALUES, 3)),
    owner: rng() < 0.25 ? "" : pick(rng, userIds),
    tags: JSON.stringify(some(tagIds, 3)),
    parent: rng() < 0.4 || i === 0 ? "" : itemIds[Math.floor(rng() * i)]!,
    doc: pick(rng, FILES),
    docs: JSON.stringify(some(FILES.slice(1), 2)),
    meta: pick(rng, JSONS),
    loc: pick(rng, POINTS),
    secret: pick(rng, ["", "s1", "5"]),
  }));
  const notes: Row[] = Array.from({ length: 16 }, (_, i) => ({
    id: `n${String(i).padStart(2, "0")}aaaaaaaaaaaa`,
    item: rng() < 0.15 ? "" : pick(rng, itemIds),
    text: pick(rng, TEXTS),
    score: pick(rng, NUMBERS),
    created: DATES[1]!,
    updated: DATES[1]!,
  }));
  const pins: Row[] = Array.from({ length: 8 }, (_, i) => ({
    id: `p${String(i).padStart(2, "0")}aaaaaaaaaaaa`,
    items: JSON.stringify(some(itemIds, 4)),
    label: pick(rng, TEXTS),
    created: DATES[1]!,
    updated: DATES[1]!,
  }));
  return [
    { table: "members", rows: users },
    { table: "tags", rows: tags },
    { table: "items", rows: items },
    { table: "notes", rows: notes },
    { table: "pins", rows: pins },
  ];
}

/** The collections (fixed ids, so both engines hold the same schema) and rows. */
async function seed(app: App, rows: { table: string; rows: Row[] }[]): Promise<void> {
  await app.bootstrap();
  const users = newAuthCollection("members", "pbc_members001");
  users.listRule = users.viewRule = "";
  users.fields.add(
    new TextField({ name: "name" }),
    new NumberField({ name: "age" }),
    new TextField({ name: "role" }),
    new AutodateField({ name: "created", onCreate: true }),
    new AutodateField({ name: "updated", onCreate: true, onUpdate: true }),
  );
  await saveCollection(app, users);

  const tags = newBaseCollection("tags", "pbc_tags000001");
  tags.listRule = tags.viewRule = "weight != 2";
  tags.fields.add(
    new TextField({ name: "name" }),
    new NumberField({ name: "weight" }),
    new AutodateField({ name: "created", onCreate: true }),
    new AutodateField({ name: "updated", onCreate: true, onUpdate: true }),
  );
  await saveCollection(app, tags);

  const items = newBaseCollection("items", "pbc_items00001");
  items.listRule = items.viewRule = "";
  items.fields.add(
    new TextField({ name: "title" }),
    new TextField({ name: "code" }),
    new NumberField({ name: "n" }),
    new BoolField({ name: "flag" }),
    new EmailField({ name: "mail" }),
    new URLField({ name: "site" }),
    new EditorField({ name: "body" }),
    new DateField({ name: "day" }),
    new AutodateField({ name: "created", onCreate: true }),
    new AutodateField({ name: "updated", onCreate: true, onUpdate: true }),
    new SelectField({ name: "status", values: SELECT_VALUES, maxSelect: 1 }),
    new SelectField({ name: "labels", values: SELECT_VALUES, maxSelect: 4 }),
    new RelationField({ name: "owner", collectionId: users.id, maxSelect: 1 }),
    new RelationField({ name: "tags", collectionId: tags.id, maxSelect: 5 }),
    new FileField({ name: "doc", maxSelect: 1 }),
    new FileField({ name: "docs", maxSelect: 5 }),
    new JSONField({ name: "meta" }),
    new GeoPointField({ name: "loc" }),
    new PasswordField({ name: "secret", hidden: true }),
  );
  await saveCollection(app, items);
  items.fields.add(new RelationField({ name: "parent", collectionId: items.id, maxSelect: 1 }));
  await saveCollection(app, items);

  const notes = newBaseCollection("notes", "pbc_notes00001");
  notes.listRule = notes.viewRule = "";
  notes.fields.add(
    new RelationField({ name: "item", collectionId: items.id, maxSelect: 1 }),
    new TextField({ name: "text" }),
    new NumberField({ name: "score" }),
    new AutodateField({ name: "created", onCreate: true }),
    new AutodateField({ name: "updated", onCreate: true, onUpdate: true }),
  );
  await saveCollection(app, notes);

  const pins = newBaseCollection("pins", "pbc_pins000001");
  pins.listRule = pins.viewRule = "";
  pins.fields.add(
    new RelationField({ name: "items", collectionId: items.id, maxSelect: 10 }),
    new TextField({ name: "label" }),
    new AutodateField({ name: "created", onCreate: true }),
    new AutodateField({ name: "updated", onCreate: true, onUpdate: true }),
  );
  await saveCollection(app, pins);

  const view = newViewCollection("item_view", "pbc_itemview01");
  view.listRule = view.viewRule = "";
  view.viewQuery = "SELECT id, title, n, meta FROM items";
  await saveCollection(app, view);

  const q = app.db.dialect.quoteIdent;
  for (const { table, rows: list } of rows) {
    for (const row of list) {
      const cols = Object.keys(row);
      await app.db.run(
        `INSERT INTO ${q(table)} (${cols.map(q).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
        cols.map((c) => row[c]!),
      );
    }
  }
}

// --- the generator --------------------------------------------------------------------------------

/** Identifiers per collection: every field type, relation hops, back-relations, modifiers, @request, @collection. */
const PATHS: { readonly [collection: string]: readonly string[] } = {
  items: [
    "id",
    "title",
    "code",
    "n",
    "flag",
    "mail",
    "site",
    "body",
    "day",
    "created",
    "updated",
    "status",
    "labels",
    "owner",
    "tags",
    "parent",
    "doc",
    "docs",
    "meta",
    "loc",
    "secret",
    "owner.name",
    "owner.age",
    "owner.role",
    "owner.email",
    "owner.created",
    "tags.name",
    "tags.weight",
    "tags.id",
    "parent.title",
    "parent.n",
    "parent.flag",
    "parent.meta",
    "parent.owner.name",
    "parent.tags.name",
    "notes_via_item.text",
    "notes_via_item.score",
    "pins_via_items.label",
    "labels:each",
    "labels:length",
    "tags:length",
    "tags:each",
    "docs:length",
    "docs:each",
    "title:lower",
    "code:lower",
    "tags.name:lower",
    "meta.a",
    "meta.b",
    "meta.b.c",
    "meta.0",
    "meta.a.0",
    "meta.a.1",
    "loc.lon",
    "loc.lat",
    "@request.auth.id",
    "@request.auth.name",
    "@request.auth.age",
    "@request.auth.role",
    "@request.auth.email",
    "@request.auth.verified",
    "@request.body.title",
    "@request.body.n",
    "@request.body.flag",
    "@request.body.labels:each",
    "@request.body.labels:length",
    "@request.body.tags.name",
    "@request.body.meta",
    "@request.query.q",
    "@request.query.missing",
    "@request.body.title:isset",
    "@request.body.missing:isset",
    "@request.body.title:changed",
    "@request.body.n:lower",
    "@request.method",
    "@collection.tags.name",
    "@collection.tags.weight",
    "@collection.notes:x.score",
    "@collection.notes:x.item",
  ],
  notes: ["id", "text", "score", "item", "item.title", "item.n", "item.meta", "item.tags.name", "text:lower"],
  members: ["id", "name", "age", "role", "email", "verified", "items_via_owner.title", "items_via_owner.n"],
  item_view: ["id", "title", "n", "meta", "meta.a", "title:lower", "@collection.tags.name", "@collection.notes:x.score"],
};

/** Sortable paths per collection (a `@rowid` or id tie-break is always appended). */
const SORTS: { readonly [collection: string]: readonly string[] } = {
  items: ["title", "code", "n", "flag", "day", "created", "status", "labels", "meta", "owner", "mail", "title:lower", "owner.name", "parent.n", "meta.a", "loc.lat", "@rowid"],
  notes: ["text", "score", "item", "item.title"],
  members: ["name", "age", "role", "email"],
  item_view: ["title", "n", "meta", "id"],
};

/** A text literal, quoted with ' or " (chosen by the value, so the generator's stream does not depend on it). */
function pickQuote(s: string): string {
  return s.length % 2 === 0 ? "'" + s.replaceAll("\\", "\\\\").replaceAll("'", "\\'") + "'" : '"' + s.replaceAll("\\", "\\\\").replaceAll('"', '\\"') + '"';
}

const NUMBER_LITERALS = ["0", "5", "-3", "1.5", "5.0", "1000", "0.0000001", "2", "-0.5", "123456789", "1"];
const WORD_LITERALS = ["true", "false", "null", "''", '""'];
const MACRO_LITERALS = ["@now", "@todayStart", "@todayEnd", "@yearStart", "@year", "@month", "@day", "@yesterday"];
const TEXT_LITERALS = [...TEXTS, "%", "a%", "%b%", "_", "\\%", "x_abc.png", "a@example.com", "s1", "admin", "Admin"];
const OPS = ["=", "!=", "~", "!~", "<", "<=", ">", ">=", "?=", "?!=", "?~", "?!~", "?<", "?<=", "?>", "?>="];

function literal(rng: Rng, collection: string): string {
  const r = rng();
  if (r < 0.45) return pickQuote(pick(rng, TEXT_LITERALS));
  if (r < 0.7) return pick(rng, NUMBER_LITERALS);
  if (r < 0.82) return pick(rng, WORD_LITERALS);
  if (r < 0.9) return pick(rng, MACRO_LITERALS);
  if (r < 0.95) return pickQuote(pick(rng, [...userIds, ...tagIds, ...itemIds.slice(0, 6)]));
  return functionCall(rng, collection);
}

function functionCall(rng: Rng, collection: string): string {
  const time = pick(rng, collection === "items" ? ["day", "created", "parent.day", "tags.name", "code", "n", "@now", "'2024-03-01'", "1700000000"] : ["created", "id"]);
  // strftime sparingly: pb_strftime costs milliseconds a call on PostgreSQL and would dominate the run
  if (rng() < 0.1) {
    const fmt = pick(rng, ["%Y", "%Y-%m-%d", "%s", "%H:%M", "%j", "%w", "%d/%m"]);
    const mod = rng() < 0.2 ? ", " + pickQuote(pick(rng, ["+1 day", "start of month", "unixepoch", "-2 hours"])) : "";
    return `strftime('${fmt}', ${time}${mod})`;
  }
  if (collection !== "items") return "strftime('%Y')";
  const pt = rng() < 0.7 ? "loc.lon, loc.lat" : pick(rng, ["parent.loc.lon, parent.loc.lat", "meta.a, meta.b", "n, n"]);
  return `geoDistance(${pt}, ${pick(rng, ["23.32, 42.69", "0, 0", "n, 1.5", "-70, -33.4"])})`;
}

function operand(rng: Rng, collection: string, left: boolean): string {
  const r = rng();
  if (r < (left ? 0.85 : 0.3)) return pick(rng, PATHS[collection]!);
  if (r < (left ? 0.97 : 0.96)) return literal(rng, collection);
  return functionCall(rng, collection);
}

function comparison(rng: Rng, collection: string): string {
  return `${operand(rng, collection, true)} ${pick(rng, OPS)} ${operand(rng, collection, false)}`;
}

function expression(rng: Rng, collection: string, depth = 0): string {
  const n = 1 + Math.floor(rng() * (depth > 1 ? 2 : 3));
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(depth < 2 && rng() < 0.2 ? `(${expression(rng, collection, depth + 1)})` : comparison(rng, collection));
  }
  let out = parts[0]!;
  for (const p of parts.slice(1)) out += pick(rng, [" && ", " || "]) + p;
  return out;
}

function sortText(rng: Rng, collection: string): string {
  if (rng() < 0.5) return "";
  const keys = Array.from({ length: 1 + Math.floor(rng() * 2) }, () => pick(rng, ["", "-"]) + pick(rng, SORTS[collection]!));
  // a view has no row key: its id breaks ties
  return [...keys, collection === "item_view" ? "id" : "@rowid"].join(",");
}

// --- the comparison ---------------------------------------------------------------------------------

interface Case {
  i: number;
  collection: string;
  who: "superuser" | "user" | "guest";
  filter: string;
  sort: string;
  rule: string | undefined;
  clientQuery: boolean;
}

type Outcome = { ok: true; ids: string[]; total: number } | { ok: false; status: number; cause: string; message: string };

function describeError(err: unknown): Outcome {
  if (err instanceof ApiError) {
    const cause = err.cause;
    const kind = cause instanceof DbError ? "DbError" : cause instanceof FilterError ? "FilterError" : cause ? "other" : "none";
    return { ok: false, status: err.status, cause: kind, message: cause instanceof Error ? cause.message : err.message };
  }
  return { ok: false, status: 0, cause: "thrown", message: String(err) };
}

/**
 * Where the engines may legitimately differ, each with its reason; returns the reason when the
 * difference seen is one of them. Keep this list tiny: everything else is a compiler bug.
 */
const KNOWN_DIFFERENCES: { reason: string; applies(c: Case, sqlite: Outcome, pg: Outcome): boolean }[] = [
  {
    reason:
      "`x ~ @request.body.f:each` (upstream's quirk): the LIKE wrapping rewrites the bound array that also feeds " +
      "json_each into a '%...%' pattern; SQLite fails with 'malformed JSON' when its plan reads it, PostgreSQL reads no items",
    applies: (c, sqlite) =>
      !sqlite.ok &&
      sqlite.cause === "DbError" &&
      sqlite.message === "malformed JSON" &&
      /~\s*@request\.body\.\w+:each/.test(c.filter + " " + c.rule),
  },
  {
    reason:
      "a computed REAL needing more than 15 significant digits (a geoDistance result) read as text by LIKE: " +
      "SQLite prints 17 digits with its own rounding of the last one, PostgreSQL its shortest round-trip digits",
    applies: (c, sqlite, pg) =>
      sqlite.ok && pg.ok && /geoDistance\([^)]*\)\s*\??!?~|\??!?~\s*geoDistance\(/.test(c.filter + " " + c.rule),
  },
];

let pg: PgCluster | null = null;
let sqliteApp: App;
let pgApp: App;
const dirs: string[] = [];
const CLOCK = new Date(Date.UTC(2026, 11, 7, 12, 0, 0, 0));
let restoreClock = () => {};

beforeAll(async () => {
  if (!postgresInstalled()) return;
  restoreClock = setMacroClock(() => CLOCK);
  pg = await startPostgres();
  const rows = buildRows();
  const d1 = mkdtempSync(join(tmpdir(), "pb-diff-sqlite-"));
  const d2 = mkdtempSync(join(tmpdir(), "pb-diff-pg-"));
  dirs.push(d1, d2);
  sqliteApp = new App({ dataDir: d1 });
  pgApp = new App({ dataDir: d2, dbUrl: await naturalCollationDatabase(pg) });
  await seed(sqliteApp, rows);
  await seed(pgApp, rows);
}, 60_000);

afterAll(async () => {
  restoreClock();
  await sqliteApp?.terminate();
  await pgApp?.terminate();
  await pg?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A database whose default collation orders text as people do (ICU en-US: 'a' < 'B'), as a server's
 * usually does, unlike SQLite's byte order: text comparisons and sorts must not depend on it. Falls
 * back to the cluster's default (C.UTF-8) when PostgreSQL has no ICU.
 */
async function naturalCollationDatabase(cluster: PgCluster): Promise<string> {
  const name = "diff_icu";
  const admin = new SQL(cluster.url(), { max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
    return cluster.url(name);
  } catch {
    return cluster.createDatabase();
  } finally {
    await admin.close();
  }
}

async function run(app: App, c: Case): Promise<Outcome> {
  const collection = app.findCollection(c.collection) as Collection;
  let auth: Record | null = null;
  if (c.who === "superuser") auth = new Record(app.findCollection("_superusers")!);
  else if (c.who === "user") auth = await findRecordById(app, "members", userIds[c.i % userIds.length]!);
  const requestInfo = new RequestInfo({
    method: "GET",
    auth,
    query: { q: pick(seededRandom(c.i), TEXTS) },
    body: { title: "5", n: "5", flag: true, labels: ["a", "5"], tags: [tagIds[0], tagIds[2]], meta: { a: 1 } },
  });
  try {
    const result = await searchRecords(app, collection, {
      filter: c.filter,
      sort: c.sort,
      rule: c.rule,
      requestInfo,
      isClientQuery: c.clientQuery,
      perPage: 1000,
      // every page holds all matches; the COUNT statement is still checked on every fifth case
      skipTotal: c.i % 5 !== 0,
    });
    const ids = result.items.map((r) => r.id);
    return { ok: true, ids: c.sort ? ids : ids.sort(), total: result.totalItems < 0 ? ids.length : result.totalItems };
  } catch (err) {
    return describeError(err);
  }
}

/** Prints every statement `app` runs with its time (FUZZ_ONLY debugging). */
function spySql(app: App): () => void {
  const db = app.db;
  const { all, get } = db;
  const wrap =
    <F extends (sql: string, params?: never) => Promise<unknown>>(fn: F) =>
    async (sql: string, params?: never) => {
      const t = performance.now();
      try {
        return await fn.call(db, sql, params);
      } finally {
        console.log(`${(performance.now() - t).toFixed(1)}ms ${sql}\n  ${JSON.stringify(params)}`);
        if (process.env.FUZZ_EXPLAIN && !sql.startsWith("EXPLAIN")) {
          const plan = await all.call(db, "EXPLAIN (ANALYZE, COSTS OFF) " + sql, params);
          console.log(plan.map((r) => Object.values(r as object)[0]).join("\n"));
        }
      }
    };
  db.all = wrap(all) as typeof all;
  db.get = wrap(get) as typeof get;
  return () => {
    db.all = all;
    db.get = get;
  };
}

function same(a: Outcome, b: Outcome): boolean {
  if (a.ok && b.ok) return a.total === b.total && a.ids.join(",") === b.ids.join(",");
  if (!a.ok && !b.ok) return a.status === b.status;
  return false;
}

test.skipIf(!postgresInstalled())(
  "generated filters give the same records on SQLite and PostgreSQL",
  async () => {
    if (!pg) throw new Error(PG_MISSING_MESSAGE);
    const cases = Number(process.env.FUZZ_CASES ?? 10_000);
    const seedValue = Number(process.env.FUZZ_SEED ?? 0x9d1f);
    const rng = seededRandom(seedValue);
    const started = performance.now();
    const counts = { ok: 0, bothFailed: 0, known: new Map<string, number>() };
    const failures: string[] = [];
    const kinds = new Map<string, number>();
    const perCollection = new Map<string, number>();
    const slow: { i: number; sqlite: number; pg: number; text: string }[] = [];
    const perCase: { ms: number; text: string }[] = [];
    // cases are generated in order (the stream stays seeded), then run a batch at a time: SQLite one
    // by one, PostgreSQL concurrently over its pool
    const BATCH = 8;
    for (let start = 0; start < cases; start += BATCH) {
      const batch: Case[] = [];
      for (let i = start; i < Math.min(cases, start + BATCH); i++) {
        const collection = rng() < 0.75 ? "items" : pick(rng, ["notes", "members", "item_view"]);
        const who = pick(rng, ["superuser", "superuser", "user", "guest"] as const);
        const ruleShaped = rng() < 0.3;
        const c: Case = {
          i,
          collection,
          who,
          filter: ruleShaped && rng() < 0.5 ? "" : expression(rng, collection),
          sort: sortText(rng, collection),
          rule: ruleShaped ? expression(rng, collection) : "",
          clientQuery: !ruleShaped,
        };
        if (process.env.FUZZ_ONLY && Number(process.env.FUZZ_ONLY) !== i) continue;
        batch.push(c);
      }
      const sqliteOutcomes: Outcome[] = [];
      const restoreSpy = process.env.FUZZ_ONLY ? spySql(pgApp) : () => {};
      const pgOutcomes: Outcome[] = [];
      // PostgreSQL works in its own processes while SQLite runs here
      const pgBatch = process.env.FUZZ_SLOW ? null : Promise.all(batch.map((c) => run(pgApp, c)));
      const t0 = performance.now();
      for (const c of batch) sqliteOutcomes.push(await run(sqliteApp, c));
      const t1 = performance.now();
      if (pgBatch) pgOutcomes.push(...(await pgBatch));
      else {
        // profiling: one at a time, timed per case
        for (const c of batch) {
          const t = performance.now();
          pgOutcomes.push(await run(pgApp, c));
          perCase.push({ ms: performance.now() - t, text: `${c.filter} | ${c.rule} | ${c.sort}` });
        }
      }
      restoreSpy();
      const t2 = performance.now();
      slow.push({ i: start, sqlite: t1 - t0, pg: t2 - t1, text: batch.map((c) => `${c.filter} | ${c.rule} | ${c.sort}`).join("\n    ") });
      batch.forEach((c, j) => {
        const a = sqliteOutcomes[j]!;
        const b = pgOutcomes[j]!;
        const pgSqlError = !b.ok && b.cause !== "FilterError" && b.cause !== "none" && !(!a.ok && a.cause === b.cause);
        if (!pgSqlError && same(a, b)) {
          if (a.ok) perCollection.set(c.collection, (perCollection.get(c.collection) ?? 0) + 1);
          if (a.ok) counts.ok++;
          else counts.bothFailed++;
          return;
        }
        const known = KNOWN_DIFFERENCES.find((k) => k.applies(c, a, b));
        if (known && !pgSqlError) {
          counts.known.set(known.reason, (counts.known.get(known.reason) ?? 0) + 1);
          return;
        }
        const key = !b.ok ? `pg ${b.cause}: ${b.message.slice(0, 60)}` : !a.ok ? `sqlite ${a.cause}: ${a.message.slice(0, 60)}` : "different records";
        kinds.set(key, (kinds.get(key) ?? 0) + 1);
        failures.push(
          `case ${c.i} (FUZZ_SEED=${seedValue}) ${c.who} on ${c.collection}${c.clientQuery ? "" : " (rule)"}\n` +
            `  filter: ${JSON.stringify(c.filter)}\n  rule:   ${JSON.stringify(c.rule)}\n  sort:   ${JSON.stringify(c.sort)}\n` +
            `  sqlite: ${JSON.stringify(a)}\n  pg:     ${JSON.stringify(b)}`,
        );
      });
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const collation = await pgApp.db.get<{ provider: string; locale: string | null }>(
      "SELECT datlocprovider::text AS provider, daticulocale AS locale FROM pg_database WHERE datname = current_database()",
    );
    console.log(
      `pg diff fuzz: ${cases} cases in ${seconds}s (seed ${seedValue}, PostgreSQL collation ${collation?.provider === "i" ? "ICU " + collation.locale : "C.UTF-8"}): ${counts.ok} same results, ` +
        `${counts.bothFailed} rejected by both, ${failures.length} differences; same results by collection: ` +
        JSON.stringify(Object.fromEntries(perCollection)) +
        "; known: " +
        JSON.stringify(Object.fromEntries(counts.known)),
    );
    if (process.env.FUZZ_SLOW) {
      slow.sort((x, y) => y.pg - x.pg);
      const total = (k: "sqlite" | "pg") => slow.reduce((acc, x) => acc + x[k], 0).toFixed(0);
      console.log(`time sqlite ${total("sqlite")}ms pg ${total("pg")}ms; slowest on pg:`);
      const byKind = new Map<string, { n: number; ms: number }>();
      for (const x of perCase) {
        const kind = x.text.includes("strftime(") ? "strftime" : x.text.includes("geoDistance(") ? "geoDistance" : x.text.includes("@collection") ? "@collection" : "other";
        const e = byKind.get(kind) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += x.ms;
        byKind.set(kind, e);
      }
      console.log([...byKind].map(([k, e]) => `${k}: ${e.n} cases ${e.ms.toFixed(0)}ms (${(e.ms / e.n).toFixed(1)}ms avg)`).join("; "));
      for (const x of slow.slice(0, Number(process.env.FUZZ_SLOW))) console.log(`${x.pg.toFixed(0)}ms (sqlite ${x.sqlite.toFixed(0)}ms) batch from case ${x.i}:\n    ${x.text}`);
    }
    if (failures.length > 0) console.log([...kinds].sort((x, y) => y[1] - x[1]).map(([k, n]) => `${n}\t${k}`).join("\n"));
    if (failures.length > 0) console.log(failures.slice(0, Number(process.env.FUZZ_SHOW ?? 15)).join("\n"));
    expect(failures.length).toBe(0);
  },
  600_000,
);
