/** Field validation: each type's validateValue codes/messages/params and validateSettings checks. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "../app.ts";
import { newBaseCollection, newViewCollection, type Collection } from "../collection.ts";
import { saveCollection } from "../collection_save.ts";
import { FieldValidationError, ValidationErrors } from "../errors.ts";
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
  validateRecordValues,
  type Field,
  type RecordValues,
} from "./index.ts";

let dir: string;
let app: App;
let posts: Collection;
let view: Collection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pb-fields-validate-"));
  app = new App({ dataDir: dir });
  await app.bootstrap();
  posts = newBaseCollection("posts");
  posts.fields.add(new TextField({ name: "title" }), new FileField({ name: "files", maxSelect: 3 }));
  await saveCollection(app, posts);
  await app.db.run(
    "INSERT INTO posts (id, title, files) VALUES ('aaaaaaaaaaaaaaa', 'a', '[\"kept.txt\"]'), ('bbbbbbbbbbbbbbb', 'b', '[]')",
  );
  view = newViewCollection("posts_view");
  view.viewQuery = "select id, title from posts";
  await saveCollection(app, view);
});
afterAll(async () => {
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

/** A record stand-in holding `values` for a collection made of `fields`. */
function rec(
  fields: Field[],
  values: { [k: string]: unknown },
  opts: { originalId?: string; plain?: string; collection?: Collection } = {},
): RecordValues {
  const collection = opts.collection ?? newBaseCollection("tmp_" + Math.random().toString(36).slice(2, 8));
  if (!opts.collection) collection.fields.add(...fields);
  const prepared = new Map<string, unknown>();
  for (const f of [...collection.fields, ...fields])
    prepared.set(f.name, f.prepareValue(values[f.name] ?? (f.name === "id" ? "abcdefghijklmno" : undefined)));
  return {
    collection,
    get: (name) => prepared.get(name),
    isNew: !opts.originalId,
    originalId: opts.originalId ?? "",
    getPlainPassword: () => opts.plain ?? "",
  };
}

/** The error validateValue throws (null when the value is valid). */
async function check(
  field: Field,
  value: unknown,
  opts: Parameters<typeof rec>[2] = {},
): Promise<FieldValidationError | null> {
  try {
    await field.validateValue(app, rec([field], { [field.name]: value }, opts));
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(FieldValidationError);
    return err as FieldValidationError;
  }
}

const plain = (e: FieldValidationError | null) =>
  e ? { code: e.code, message: e.message, ...(e.params ? { params: e.params } : {}) } : null;

