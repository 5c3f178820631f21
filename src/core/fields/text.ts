/** The "text" field: any string; also the primary key `id` of every collection. */
import { BaseField, COMMON_SCHEMA, registerField, type FieldInit } from "./field.ts";
import { toGoString } from "./cast.ts";

/** The registered type name of text fields. */
export const FIELD_TYPE_TEXT = "text";

/** The column of the primary-key text field; the random default only guards raw SQL inserts. */
export const PRIMARY_KEY_COLUMN_TYPE = "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL";

/** Text field: `min`/`max` rune counts (max 0 means 5000), a regex `pattern`, an `autogeneratePattern`. */
export class TextField extends BaseField {
  static readonly schema = {
    ...COMMON_SCHEMA,
    min: "int",
    max: "int",
    pattern: "string",
    autogeneratePattern: "string",
    primaryKey: "bool",
  } as const;

  readonly type = FIELD_TYPE_TEXT;
  help = "";
  required = false;
  min = 0;
  max = 0;
  pattern = "";
  autogeneratePattern = "";
  primaryKey = false;

  constructor(init?: FieldInit<TextField>) {
    super();
    this.assign(init);
  }

  columnType(): string {
    return this.primaryKey ? PRIMARY_KEY_COLUMN_TYPE : "TEXT DEFAULT '' NOT NULL";
  }

  prepareValue(raw: unknown): string {
    return toGoString(raw);
  }
}

registerField(FIELD_TYPE_TEXT, TextField);
