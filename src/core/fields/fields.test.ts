import { describe, expect, test } from "bun:test";
import { sqliteDialect } from "../../tools/sql/dialect.ts";
import {
  AutodateField,
  BoolField,
  DateField,
  EditorField,
  EmailField,
  FieldsList,
  FileField,
  GeoPointField,
  JSONField,
  JSONRaw,
  NumberField,
  PasswordField,
  RelationField,
  SelectField,
  TextField,
  URLField,
  defaultFieldId,
  fieldFromJSON,
  fieldTypes,
  goFormatFloat,
  isMaxBodySizeCalculator,
  isMultiValuer,
  newField,
  parseDateTime,
  toGoBool,
  toGoFloat64,
  toGoString,
  toUniqueStringSlice,
} from "./index.ts";

const COMMON = { help: "", hidden: false, id: "", name: "f", presentable: false, required: false, system: false };

describe("registry", () => {
  test("all 14 upstream field types register themselves", () => {
    expect(fieldTypes().sort()).toEqual([
      "autodate",
      "bool",
      "date",
      "editor",
      "email",
      "file",
      "geoPoint",
      "json",
      "number",
      "password",
      "relation",
      "select",
      "text",
      "url",
    ]);
  });

  test("newField and fieldFromJSON build by type name", () => {
    expect(newField("bool", { name: "x" })).toBeInstanceOf(BoolField);
    expect(fieldFromJSON({ type: "select", name: "s", values: ["a"], maxSelect: 2 })).toBeInstanceOf(SelectField);
    expect(() => fieldFromJSON({ type: "nope", name: "x" })).toThrow("missing or unknown field type");
    expect(() => newField("nope")).toThrow();
  });

  test("fieldFromJSON accepts older rows lacking newer keys and ignores unknown ones", () => {
    // a v0.23 row: no `help` key
    const f = fieldFromJSON({
      hidden: false,
      id: "text1",
      max: 0,
      min: 0,
      name: "t",
      pattern: "",
      presentable: false,
      primaryKey: false,
      required: true,
      system: true,
      type: "text",
      legacy: 1,
    });
    expect(f.toJSON()).toEqual({
      autogeneratePattern: "",
      help: "",
      hidden: false,
      id: "text1",
      max: 0,
      min: 0,
      name: "t",
      pattern: "",
      presentable: false,
      primaryKey: false,
      required: true,
      system: true,
      type: "text",
    });
  });

  test("fieldFromJSON matches keys case-insensitively like Go, exact keys first", () => {
    const f = fieldFromJSON({ Type: "number", Name: "n", name: "exact", OnlyInt: true, MIN: 1.5 }) as NumberField;
    expect(f.name).toBe("exact");
    expect(f.onlyInt).toBe(true);
    expect(f.min).toBe(1.5);
  });

  test("optional interfaces are detected", () => {
    expect(isMultiValuer(new SelectField())).toBe(true);
    expect(isMultiValuer(new TextField())).toBe(false);
    expect(isMaxBodySizeCalculator(new JSONField())).toBe(true);
    expect(isMaxBodySizeCalculator(new BoolField())).toBe(false);
  });

  test("default ids are type + crc32(name)", () => {
    expect(defaultFieldId("text", "id")).toBe("text3208210256");
    expect(defaultFieldId("password", "password")).toBe("password901924565");
    expect(defaultFieldId("autodate", "updated")).toBe("autodate3332085495");
  });

  test("clone is deep", () => {
    const f = new SelectField({ name: "s", values: ["a"] });
    const c = f.clone() as SelectField;
    c.values!.push("b");
    expect(f.values).toEqual(["a"]);
  });
});

