/** The "password" field: a bcrypt hash; never output. */
import { BaseField, COMMON_SCHEMA, registerField, type FieldInit } from "./field.ts";
import { toGoString } from "./cast.ts";

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

  columnType(): string {
    return "TEXT DEFAULT '' NOT NULL";
  }

  /**
   * The stored hash as text. Upstream wraps it with the plain text set since loading; here the
   * record keeps the plain text itself, so the field value is just the hash.
   */
  prepareValue(raw: unknown): string {
    return toGoString(raw);
  }
}

registerField(FIELD_TYPE_PASSWORD, PasswordField);
