/** The "number" field: a float64; `min`/`max` are optional (null), `onlyInt` rejects decimals. */
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
import { toGoFloat64 } from "./cast.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { errUnsupportedValueType, newError, required, validateStruct, type Rule } from "../validators/validation.ts";

const onlyIntError = () => newError("validation_only_int_constraint", "Decimal numbers are not allowed");
const minNumberError = (min: number) =>
  newError("validation_min_number_constraint", "Must be greater or equal than {{.min}}", { min }, { min: "float" });
const maxNumberError = (max: number) =>
  newError("validation_max_number_constraint", "Must be less or equal than {{.max}}", { max }, { max: "float" });

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

  columnKind(): ColumnKind {
    return "number";
  }

  /** cast.ToFloat64: numeric strings parse, bools are 1/0, anything else is 0. */
  prepareValue(raw: unknown): number {
    return toGoFloat64(raw);
  }

  async validateValue(_app: App, record: RecordValues): Promise<void> {
    const v = record.get(this.name);
    if (typeof v !== "number") throw errUnsupportedValueType();
    if (!Number.isFinite(v))
      throw newError("validation_not_a_number", "The submitted number is not properly formatted");
    if (v === 0) {
      // zero is the blank value: only `required` applies
      if (this.required) {
        const err = required(v);
        if (err) throw err;
      }
      return;
    }
    if (this.onlyInt && !Number.isInteger(v)) throw onlyIntError();
    if (this.min !== null && v < this.min) throw minNumberError(this.min);
    if (this.max !== null && v > this.max) throw maxNumberError(this.max);
  }

  async validateSettings(): Promise<ValidationErrors | null> {
    const checkOnlyInt: Rule = (v) =>
      typeof v === "number" && this.onlyInt && !Number.isInteger(v) ? onlyIntError() : null;
    const maxRules: Rule[] = [checkOnlyInt];
    if (this.min !== null && this.max !== null) {
      // like a min rule, but zero is not skipped
      const lower = this.min;
      maxRules.push((v) => (typeof v === "number" && v < lower ? minNumberError(lower) : null));
    }
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
      ["min", this.min, checkOnlyInt],
      ["max", this.max, ...maxRules],
    ]);
  }
}

registerField(FIELD_TYPE_NUMBER, NumberField);
