/** Collection validation, hooks on save/delete, views, import and truncate, on a fresh app. */
import { afterAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "./app.ts";
import { Collection, newAuthCollection, newBaseCollection, newViewCollection } from "./collection.ts";
import { importCollections } from "./collection_import.ts";
import { findCollectionByNameOrId } from "./collection_query.ts";
import { deleteCollection, saveCollection, truncateCollection } from "./collection_save.ts";
import { ValidationErrors } from "./errors.ts";
import { NumberField, RelationField, TextField } from "./fields/index.ts";
import { createViewFields, dryRunView } from "./view.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

let app: App;
beforeEach(async () => {
  const dir = mkdtempSync(join(tmpdir(), "pb-colval-"));
  dirs.push(dir);
  app = new App({ dataDir: dir });
  await app.bootstrap();
});

/** The `data` a failed save reports (throws if the save succeeds or fails otherwise). */
async function errorsOf(c: Collection): Promise<{ [k: string]: any }> {
  try {
    await saveCollection(app, c);
  } catch (err) {
    if (err instanceof ValidationErrors) return err.toJSON();
    throw err;
  }
  throw new Error("expected the save to fail");
}

async function posts(): Promise<Collection> {
  const c = newBaseCollection("posts");
  c.fields.add(new TextField({ name: "title", max: 100 }), new NumberField({ name: "views" }));
  c.listRule = "";
  await saveCollection(app, c);
  return c;
}

describe("identity and system protections", () => {
  test("names: required, pattern, _via_, unique, not an id, not an internal table", async () => {
    await posts();
    expect((await errorsOf(newBaseCollection(""))).name.code).toBe("validation_required");
    expect((await errorsOf(newBaseCollection("a-b"))).name.code).toBe("validation_match_invalid");
    expect((await errorsOf(newBaseCollection("a_via_b"))).name.code).toBe("validation_found_via");
    expect((await errorsOf(newBaseCollection("POSTS"))).name).toEqual({
      code: "validation_collection_name_exists",
      message: "Collection name must be unique (case insensitive).",
    });
    const byId = newBaseCollection((await findCollectionByNameOrId(app, "posts"))!.id);
    expect((await errorsOf(byId)).name.code).toBe("validation_collection_name_id_duplicate");
    expect((await errorsOf(newBaseCollection("_migrations"))).name.code).toBe("validation_collection_name_invalid");
  });

  test("ids: pattern and uniqueness for new ones, immutable after", async () => {
    const p = await posts();
    expect((await errorsOf(newBaseCollection("x", "bad id"))).id.code).toBe("validation_match_invalid");
    expect((await errorsOf(newBaseCollection("x", p.id))).id.code).toBe("validation_invalid_or_existing_id");
    p.id = "changed";
    expect((await errorsOf(p)).id).toEqual({ code: "validation_values_mismatch", message: "Values don't match." });
  });

  test("type and system flag cannot change; system collections keep name and rules", async () => {
    const p = await posts();
    p.type = "auth";
    expect((await errorsOf(p)).type.code).toBe("validation_collection_type_change");

    const p2 = (await findCollectionByNameOrId(app, "posts"))!;
    p2.system = true;
    expect((await errorsOf(p2)).system.code).toBe("validation_collection_system_flag_change");

    const su = (await findCollectionByNameOrId(app, "_mfas"))!;
    su.name = "renamed";
    su.listRule = "";
    const errs = await errorsOf(su);
    expect(errs.name.code).toBe("validation_collection_system_name_change");
    expect(errs.listRule.code).toBe("validation_collection_system_rule_change");
  });
});

describe("fields", () => {
  test("duplicates, reserved names, system fields, type changes", async () => {
    const c = newBaseCollection("things");
    c.fields.add(new TextField({ name: "a" }), new TextField({ id: "other", name: "A" }));
    expect((await errorsOf(c)).fields).toEqual({
      "2": {
        name: {
          code: "validation_duplicated_field_name",
          message: "Duplicated or invalid field name A.",
          params: { fieldName: "A" },
        },
      },
    });

    const auth = newAuthCollection("members");
    auth.fields.add(new TextField({ name: "passwordConfirm" }));
    expect((await errorsOf(auth)).fields["6"].name.code).toBe("validation_reserved_field_name");

    const p = await posts();
    p.fields.getByName("id")!.name = "pk"; // the re-added "id" gets the same id and is replaced, as upstream
    expect((await errorsOf(p)).fields.code).toBe("validation_missing_primary_key");
    const users = (await findCollectionByNameOrId(app, "users"))!;
    users.fields.getByName("email")!.name = "mail"; // a new "email" field is added by the save's defaults
    expect((await errorsOf(users)).fields).toEqual({
      code: "validation_system_field_change",
      message: "System fields cannot be deleted or renamed.",
    });

    const p2 = (await findCollectionByNameOrId(app, "posts"))!;
    const title = p2.fields.getByName("title")!;
    p2.fields.removeByName("title");
    p2.fields.add(new NumberField({ id: title.id, name: "title" }));
    expect((await errorsOf(p2)).fields).toEqual({
      "2": { code: "validation_field_type_change", message: "Field type cannot be changed." },
    });
  });

  test("each field's settings are checked under its index", async () => {
    const c = newBaseCollection("things");
    c.fields.add(new TextField({ name: "t", min: 10, max: 5 }), new RelationField({ name: "r", collectionId: "nope" }));
    const errs = await errorsOf(c);
    expect(errs.fields["1"].max.code).toBe("validation_min_greater_equal_than_required");
    expect(errs.fields["2"].collectionId.code).toBe("validation_field_relation_missing_collection");
  });
});

describe("indexes", () => {
  test("syntax, duplicated names and definitions, names used by other tables", async () => {
    await posts();
    const c = newBaseCollection("things");
    c.fields.add(new TextField({ name: "a" }));
    c.indexes = ["create index bad"];
    expect((await errorsOf(c)).indexes).toEqual({
      "0": { code: "validation_invalid_index_expression", message: "Invalid CREATE INDEX expression." },
    });
    c.indexes = ["create index i1 on things (a)", "create index I1 on things (id)"];
    expect((await errorsOf(c)).indexes["1"].code).toBe("validation_duplicated_index_name");
    c.indexes = ["create index i1 on things (a)", "create index i2 on x (a)"];
    expect((await errorsOf(c)).indexes["1"].code).toBe("validation_duplicated_index_definition");
    c.indexes = ["create index idx_email__pb_users_auth_ on things (a)"];
    expect((await errorsOf(c)).indexes["0"]).toEqual({
      code: "validation_existing_index_name",
      message: "The index name is already used in users collection.",
      params: { usedTableName: "users" },
    });
    c.indexes = ["create index i1 on things (missing)"];
    expect((await errorsOf(c)).indexes["0"].code).toBe("validation_invalid_index_expression"); // fails to build
  });

  test("unique indexes on system fields stay", async () => {
    const ext = (await findCollectionByNameOrId(app, "_externalAuths"))!;
    ext.indexes = ext.indexes.slice(1);
    expect((await errorsOf(ext)).indexes.code).toBe("validation_invalid_unique_system_field_index");
  });
});

describe("auth options", () => {
  test("tokens, MFA, OTP, identity fields, OAuth2 providers", async () => {
    const a = newAuthCollection("members");
    a.authToken.duration = 5;
    a.fileToken.secret = "short";
    a.otp.enabled = true;
    a.otp.length = 2;
    a.verificationTemplate.subject = "";
    const errs = await errorsOf(a);
    expect(errs.authToken).toEqual({
      duration: {
        code: "validation_min_greater_equal_than_required",
        message: "Must be no less than 10.",
        params: { threshold: 10 },
      },
    });
    expect(errs.fileToken.secret.code).toBe("validation_length_out_of_range");
    expect(errs.otp.length.code).toBe("validation_min_greater_equal_than_required");
    expect(errs.verificationTemplate.subject.code).toBe("validation_required");

    const b = newAuthCollection("members");
    b.passwordAuth.enabled = false;
    b.mfa.enabled = true;
    expect((await errorsOf(b)).mfa.enabled.code).toBe("validation_mfa_not_enough_auths");

    const c = newAuthCollection("members");
    c.fields.add(new TextField({ name: "username" }));
    c.passwordAuth.identityFields = ["email", "username"];
    expect((await errorsOf(c)).passwordAuth.identityFields).toEqual({
      code: "validation_missing_unique_constraint",
      message: "The field username doesn't have a UNIQUE constraint.",
      params: { fieldName: "username" },
    });
    c.passwordAuth.identityFields = ["missing"];
    expect((await errorsOf(c)).passwordAuth.identityFields.code).toBe("validation_missing_field");

    const d = newAuthCollection("members");
    d.oauth2.enabled = true;
    const provider = {
      pkce: null,
      name: "google",
      clientId: "id",
      clientSecret: "s",
      authURL: "",
      tokenURL: "",
      userInfoURL: "",
      displayName: "",
      extra: null,
    };
    d.oauth2.providers = [provider, { ...provider }];
    expect((await errorsOf(d)).oauth2.providers["1"].name.code).toBe("validation_duplicated_provider");
    d.oauth2.providers = [{ ...provider, name: "nope", clientSecret: "" }];
    expect((await errorsOf(d)).oauth2.providers["0"]).toEqual({
      name: {
        code: "validation_missing_provider",
        message: "Invalid or missing provider with name nope.",
        params: { name: "nope" },
      },
      clientSecret: { code: "validation_required", message: "Cannot be blank." },
    });
    d.manageRule = "";
    d.oauth2.providers = [provider];
    expect((await errorsOf(d)).manageRule.code).toBe("validation_nil_or_not_empty_required");
  });
});

describe("views", () => {
  test("fields are inferred from the query", async () => {
    const p = await posts();
    const users = (await findCollectionByNameOrId(app, "users"))!;
    const fields = await createViewFields(
      app,
      "select p.id, p.title as heading, count(p.id) as total, cast(p.views as real) as v, u.id as author, 'x' as other " +
        "from posts p left join users u on u.id = p.id group by p.id",
    );
    expect(fields.map((f) => [f.name, f.type])).toEqual([
      ["id", "text"],
      ["heading", "text"],
      ["total", "number"],
      ["v", "number"],
      ["author", "relation"],
      ["other", "json"],
    ]);
    const heading = fields.getByName("heading") as TextField;
    expect(heading.id).toMatch(/^_clone_\w{4}$/);
    expect(heading.max).toBe(100); // copied settings
    expect((fields.getByName("author") as RelationField).collectionId).toBe(users.id);
    expect((fields.getByName("total") as NumberField).onlyInt).toBe(true);
    expect(p.id).toBeTruthy();
    await expect(createViewFields(app, "select title from posts")).rejects.toThrow("missing required id column");
    await expect(createViewFields(app, "select * from posts")).rejects.toThrow("wildcard columns");
  });

  test("saving creates the SQL view (non-text ids cast); options are validated", async () => {
    await posts();
    const v = newViewCollection("numbers");
    v.viewQuery = "select 1 as id, 'a' as label;";
    await saveCollection(app, v);
    const sql = ((await app.db.get("SELECT sql FROM sqlite_master WHERE name = 'numbers'")) as { sql: string }).sql;
    expect(sql).toBe(
      "CREATE VIEW `numbers` AS SELECT * FROM (SELECT CAST(`id` as TEXT) `id`,`label` FROM (select 1 as id, 'a' as label))",
    );
    expect(v.fields.map((f) => f.name)).toEqual(["id", "label"]);

    const bad = newViewCollection("bad");
    bad.viewQuery = "select 1 as id; select 2 as id";
    bad.createRule = "";
    bad.indexes = ["create index x on bad (id)"];
    const errs = await errorsOf(bad);
    expect(errs.viewQuery.code).toBe("validation_invalid_view_query");
    expect(errs.viewQuery.message).toBe("Invalid query - multiple statements are not supported.");
    expect(errs.createRule.code).toBe("validation_nil");
    expect(errs.indexes.code).toBe("validation_indexes_not_supported");
    expect((await errorsOf(newViewCollection("empty"))).viewQuery.code).toBe("validation_required");
  });

  test("dry run: fields and a sample; ids must be non-empty and unique", async () => {
    await posts();
    await app.db.run("INSERT INTO posts (id, title, views) VALUES ('p1', 'one', 1), ('p2', 'two', 2)");
    const r = await dryRunView(app, "select id, title from posts order by id", 10);
    expect(r.fields.map((f) => f.name)).toEqual(["id", "title"]);
    expect(r.sample.map((s) => s.get("title"))).toEqual(["one", "two"]);
    await expect(dryRunView(app, "select id from (select 1 as id union all select 1 as id)", 10)).rejects.toThrow(
      "non-unique ids",
    );
    await expect(dryRunView(app, "select id from (select 1 as id union select '' as id)", 10)).rejects.toThrow(
      "empty or invalid ids",
    );
    await expect(dryRunView(app, "CREATE TABLE t1(x INT)", 10)).rejects.toThrow();
  });

  test("dependent views follow their source; a view dependency blocks deleting the source", async () => {
    const p = await posts();
    const v = newViewCollection("titles");
    v.viewQuery = "select id, title from posts";
    await saveCollection(app, v);
    expect((v.fields.getByName("title") as TextField).max).toBe(100);

    (p.fields.getByName("title") as TextField).max = 50;
    await saveCollection(app, p);
    expect(((await findCollectionByNameOrId(app, "titles"))!.fields.getByName("title") as TextField).max).toBe(50);

    await expect(deleteCollection(app, (await findCollectionByNameOrId(app, "posts"))!)).rejects.toThrow(
      "existing view dependency",
    );
    expect(await findCollectionByNameOrId(app, "posts")).not.toBeNull();
    expect(await app.db.get("SELECT 1 FROM sqlite_master WHERE name = 'posts'")).not.toBeNull();
  });
});

describe("hooks", () => {
  test("save and delete fire collection and model hooks in order, success after the commit", async () => {
    const calls: string[] = [];
    const log = (name: string) => async (e: { next(): Promise<void> }) => {
      calls.push(name);
      await e.next();
    };
    app.onCollectionCreate().bindFunc(log("create"));
    app.onModelCreate().bindFunc(log("model.create"));
    app.onCollectionValidate().bindFunc(log("validate"));
    app.onModelValidate().bindFunc(log("model.validate"));
    app.onCollectionCreateExecute().bindFunc(log("createExecute"));
    app.onModelCreateExecute().bindFunc(log("model.createExecute"));
    app.onCollectionAfterCreateSuccess().bindFunc(log("afterCreateSuccess"));
    app.onModelAfterCreateSuccess().bindFunc(log("model.afterCreateSuccess"));
    app.onCollectionAfterCreateError().bindFunc(log("afterCreateError"));
    app.onCollectionDelete("tagged").bindFunc(log("delete"));
    app.onCollectionDeleteExecute().bindFunc(log("deleteExecute"));
    app.onCollectionAfterDeleteSuccess().bindFunc(log("afterDeleteSuccess"));

    await app.runInTransaction(async () => {
      await saveCollection(app, newBaseCollection("tagged"));
      calls.push("-- still in the transaction");
    });
    expect(calls).toEqual([
      "create",
      "model.create",
      "validate",
      "model.validate",
      "createExecute",
      "model.createExecute",
      "-- still in the transaction",
      "afterCreateSuccess",
      "model.afterCreateSuccess",
    ]);

    calls.length = 0;
    await expect(saveCollection(app, newBaseCollection("tagged"))).rejects.toThrow(ValidationErrors);
    expect(calls).toEqual(["create", "model.create", "validate", "model.validate", "afterCreateError"]);

    calls.length = 0;
    await deleteCollection(app, (await findCollectionByNameOrId(app, "tagged"))!);
    expect(calls).toEqual(["delete", "deleteExecute", "afterDeleteSuccess"]);
  });

  test("a hook can change the collection before it is validated and stored, or stop the save", async () => {
    app.onCollectionCreate().bindFunc(async (e) => {
      e.collection.listRule = "";
      await e.next();
    });
    const c = newBaseCollection("hooked");
    await saveCollection(app, c);
    expect((await findCollectionByNameOrId(app, "hooked"))!.listRule).toBe("");

    app.onCollectionDelete().bindFunc(() => {
      throw new Error("no deletes today");
    });
    await expect(deleteCollection(app, c)).rejects.toThrow("no deletes today");
    expect(await findCollectionByNameOrId(app, "hooked")).not.toBeNull();
  });
});

describe("delete, truncate, import", () => {
  test("system and referenced collections cannot be deleted", async () => {
    await expect(deleteCollection(app, (await findCollectionByNameOrId(app, "_superusers"))!)).rejects.toThrow(
      "system collections cannot be deleted",
    );
    const p = await posts();
    const c = newBaseCollection("comments");
    c.fields.add(new RelationField({ name: "post", collectionId: p.id, maxSelect: 1 }));
    await saveCollection(app, c);
    await expect(deleteCollection(app, (await findCollectionByNameOrId(app, "posts"))!)).rejects.toThrow(
      "existing relation references: comments",
    );
  });

  test("truncate deletes every record through the record pipeline", async () => {
    await posts();
    await app.db.run("INSERT INTO posts (id, title, views) VALUES ('p1', 'one', 1), ('p2', 'two', 2)");
    await truncateCollection(app, (await findCollectionByNameOrId(app, "posts"))!);
    expect(await app.db.get("SELECT count(*) AS n FROM posts")).toEqual({ n: 0 });
    const v = newViewCollection("v");
    v.viewQuery = "select id from posts";
    await saveCollection(app, v);
    await expect(truncateCollection(app, v)).rejects.toThrow("view collections cannot be truncated");
  });

  test("import creates, merges (keeping unmentioned fields) and deletes missing ones", async () => {
    const p = await posts();
    await app.db.run("INSERT INTO posts (id, title, views) VALUES ('p1', 'one', 1)");
    await importCollections(
      app,
      [
        { name: "posts", fields: [{ name: "extra", type: "bool" }] },
        { name: "tags", type: "base", fields: [{ name: "label", type: "text", required: true }] },
        { name: "tag_view", type: "view", viewQuery: "select id, label from tags" },
      ],
      false,
    );
    const merged = (await findCollectionByNameOrId(app, "posts"))!;
    expect(merged.id).toBe(p.id);
    expect(merged.fields.map((f) => f.name).sort()).toEqual(["extra", "id", "title", "views"]);
    expect(await app.db.get("SELECT title FROM posts")).toEqual({ title: "one" });
    expect((await findCollectionByNameOrId(app, "tag_view"))!.fields.map((f) => f.name)).toEqual(["id", "label"]);

    await importCollections(app, [{ name: "posts", fields: [{ name: "extra", type: "bool" }] }], true);
    expect(await findCollectionByNameOrId(app, "tags")).toBeNull();
    expect(await findCollectionByNameOrId(app, "tag_view")).toBeNull();
    expect((await findCollectionByNameOrId(app, "posts"))!.fields.map((f) => f.name)).toEqual(["extra", "id"]);
    expect(await findCollectionByNameOrId(app, "users")).toBeNull(); // not a system collection
    expect(await findCollectionByNameOrId(app, "_superusers")).not.toBeNull();
  });

  test("an import failing validation is rolled back whole", async () => {
    await posts();
    let err: unknown;
    try {
      await importCollections(
        app,
        [
          { name: "fine", type: "base" },
          { name: "broken", type: "base", fields: [{ name: "a", type: "select" }] },
        ],
        false,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationErrors);
    const data = (err as ValidationErrors).toJSON() as any;
    expect(data.collections.code).toBe("validation_collections_import_failure");
    expect(data.collections.message).toContain('Data validations failed for collection "broken"');
    expect(data.collections.message).toContain('"values": "cannot be blank"');
    expect(await findCollectionByNameOrId(app, "fine")).toBeNull();
    expect(await app.db.get("SELECT 1 FROM sqlite_master WHERE name = 'fine'")).toBeNull();
  });
});

describe("rules", () => {
  test("API rules are checked against the collection's fields", async () => {
    const c = newBaseCollection("ruled");
    c.fields.add(new TextField({ name: "title" }));
    c.listRule = "missing = '123'";
    c.viewRule = "title = 'x' && @request.auth.id != ''";
    const errs = await errorsOf(c);
    expect(Object.keys(errs)).toEqual(["listRule"]);
    expect(errs.listRule.code).toBe("validation_invalid_rule");
    expect(errs.listRule.message).toStartWith("Invalid rule. Raw error: ");

    const a = newAuthCollection("members");
    a.authRule = "nope = 1";
    a.mfa.enabled = true;
    a.otp.enabled = true;
    a.mfa.rule = "nope = 2";
    expect((await errorsOf(a)).authRule.code).toBe("validation_invalid_rule");
    a.authRule = "";
    expect((await errorsOf(a)).mfa.rule.code).toBe("validation_invalid_rule");
  });
});