describe("validateValue", () => {
  test("text: required, rune limits (max 0 = 5000), pattern", async () => {
    const f = new TextField({ name: "t", required: true, min: 3, max: 5, pattern: "^[a-zé]+$" });
    expect(plain(await check(f, ""))).toEqual({ code: "validation_required", message: "Cannot be blank." });
    expect(plain(await check(f, "ab"))).toEqual({
      code: "validation_min_text_constraint",
      message: "Must be at least 3 character(s).",
      params: { min: 3 },
    });
    expect(await check(f, "ééééé")).toBeNull(); // runes, not bytes
    expect(plain(await check(f, "abcdef"))).toEqual({
      code: "validation_max_text_constraint",
      message: "Must be no more than 5 character(s).",
      params: { max: 5 },
    });
    expect(plain(await check(f, "ABC"))).toEqual({
      code: "validation_invalid_format",
      message: "Invalid value format.",
    });
    expect((await check(new TextField({ name: "t" }), "x".repeat(5001)))?.params).toEqual({ max: 5000 });
    expect(await check(new TextField({ name: "t" }), "")).toBeNull();
  });

  test("text primary key: change, custom pattern checks", async () => {
    const id = new TextField({ name: "id", primaryKey: true, required: true, pattern: "^[a-z0-9]+$" });
    expect((await check(id, "other", { originalId: "abc" }))?.code).toBe("validation_pk_change");
    expect(await check(id, "abc", { originalId: "abc" })).toBeNull();
    const custom = new TextField({ name: "id", primaryKey: true, required: true, pattern: "^.+$" });
    const onPosts = { collection: posts };
    expect((await check(custom, "AAAAAAAAAAAAAAA", onPosts))?.code).toBe("validation_pk_invalid"); // case-insensitive duplicate
    expect(plain(await check(custom, "a.b", onPosts))).toEqual({
      code: "validation_forbidden_pk_character",
      message: "'.' is not a valid primary key character.",
      params: { ch: "." },
    });
    expect(plain(await check(custom, "com1", onPosts))).toEqual({
      code: "validation_reserved_pk",
      message: "The primary key 'COM1' is reserved and cannot be used.",
      params: { reserved: "COM1" },
    });
  });

  test("number: zero is blank, onlyInt, min/max with Go float formatting", async () => {
    const f = new NumberField({ name: "n", required: true, onlyInt: true, min: 2, max: 1000000 });
    expect((await check(f, 0))?.code).toBe("validation_required");
    expect(await check(new NumberField({ name: "n", min: 5 }), 0)).toBeNull();
    expect(plain(await check(f, 2.5))).toEqual({
      code: "validation_only_int_constraint",
      message: "Decimal numbers are not allowed.",
    });
    expect(plain(await check(f, 1))).toEqual({
      code: "validation_min_number_constraint",
      message: "Must be greater or equal than 2.",
      params: { min: 2 },
    });
    expect(plain(await check(f, 2000000))).toEqual({
      code: "validation_max_number_constraint",
      message: "Must be less or equal than 1e+06.",
      params: { max: 1000000 },
    });
    expect((await check(new NumberField({ name: "n" }), Infinity))?.code).toBe("validation_not_a_number");
  });

  test("bool, email, url, editor", async () => {
    expect((await check(new BoolField({ name: "b", required: true }), false))?.code).toBe("validation_required");
    expect(await check(new BoolField({ name: "b", required: true }), true)).toBeNull();

    const email = new EmailField({ name: "e", onlyDomains: ["example.com"] });
    expect(plain(await check(email, "nope"))).toEqual({
      code: "validation_is_email",
      message: "Must be a valid email address.",
    });
    expect(plain(await check(email, "a@other.com"))).toEqual({
      code: "validation_email_domain_not_allowed",
      message: "Email domain is not allowed.",
    });
    expect(await check(email, "a@example.com")).toBeNull();
    expect((await check(new EmailField({ name: "e", exceptDomains: ["example.com"] }), "a@example.com"))?.code).toBe(
      "validation_email_domain_not_allowed",
    );

    const url = new URLField({ name: "u", exceptDomains: ["bad.com"] });
    expect(plain(await check(url, "not a url"))).toEqual({
      code: "validation_invalid_url",
      message: "Must be a valid url.",
    });
    expect((await check(url, "test"))?.code).toBe("validation_invalid_url");
    expect(await check(url, "https://example.com/path?x=1")).toBeNull();
    expect(plain(await check(url, "https://bad.com/x"))).toEqual({
      code: "validation_url_domain_not_allowed",
      message: "Url domain is not allowed.",
    });

    const editor = new EditorField({ name: "ed", maxSize: 4 });
    expect(plain(await check(editor, "éééé"))).toEqual({
      code: "validation_content_size_limit",
      message: "The maximum allowed content size is 4 bytes.",
      params: { maxSize: 4 },
    });
  });

  test("date: min/max thresholds as Go prints them", async () => {
    const f = new DateField({ name: "d", min: "2020-01-01 00:00:00.000Z", max: "2021-01-01 00:00:00.000Z" });
    expect(plain(await check(f, "2019-12-31 10:00:00.000Z"))).toEqual({
      code: "validation_min_greater_equal_than_required",
      message: "Must be no less than 2020-01-01 00:00:00 +0000 UTC.",
      params: { threshold: "2020-01-01T00:00:00Z" },
    });
    expect((await check(f, "2022-01-01"))?.code).toBe("validation_max_less_equal_than_required");
    expect(await check(f, "2020-06-01")).toBeNull();
    expect((await check(new DateField({ name: "d", required: true }), "garbage"))?.code).toBe("validation_required");
  });

  test("select: too many, invalid value", async () => {
    const f = new SelectField({ name: "s", values: ["a", "b", "c"], maxSelect: 2 });
    expect(plain(await check(f, ["a", "b", "c"]))).toEqual({
      code: "validation_too_many_values",
      message: "Select no more than 2.",
      params: { maxSelect: 2 },
    });
    expect(plain(await check(f, ["x"]))).toEqual({
      code: "validation_invalid_value",
      message: "Invalid value x.",
      params: { value: "x" },
    });
    expect((await check(new SelectField({ name: "s", values: ["a"], required: true }), ""))?.code).toBe(
      "validation_required",
    );
  });

  test("relation: counts and existing ids", async () => {
    const f = new RelationField({ name: "r", collectionId: posts.id, minSelect: 2, maxSelect: 3 });
    expect(plain(await check(f, ["aaaaaaaaaaaaaaa"]))).toEqual({
      code: "validation_not_enough_values",
      message: "Select at least 2.",
      params: { minSelect: 2 },
    });
    expect((await check(f, ["1", "2", "3", "4"]))?.code).toBe("validation_too_many_values");
    expect(plain(await check(f, ["aaaaaaaaaaaaaaa", "missing"]))).toEqual({
      code: "validation_missing_rel_records",
      message: "Failed to find all relation records with the provided ids.",
    });
    expect(await check(f, ["aaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbb"])).toBeNull();
    expect((await check(new RelationField({ name: "r", collectionId: "nope" }), "x"))?.code).toBe(
      "validation_missing_rel_collection",
    );
  });

  test("json: size, required empties", async () => {
    const f = new JSONField({ name: "j", required: true, maxSize: 10 });
    for (const empty of [null, "", [], {}]) expect((await check(f, empty))?.code).toBe("validation_required");
    expect(plain(await check(f, { a: "0123456789" }))).toEqual({
      code: "validation_json_size_limit",
      message: "The maximum allowed JSON size is 10 bytes.",
      params: { maxSize: 10 },
    });
    expect(await check(f, { a: 1 })).toBeNull();
  });

  test("password: only the plain text set since loading is checked", async () => {
    const f = new PasswordField({ name: "password", required: true, min: 8, pattern: "\\d" });
    expect((await check(f, ""))?.code).toBe("validation_required");
    expect(await check(f, "$2a$10$hash")).toBeNull();
    expect(plain(await check(f, "$2a$10$hash", { plain: "short" }))).toEqual({
      code: "validation_min_text_constraint",
      message: "Must be at least 8 character(s).",
    });
    expect(plain(await check(f, "$2a$10$hash", { plain: "x".repeat(72) }))).toEqual({
      code: "validation_max_text_constraint",
      message: "Must be less than 71 character(s).",
    });
    expect((await check(f, "$2a$10$hash", { plain: "abcdefghij" }))?.code).toBe("validation_invalid_format");
    expect(await check(f, "$2a$10$hash", { plain: "abcdefgh1" })).toBeNull();
  });

  test("geoPoint: blank and bounds", async () => {
    const f = new GeoPointField({ name: "g", required: true });
    expect((await check(f, { lon: 0, lat: 0 }))?.code).toBe("validation_required");
    expect((await check(f, { lon: 0, lat: 91 }))?.code).toBe("validation_invalid_latitude");
    expect((await check(f, { lon: -181, lat: 1 }))?.code).toBe("validation_invalid_longitude");
    expect(await check(f, { lon: 10, lat: 10 })).toBeNull();
  });

  test("file: kept names only, count, upload name/size/mime", async () => {
    const f = posts.fields.getByName("files") as FileField;
    f.mimeTypes = ["image/png"];
    f.maxSize = 10;
    try {
      const stored = { collection: posts, originalId: "aaaaaaaaaaaaaaa" };
      expect(await check(f, ["kept.txt"], stored)).toBeNull();
      expect(plain(await check(f, ["kept.txt", "invented.txt"], stored))).toEqual({
        code: "validation_invalid_file",
        message: "Invalid new files: [invented.txt].",
        params: { invalidFiles: ["invented.txt"] },
      });
      const png = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])], "a.png");
      expect(await check(f, [png], stored)).toBeNull();
      const txt = new File(["hello"], "a.txt");
      expect(plain(await check(f, [txt], stored))).toEqual({
        code: "validation_invalid_mime_type",
        message: '"a.txt" mime type must be one of: image/png.',
      });
      const big = new File([new Uint8Array(11)], "big.png");
      expect(plain(await check(f, [big], stored))).toEqual({
        code: "validation_file_size_limit",
        message: "Failed to upload big.png - the maximum allowed file size is 10 bytes.",
        params: { file: "big.png", maxSize: 10 },
      });
      expect((await check(f, [new File(["x"], ".hidden")], stored))?.code).toBe("validation_match_invalid");
      expect(
        plain(
          await check(f, [png, new File([png], "b.png"), new File([png], "c.png"), new File([png], "d.png")], stored),
        ),
      ).toEqual({
        code: "validation_too_many_files",
        message: "The maximum allowed files is 3.",
        params: { maxSelect: 3 },
      });
    } finally {
      f.mimeTypes = null;
      f.maxSize = 0;
    }
  });

  test("validateRecordValues collects the failures by field name", async () => {
    const fields = [
      new TextField({ name: "a", required: true }),
      new NumberField({ name: "b", min: 5 }),
      new BoolField({ name: "c" }),
    ];
    const errs = await validateRecordValues(app, rec(fields, { a: "", b: 1 }));
    expect(errs).toBeInstanceOf(ValidationErrors);
    expect(errs!.toJSON()).toEqual({
      a: { code: "validation_required", message: "Cannot be blank." },
      b: { code: "validation_min_number_constraint", message: "Must be greater or equal than 5.", params: { min: 5 } },
    });
    expect(await validateRecordValues(app, rec(fields, { a: "x", b: 6 }))).toBeNull();
  });
});