describe("toJSON and columnType per type", () => {
  test("text", () => {
    const f = new TextField({ name: "f" });
    expect(f.toJSON()).toEqual({
      autogeneratePattern: "",
      ...COMMON,
      max: 0,
      min: 0,
      pattern: "",
      primaryKey: false,
      type: "text",
    });
    expect(Object.keys(f.toJSON())).toEqual([...Object.keys(f.toJSON())].sort());
    expect(f.columnType(sqliteDialect)).toBe("TEXT DEFAULT '' NOT NULL");
    expect(new TextField({ name: "id", primaryKey: true }).columnType(sqliteDialect)).toBe(
      "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL",
    );
  });

  test("number", () => {
    const f = new NumberField({ name: "f" });
    expect(JSON.stringify(f.toJSON())).toBe(
      '{"help":"","hidden":false,"id":"","max":null,"min":null,"name":"f","onlyInt":false,"presentable":false,"required":false,"system":false,"type":"number"}',
    );
    expect(f.columnType(sqliteDialect)).toBe("NUMERIC DEFAULT 0 NOT NULL");
  });

  test("bool", () => {
    expect(new BoolField({ name: "f" }).toJSON()).toEqual({ ...COMMON, type: "bool" });
    expect(new BoolField().columnType(sqliteDialect)).toBe("BOOLEAN DEFAULT FALSE NOT NULL");
  });

  test("email and url", () => {
    expect(new EmailField({ name: "f" }).toJSON()).toEqual({
      exceptDomains: null,
      ...COMMON,
      onlyDomains: null,
      type: "email",
    });
    expect(new URLField({ name: "f", onlyDomains: ["a.com"] }).toJSON()).toEqual({
      exceptDomains: null,
      ...COMMON,
      onlyDomains: ["a.com"],
      type: "url",
    });
    expect(new EmailField().columnType(sqliteDialect)).toBe("TEXT DEFAULT '' NOT NULL");
    expect(new URLField().columnType(sqliteDialect)).toBe("TEXT DEFAULT '' NOT NULL");
  });

  test("editor", () => {
    expect(new EditorField({ name: "f" }).toJSON()).toEqual({
      convertURLs: false,
      ...COMMON,
      maxSize: 0,
      type: "editor",
    });
    expect(new EditorField().columnType(sqliteDialect)).toBe("TEXT DEFAULT '' NOT NULL");
    expect(new EditorField().calculateMaxBodySize()).toBe(5 << 20);
  });

  test("date", () => {
    expect(new DateField({ name: "f" }).toJSON()).toEqual({ ...COMMON, max: "", min: "", type: "date" });
    expect(fieldFromJSON({ type: "date", name: "d", min: "2024-01-02T03:04:05Z" }).toJSON().min).toBe(
      "2024-01-02 03:04:05.000Z",
    );
    expect(new DateField().columnType(sqliteDialect)).toBe("TEXT DEFAULT '' NOT NULL");
  });

  test("autodate has no help and no required", () => {
    const json = new AutodateField({ name: "created", onCreate: true }).toJSON();
    expect(json).toEqual({
      hidden: false,
      id: "",
      name: "created",
      onCreate: true,
      onUpdate: false,
      presentable: false,
      system: false,
      type: "autodate",
    });
    expect(new AutodateField().columnType(sqliteDialect)).toBe("TEXT DEFAULT '' NOT NULL");
  });

  test("select", () => {
    expect(new SelectField({ name: "f" }).toJSON()).toEqual({ ...COMMON, maxSelect: 0, type: "select", values: null });
    expect(new SelectField({ maxSelect: 1 }).columnType(sqliteDialect)).toBe("TEXT DEFAULT '' NOT NULL");
    expect(new SelectField({ maxSelect: 2 }).columnType(sqliteDialect)).toBe("JSON DEFAULT '[]' NOT NULL");
  });

  test("file", () => {
    expect(new FileField({ name: "f" }).toJSON()).toEqual({
      ...COMMON,
      maxSelect: 0,
      maxSize: 0,
      mimeTypes: null,
      protected: false,
      thumbs: null,
      type: "file",
    });
    expect(new FileField({ maxSelect: 1 }).columnType(sqliteDialect)).toBe("TEXT DEFAULT '' NOT NULL");
    expect(new FileField({ maxSelect: 5 }).columnType(sqliteDialect)).toBe("JSON DEFAULT '[]' NOT NULL");
    expect(new FileField({ maxSelect: 3, maxSize: 10 }).calculateMaxBodySize()).toBe(30);
    expect(new FileField().calculateMaxBodySize()).toBe(5 << 20);
  });

  test("relation", () => {
    expect(new RelationField({ name: "f", collectionId: "c" }).toJSON()).toEqual({
      cascadeDelete: false,
      collectionId: "c",
      ...COMMON,
      maxSelect: 0,
      minSelect: 0,
      type: "relation",
    });
    expect(new RelationField({ maxSelect: 1 }).columnType(sqliteDialect)).toBe("TEXT DEFAULT '' NOT NULL");
    expect(new RelationField({ maxSelect: 9999 }).columnType(sqliteDialect)).toBe("JSON DEFAULT '[]' NOT NULL");
  });

  test("json", () => {
    expect(new JSONField({ name: "f" }).toJSON()).toEqual({ ...COMMON, maxSize: 0, type: "json" });
    expect(new JSONField().columnType(sqliteDialect)).toBe("JSON DEFAULT NULL");
    expect(new JSONField().calculateMaxBodySize()).toBe(1 << 20);
  });

  test("password", () => {
    expect(new PasswordField({ name: "f" }).toJSON()).toEqual({
      cost: 0,
      ...COMMON,
      max: 0,
      min: 0,
      pattern: "",
      type: "password",
    });
    expect(new PasswordField().columnType(sqliteDialect)).toBe("TEXT DEFAULT '' NOT NULL");
  });

  test("geoPoint", () => {
    expect(new GeoPointField({ name: "f" }).toJSON()).toEqual({ ...COMMON, type: "geoPoint" });
    expect(new GeoPointField().columnType(sqliteDialect)).toBe(`JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL`);
  });
});

