/**
 * Attack class: SQL injection.
 *
 * Every way a client or a superuser can put text into SQL: the records list parameters (`filter`,
 * `sort`, `fields`, `expand`, `page`, `perPage`, `skipTotal`), the path segments (collection,
 * record id), the logs API (superuser), and the collection definitions a superuser sends (names,
 * field names, select values, rules, index SQL, view queries). Upstream (tools/search, core/view.go,
 * core/collection_validate.go, core/collection_record_table_sync.go) binds every value as a
 * parameter and validates every identifier; a probe must be refused with a 4xx envelope or treated
 * as a literal, and must never execute. A canary table, the record counts and
 * `PRAGMA integrity_check` are checked after every probe, and once more on the closed database file.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { App } from "../../src/core/app.ts";
import { newBaseCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import { NumberField, RelationField, SelectField, TextField } from "../../src/core/fields/index.ts";
import { Record } from "../../src/core/record.ts";
import { saveRecord } from "../../src/core/record_save.ts";
import { TEST_DB, tempDir, type TestServer, testAppConfig } from "../harness.ts";
import { withDataDb } from "../support/db.ts";
import { startWithSuperuser } from "./support.ts";

const SECRET = "TOPSECRET-7f3a91";
const HOSTILE_SELECT = "a'); DROP TABLE canary; --";
const TITLES = ["plain", "x' OR '1'='1", '"; DROP TABLE canary; --', "Robert'); DROP TABLE notes;--", "back\\slash"];

let srv: TestServer;
let suToken = "";
let dataDir = "";
const noteIds: { [title: string]: string } = {};
let baseline: (string | null)[] = [];

beforeAll(async () => {
  const work = tempDir();
  dataDir = join(work, "pb_data");
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const people = newBaseCollection("people");
  people.fields.add(new TextField({ name: "name" }));
  people.listRule = people.viewRule = "";
  await saveCollection(app, people);
  const secrets = newBaseCollection("secrets");
  secrets.fields.add(new TextField({ name: "secret" }));
  await saveCollection(app, secrets);
  const notes = newBaseCollection("notes");
  notes.fields.add(
    new TextField({ name: "title" }),
    new NumberField({ name: "n" }),
    new SelectField({ name: "tag", values: [HOSTILE_SELECT, "plain"], maxSelect: 1 }),
    new RelationField({ name: "author", collectionId: people.id, maxSelect: 1 }),
  );
  notes.listRule = notes.viewRule = notes.createRule = "";
  await saveCollection(app, notes);
  await app.db.exec("CREATE TABLE canary (v TEXT); INSERT INTO canary VALUES ('alive');");

  const author = new Record(people);
  author.set("name", "Ann");
  await saveRecord(app, author);
  const s = new Record(secrets);
  s.set("secret", SECRET);
  await saveRecord(app, s);
  for (const [i, title] of TITLES.entries()) {
    const r = new Record(notes);
    r.load({ title, n: i, tag: i === 1 ? HOSTILE_SELECT : "plain", author: author.id });
    await saveRecord(app, r);
    noteIds[title] = r.id;
  }
  await app.terminate();
  const { srv: server, su } = await startWithSuperuser(work);
  srv = server;
  suToken = su.authStore.token;
  baseline = await counts();
});
afterAll(async () => {
  await srv?.stop();
  if (dataDir) rmSync(join(dataDir, ".."), { recursive: true, force: true });
});

/** Runs a read through the superuser SQL console (upstream's /api/sql). */
async function sql(query: string): Promise<(string | null)[][]> {
  const res = await fetch(`${srv.url}/api/sql`, {
    method: "POST",
    headers: { Authorization: suToken, "Content-Type": "application/json" },
    body: JSON.stringify({ query }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: (string | null)[][] }).rows;
}

async function counts(): Promise<(string | null)[]> {
  return (
    await sql(
      "SELECT (SELECT count(*) FROM notes), (SELECT count(*) FROM secrets), (SELECT count(*) FROM people), (SELECT count(*) FROM users), (SELECT count(*) FROM _superusers)",
    )
  )[0]!;
}

/** The canary row, every record count and the database structure are untouched. */
async function assertIntact(probe: string) {
  expect([probe, await sql("SELECT v FROM canary")]).toEqual([probe, [["alive"]]]);
  expect([probe, await counts()]).toEqual([probe, baseline]);
}

/** Writes still work on the server's own connection (nothing left it read-only or mid-transaction). */
async function assertWritable() {
  const res = await fetch(`${srv.url}/api/collections/people/records`, {
    method: "POST",
    headers: { Authorization: suToken, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "probe" }),
  });
  expect(res.status).toBe(200);
  const { id } = (await res.json()) as { id: string };
  expect(
    (
      await fetch(`${srv.url}/api/collections/people/records/${id}`, {
        method: "DELETE",
        headers: { Authorization: suToken },
      })
    ).status,
  ).toBe(204);
}