describe("validateSettings", () => {
  const json = async (f: Field, c: Collection = posts) => (await f.validateSettings(app, c))?.toJSON() ?? null;

  test("common: id, name (reserved, pattern, _via_), help", async () => {
    expect(await json(new TextField({ id: "x", name: "" }))).toEqual({
      name: { code: "validation_required", message: "Cannot be blank." },
    });
    expect(await json(new BoolField({ id: "x", name: "expand" }))).toEqual({
      name: { code: "validation_not_in_invalid", message: "Must not be in list." },
    });
    expect(await json(new BoolField({ id: "x", name: "a-b" }))).toEqual({
      name: { code: "validation_match_invalid", message: "Must be in a valid format." },
    });
    expect(await json(new BoolField({ id: "x", name: "a_via_b" }))).toEqual({
      name: { code: "validation_found_via", message: 'The value cannot contain "_via_".' },
    });
    expect(await json(new BoolField({ id: "x", name: "ok", help: "h".repeat(301) }))).toEqual({
      help: {
        code: "validation_length_out_of_range",
        message: "The length must be between 1 and 300.",
        params: { min: 1, max: 300 },
      },
    });
    expect(await json(new BoolField({ id: "", name: "ok" }))).toEqual({
      id: { code: "validation_required", message: "Cannot be blank." },
    });
  });

  test("text: min/max, regexes, primary key rules", async () => {
    expect(await json(new TextField({ id: "x", name: "t", min: 5, max: 3 }))).toEqual({
      max: {
        code: "validation_min_greater_equal_than_required",
        message: "Must be no less than 5.",
        params: { threshold: 5 },
      },
    });
    const badRe = (await json(new TextField({ id: "x", name: "t", pattern: "[a-" }))) as {
      pattern: { code: string; message: string };
    };
    expect(badRe.pattern.code).toBe("validation_invalid_regex");
    expect(badRe.pattern.message).toBe("Error parsing regexp: missing closing ]: `[a-`.");
    expect(await json(new TextField({ id: "x", name: "t", autogeneratePattern: "^abc$" }))).toEqual({
      autogeneratePattern: {
        code: "validation_invalid_autogenerate_pattern",
        message: "Unsupported pattern operator 9.",
      },
    });
    expect(
      ((await json(new TextField({ id: "x", name: "t", max: 3, autogeneratePattern: "[a-z]{5}" }))) as any)
        .autogeneratePattern.code,
    ).toBe("validation_invalid_autogenerate_pattern_value");
    expect(await json(new TextField({ id: "x", name: "key", primaryKey: true, pattern: "", hidden: true }))).toEqual({
      name: { code: "validation_in_invalid", message: 'The primary key must be named "id".' },
      pattern: { code: "validation_required", message: "Cannot be blank." },
      hidden: { code: "validation_empty", message: "Must be blank." },
      required: { code: "validation_required", message: "Cannot be blank." },
    });
  });

  test("number, select, relation, file, password, autodate, date", async () => {
    expect(await json(new NumberField({ id: "x", name: "n", onlyInt: true, min: 1.5, max: 1 }))).toEqual({
      min: { code: "validation_only_int_constraint", message: "Decimal numbers are not allowed." },
      max: {
        code: "validation_min_number_constraint",
        message: "Must be greater or equal than 1.5.",
        params: { min: 1.5 },
      },
    });
    expect(await json(new SelectField({ id: "x", name: "s", values: ["a"], maxSelect: 2 }))).toEqual({
      maxSelect: {
        code: "validation_max_less_equal_than_required",
        message: "Must be no greater than 1.",
        params: { threshold: 1 },
      },
    });
    expect(((await json(new SelectField({ id: "x", name: "s" }))) as any).values.code).toBe("validation_required");
    expect(
      ((await json(new RelationField({ id: "x", name: "r", collectionId: "missing" }))) as any).collectionId.code,
    ).toBe("validation_field_relation_missing_collection");
    expect(
      ((await json(new RelationField({ id: "x", name: "r", collectionId: view.id }))) as any).collectionId.code,
    ).toBe("validation_relation_field_non_view_base_collection");
    expect(await json(new RelationField({ id: "x", name: "r", collectionId: view.id }), view)).toBeNull();
    expect(
      ((await json(new RelationField({ id: "x", name: "r", collectionId: posts.id, minSelect: 2 }))) as any).maxSelect
        .code,
    ).toBe("validation_required");
    expect(await json(new FileField({ id: "x", name: "f", thumbs: ["100x100", "0x0", "abc"] }))).toEqual({
      thumbs: {
        "1": { code: "validation_not_in_invalid", message: "Must not be in list." },
        "2": { code: "validation_match_invalid", message: "Must be in a valid format." },
      },
    });
    expect(await json(new PasswordField({ id: "x", name: "p", min: 0, max: 80, cost: 2 }))).toEqual({
      max: {
        code: "validation_max_less_equal_than_required",
        message: "Must be no greater than 71.",
        params: { threshold: 71 },
      },
      cost: {
        code: "validation_min_greater_equal_than_required",
        message: "Must be no less than 4.",
        params: { threshold: 4 },
      },
    });
    expect(await json(new AutodateField({ id: "x", name: "a" }))).toEqual({
      onCreate: { code: "validation_required", message: "Either onCreate or onUpdate must be enabled." },
      onUpdate: { code: "validation_required", message: "Either onCreate or onUpdate must be enabled." },
    });
    expect(
      await json(
        new DateField({ id: "x", name: "d", min: "2022-01-01 00:00:00.000Z", max: "2021-01-01 00:00:00.000Z" }),
      ),
    ).toEqual({
      max: { code: "validation_date_out_of_range", message: "The date is out of range." },
    });
    expect(
      await json(new EmailField({ id: "x", name: "e", onlyDomains: ["a.com"], exceptDomains: ["b.com"] })),
    ).toEqual({
      exceptDomains: { code: "validation_empty", message: "Must be blank." },
      onlyDomains: { code: "validation_empty", message: "Must be blank." },
    });
    expect(await json(new URLField({ id: "x", name: "u", onlyDomains: ["bad domain"] }))).toEqual({
      onlyDomains: { "0": { code: "validation_is_domain", message: "Must be a valid domain." } },
    });
  });
});
