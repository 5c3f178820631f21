/** The "date" field: a UTC datetime stored as `YYYY-MM-DD HH:MM:SS.sssZ`, "" when unset. */
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
import { parseDateTime } from "./datetime.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { errUnsupportedValueType, max, min, newError, validateStruct, type Rule } from "../validators/validation.ts";

/** The instant of a stored datetime text ("" → null). */
export function dateTimeToDate(text: string): Date | null {
  if (text === "") return null;
  const d = new Date(text.replace(" ", "T"));
  return Number.isNaN(d.getTime()) ? null : d;
}

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

  columnKind(): ColumnKind {
    return "text";
  }

  /** Unparsable input silently becomes "" (upstream ignores the parse error). */
  prepareValue(raw: unknown): string {
    return parseDateTime(raw);
  }

  async validateValue(_app: App, record: RecordValues): Promise<void> {
    const v = record.get(this.name);
    if (typeof v !== "string") throw errUnsupportedValueType();
    const value = dateTimeToDate(v);
    if (!value) {
      if (this.required) throw newError("validation_required", "cannot be blank");
      return;
    }
    const lower = dateTimeToDate(this.min);
    if (lower) {
      const err = min(lower, "time")(value);
      if (err) throw err;
    }
    const upper = dateTimeToDate(this.max);
    if (upper) {
      const err = max(upper, "time")(value);
      if (err) throw err;
    }
  }

  async validateSettings(): Promise<ValidationErrors | null> {
    const lower = dateTimeToDate(this.min);
    const upper = dateTimeToDate(this.max);
    // ozzo's Date rule with a range: the max bound itself must not precede the min one
    const checkRange: Rule = (v) => {
      const d = typeof v === "string" ? dateTimeToDate(v) : null;
      if (!d) return null;
      if ((lower && lower.getTime() > d.getTime()) || (upper && d.getTime() > upper.getTime())) {
        return newError("validation_date_out_of_range", "the date is out of range");
      }
      return null;
    };
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
      ["max", this.max, checkRange],
    ]);
  }
}

registerField(FIELD_TYPE_DATE, DateField);
