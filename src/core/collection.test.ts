import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { App } from "./app.ts";
import { SqliteDb } from "./db/index.ts";
import { Collection, newAuthCollection, newBaseCollection, newViewCollection } from "./collection.ts";
import { buildIndex, findSingleColumnUniqueIndex, parseIndex, splitTokens } from "./collection_index.ts";
import { deleteCollection, saveCollection, saveCollectionNoValidate } from "./collection_save.ts";
import { findAllCollections, findCollectionByNameOrId, findCollectionReferences } from "./collection_query.ts";
import { ValidationErrors } from "./errors.ts";
import { BoolField, FileField, NumberField, RelationField, SelectField, TextField } from "./fields/index.ts";

// the upstream-made fixture shared beside the repo (read-only: copied before it is opened)
const FIXTURE_DB = resolve(import.meta.dir, "../../../shared/conformance/pb-fixture/data.db");
const SHARED_MISSING = existsSync(FIXTURE_DB) ? "" : "skipped: ../shared not present";
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("new collections", () => {
  test("base: checksum id and the default id field", () => {
    const c = newBaseCollection("posts");
    expect(c.id).toBe("pbc_" + Bun.hash.crc32("baseposts"));
    expect(c.isNew()).toBe(true);
    expect(c.fields.map((f) => f.name)).toEqual(["id"]);
    expect(c.fields[0]!.toJSON()).toEqual({
      autogeneratePattern: "[a-z0-9]{15}",
      help: "",
      hidden: false,
      id: "text3208210256",
      max: 15,
      min: 15,
      name: "id",
      pattern: "^[a-z0-9]+$",
      presentable: false,
      primaryKey: true,
      required: true,
      system: true,
      type: "text",
    });
    expect(c.options).toEqual({});
  });

  test("auth: system fields, unique indexes and default options with fresh secrets", () => {
    const a = newAuthCollection("members");
    const b = newAuthCollection("members");
    expect(a.fields.map((f) => f.id)).toEqual([
      "text3208210256",
      "password901924565",
      "text2504183744",
      "email3885137012",
      "bool1547992806",
      "bool256245529",
    ]);
    expect(a.indexes).toEqual([
      `CREATE UNIQUE INDEX \`idx_tokenKey_${a.id}\` ON \`members\` (\`tokenKey\`)`,
      `CREATE UNIQUE INDEX \`idx_email_${a.id}\` ON \`members\` (\`email\`) WHERE \`email\` != ''`,
    ]);
    expect(a.authRule).toBe("");
    expect(a.manageRule).toBeNull();
    expect(a.passwordAuth).toEqual({ enabled: true, identityFields: ["email"] });
    expect(a.mfa).toEqual({ enabled: false, duration: 600, rule: "" });
    expect([a.otp.duration, a.otp.length]).toEqual([180, 8]);
    expect(
      [a.authToken, a.passwordResetToken, a.emailChangeToken, a.verificationToken, a.fileToken].map((t) => t.duration),
    ).toEqual([432000, 1800, 1800, 86400, 180]);
    for (const t of [a.authToken, a.passwordResetToken, a.emailChangeToken, a.verificationToken, a.fileToken]) {
      expect(t.secret).toMatch(/^[A-Za-z0-9]{50}$/);
    }
    expect(a.authToken.secret).not.toBe(b.authToken.secret);
    expect(a.authToken.secret).not.toBe(a.fileToken.secret);
    expect(Object.keys(a.options)).toEqual([
      "authRule",
      "manageRule",
      "authAlert",
      "oauth2",
      "passwordAuth",
      "mfa",
      "otp",
      "authToken",
      "passwordResetToken",
      "emailChangeToken",
      "verificationToken",
      "fileToken",
      "verificationTemplate",
      "resetPasswordTemplate",
      "confirmEmailChangeTemplate",
    ]);
  });

  test("long index names are cut to 64 characters", () => {
    const c = newAuthCollection("x".repeat(80), "y".repeat(80));
    expect(parseIndex(c.indexes[0]!).indexName).toBe(("idx_tokenKey_" + "y".repeat(80)).slice(0, 64));
  });

  test("view: no default fields, options hold the query", () => {
    const v = newViewCollection("stats");
    v.viewQuery = "select id from posts";
    expect(v.fields.length).toBe(0);
    expect(v.options).toEqual({ viewQuery: "select id from posts" });
    expect(v.toRow().options).toBe('{"viewQuery":"select id from posts"}');
  });
});