describe("prepareValue per type", () => {
  test("text-like fields cast like cast.ToString", () => {
    for (const f of [new TextField(), new EmailField(), new URLField(), new EditorField(), new PasswordField()]) {
      expect(f.prepareValue(null)).toBe("");
      expect(f.prepareValue(undefined)).toBe("");
      expect(f.prepareValue("abc")).toBe("abc");
      expect(f.prepareValue(12.5)).toBe("12.5");
      expect(f.prepareValue(true)).toBe("true");
      expect(f.prepareValue(["a"])).toBe("");
      expect(f.prepareValue({ a: 1 })).toBe("");
    }
    expect(new TextField().prepareValue(1e21)).toBe("1000000000000000000000");
  });

  test("number", () => {
    const f = new NumberField();
    expect(f.prepareValue(null)).toBe(0);
    expect(f.prepareValue("12.5")).toBe(12.5);
    expect(f.prepareValue("-3")).toBe(-3);
    expect(f.prepareValue("1e3")).toBe(1000);
    expect(f.prepareValue("junk")).toBe(0);
    expect(f.prepareValue(" 1")).toBe(0);
    expect(f.prepareValue("")).toBe(0);
    expect(f.prepareValue(true)).toBe(1);
    expect(f.prepareValue(false)).toBe(0);
    expect(f.prepareValue(7)).toBe(7);
    expect(f.prepareValue("1e400")).toBe(0); // out of range is an error in Go
    expect(f.prepareValue("0x1p-2")).toBe(0.25);
    expect(Number.isNaN(f.prepareValue("NaN"))).toBe(true);
    expect(f.prepareValue("-Inf")).toBe(-Infinity);
    expect(f.prepareValue([1])).toBe(0);
  });

  test("bool", () => {
    const f = new BoolField();
    for (const v of [true, 1, -2, "1", "t", "T", "true", "TRUE", "True"]) expect(f.prepareValue(v)).toBe(true);
    for (const v of [false, 0, "0", "f", "false", "yes", "", null, undefined, [true], {}])
      expect(f.prepareValue(v)).toBe(false);
  });

  test("date and autodate normalize to upstream's layout or ''", () => {
    for (const f of [new DateField(), new AutodateField()]) {
      expect(f.prepareValue("2024-01-02 03:04:05.678Z")).toBe("2024-01-02 03:04:05.678Z");
      expect(f.prepareValue("2024-01-02T03:04:05+02:00")).toBe("2024-01-02 01:04:05.000Z");
      expect(f.prepareValue("2024-01-02")).toBe("2024-01-02 00:00:00.000Z");
      expect(f.prepareValue("garbage")).toBe("");
      expect(f.prepareValue(null)).toBe("");
      expect(f.prepareValue(1700000000)).toBe(""); // a JSON number is not a date upstream either
      expect(f.prepareValue(new Date(Date.UTC(2020, 1, 3, 4, 5, 6, 7)))).toBe("2020-02-03 04:05:06.007Z");
    }
  });

  test("select and relation", () => {
    for (const single of [new SelectField({ maxSelect: 1 }), new RelationField({ maxSelect: 1 })]) {
      expect(single.prepareValue(null)).toBe("");
      expect(single.prepareValue("a")).toBe("a");
      expect(single.prepareValue(["a", "b"])).toBe("b"); // the last one wins
      expect(single.prepareValue('["a","b"]')).toBe("b");
      expect(single.prepareValue([])).toBe("");
    }
    for (const multi of [new SelectField({ maxSelect: 3 }), new RelationField({ maxSelect: 3 })]) {
      expect(multi.prepareValue(null)).toEqual([]);
      expect(multi.prepareValue("a")).toEqual(["a"]);
      expect(multi.prepareValue('["a","b","a",""]')).toEqual(["a", "b"]);
      expect(multi.prepareValue(["b", "", "b", "c"])).toEqual(["b", "c"]);
      expect(multi.prepareValue("[not json")).toEqual(["[not json"]);
      expect(multi.prepareValue(["a", { x: 1 }])).toEqual([]);
    }
  });

  test("file keeps names and pending uploads, unique by name", () => {
    const single = new FileField({ maxSelect: 1 });
    const multi = new FileField({ maxSelect: 5 });
    const upload = { name: "new.png", size: 3 };
    expect(single.prepareValue(null)).toBe("");
    expect(single.prepareValue(["a.png", "b.png"])).toBe("b.png");
    expect(single.prepareValue(upload)).toBe(upload);
    expect(multi.prepareValue('["a.png","b.png"]')).toEqual(["a.png", "b.png"]);
    expect(multi.prepareValue(["a.png", upload, "a.png", ""])).toEqual(["a.png", upload]);
    expect(multi.prepareValue(null)).toEqual([]);
  });

  test("json keeps JSON-looking strings, quotes other strings", () => {
    const f = new JSONField();
    const raw = (v: unknown) => f.prepareValue(v).raw;
    expect(raw("")).toBe('""');
    expect(raw("123")).toBe("123");
    expect(raw("null")).toBe("null");
    expect(raw("true")).toBe("true");
    expect(raw('{"b":1,"a":[1,2]}')).toBe('{"b":1,"a":[1,2]}');
    expect(raw("[1,2")).toBe('"[1,2"');
    expect(raw("abc")).toBe('"abc"');
    expect(raw("a<b")).toBe('"a\\u003cb"');
    expect(raw({ b: 1 })).toBe('{"b":1}');
    expect(raw(5)).toBe("5");
    expect(raw(null)).toBe("");
    const empty = f.prepareValue(null);
    expect(empty.isEmpty).toBe(true);
    expect(empty.dbValue()).toBeNull();
    expect(JSON.stringify({ v: f.prepareValue('{"a":1}') })).toBe('{"v":{"a":1}}');
    expect(f.prepareValue(new JSONRaw("[1]")).raw).toBe("[1]");
  });

  test("geoPoint", () => {
    const f = new GeoPointField();
    expect(f.prepareValue(null)).toEqual({ lon: 0, lat: 0 });
    expect(f.prepareValue('{"lon":1.5,"lat":-2}')).toEqual({ lon: 1.5, lat: -2 });
    expect(f.prepareValue({ LAT: 3, lon: 4 })).toEqual({ lon: 4, lat: 3 });
    expect(f.prepareValue('{"lon":"x","lat":5}')).toEqual({ lon: 0, lat: 5 });
    expect(f.prepareValue("junk")).toEqual({ lon: 0, lat: 0 });
    expect(JSON.stringify(f.prepareValue({ lat: 1, lon: 2 }))).toBe('{"lon":2,"lat":1}');
  });
});

