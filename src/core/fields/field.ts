/**
 * The field contract and registry, as upstream's core/field.go: every field type lives in its own
 * file, implements `Field` and registers itself by type name. Optional abilities (multi-valued,
 * extra body size) are separate small interfaces only the types that need them implement.
 *
 * A type declares its settings once, in a `schema`; the base class derives from it the constructor
 * defaults, the lenient decoding of stored JSON (older rows lack newer keys) and the stored JSON shape
 * (keys sorted byte-wise plus `"type"`, as upstream's FieldsList writes `_collections.fields`).
 */
import { byteCompare } from "../../tools/json.ts";
import type { ColumnKind, Dialect } from "../../tools/sql/dialect.ts";
import { parseDateTime } from "./datetime.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { length, match, notIn, required, newError, firstError, type Rule } from "../validators/validation.ts";

/** How a setting is decoded from stored JSON; the zero value is what Go leaves for a missing key. */
export type SettingKind =
  | "string" // "" when missing
  | "bool" // false
  | "int" // 0
  | "number?" // null (a *float64)
  | "strings?" // null (a nil []string, written as null)
  | "date"; // "" or a normalized datetime

/** A field type's settings, by JSON key. */
export type FieldSchema = { readonly [key: string]: SettingKind };

/** Settings every field has. */
export const BASE_SCHEMA = {
  id: "string",
  name: "string",
  system: "bool",
  hidden: "bool",
  presentable: "bool",
} as const satisfies FieldSchema;

/** Settings of every type except autodate: the base ones plus `help` and `required`. */
export const COMMON_SCHEMA = {
  ...BASE_SCHEMA,
  help: "string",
  required: "bool",
} as const satisfies FieldSchema;

/** The interface all collection fields implement (upstream's core.Field). */
export interface Field {
  /** The registered type name, e.g. "text". */
  readonly type: string;
  /** Stable identifier; generated from type and name when a field is added without one. */
  id: string;
  name: string;
  /** System fields cannot be renamed or removed. */
  system: boolean;
  /** Hidden fields are left out of API output for non-superusers. */
  hidden: boolean;
  /** A dashboard hint: show this field in relation previews. */
  presentable: boolean;
  /** What the column stores; the dialect turns it into the column definition. */
  columnKind(): ColumnKind;
  /** The SQL column definition upstream creates for this field, in `dialect`'s syntax. */
  columnType(dialect: Dialect): string;
  /** Normalizes a raw DB value or input into this field's value, as upstream's PrepareValue. */
  prepareValue(raw: unknown): unknown;
  /** The settings as stored in `_collections.fields`: sorted keys including `"type"`. */
  toJSON(): { [key: string]: unknown };
  /** A deep copy. */
  clone(): Field;
  /**
   * Checks the record's value of this field (upstream's ValidateValue); throws a FieldValidationError
   * with upstream's code, sentenized message and params.
   */
  validateValue(app: App, record: RecordValues): Promise<void>;
  /** Checks the field's own settings within `collection` (upstream's ValidateSettings); null when valid. */
  validateSettings(app: App, collection: Collection): Promise<ValidationErrors | null>;
}

/**
 * What field validation reads from a record (the Record model satisfies it): the prepared values,
 * the new/stored state and, for password fields, the plain text set since loading.
 */
export interface RecordValues {
  readonly collection: Collection;
  get(name: string): unknown;
  /** True until the record is stored. */
  readonly isNew: boolean;
  /** The id the stored row has ("" for a new record). */
  readonly originalId: string;
  /** The plain password set since loading (the single auth password field). */
  readonly plainPassword?: string;
  /** The plain text set since loading for a password field, when the record tracks it per field. */
  getPlainPassword?(fieldName: string): string;
}

// --- settings rules shared by every type (upstream's Default*ValidationRule) ---------------------

/** Names a field may not have: filter literals and the keys every record JSON carries. */
export const EXCLUDED_FIELD_NAMES = ["null", "true", "false", "_rowid_", "collectionId", "collectionName", "expand"];

