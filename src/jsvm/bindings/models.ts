/**
 * Records, collections and fields as scripts see them (upstream's core.Record, core.Collection and
 * the field structs): methods mirror the Go method set, camelCased.
 */
import { Collection } from "../../core/collection.ts";
import {
  BaseField,
  FieldsList,
  JSONRaw,
  fieldClass,
  fieldFromJSON,
  fieldTypes,
  parseDateTime,
  type Field,
} from "../../core/fields/index.ts";
import { Record } from "../../core/record.ts";
import { findFileFieldByFile, recordBaseFilesPath } from "../../core/record_files.ts";
import {
  newAuthToken,
  newEmailChangeToken,
  newFileToken,
  newPasswordResetToken,
  newStaticAuthToken,
  newVerificationToken,
} from "../../core/tokens.ts";
import { randomString } from "../../tools/security/random.ts";
import { goMarshal } from "../../tools/json.ts";
import { JsDateTime, Live, OutValue, defineBinding, toPlain, type Cx } from "../host.ts";

/** A record value as scripts get it: dates as DateTime, JSON as raw bytes, the rest as stored. */
export function scriptValue(record: Record, key: string): unknown {
  const v = record.get(key);
  const f = record.collection.fields.getByName(key);
  if (!f) return v;
  switch (f.type) {
    case "date":
    case "autodate":
      return new JsDateTime(typeof v === "string" ? v : "");
    case "json":
      return v instanceof JSONRaw ? v : new JSONRaw(v === null || v === undefined ? "" : goMarshal(v));
  }
  return v;
}

/** The collection a script argument names (a Collection, a name or an id). */
export function resolveCollection(cx: Cx, c: unknown): Collection {
  if (c instanceof Collection) return c;
  const found = cx.plugin.app.findCollection(String(c ?? ""));
  if (!found) throw new NoCollectionError();
  return found;
}

/** Upstream's not-found error for collections is sql.ErrNoRows. */
export class NoCollectionError extends Error {
  constructor() {
    super("sql: no rows in result set");
  }
}

/** cast.ToInt: numbers truncated, integer strings parsed, anything else 0. */
function toInt(v: unknown): number {
  if (typeof v === "number") return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const s = v.trim().replace(/\.0*$/, "");
    return /^[+-]?\d+$/.test(s) ? parseInt(s, 10) : 0;
  }
  return 0;
}

function toFloat(v: unknown): number {
  if (typeof v === "number") return Number.isFinite(v) ? v : 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string") {
    const n = Number(v.trim());
    return v.trim() !== "" && Number.isFinite(n) ? n : 0;
  }
  return 0;
}

/** A blank record target for `.one(new Record)` / `arrayOf(new Record)`. */
const BLANK = new Collection();

