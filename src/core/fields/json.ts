/** The "json" field: any JSON value, stored as its raw text (NULL when empty). */
import type { ColumnKind } from "../../tools/sql/dialect.ts";
import { goMarshal } from "../../tools/json.ts";
import {
  BaseField,
  COMMON_SCHEMA,
  MAX_SAFE_JSON_INT,
  fieldHelpRule,
  fieldIdRule,
  fieldNameRule,
  registerField,
  type FieldInit,
  type MaxBodySizeCalculator,
  type RecordValues,
} from "./field.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { errUnsupportedValueType, max, min, newError, validateStruct } from "../validators/validation.ts";

/** Values a required json field rejects. */
const EMPTY_JSON_VALUES = ["null", '""', "[]", "{}", ""];

/** The registered type name of json fields. */
export const FIELD_TYPE_JSON = "json";

/** The size limit applied when `maxSize` is 0: 1 MiB. */
export const DEFAULT_JSON_FIELD_MAX_SIZE = 1 << 20;

/**
 * Raw JSON text, as upstream's types.JSONRaw: the value of a json field.
 * `raw` keeps the exact text (key order, number spelling); "" is the empty value, written as SQL NULL
 * and output as `null`. `toJSON()` returns the parsed value so JSON.stringify embeds it, which loses
 * only what JS numbers and integer-like key order cannot hold — use `raw` where bytes matter.
 */
export class JSONRaw {
  constructor(readonly raw: string = "") {}

  /** True for the empty value (SQL NULL). */
  get isEmpty(): boolean {
    return this.raw.length === 0;
  }

  /** The text as upstream's String()/MarshalJSON gives it: `null` when empty. */
  goString(): string {
    return this.raw.length === 0 ? "null" : this.raw;
  }

  /** The value for the DB column: the raw text, or null for SQL NULL. */
  dbValue(): string | null {
    return this.raw.length === 0 ? null : this.raw;
  }

  toJSON(): unknown {
    if (this.raw.length === 0) return null;
    try {
      return JSON.parse(this.raw);
    } catch {
      return null;
    }
  }

  toString(): string {
    return this.goString();
  }
}

function isValidJSON(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON field. */
export class JSONField extends BaseField implements MaxBodySizeCalculator {
  static readonly schema = {
    ...COMMON_SCHEMA,
    maxSize: "int",
  } as const;

  readonly type = FIELD_TYPE_JSON;
  help = "";
  required = false;
  maxSize = 0;

  constructor(init?: FieldInit<JSONField>) {
    super();
    this.assign(init);
  }

  columnKind(): ColumnKind {
    return "json";
  }

  /**
   * A string that is `null`/`true`/`false`, or starts like a number, string, array or object and is
   * valid JSON, is kept as JSON ("123" → 123); any other string becomes a JSON string; "" becomes `""`.
   * Other values are JSON-encoded; null/undefined is the empty value.
   */
  prepareValue(raw: unknown): JSONRaw {
    if (raw instanceof JSONRaw) return raw;
    if (raw === null || raw === undefined) return new JSONRaw();
    if (raw instanceof Uint8Array) return new JSONRaw(new TextDecoder().decode(raw));
    if (typeof raw === "string") {
      if (raw === "") return new JSONRaw('""');
      if (raw === "null" || raw === "true" || raw === "false") return new JSONRaw(raw);
      const c = raw[0]!;
      if (((c >= "0" && c <= "9") || c === "-" || c === '"' || c === "[" || c === "{") && isValidJSON(raw)) {
        return new JSONRaw(raw);
      }
      return new JSONRaw(goMarshal(raw));
    }
    return new JSONRaw(goMarshal(raw));
  }

  calculateMaxBodySize(): number {
    return this.maxSize <= 0 ? DEFAULT_JSON_FIELD_MAX_SIZE : this.maxSize;
  }

  async validateValue(_app: App, record: RecordValues): Promise<void> {
    const v = record.get(this.name);
    if (!(v instanceof JSONRaw)) throw errUnsupportedValueType();
    const maxSize = this.calculateMaxBodySize();
    if (Buffer.byteLength(v.raw, "utf8") > maxSize) {
      throw newError("validation_json_size_limit", "The maximum allowed JSON size is {{.maxSize}} bytes", { maxSize });
    }
    if (v.raw !== "" && !isValidJSON(v.raw)) throw newError("validation_invalid_json", "Must be a valid json value");
    if (this.required && EMPTY_JSON_VALUES.includes(v.goString().trim())) {
      throw newError("validation_required", "cannot be blank");
    }
  }

  async validateSettings(): Promise<ValidationErrors | null> {
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
      ["maxSize", this.maxSize, min(0), max(MAX_SAFE_JSON_INT)],
    ]);
  }
}

registerField(FIELD_TYPE_JSON, JSONField);