describe("API JSON", () => {
  test("struct order, secrets left out, providers never null", () => {
    const c = newAuthCollection("members");
    c.oauth2.providers = [
      {
        pkce: null,
        name: "google",
        clientId: "id",
        clientSecret: "shh",
        authURL: "",
        tokenURL: "",
        userInfoURL: "",
        displayName: "",
        extra: { b: 1, a: 2 },
      },
    ];
    const json = c.toJSON() as any;
    expect(Object.keys(json).slice(0, 13)).toEqual([
      "id",
      "listRule",
      "viewRule",
      "createRule",
      "updateRule",
      "deleteRule",
      "name",
      "type",
      "fields",
      "indexes",
      "created",
      "updated",
      "system",
    ]);
    expect(json.authToken).toEqual({ duration: 432000 });
    expect(json.oauth2.providers[0]).toEqual({
      pkce: null,
      name: "google",
      clientId: "id",
      authURL: "",
      tokenURL: "",
      userInfoURL: "",
      displayName: "",
      extra: { a: 2, b: 1 },
    });
    expect(JSON.stringify(json)).not.toContain("shh");
    expect(JSON.stringify(json)).not.toContain(c.authToken.secret);
    // the stored form keeps them
    expect(c.toRow().options).toContain(c.authToken.secret);
    expect(c.toRow().options).toContain('"clientSecret":"shh"');

    c.oauth2.providers = null;
    expect((c.toJSON() as any).oauth2.providers).toEqual([]);
    expect(JSON.parse(c.toRow().options).oauth2.providers).toBeNull();
  });

  test("base and view collections carry no auth options", () => {
    expect(Object.keys(newBaseCollection("a").toJSON())).not.toContain("authRule");
    expect(Object.keys(newViewCollection("v").toJSON())).toContain("viewQuery");
  });
});

/** The fixture's _collections rows, read from a copy ([] without ../shared: those tests skip). */
async function fixtureRows(): Promise<Record<string, unknown>[]> {
  if (SHARED_MISSING) return [];
  const copyDir = mkdtempSync(join(tmpdir(), "pb-col-fixture-"));
  dirs.push(copyDir);
  copyFileSync(FIXTURE_DB, join(copyDir, "data.db"));
  const fixture = new SqliteDb(join(copyDir, "data.db"));
  try {
    return await fixture.all<Record<string, unknown>>("SELECT * FROM _collections");
  } finally {
    await fixture.close();
  }
}
const FIXTURE_ROWS = await fixtureRows();