defineBinding<Record>({
  name: "Record",
  cls: Record,
  ctor: (cx, collection?: unknown, data?: unknown) => {
    if (collection === undefined || collection === null) return new Record(BLANK);
    const r = new Record(resolveCollection(cx, collection));
    if (data && typeof data === "object") r.load(data as { [k: string]: unknown });
    return r;
  },
  props: {
    id: { get: (_cx, r) => r.id, set: (_cx, r, v) => void (r.id = String(v ?? "")) },
  },
  methods: {
    collection: (_cx, r) => r.collection,
    tableName: (_cx, r) => r.collection.name,
    isNew: (_cx, r) => r.isNew,
    markAsNew: (_cx, r) => r.markAsNew(),
    markAsNotNew: (_cx, r) => r.markAsSaved(),
    get: (_cx, r, k: string) => scriptValue(r, String(k)),
    getRaw: (_cx, r, k: string) => r.get(String(k)),
    set: (_cx, r, k: string, v: unknown) => r.set(String(k), v),
    setRaw: (_cx, r, k: string, v: unknown) => r.setRaw(String(k), v),
    setIfFieldExists: (_cx, r, k: string, v: unknown) => r.setIfFieldExists(String(k), v) ?? null,
    load: (_cx, r, data: unknown) => r.load((data ?? {}) as { [k: string]: unknown }),
    getString: (_cx, r, k: string) => r.getString(String(k)),
    getBool: (_cx, r, k: string) => r.getBool(String(k)),
    getInt: (_cx, r, k: string) => toInt(r.get(String(k))),
    getFloat: (_cx, r, k: string) => toFloat(r.get(String(k))),
    getDateTime: (_cx, r, k: string) => new JsDateTime(parseDateTime(r.get(String(k)))),
    getStringSlice: (_cx, r, k: string) => r.getStringSlice(String(k)),
    getGeoPoint: (_cx, r, k: string) => {
      const v = r.get(String(k)) as { lon?: number; lat?: number } | null;
      return { lon: Number(v?.lon ?? 0), lat: Number(v?.lat ?? 0) };
    },
    unmarshalJSONField: (_cx, r, k: string) => {
      const v = r.get(String(k));
      const text = v instanceof JSONRaw ? v.raw : typeof v === "string" ? v : goMarshal(v ?? null);
      return new OutValue(undefined, [[1, text === "" ? null : JSON.parse(text)]]);
    },
    getUploadedFiles: (_cx, r, k: string) => {
      const v = r.get(String(k));
      return (Array.isArray(v) ? v : [v]).filter((x) => x instanceof File);
    },
    getUnsavedFiles: (_cx, r, k: string) => {
      const v = r.get(String(k));
      return (Array.isArray(v) ? v : [v]).filter((x) => x instanceof File);
    },
    findFileFieldByFile: (_cx, r, name: string) => findFileFieldByFile(r, String(name)),
    baseFilesPath: (_cx, r) => recordBaseFilesPath(r),
    original: (_cx, r) => r.original(),
    fresh: (_cx, r) => r.fresh(),
    clone: (_cx, r) => r.clone(),
    expand: (_cx, r) => Object.fromEntries(r.expand()),
    setExpand: (_cx, r, m: unknown) => r.setExpand((m ?? {}) as { [k: string]: Record }),
    mergeExpand: (_cx, r, m: unknown) => r.mergeExpand(new Map(Object.entries((m ?? {}) as { [k: string]: Record }))),
    expandedOne: (_cx, r, k: string) => r.expandedOne(String(k)),
    expandedAll: (_cx, r, k: string) => r.expandedAll(String(k)),
    hide: (_cx, r, ...names: string[]) => r.hide(...names.map(String)),
    unhide: (_cx, r, ...names: string[]) => r.unhide(...names.map(String)),
    withCustomData: (_cx, r, v: unknown) => {
      r.exportCustomData = !!v;
      return r;
    },
    ignoreEmailVisibility: (_cx, r, v: unknown) => {
      r.ignoreEmailVisibility = !!v;
      return r;
    },
    ignoreUnchangedFields: (_cx, r) => r,
    publicExport: (_cx, r) => r.publicExport(),
    fieldsData: (_cx, r) => Object.fromEntries(r.collection.fields.map((f) => [f.name, r.get(f.name)])),
    customData: (_cx, r) => r.customData(),
    marshalJSON: (_cx, r) => goMarshal(r.publicExport()),
    dbExport: (_cx, r) => r.toRow(),
    email: (_cx, r) => r.email(),
    setEmail: (_cx, r, v: unknown) => r.set("email", String(v ?? "")),
    verified: (_cx, r) => r.verified(),
    setVerified: (_cx, r, v: unknown) => r.set("verified", !!v),
    emailVisibility: (_cx, r) => r.getBool("emailVisibility"),
    setEmailVisibility: (_cx, r, v: unknown) => r.set("emailVisibility", !!v),
    setPassword: (_cx, r, v: unknown) => r.set("password", String(v ?? "")),
    setRandomPassword: (_cx, r) => {
      const p = randomString(30);
      r.set("password", p);
      return p;
    },
    validatePassword: async (_cx, r, v: unknown) => {
      const plain = r.getPlainPassword();
      if (plain) return plain === String(v ?? "");
      return r.validatePassword(String(v ?? ""));
    },
    tokenKey: (_cx, r) => r.tokenKey(),
    setTokenKey: (_cx, r, v: unknown) => r.set("tokenKey", String(v ?? "")),
    refreshTokenKey: (_cx, r) => r.refreshTokenKey(),
    isSuperuser: (_cx, r) => r.collection.name === "_superusers",
    newAuthToken: (_cx, r) => newAuthToken(r),
    newStaticAuthToken: (_cx, r, ns: unknown) => newStaticAuthToken(r, Math.floor((Number(ns) || 0) / 1e9)),
    newVerificationToken: (_cx, r) => newVerificationToken(r),
    newPasswordResetToken: (_cx, r) => newPasswordResetToken(r),
    newEmailChangeToken: (_cx, r, email: unknown) => newEmailChangeToken(r, String(email ?? "")),
    newFileToken: (_cx, r) => newFileToken(r),
  },
});

const FIELD_CLASS_NAMES: { [type: string]: string } = {
  text: "TextField",
  number: "NumberField",
  bool: "BoolField",
  email: "EmailField",
  url: "URLField",
  editor: "EditorField",
  date: "DateField",
  autodate: "AutodateField",
  json: "JSONField",
  select: "SelectField",
  file: "FileField",
  relation: "RelationField",
  password: "PasswordField",
  geoPoint: "GeoPointField",
};

