/** The "number" field: a float64; `min`/`max` are optional (null), `onlyInt` rejects decimals. */
import { BaseField, COMMON_SCHEMA, registerField, type FieldInit } from "./field.ts";
import { toGoFloat64 } from "./cast.ts";

/** The registered type name of number fields. */
export const FIELD_TYPE_NUMBER = "number";

/** Number field. Zero counts as blank for `required`. */
export class NumberField extends BaseField {
  static readonly schema = {
    ...COMMON_SCHEMA,
    min: "number?",
    max: "number?",
    onlyInt: "bool",
  } as const;

  readonly type = FIELD_TYPE_NUMBER;
  help = "";
  required = false;
  min: number | null = null;
  max: number | null = null;
  onlyInt = false;

  constructor(init?: FieldInit<NumberField>) {
    super();
    this.assign(init);
  }

  columnType(): string {
    return "NUMERIC DEFAULT 0 NOT NULL";
  }

  /** cast.ToFloat64: numeric strings parse, bools are 1/0, anything else is 0. */
  prepareValue(raw: unknown): number {
    return toGoFloat64(raw);
  }
}

registerField(FIELD_TYPE_NUMBER, NumberField);