describe("_collections row encoding", () => {
  const rows = FIXTURE_ROWS;
  if (SHARED_MISSING) test.skip(`fixture rows: ${SHARED_MISSING}`, () => {});

  test.skipIf(!!SHARED_MISSING)("every fixture row round-trips; only keys newer than the row get added", () => {
    for (const row of rows) {
      const c = Collection.fromRow(row);
      expect(c.isNew()).toBe(false);
      const out = c.toRow() as unknown as Record<string, unknown>;
      for (const key of [
        "id",
        "type",
        "name",
        "system",
        "indexes",
        "options",
        "listRule",
        "viewRule",
        "createRule",
        "updateRule",
        "deleteRule",
        "created",
        "updated",
      ]) {
        expect([row.name, key, out[key]]).toEqual([row.name, key, row[key]]);
      }
      const stored = JSON.parse(String(row.fields)) as Record<string, unknown>[];
      const written = JSON.parse(String(out.fields)) as Record<string, unknown>[];
      expect(written.length).toBe(stored.length);
      written.forEach((f, i) => {
        const { help: _help, ...rest } = f;
        const { help: _h, ...storedRest } = stored[i]!;
        expect(rest).toEqual(storedRest);
        if (f.type !== "autodate") expect(typeof f.help).toBe("string");
        expect(Object.keys(f)).toEqual(Object.keys(f).sort());
      });
    }
  });

  test.skipIf(!!SHARED_MISSING)("auth options of the fixture decode into the typed model", () => {
    const users = Collection.fromRow(rows.find((r) => r.name === "users")!);
    expect(users.authToken.duration).toBe(1209600);
    expect(users.oauth2.providers?.map((p) => p.name)).toEqual(["gitlab", "google"]);
    expect(users.oauth2.providers?.[0]?.clientSecret).toBe("test2");
    expect(users.passwordAuth.identityFields).toEqual(["email", "username"]);
    const view = Collection.fromRow(rows.find((r) => r.name === "view2")!);
    expect(view.isView()).toBe(true);
    expect(view.viewQuery).toContain("view1");
  });

  test("fromJSON builds defaults first, mergeJSON keeps what is not given", () => {
    const c = Collection.fromJSON({
      name: "members",
      type: "auth",
      authToken: { duration: 60 },
      fields: [{ type: "text", name: "nick" }],
    });
    expect(c.isAuth()).toBe(true);
    expect(c.authToken.duration).toBe(60);
    expect(c.authToken.secret).toMatch(/^[A-Za-z0-9]{50}$/);
    // fields are replaced wholesale; the system ones come back on save (initDefaultFields)
    expect(c.fields.map((f) => f.name)).toEqual(["nick"]);
    c.initDefaultFields();
    expect(c.fields.map((f) => f.name)).toEqual([
      "id",
      "nick",
      "password",
      "tokenKey",
      "email",
      "emailVisibility",
      "verified",
    ]);

    const secret = c.authToken.secret;
    c.mergeJSON({ authToken: { duration: 120 }, listRule: null, otp: { enabled: true } });
    expect(c.authToken).toEqual({ secret, duration: 120 });
    expect(c.otp.enabled).toBe(true);
    expect(c.otp.length).toBe(8);
  });

  test("indexes helpers", () => {
    const c = newBaseCollection("posts");
    c.addIndex("idx_a", true, "a, b", "a != ''");
    expect(c.indexes).toEqual(["CREATE UNIQUE INDEX `idx_a` ON `posts` (a, b) WHERE a != ''"]);
    expect(c.getIndex("IDX_A")).toBe(c.indexes[0]!);
    c.addIndex("idx_a", false, "c");
    expect(c.indexes).toEqual(["CREATE INDEX `idx_a` ON `posts` (c)"]);
    c.removeIndex("idx_a");
    expect(c.indexes).toEqual([]);
  });
});