async function expectEnvelope(res: Response, status: number, probe: string) {
  const text = await res.text();
  expect([probe, res.status]).toEqual([probe, status]);
  const body = JSON.parse(text);
  expect(Object.keys(body).sort()).toEqual(["data", "message", "status"]);
  expect(body.status).toBe(status);
  expect(typeof body.message).toBe("string");
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain("sqlite_master");
  return body;
}

const list = (query: string, headers: { [k: string]: string } = {}) =>
  fetch(`${srv.url}/api/collections/notes/records?${query}`, { headers });
const q = (name: string, value: string) => `${name}=${encodeURIComponent(value)}`;

test("filter: quotes, comments, UNION, subqueries and stacked statements are refused with a 400 envelope", async () => {
  const probes = [
    "title = '' OR 1=1 --",
    'title = "x"; DROP TABLE canary',
    "id = '' UNION SELECT sql FROM sqlite_master",
    "title = (SELECT v FROM canary)",
    "1=1) OR (1=1",
    "title = 'a' /* c */ OR 1=1",
    "load_extension('/tmp/x') = 1",
    "title = 'a'); ATTACH DATABASE '/tmp/evil.db' AS evil; --",
    "title = 'a' OR 1=1; PRAGMA writable_schema = 1",
    "title ~ 'a' ESCAPE '\\'",
  ];
  for (const filter of probes) {
    await expectEnvelope(await list(q("filter", filter)), 400, filter);
    await assertIntact(filter);
  }
  // @collection joins are for superusers only (upstream apis/record_helpers.go)
  const body = await expectEnvelope(
    await list(q("filter", `@collection.secrets.secret ?= "${SECRET}"`)),
    403,
    "@collection",
  );
  expect(body.message).toBe("Only superusers can filter by @collection.");
  await assertWritable();
});

test("filter: hostile strings inside quotes are compared as literal values", async () => {
  const cases: [string, string[]][] = [
    [`title = "x' OR '1'='1"`, ["x' OR '1'='1"]],
    [`title = '"; DROP TABLE canary; --'`, ['"; DROP TABLE canary; --']],
    [`title = "Robert'); DROP TABLE notes;--"`, ["Robert'); DROP TABLE notes;--"]],
    [`title ~ "'"`, ["x' OR '1'='1", "Robert'); DROP TABLE notes;--"]],
    // `~` is LIKE with user wildcards by design (upstream wraps the operand in % only when it has none)
    [`title ~ "%"`, TITLES],
    [`tag = "${HOSTILE_SELECT}"`, ["x' OR '1'='1"]],
    [`title = "' OR 1=1 --"`, []],
  ];
  for (const [filter, titles] of cases) {
    const res = await list(`${q("filter", filter)}&sort=n`);
    expect([filter, res.status]).toEqual([filter, 200]);
    const items = ((await res.json()) as { items: { id: string; title: string }[] }).items;
    expect([filter, items.map((r) => r.title)]).toEqual([filter, titles]);
    await assertIntact(filter);
  }
});

test("sort: anything but field names and @random/@rowid is refused", async () => {
  for (const sort of [
    "title;DROP TABLE canary",
    "(SELECT 1)",
    "title COLLATE NOCASE",
    "1",
    "title--",
    "-title,(SELECT v FROM canary)",
    "title DESC; DELETE FROM notes",
    "nope",
  ]) {
    await expectEnvelope(await list(q("sort", sort)), 400, sort);
    await assertIntact(sort);
  }
  const res = await list(q("sort", "-n,@rowid"));
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).items.map((r: any) => r.title)).toEqual([...TITLES].reverse());
});