const fieldMethods = {
  getName: (_cx: Cx, f: Field) => f.name,
  setName: (_cx: Cx, f: Field, v: unknown) => void (f.name = String(v ?? "")),
  getId: (_cx: Cx, f: Field) => f.id,
  setId: (_cx: Cx, f: Field, v: unknown) => void (f.id = String(v ?? "")),
  getSystem: (_cx: Cx, f: Field) => f.system,
  setSystem: (_cx: Cx, f: Field, v: unknown) => void (f.system = !!v),
  getHidden: (_cx: Cx, f: Field) => f.hidden,
  setHidden: (_cx: Cx, f: Field, v: unknown) => void (f.hidden = !!v),
  type: (_cx: Cx, f: Field) => f.type,
  columnType: (cx: Cx, f: Field) => f.columnType(cx.plugin.app.db.dialect),
  prepareValue: (_cx: Cx, f: Field, v: unknown) => f.prepareValue(v),
  isMultiple: (_cx: Cx, f: Field) => {
    const m = (f as unknown as { isMultiple?: () => boolean }).isMultiple;
    return typeof m === "function" ? m.call(f) : false;
  },
  marshalJSON: (_cx: Cx, f: Field) => goMarshal(f.toJSON()),
};

defineBinding<Field>({
  name: "Field",
  cls: BaseField as unknown as abstract new () => Field,
  ctor: (_cx, data: unknown) => fieldFromJSON(data ?? {}),
  methods: fieldMethods,
  props: {
    id: { get: (_cx, f) => f.id, set: (_cx, f, v) => void (f.id = String(v ?? "")) },
    name: { get: (_cx, f) => f.name, set: (_cx, f, v) => void (f.name = String(v ?? "")) },
    system: { get: (_cx, f) => f.system, set: (_cx, f, v) => void (f.system = !!v) },
    hidden: { get: (_cx, f) => f.hidden, set: (_cx, f, v) => void (f.hidden = !!v) },
    presentable: { get: (_cx, f) => f.presentable, set: (_cx, f, v) => void (f.presentable = !!v) },
  },
});

for (const type of fieldTypes()) {
  const cls = fieldClass(type)!;
  const name = FIELD_CLASS_NAMES[type] ?? type[0]!.toUpperCase() + type.slice(1) + "Field";
  const props: {
    [k: string]: { get: (cx: Cx, f: Field) => unknown; set: (cx: Cx, f: Field, v: unknown) => void; arr?: boolean };
  } = {};
  for (const [key, kind] of Object.entries(cls.schema)) {
    if (["id", "name", "system", "hidden", "presentable"].includes(key)) continue;
    props[key] = {
      get: (_cx, f) => (f as unknown as { [k: string]: unknown })[key],
      set: (_cx, f, v) => {
        (f as unknown as { [k: string]: unknown })[key] =
          kind === "bool" ? !!v : kind === "int" ? Math.trunc(Number(v) || 0) : kind === "string" ? String(v ?? "") : v;
      },
      ...(kind === "strings?" ? { arr: true } : {}),
    };
  }
  defineBinding<Field>({
    name,
    cls: cls as unknown as abstract new () => Field,
    parent: "Field",
    ctor: (_cx, data: unknown) => fieldFromJSON({ ...((data ?? {}) as object), type }),
    props,
  });
}

defineBinding<FieldsList>({
  name: "FieldsList",
  cls: FieldsList,
  ctor: (_cx, data: unknown) =>
    data === undefined || data === null ? new FieldsList() : FieldsList.fromJSON(toPlain(data)),
  methods: {
    add: (_cx, l, ...fields: Field[]) => l.add(...fields.map(asField)),
    addAt: (_cx, l, pos: number, ...fields: Field[]) => l.addAt(Number(pos) | 0, ...fields.map(asField)),
    addMarshaledJSON: (_cx, l, json: unknown) =>
      l.addMarshaledJSON(json instanceof Uint8Array ? Buffer.from(json).toString("utf8") : json),
    getById: (_cx, l, id: string) => l.getById(String(id)) ?? null,
    getByName: (_cx, l, name: string) => l.getByName(String(name)) ?? null,
    removeById: (_cx, l, id: string) => l.removeById(String(id)),
    removeByName: (_cx, l, name: string) => l.removeByName(String(name)),
    fieldNames: (_cx, l) => l.fieldNames(),
    asMap: (_cx, l) => Object.fromEntries(l.map((f) => [f.name, f])),
    clone: (_cx, l) => l.clone(),
    marshalJSON: (_cx, l) => goMarshal(l.toJSON()),
    len: (_cx, l) => l.length,
    all: (_cx, l) => [...l],
    at: (_cx, l, i: number) => l[Number(i) | 0] ?? null,
  },
});

