/** The "autodate" field: set to now on create and/or update; clients cannot set it. */
import { BASE_SCHEMA, BaseField, registerField, type FieldInit } from "./field.ts";
import { parseDateTime } from "./datetime.ts";

/** The registered type name of autodate fields. */
export const FIELD_TYPE_AUTODATE = "autodate";

/** Autodate field. Unlike the other types it has no `help` and no `required` setting. */
export class AutodateField extends BaseField {
  static readonly schema = {
    ...BASE_SCHEMA,
    onCreate: "bool",
    onUpdate: "bool",
  } as const;

  readonly type = FIELD_TYPE_AUTODATE;
  onCreate = false;
  onUpdate = false;

  constructor(init?: FieldInit<AutodateField>) {
    super();
    this.assign(init);
  }

  /** No dynamic default: SQLite cannot add a column whose default is not constant. */
  columnType(): string {
    return "TEXT DEFAULT '' NOT NULL";
  }

  prepareValue(raw: unknown): string {
    return parseDateTime(raw);
  }
}

registerField(FIELD_TYPE_AUTODATE, AutodateField);