test("fields and expand: hostile names are ignored, never resolved to SQL or to other collections", async () => {
  for (const [name, value] of [
    ["fields", "*,(SELECT v FROM canary)"],
    ["fields", "title;DROP TABLE canary"],
    ["fields", "title:excerpt(1;DROP TABLE canary)"],
    ["fields", "expand.secrets.secret,*"],
    ["expand", "author;DROP TABLE canary"],
    ["expand", "author.(SELECT v FROM canary)"],
    ["expand", "secrets_via_title"],
    ["expand", "../secrets"],
  ] as const) {
    const res = await list(`${q(name, value)}&sort=n`);
    const text = await res.text();
    expect([name, value, res.status]).toEqual([name, value, 200]);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("alive");
    // a modifier with bad arguments fails after the 200 header, leaving an empty body (as upstream's e.JSON)
    if (text === "") continue;
    for (const item of JSON.parse(text).items) {
      for (const k of Object.keys(item))
        expect(["id", "collectionId", "collectionName", "title", "n", "tag", "author", "expand"]).toContain(k);
      if (item.expand) expect(Object.keys(item.expand)).toEqual([]);
    }
    await assertIntact(`${name}=${value}`);
  }
});

test("page, perPage and skipTotal: non-numbers are a 400, numbers are clamped", async () => {
  for (const [name, value] of [
    ["page", "1; DROP TABLE canary"],
    ["page", "1 OR 1=1"],
    ["perPage", "1 OR 1=1"],
    ["perPage", "10; DELETE FROM notes"],
    ["skipTotal", "1; DROP TABLE canary"],
    ["skipTotal", "true' --"],
  ] as const) {
    await expectEnvelope(await list(q(name, value)), 400, `${name}=${value}`);
    await assertIntact(`${name}=${value}`);
  }
  let body = (await (await list("page=-5&perPage=100000")).json()) as any;
  expect([body.page, body.perPage, body.totalItems]).toEqual([1, 1000, TITLES.length]);
  body = (await (await list("skipTotal=1&perPage=2")).json()) as any;
  expect([body.items.length, body.totalItems, body.totalPages]).toEqual([2, -1, -1]);
});

test("collection names and record ids in the path are looked up as values, never spliced into SQL", async () => {
  for (const name of [
    "notes'; DROP TABLE canary;--",
    'notes" OR 1=1 --',
    "canary",
    "sqlite_master",
    "notes;",
    "notes/**/",
  ]) {
    const res = await fetch(`${srv.url}/api/collections/${encodeURIComponent(name)}/records`, {
      headers: { Authorization: suToken },
    });
    await expectEnvelope(res, 404, name);
    await assertIntact(name);
  }
  for (const id of [
    "' OR '1'='1",
    `${noteIds.plain}' OR '1'='1`,
    '" OR 1=1 --',
    "*",
    "%",
    `${noteIds.plain}; DELETE FROM notes`,
  ]) {
    const path = `${srv.url}/api/collections/notes/records/${encodeURIComponent(id)}`;
    await expectEnvelope(await fetch(path), 404, `GET ${id}`);
    await expectEnvelope(
      await fetch(path, {
        method: "PATCH",
        headers: { Authorization: suToken, "Content-Type": "application/json" },
        body: '{"title":"pwned"}',
      }),
      404,
      `PATCH ${id}`,
    );
    await expectEnvelope(
      await fetch(path, { method: "DELETE", headers: { Authorization: suToken } }),
      404,
      `DELETE ${id}`,
    );
    await assertIntact(id);
  }
  expect(await sql("SELECT count(*) FROM notes WHERE title = 'pwned'")).toEqual([["0"]]);
});

test("logs API (superuser): filter and sort injections are refused; literal filters still work", async () => {
  const H = { Authorization: suToken };
  for (const [name, value] of [
    ["filter", "message = '' OR 1=1; DROP TABLE _logs"],
    ["filter", "(SELECT 1) = 1"],
    ["filter", "data.status = 200 UNION SELECT * FROM _params"],
    ["sort", "created;DROP TABLE _logs"],
    ["sort", "(SELECT 1)"],
  ] as const) {
    await expectEnvelope(await fetch(`${srv.url}/api/logs?${q(name, value)}`, { headers: H }), 400, `${name}=${value}`);
  }
  const res = await fetch(`${srv.url}/api/logs?${q("filter", "message = \"x' OR '1'='1\"")}`, { headers: H });
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).items).toEqual([]);
  // a guest can't reach the logs at all
  await expectEnvelope(await fetch(`${srv.url}/api/logs?${q("filter", "1=1")}`), 401, "guest logs");
  await assertIntact("logs");
});