describe("FieldsList", () => {
  test("generates ids, replaces by name keeping the id, suffixes collisions", () => {
    const list = FieldsList.create(new TextField({ name: "title" }));
    expect(list[0]!.id).toBe(defaultFieldId("text", "title"));
    list.add(new TextField({ name: "title", required: true }));
    expect(list.length).toBe(1);
    expect((list[0] as TextField).required).toBe(true);

    // a renamed field keeps its id; a new field with the old name then collides and gets a suffix
    list[0]!.name = "heading";
    list.add(new TextField({ name: "title" }));
    expect(list.map((f) => f.id)).toEqual([defaultFieldId("text", "title"), defaultFieldId("text", "title") + "2"]);
  });

  test("replaces by id and moves with addAt", () => {
    const list = FieldsList.create(
      new TextField({ name: "a" }),
      new TextField({ name: "b" }),
      new TextField({ name: "c" }),
    );
    list.addAt(0, new BoolField({ id: list[2]!.id, name: "c2" }));
    expect(list.fieldNames()).toEqual(["c2", "a", "b"]);
    list.addAt(99, new NumberField({ name: "n" }));
    expect(list.fieldNames()).toEqual(["c2", "a", "b", "n"]);
    list.removeByName("a");
    list.removeById(list.getByName("b")!.id);
    expect(list.fieldNames()).toEqual(["c2", "n"]);
  });

  test("JSON round trip and derived arrays", () => {
    const list = FieldsList.fromJSON('[{"type":"bool","name":"x","id":"b1"},{"type":"json","name":"j"}]');
    expect(list.map((f) => f.type)).toEqual(["bool", "json"]);
    expect(list.map((f) => f.name)).not.toBeInstanceOf(FieldsList);
    expect(list.toJSON()[1]!.id).toBe(defaultFieldId("json", "j"));
    expect(FieldsList.fromJSON(JSON.stringify(list)).toJSON()).toEqual(list.toJSON());
    expect(list.clone()[0]).not.toBe(list[0]);
  });
});