function asField(f: unknown): Field {
  if (f instanceof BaseField) return f as unknown as Field;
  if (f && typeof f === "object") return fieldFromJSON(f);
  throw new Error("invalid field");
}

const rule = (k: "listRule" | "viewRule" | "createRule" | "updateRule" | "deleteRule" | "authRule" | "manageRule") => ({
  get: (_cx: Cx, c: Collection) => c[k],
  set: (_cx: Cx, c: Collection, v: unknown) => void (c[k] = v === null || v === undefined ? null : String(v)),
});

/** Auth option sections are plain objects on the collection: scripts edit them in place. */
const section = (k: string) => ({
  get: (_cx: Cx, c: Collection) => {
    const v = (c as unknown as { [k: string]: unknown })[k];
    return v && typeof v === "object" ? new Live(v as object) : v;
  },
  set: (_cx: Cx, c: Collection, v: unknown) => {
    (c as unknown as { [k: string]: unknown })[k] = toPlain(v);
  },
});

defineBinding<Collection>({
  name: "Collection",
  cls: Collection,
  ctor: (_cx, data: unknown) => Collection.fromJSON((toPlain(data ?? {}) ?? {}) as { [k: string]: unknown }),
  props: {
    id: { get: (_cx, c) => c.id, set: (_cx, c, v) => void (c.id = String(v ?? "")) },
    name: { get: (_cx, c) => c.name, set: (_cx, c, v) => void (c.name = String(v ?? "")) },
    type: { get: (_cx, c) => c.type, set: (_cx, c, v) => void (c.type = String(v ?? "") as Collection["type"]) },
    system: { get: (_cx, c) => c.system, set: (_cx, c, v) => void (c.system = !!v) },
    fields: {
      get: (_cx, c) => c.fields,
      set: (_cx, c, v) => {
        c.fields = v instanceof FieldsList ? v : FieldsList.create(...(Array.isArray(v) ? v.map(asField) : []));
      },
    },
    indexes: {
      get: (_cx, c) => [...c.indexes],
      set: (_cx, c, v) => void (c.indexes = Array.isArray(v) ? v.map(String) : []),
      arr: true,
    },
    listRule: rule("listRule"),
    viewRule: rule("viewRule"),
    createRule: rule("createRule"),
    updateRule: rule("updateRule"),
    deleteRule: rule("deleteRule"),
    authRule: rule("authRule"),
    manageRule: rule("manageRule"),
    viewQuery: { get: (_cx, c) => c.viewQuery, set: (_cx, c, v) => void (c.viewQuery = String(v ?? "")) },
    created: { get: (_cx, c) => new JsDateTime(c.created) },
    updated: { get: (_cx, c) => new JsDateTime(c.updated) },
    authAlert: section("authAlert"),
    oauth2: section("oauth2"),
    passwordAuth: section("passwordAuth"),
    mfa: section("mfa"),
    otp: section("otp"),
    authToken: section("authToken"),
    passwordResetToken: section("passwordResetToken"),
    emailChangeToken: section("emailChangeToken"),
    verificationToken: section("verificationToken"),
    fileToken: section("fileToken"),
    verificationTemplate: section("verificationTemplate"),
    resetPasswordTemplate: section("resetPasswordTemplate"),
    confirmEmailChangeTemplate: section("confirmEmailChangeTemplate"),
  },
  methods: {
    isBase: (_cx, c) => c.isBase(),
    isAuth: (_cx, c) => c.isAuth(),
    isView: (_cx, c) => c.isView(),
    isNew: (_cx, c) => c.isNew(),
    markAsNew: (_cx, c) => c.markAsNew(),
    markAsNotNew: (_cx, c) => c.markAsNotNew(),
    tableName: () => "_collections",
    baseFilesPath: (_cx, c) => c.baseFilesPath(),
    addIndex: (_cx, c, name: string, unique: unknown, columns: string, where?: string) =>
      c.addIndex(String(name), !!unique, String(columns), where ? String(where) : ""),
    removeIndex: (_cx, c, name: string) => c.removeIndex(String(name)),
    getIndex: (_cx, c, name: string) => c.getIndex(String(name)),
    marshalJSON: (_cx, c) => goMarshal(c.toJSON()),
    unmarshalJSON: (_cx, c, data: unknown) =>
      c.mergeJSON(JSON.parse(data instanceof Uint8Array ? Buffer.from(data).toString("utf8") : String(data))),
    clone: (_cx, c) => c.clone(),
  },
});