const createCollection = (body: object) =>
  fetch(`${srv.url}/api/collections`, {
    method: "POST",
    headers: { Authorization: suToken, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

test("collection and field names with quotes, semicolons and comments are refused by validation", async () => {
  for (const name of ["x'; DROP TABLE canary; --", 'x"y', "x;y", "x`y", "x--y", "x) ; ATTACH DATABASE 'a' AS b"]) {
    const body = await expectEnvelope(await createCollection({ name, type: "base" }), 400, name);
    expect(body.data.name.code).toBe("validation_match_invalid");
    await assertIntact(name);
  }
  // an existing internal table can't be taken over
  let body = await expectEnvelope(await createCollection({ name: "canary", type: "base" }), 400, "canary");
  expect(body.data.name.code).toBe("validation_collection_name_invalid");
  for (const field of ["a'; DROP TABLE canary; --", "a`b", 'a"b', "a b", "a;b"]) {
    body = await expectEnvelope(
      await createCollection({ name: "fieldprobe", type: "base", fields: [{ name: field, type: "text" }] }),
      400,
      field,
    );
    expect(body.data.fields["1"].name.code).toBe("validation_match_invalid");
    await assertIntact(field);
  }
  for (const rule of ["1=1; DROP TABLE canary", "id != '' ) OR (1=1", "id = (SELECT v FROM canary)"]) {
    body = await expectEnvelope(await createCollection({ name: "ruleprobe", type: "base", listRule: rule }), 400, rule);
    expect(body.data.listRule.code).toBe("validation_invalid_rule");
  }
  expect(await sql("SELECT count(*) FROM _collections WHERE name IN ('fieldprobe', 'ruleprobe')")).toEqual([["0"]]);
  await assertWritable();
});

test("select values with SQL in them are stored and matched as plain strings", async () => {
  const values = ["a'); DROP TABLE canary; --", 'b" OR "1"="1', "c`; DELETE FROM notes; --", "plain"];
  let res = await createCollection({
    name: "selprobe",
    type: "base",
    listRule: "",
    createRule: "",
    fields: [{ name: "tag", type: "select", values, maxSelect: 1 }],
  });
  expect(res.status).toBe(200);
  for (const v of values) {
    res = await fetch(`${srv.url}/api/collections/selprobe/records`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ tag: v }),
    });
    expect([v, res.status]).toEqual([v, 200]);
    expect(((await res.json()) as any).tag).toBe(v);
    const found = (await (
      await fetch(`${srv.url}/api/collections/selprobe/records?${q("filter", `tag = ${JSON.stringify(v)}`)}`)
    ).json()) as any;
    expect(found.items.map((r: any) => r.tag)).toEqual([v]);
    await assertIntact(v);
  }
  // a value outside the list is still refused
  res = await fetch(`${srv.url}/api/collections/selprobe/records`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ tag: "' OR 1=1 --" }),
  });
  expect(((await expectEnvelope(res, 400, "outside")) as any).data.tag.code).toBe("validation_invalid_value");
});

test("index definitions: statements stacked after a CREATE INDEX never run", async () => {
  const probes = [
    "CREATE INDEX idx_probe1 ON idxprobe (title) WHERE 1; DELETE FROM canary; --",
    "CREATE INDEX idx_probe2 ON idxprobe (title); DELETE FROM canary; --",
    "CREATE INDEX idx_probe3 ON idxprobe (title) WHERE 1; PRAGMA query_only = 1; --",
    "CREATE INDEX idx_probe4 ON idxprobe (title) WHERE title != ';'; DROP TABLE canary; SELECT ('x')",
    "CREATE INDEX idx_probe5 ON idxprobe (title, (SELECT v FROM canary))",
    "CREATE INDEX idx_probe6 ON idxprobe (title) WHERE 1; ATTACH DATABASE ':memory:' AS evil; --",
  ];
  for (const [i, index] of probes.entries()) {
    const name = `idxprobe${i}`;
    const res = await createCollection({
      name,
      type: "base",
      fields: [{ name: "title", type: "text" }],
      indexes: [index.replaceAll("idxprobe", name)],
    });
    expect([index, [200, 400].includes(res.status)]).toEqual([index, true]);
    if (res.status === 400)
      expect((await expectEnvelope(res, 400, index)).data.indexes["0"].code).toBe(
        "validation_invalid_index_expression",
      );
    await assertIntact(index);
    await assertWritable();
  }
  // whatever was created holds only the index statement itself
  const indexDefs =
    TEST_DB === "sqlite"
      ? "SELECT sql FROM sqlite_master WHERE type = 'index' AND name LIKE 'idx_probe%'"
      : "SELECT indexdef FROM pg_indexes WHERE indexname LIKE 'idx_probe%'";
  for (const row of await sql(indexDefs)) {
    expect(row[0]).not.toMatch(/DELETE|DROP|PRAGMA|ATTACH/i);
  }
  // (PostgreSQL has no ATTACH: one database per connection)
  if (TEST_DB === "sqlite")
    expect(await sql("SELECT count(*) FROM pragma_database_list WHERE name = 'evil'")).toEqual([["0"]]);
});