describe("cast helpers", () => {
  test("goFormatFloat never uses exponents", () => {
    expect(goFormatFloat(1e21)).toBe("1000000000000000000000");
    expect(goFormatFloat(1.5e-7)).toBe("0.00000015");
    expect(goFormatFloat(-0)).toBe("-0");
    expect(goFormatFloat(123.456)).toBe("123.456");
    expect(goFormatFloat(NaN)).toBe("NaN");
    expect(goFormatFloat(Infinity)).toBe("+Inf");
  });

  test("toGoString, toGoFloat64, toGoBool edge cases", () => {
    expect(toGoString(new Uint8Array([104, 105]))).toBe("hi");
    expect(toGoString(new JSONRaw('{"a":1}'))).toBe('{"a":1}');
    expect(toGoFloat64("+5.")).toBe(5);
    expect(toGoFloat64(".5")).toBe(0.5);
    expect(toGoFloat64("1_000")).toBe(0);
    expect(toGoBool("tRuE")).toBe(false);
  });

  test("toUniqueStringSlice", () => {
    expect(toUniqueStringSlice(["a", 1, true, null])).toEqual(["a", "1", "true"]);
    expect(toUniqueStringSlice('["a", null, "b"]')).toEqual(["a", "b"]);
    expect(toUniqueStringSlice('["a", 1]')).toEqual(['["a", 1]']);
    expect(toUniqueStringSlice("null")).toEqual(["null"]);
    expect(toUniqueStringSlice(new JSONRaw('["x","x"]'))).toEqual(["x"]);
    expect(toUniqueStringSlice(5)).toEqual(["5"]);
    expect(toUniqueStringSlice({})).toEqual([]);
  });
});

