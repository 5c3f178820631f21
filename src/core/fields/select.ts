/** The "select" field: one or more values from a fixed list. */
import { BaseField, COMMON_SCHEMA, registerField, type FieldInit, type MultiValuer } from "./field.ts";
import { toUniqueStringSlice } from "./cast.ts";

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

  columnType(): string {
    return this.isMultiple() ? "JSON DEFAULT '[]' NOT NULL" : "TEXT DEFAULT '' NOT NULL";
  }

  /** Unique non-empty strings; a single select keeps the last one ("" when none). */
  prepareValue(raw: unknown): string | string[] {
    return normalizeMultiValue(raw, this.isMultiple());
  }
}

/** The select/relation normalization: a list when multiple, else its last item or "". */
export function normalizeMultiValue(raw: unknown, multiple: boolean): string | string[] {
  const list = toUniqueStringSlice(raw);
  if (multiple) return list;
  return list.length > 0 ? list[list.length - 1]! : "";
}

registerField(FIELD_TYPE_SELECT, SelectField);