test("view queries can't write: DELETE, INSERT, UPDATE, CTE writes, pragmas and stacked statements are refused", async () => {
  const probes = [
    "DELETE FROM canary RETURNING 1 as id",
    "INSERT INTO canary VALUES ('pwned') RETURNING 'x' as id",
    "UPDATE canary SET v = 'pwned' RETURNING 'x' as id",
    "WITH x AS (DELETE FROM canary RETURNING *) SELECT 1 as id",
    "select 1 as id; DELETE FROM canary",
    "select id from notes; UPDATE notes SET title = 'pwned'",
    "PRAGMA writable_schema = 1",
    "select 1 as id) /* ' */; DELETE FROM canary; --",
    // the quote inside the comment hides the `;` from the statement splitter, the `)` closes the wrapper
    "select id from notes where 1) /* ' */ ; DELETE FROM canary; -- '",
    "select id from notes where 1) /* ' */ ; PRAGMA query_only = 1; -- '",
    "select id from notes order by id) /* ' */ ; UPDATE notes SET title = 'pwned'; -- '",
    "select load_extension('/tmp/x') as id",
  ];
  for (const viewQuery of probes) {
    const res = await createCollection({ name: "viewprobe", type: "view", viewQuery });
    const body = await expectEnvelope(res, 400, viewQuery);
    expect([viewQuery, body.data.viewQuery?.code]).toEqual([viewQuery, "validation_invalid_view_query"]);
    await assertIntact(viewQuery);
    expect(await sql("SELECT count(*) FROM notes WHERE title = 'pwned'")).toEqual([["0"]]);
    await assertWritable();
  }
  const views =
    TEST_DB === "sqlite"
      ? "SELECT count(*) FROM sqlite_master WHERE type = 'view'"
      : "SELECT count(*) FROM information_schema.views WHERE table_schema NOT IN ('pg_catalog', 'information_schema')";
  expect(await sql(views)).toEqual([["0"]]);
});

test("view queries can't read other databases: no ATTACH, no auxiliary.db tables", async () => {
  const aux = join(dataDir, "auxiliary.db").replaceAll("'", "''");
  for (const viewQuery of [
    `select 1 as id; ATTACH DATABASE '${aux}' AS aux`,
    `select id from notes where 1) /* ' */ ; ATTACH DATABASE '${aux}' AS aux; -- '`,
    "select id, message from _logs",
    "select id, message from auxiliary._logs",
    "select id, message from aux._logs",
  ]) {
    const body = await expectEnvelope(
      await createCollection({ name: "auxprobe", type: "view", viewQuery }),
      400,
      viewQuery,
    );
    expect(body.data.viewQuery.code).toBe("validation_invalid_view_query");
    await assertIntact(viewQuery);
  }
  if (TEST_DB === "sqlite") expect(await sql("SELECT name FROM pragma_database_list ORDER BY seq")).toEqual([["main"]]);
  // a plain read-only view is still fine
  const res = await createCollection({
    name: "okview",
    type: "view",
    listRule: "",
    viewQuery: "select id, title from notes where tag = 'plain'",
  });
  expect(res.status).toBe(200);
  const items = ((await (await fetch(`${srv.url}/api/collections/okview/records?sort=title`)).json()) as any).items;
  expect(items.length).toBe(TITLES.length - 1);
});

test("after every probe the closed database files are intact", async () => {
  await assertWritable();
  expect(await srv.stop({ keep: true })).toBe(0);
  // PostgreSQL has no integrity_check to ask: its own crash safety keeps the files consistent
  const sqlite = TEST_DB === "sqlite";
  await withDataDb(dataDir, async (db) => {
    if (sqlite) expect(await db.all("PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
    expect(await db.all("SELECT v FROM canary")).toEqual([{ v: "alive" }]);
    expect((await db.all<{ title: string }>("SELECT title FROM notes ORDER BY n")).map((r) => r.title)).toEqual(TITLES);
    expect(await db.all("SELECT secret FROM secrets")).toEqual([{ secret: SECRET }]);
  });
  await withDataDb(
    dataDir,
    async (aux) => {
      if (sqlite) expect(await aux.all("PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
      expect((await aux.get<{ n: number }>("SELECT count(*) AS n FROM _logs"))!.n).toBeGreaterThanOrEqual(0);
    },
    "aux",
  );
});