/** Rejects values containing "_via_" (reserved for back-relation paths). */
export const checkForVia: Rule = (v) => {
  if (typeof v !== "string" || v === "") return null;
  return v.toLowerCase().includes("_via_")
    ? newError("validation_found_via", `The value cannot contain "_via_".`)
    : null;
};

const FIELD_NAME_RE = /^\w+$/;

/** A field id: required, 1–100 bytes. */
export const fieldIdRule: Rule = (v) => firstError(v, [required, length(1, 100)]);

/** A field name: required, 1–100 bytes, `^\w+$`, not reserved, no "_via_". */
export const fieldNameRule: Rule = (v) =>
  firstError(v, [required, length(1, 100), match(FIELD_NAME_RE), notIn(...EXCLUDED_FIELD_NAMES), checkForVia]);

/** A field's help text: at most 300 bytes. */
export const fieldHelpRule: Rule = (v) => firstError(v, [length(1, 300)]);

/** A field's stored JSON in the `_collections` row of `collectionId` (the DB state, as upstream reads it). */
export async function storedFieldJSON(
  app: App,
  collectionId: string,
  fieldId: string,
): Promise<{ [key: string]: unknown } | null> {
  if (collectionId === "" || fieldId === "") return null;
  try {
    const q = app.db.dialect.quoteIdent;
    const row = await app.db.get<{ fields: string }>(
      `SELECT ${q("fields")} FROM ${q("_collections")} WHERE ${q("id")} = ? LIMIT 1`,
      [collectionId],
    );
    if (!row) return null;
    const list = JSON.parse(String(row.fields)) as { [key: string]: unknown }[];
    return (Array.isArray(list) ? list : []).find((f) => f && f.id === fieldId) ?? null;
  } catch {
    return null;
  }
}

/** The largest integer JSON numbers hold exactly (2^53 - 1), the bound of size settings. */
export const MAX_SAFE_JSON_INT = Number.MAX_SAFE_INTEGER;

/** Fields whose value may hold several items (select, relation, file). */
export interface MultiValuer {
  /** True when more than one value is allowed (maxSelect > 1); the column is then JSON. */
  isMultiple(): boolean;
}

/** Fields that raise the request body limit by their own maximum size (editor, json, file). */
export interface MaxBodySizeCalculator {
  /** The largest body this field's value may need, in bytes. */
  calculateMaxBodySize(): number;
}

/** True when `f` implements MultiValuer. */
export function isMultiValuer(f: Field): f is Field & MultiValuer {
  return typeof (f as Partial<MultiValuer>).isMultiple === "function";
}

/** True when `f` implements MaxBodySizeCalculator. */
export function isMaxBodySizeCalculator(f: Field): f is Field & MaxBodySizeCalculator {
  return typeof (f as Partial<MaxBodySizeCalculator>).calculateMaxBodySize === "function";
}

/** The settings a field type's constructor accepts (all optional). */
export type FieldInit<F> = Partial<{
  [K in keyof F as K extends "type" ? never : F[K] extends (...args: never[]) => unknown ? never : K]: F[K];
}>;

/** What `registerField` needs of a field class. */
export interface FieldClass {
  readonly schema: FieldSchema;
  new (init?: { [key: string]: unknown }): Field;
}

/**
 * Base for field types: common settings, schema-driven JSON, clone.
 * Subclasses call `this.assign(init)` at the end of their constructor (after their own defaults).
 */
export abstract class BaseField implements Field {
  abstract readonly type: string;
  id = "";
  name = "";
  system = false;
  hidden = false;
  presentable = false;

  abstract columnKind(): ColumnKind;

  columnType(dialect: Dialect): string {
    return dialect.columnType(this.columnKind());
  }
  abstract prepareValue(raw: unknown): unknown;
  abstract validateValue(app: App, record: RecordValues): Promise<void>;
  abstract validateSettings(app: App, collection: Collection): Promise<ValidationErrors | null>;

