/** The "password" field: a bcrypt hash; never output. */
import type { ColumnKind } from "../../tools/sql/dialect.ts";
import {
  BaseField,
  COMMON_SCHEMA,
  fieldHelpRule,
  fieldIdRule,
  fieldNameRule,
  registerField,
  type FieldInit,
  type RecordValues,
} from "./field.ts";
import { toGoString } from "./cast.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { errUnsupportedValueType, max, min, newError, required, validateStruct } from "../validators/validation.ts";
import { goRegexMatch } from "../validators/regex.ts";
import { isRegexRule } from "./text.ts";

/** bcrypt's cost bounds. */
const BCRYPT_MIN_COST = 4;
const BCRYPT_MAX_COST = 31;

/** The registered type name of password fields. */
export const FIELD_TYPE_PASSWORD = "password";

/** Password field; `cost` 0 means bcrypt's default 10, `max` 0 means 71. */
export class PasswordField extends BaseField {
  static readonly schema = {
    ...COMMON_SCHEMA,
    pattern: "string",
    min: "int",
    max: "int",
    cost: "int",
  } as const;

  readonly type = FIELD_TYPE_PASSWORD;
  help = "";
  required = false;
  pattern = "";
  min = 0;
  max = 0;
  cost = 0;

  constructor(init?: FieldInit<PasswordField>) {
    super();
    this.assign(init);
  }

  columnKind(): ColumnKind {
    return "text";
  }

  /**
   * The stored hash as text. Upstream wraps it with the plain text set since loading; here the
   * record keeps the plain text itself, so the field value is just the hash.
   */
  prepareValue(raw: unknown): string {
    return toGoString(raw);
  }

  /** The plain text set on `record` for this field since it was loaded ("" when none). */
  plainValue(record: RecordValues): string {
    if (typeof record.getPlainPassword === "function") return record.getPlainPassword(this.name);
    return this.name === "password" ? (record.plainPassword ?? "") : "";
  }

  async validateValue(_app: App, record: RecordValues): Promise<void> {
    const hash = record.get(this.name);
    if (typeof hash !== "string") throw errUnsupportedValueType();
    if (this.required) {
      const err = required(hash);
      if (err) throw err;
    }
    const plain = this.plainValue(record);
    if (plain === "") return;
    // runes, not bytes: clearer for users (bcrypt itself cuts at 72 bytes)
    const length = [...plain].length;
    if (length < this.min)
      throw newError("validation_min_text_constraint", `Must be at least ${this.min} character(s)`);
    const maxLength = this.max <= 0 ? 71 : this.max;
    if (length > maxLength)
      throw newError("validation_max_text_constraint", `Must be less than ${maxLength} character(s)`);
    if (this.pattern !== "" && !goRegexMatch(this.pattern, plain))
      throw newError("validation_invalid_format", "Invalid value format");
  }

  async validateSettings(): Promise<ValidationErrors | null> {
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
      ["min", this.min, min(1), max(71)],
      ["max", this.max, min(this.min), max(71)],
      ["cost", this.cost, min(BCRYPT_MIN_COST), max(BCRYPT_MAX_COST)],
      ["pattern", this.pattern, isRegexRule],
    ]);
  }
}

registerField(FIELD_TYPE_PASSWORD, PasswordField);
