/** The "date" field: a UTC datetime stored as `YYYY-MM-DD HH:MM:SS.sssZ`, "" when unset. */
import { BaseField, COMMON_SCHEMA, registerField, type FieldInit } from "./field.ts";
import { parseDateTime } from "./datetime.ts";

/** The registered type name of date fields. */
export const FIELD_TYPE_DATE = "date";

/** Date field; `min`/`max` are datetimes or "" for no bound. */
export class DateField extends BaseField {
  static readonly schema = {
    ...COMMON_SCHEMA,
    min: "date",
    max: "date",
  } as const;

  readonly type = FIELD_TYPE_DATE;
  help = "";
  required = false;
  min = "";
  max = "";

  constructor(init?: FieldInit<DateField>) {
    super();
    this.assign(init);
  }

  columnType(): string {
    return "TEXT DEFAULT '' NOT NULL";
  }

  /** Unparsable input silently becomes "" (upstream ignores the parse error). */
  prepareValue(raw: unknown): string {
    return parseDateTime(raw);
  }
}

registerField(FIELD_TYPE_DATE, DateField);