  /** This type's settings schema. */
  protected get schema(): FieldSchema {
    return (this.constructor as unknown as FieldClass).schema;
  }

  /** Copies the known settings from `init`, cloning lists so the field owns them. */
  protected assign(init: { [key: string]: unknown } | undefined): void {
    if (!init) return;
    const self = this as unknown as { [key: string]: unknown };
    for (const key of Object.keys(this.schema)) {
      if (!(key in init) || init[key] === undefined) continue;
      const v = init[key];
      self[key] = Array.isArray(v) ? [...v] : v;
    }
  }

  toJSON(): { [key: string]: unknown } {
    const self = this as unknown as { [key: string]: unknown };
    const out: { [key: string]: unknown } = { type: this.type };
    for (const key of Object.keys(this.schema)) {
      const v = self[key];
      out[key] = Array.isArray(v) ? [...v] : v;
    }
    const sorted: { [key: string]: unknown } = {};
    for (const key of Object.keys(out).sort(byteCompare)) sorted[key] = out[key];
    return sorted;
  }

  clone(): Field {
    return fieldFromJSON(this.toJSON());
  }
}

// --- registry ----------------------------------------------------------------------------------

const registry = new Map<string, FieldClass>();

/** Registers a field type under its name (each type file calls this once, like upstream's init()). */
export function registerField(type: string, cls: FieldClass): void {
  registry.set(type, cls);
}

/** The registered field type names. */
export function fieldTypes(): string[] {
  return [...registry.keys()];
}

/** The class registered for `type`, if any. */
export function fieldClass(type: string): FieldClass | undefined {
  return registry.get(type);
}

/** A new field of a registered type with the given settings. */
export function newField(type: string, init: { [key: string]: unknown } = {}): Field {
  const cls = registry.get(type);
  if (!cls) throw new Error(`missing or unknown field type ${JSON.stringify(type)}`);
  return new cls(init);
}

/**
 * Builds a field from its stored or submitted JSON. Like Go's json.Unmarshal into the typed struct:
 * unknown keys are ignored, keys match case-insensitively when there is no exact match, missing keys
 * (older rows) and values of the wrong type keep the zero value.
 */
export function fieldFromJSON(obj: unknown): Field {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) throw new Error("a field must be a JSON object");
  const data = obj as { [key: string]: unknown };
  const type = lookupKey(data, "type");
  if (typeof type !== "string" || !registry.has(type)) {
    throw new Error(`missing or unknown field type in ${JSON.stringify(obj)}`);
  }
  const cls = registry.get(type)!;
  const init: { [key: string]: unknown } = {};
  for (const [key, kind] of Object.entries(cls.schema)) {
    const v = decodeSetting(kind, lookupKey(data, key));
    if (v !== undefined) init[key] = v;
  }
  return new cls(init);
}

/** Go's key matching: the exact key, else the first case-insensitive match. */
export function lookupKey(obj: { [key: string]: unknown }, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

/** A stored setting value coerced to its kind; undefined keeps the constructor default. */
function decodeSetting(kind: SettingKind, v: unknown): unknown {
  switch (kind) {
    case "string":
      return typeof v === "string" ? v : undefined;
    case "bool":
      return typeof v === "boolean" ? v : undefined;
    case "int":
      return typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : undefined;
    case "number?":
      return typeof v === "number" ? v : v === null ? null : undefined;
    case "strings?":
      if (v === null) return null;
      return Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : "")) : undefined;
    case "date":
      return v === undefined ? undefined : parseDateTime(v);
  }
}

// --- ids ---------------------------------------------------------------------------------------

/** crc32 (IEEE) of `s` as a decimal string, the checksum upstream builds ids from. */
export function crc32Checksum(s: string): string {
  return String(Bun.hash.crc32(s));
}

/** The default id of a field: its type followed by crc32(name). */
export function defaultFieldId(type: string, name: string): string {
  return type + crc32Checksum(name);
}