describe("CREATE INDEX parse/build", () => {
  test("normalizes names and column lists as upstream executes them", () => {
    expect(
      buildIndex(
        parseIndex("create unique index IF NOT EXISTS \"idx\" on 'tbl' (a, `b` collate nocase desc)  where a > 1"),
      ),
    ).toBe("CREATE UNIQUE INDEX IF NOT EXISTS `idx` ON `tbl` (\n  `a`,\n  `b` COLLATE nocase DESC\n) WHERE a > 1");
    expect(buildIndex(parseIndex("CREATE INDEX `i` ON `t` (`c`)"))).toBe("CREATE INDEX `i` ON `t` (`c`)");
    expect(buildIndex(parseIndex("CREATE INDEX s.i ON t (lower(x), y)"))).toBe(
      "CREATE INDEX `s`.`i` ON `t` (\n  lower(x),\n  `y`\n)",
    );
    expect(buildIndex(parseIndex("CREATE INDEX i ON t (json_extract(data, '$.a,b'))"))).toBe(
      "CREATE INDEX `i` ON `t` (json_extract(data, '$.a,b'))",
    );
  });

  test("invalid statements build to ''", () => {
    expect(buildIndex(parseIndex("CREATE INDEX ON t (a)"))).toBe("");
    expect(buildIndex(parseIndex("not an index"))).toBe("");
    expect(buildIndex(parseIndex("CREATE INDEX i ON t ()"))).toBe("");
  });

  test("single-column unique lookup and tokenizer", () => {
    const idx = [
      "CREATE INDEX a ON t (email)",
      "CREATE UNIQUE INDEX b ON t (email, x)",
      "CREATE UNIQUE INDEX c ON t (`Email`)",
    ];
    expect(findSingleColumnUniqueIndex(idx, "email")?.indexName).toBe("c");
    expect(findSingleColumnUniqueIndex(idx, "x")).toBeNull();
    expect(splitTokens("a, (b, c), 'd,e'", ",")).toEqual(["a", "(b, c)", "'d,e'"]);
    expect(splitTokens("a, (b", ",")).toBeNull();
  });
});