describe("parseDateTime (Go time.Parse layouts tried by cast)", () => {
  const cases: [string, string][] = [
    ["2024-01-02 03:04:05.678Z", "2024-01-02 03:04:05.678Z"],
    ["2024-01-02 03:04:05.678999Z", "2024-01-02 03:04:05.678Z"], // via "2006-01-02 15:04:05Z0700"
    ["2024-01-02T03:04:05Z", "2024-01-02 03:04:05.000Z"],
    ["2024-01-02T03:04:05.5-01:30", "2024-01-02 04:34:05.500Z"],
    ["2024-01-02T03:04:05", "2024-01-02 03:04:05.000Z"],
    ["2024-01-02 03:04:05", "2024-01-02 03:04:05.000Z"],
    ["2024-01-02 3:04:05", "2024-01-02 03:04:05.000Z"], // Go's hour accepts one digit
    ["2024-01-02 03:04:05 +0200", "2024-01-02 01:04:05.000Z"],
    ["2024-01-02 03:04:05 -07:00", "2024-01-02 10:04:05.000Z"],
    ["Tue, 02 Jan 2024 03:04:05 +0100", "2024-01-02 02:04:05.000Z"],
    ["Tue, 02 Jan 2024 03:04:05 CET", "2024-01-02 03:04:05.000Z"], // zone names keep the clock
    ["02 Jan 24 15:04 -0700", "2024-01-02 22:04:00.000Z"],
    ["Tuesday, 02-Jan-24 15:04:05 GMT", "2024-01-02 15:04:05.000Z"],
    ["Tue Jan  2 15:04:05 2024", "2024-01-02 15:04:05.000Z"],
    ["Mon Jan 02 15:04:05 -0700 2006", "2006-01-02 22:04:05.000Z"],
    ["02 Jan 2006", "2006-01-02 00:00:00.000Z"],
    ["2024-01-02 03:04:05.123456789 +0000 UTC", "2024-01-02 03:04:05.123Z"],
    ["3:04PM", "0000-01-01 15:04:00.000Z"],
    ["2024-02-29", "2024-02-29 00:00:00.000Z"],
    ["2023-02-29", ""],
    ["2024-13-01", ""],
    ["2024-01-02 24:00:00", ""],
    ["2024-1-2", ""],
    [" 2024-01-02", ""],
    ["now", ""],
    // the canonical fast path checks ranges itself
    ["2000-02-29 23:59:59.999Z", "2000-02-29 23:59:59.999Z"],
    ["1900-02-29 00:00:00.000Z", ""],
    ["2023-04-31 00:00:00.000Z", ""],
    ["2023-00-10 00:00:00.000Z", ""],
    ["2023-01-00 00:00:00.000Z", ""],
    ["2023-01-01 24:00:00.000Z", ""],
    ["2023-01-01 00:60:00.000Z", ""],
    ["2023-01-01 00:00:60.000Z", ""],
    ["0000-01-01 00:00:00.000Z", "0000-01-01 00:00:00.000Z"],
  ];
  for (const [input, want] of cases) {
    test(JSON.stringify(input), () => expect(parseDateTime(input)).toBe(want));
  }
});
