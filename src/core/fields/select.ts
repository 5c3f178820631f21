/** The "select" field: one or more values from a fixed list. */
import type { ColumnKind } from "../../tools/sql/dialect.ts";
import {
  BaseField,
  COMMON_SCHEMA,
  fieldHelpRule,
  fieldIdRule,
  fieldNameRule,
  registerField,
  type FieldInit,
  type MultiValuer,
  type RecordValues,
} from "./field.ts";
import { toUniqueStringSlice } from "./cast.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { max, min, newError, required, validateStruct } from "../validators/validation.ts";

/** The registered type name of select fields. */
export const FIELD_TYPE_SELECT = "select";

/** Select field; multiple when `maxSelect > 1`, and then stored as a JSON array. */
export class SelectField extends BaseField implements MultiValuer {
  static readonly schema = {
    ...COMMON_SCHEMA,
    values: "strings?",
    maxSelect: "int",
  } as const;

  readonly type = FIELD_TYPE_SELECT;
  help = "";
  required = false;
  values: string[] | null = null;
  maxSelect = 0;

  constructor(init?: FieldInit<SelectField>) {
    super();
    this.assign(init);
  }

  isMultiple(): boolean {
    return this.maxSelect > 1;
  }

  columnKind(): ColumnKind {
    return this.isMultiple() ? "jsonArray" : "text";
  }

  /** Unique non-empty strings; a single select keeps the last one ("" when none). */
  prepareValue(raw: unknown): string | string[] {
    return normalizeMultiValue(raw, this.isMultiple());
  }

  async validateValue(_app: App, record: RecordValues): Promise<void> {
    const values = toUniqueStringSlice(record.get(this.name));
    if (values.length === 0) {
      if (this.required) throw newError("validation_required", "cannot be blank");
      return;
    }
    const maxSelect = Math.max(this.maxSelect, 1);
    if (values.length > maxSelect) {
      throw newError("validation_too_many_values", "Select no more than {{.maxSelect}}", { maxSelect });
    }
    for (const value of values) {
      if (!(this.values ?? []).includes(value))
        throw newError("validation_invalid_value", "Invalid value {{.value}}", { value });
    }
  }

  async validateSettings(): Promise<ValidationErrors | null> {
    const maxValues = Math.max((this.values ?? []).length, 1);
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
      ["values", this.values, required],
      ["maxSelect", this.maxSelect, min(0), max(maxValues)],
    ]);
  }
}

/** The select/relation normalization: a list when multiple, else its last item or "". */
export function normalizeMultiValue(raw: unknown, multiple: boolean): string | string[] {
  const list = toUniqueStringSlice(raw);
  if (multiple) return list;
  return list.length > 0 ? list[list.length - 1]! : "";
}

registerField(FIELD_TYPE_SELECT, SelectField);