describe("saving collections", () => {
  let app: App;
  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), "pb-col-"));
    dirs.push(dir);
    app = new App({ dataDir: dir });
    await app.bootstrap();
  });
  const tableSQL = async (name: string) =>
    (
      (await app.db.get("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [name])) as {
        sql: string;
      } | null
    )?.sql;
  const indexNames = async (table: string) =>
    (
      (await app.db.all(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
        [table],
      )) as {
        name: string;
      }[]
    ).map((r) => r.name);

  test("creates the row, the table (columns sorted) and normalized indexes", async () => {
    const c = newBaseCollection("posts");
    c.fields.add(
      new TextField({ name: "title" }),
      new NumberField({ name: "Score" }),
      new SelectField({ name: "tags", maxSelect: 3, values: ["a", "b", "c"] }),
    );
    c.addIndex("idx_posts_title", false, "title, Score");
    await saveCollection(app, c);

    expect(c.isNew()).toBe(false);
    expect(c.created).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(await tableSQL("posts")).toBe(
      "CREATE TABLE `posts` (`Score` NUMERIC DEFAULT 0 NOT NULL, `id` TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, " +
        "`tags` JSON DEFAULT '[]' NOT NULL, `title` TEXT DEFAULT '' NOT NULL)",
    );
    expect(await app.db.get("SELECT sql FROM sqlite_master WHERE name = 'idx_posts_title'")).toEqual({
      sql: "CREATE INDEX `idx_posts_title` ON `posts` (\n  `title`,\n  `Score`\n)",
    });
    const cached = app.findCollection("posts")!;
    expect(cached.fields.map((f) => f.name)).toEqual(["id", "title", "Score", "tags"]);
    expect((await findCollectionByNameOrId(app, "POSTS"))?.id).toBe(c.id);
  });

  test("a taken checksum id gets a numeric suffix, index names follow", async () => {
    const a = newAuthCollection("members");
    await saveCollection(app, a);
    await deleteCollection(app, a);
    const first = newAuthCollection("members");
    await app.db.run("INSERT INTO _collections (id, name, type) VALUES (?, 'other', 'base')", [first.id]);
    await saveCollection(app, first);
    expect(first.id).toBe(a.id + "2");
    expect(first.indexes[0]).toBe(`CREATE UNIQUE INDEX \`idx_tokenKey_${a.id}2\` ON \`members\` (\`tokenKey\`)`);
    expect(await indexNames("members")).toEqual([`idx_email_${a.id}2`, `idx_tokenKey_${a.id}2`]);
  });

  test("syncs added, renamed and removed fields like upstream (temporary column names)", async () => {
    const c = newBaseCollection("notes");
    c.fields.add(new TextField({ name: "title" }), new BoolField({ name: "done" }), new TextField({ name: "body" }));
    c.addIndex("idx_notes_title", true, "title");
    await saveCollection(app, c);
    await app.db.run("INSERT INTO notes (id, title, done, body) VALUES ('r1', 'hello', 1, 'text')");

    c.fields.getByName("title")!.name = "heading";
    c.fields.removeByName("body");
    c.fields.add(new NumberField({ name: "rank" }));
    c.indexes = ["CREATE UNIQUE INDEX `idx_notes_title` ON `notes` (heading)"];
    await saveCollection(app, c);

    expect(await tableSQL("notes")).toBe(
      "CREATE TABLE `notes` (`done` BOOLEAN DEFAULT FALSE NOT NULL, " +
        "`id` TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL, \"heading\" TEXT DEFAULT '' NOT NULL, " +
        '"rank" NUMERIC DEFAULT 0 NOT NULL)',
    );
    expect(await app.db.all("SELECT * FROM notes")).toEqual([{ done: 1, id: "r1", heading: "hello", rank: 0 }]);
    expect(await app.db.get("SELECT sql FROM sqlite_master WHERE name = 'idx_notes_title'")).toEqual({
      sql: "CREATE UNIQUE INDEX `idx_notes_title` ON `notes` (`heading`)",
    });

    c.name = "memos";
    await saveCollection(app, c);
    expect(await tableSQL("notes")).toBeUndefined();
    expect(await tableSQL("memos")).toContain('"heading"');
    expect(await app.db.get("SELECT sql FROM sqlite_master WHERE name = 'idx_notes_title'")).toEqual({
      sql: "CREATE UNIQUE INDEX `idx_notes_title` ON `memos` (`heading`)",
    });
  });

  test("converts data when a field switches between single and multiple", async () => {
    const c = newBaseCollection("docs");
    c.fields.add(new FileField({ name: "files", maxSelect: 1 }));
    await saveCollection(app, c);
    await app.db.run("INSERT INTO docs (id, files) VALUES ('a', 'one.txt'), ('b', '')");

    (c.fields.getByName("files") as FileField).maxSelect = 5;
    await saveCollection(app, c);
    expect(await app.db.all("SELECT id, files FROM docs ORDER BY id")).toEqual([
      { id: "a", files: '["one.txt"]' },
      { id: "b", files: "[]" },
    ]);
    expect(await tableSQL("docs")).toContain("`files` JSON DEFAULT '[]' NOT NULL");

    await app.db.run(`UPDATE docs SET files = '["x.txt","y.txt"]' WHERE id = 'b'`);
    (c.fields.getByName("files") as FileField).maxSelect = 1;
    await saveCollection(app, c);
    expect(await app.db.all("SELECT id, files FROM docs ORDER BY id")).toEqual([
      { id: "a", files: "one.txt" },
      { id: "b", files: "y.txt" },
    ]);
  });

  test("a bad index rolls the whole save back with an `indexes` validation error", async () => {
    const c = newBaseCollection("broken");
    c.indexes = ["CREATE INDEX `idx_bad` ON `broken` (missing_column)"];
    const err = await saveCollection(app, c).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationErrors);
    expect((err as ValidationErrors).toJSON()).toEqual({
      indexes: {
        "0": {
          code: "validation_invalid_index_expression",
          message: expect.stringContaining("Failed to create index idx_bad"),
        },
      },
    });
    expect(await tableSQL("broken")).toBeUndefined();
    expect(app.findCollection("broken")).toBeNull();
  });

  test("changing authRule rotates the auth token secret; the id cannot change", async () => {
    const c = newAuthCollection("members");
    await saveCollection(app, c);
    const secret = c.authToken.secret;
    c.authRule = null; // null and "" count as the same rule
    await saveCollection(app, c);
    expect(c.authToken.secret).toBe(secret);
    c.authRule = "verified = true";
    await saveCollection(app, c);
    expect(c.authToken.secret).not.toBe(secret);
    expect((await findCollectionByNameOrId(app, "members"))!.authToken.secret).toBe(c.authToken.secret);

    c.id = "other";
    await expect(saveCollection(app, c)).rejects.toThrow("id: Values don't match.");
    await expect(saveCollectionNoValidate(app, c)).rejects.toThrow("primary key change is not allowed");
  });

  test("views are created as upstream wraps them", async () => {
    const posts = newBaseCollection("posts");
    posts.fields.add(new TextField({ name: "title" }));
    await saveCollection(app, posts);
    const v = newViewCollection("titles");
    v.viewQuery = "SELECT id, title FROM posts;";
    await saveCollection(app, v);
    expect(await app.db.get("SELECT sql FROM sqlite_master WHERE name = 'titles'")).toEqual({
      sql: "CREATE VIEW `titles` AS SELECT * FROM (SELECT id, title FROM posts)",
    });
    v.viewQuery = "SELECT id FROM posts; DROP TABLE posts";
    await expect(saveCollection(app, v)).rejects.toThrow("multiple statements are not supported");
  });

  test("references and deletion", async () => {
    const authors = newBaseCollection("authors");
    await saveCollection(app, authors);
    const books = newBaseCollection("books");
    books.fields.add(new RelationField({ name: "author", collectionId: authors.id, maxSelect: 1 }));
    await saveCollection(app, books);

    const refs = await findCollectionReferences(app, authors);
    expect([...refs.keys()].map((c) => c.name)).toEqual(["books"]);
    await expect(deleteCollection(app, authors)).rejects.toThrow("existing relation references: books");
    await expect(deleteCollection(app, app.findCollection("_superusers")!)).rejects.toThrow(
      "system collections cannot be deleted",
    );

    await deleteCollection(app, books);
    expect(await tableSQL("books")).toBeUndefined();
    expect((await findAllCollections(app, "base")).map((c) => c.name)).not.toContain("books");
  });
  test("_superusers always keeps password auth on, OAuth2 off and MFA with OTP", async () => {
    const su = (await findCollectionByNameOrId(app, "_superusers"))!;
    su.passwordAuth.enabled = false;
    su.oauth2.enabled = true;
    su.otp.enabled = true;
    await saveCollection(app, su);
    const stored = (await findCollectionByNameOrId(app, "_superusers"))!;
    expect([stored.passwordAuth.enabled, stored.oauth2.enabled, stored.otp.enabled, stored.mfa.enabled]).toEqual([
      true,
      false,
      true,
      true,
    ]);
  });

  test("renaming a collection carries its rate limit labels along", async () => {
    const c = newBaseCollection("posts");
    await saveCollection(app, c);
    const s = app.settings();
    s.rateLimits.rules.push({ label: "posts:create", audience: "", duration: 1, maxRequests: 1 });
    await app.saveSettings(s);
    c.name = "articles";
    await saveCollection(app, c);
    expect(app.settings().rateLimits.rules.map((r) => r.label)).toContain("articles:create");
    const row = (await app.db.get("SELECT value FROM _params WHERE id = 'settings'")) as { value: Uint8Array };
    expect(Buffer.from(row.value).toString()).toContain('"label":"articles:create"');
  });

  test("deleting an auth collection removes its MFA/OTP/origin/OAuth2 rows", async () => {
    const members = newAuthCollection("members");
    await saveCollection(app, members);
    for (const t of ["_mfas", "_otps", "_authOrigins", "_externalAuths"]) {
      await app.db.run(`INSERT INTO ${t} (id, collectionRef, recordRef) VALUES (?, ?, 'r1')`, [
        "x" + t.length,
        members.id,
      ]);
    }
    await deleteCollection(app, members);
    for (const t of ["_mfas", "_otps", "_authOrigins", "_externalAuths"]) {
      expect(await app.db.get(`SELECT count(*) AS n FROM ${t}`)).toEqual({ n: 0 });
    }
  });
});
