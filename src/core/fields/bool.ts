/** The "bool" field. */
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
import { toGoBool } from "./cast.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { errUnsupportedValueType, required, validateStruct } from "../validators/validation.ts";

/** The registered type name of bool fields. */
export const FIELD_TYPE_BOOL = "bool";

/** Bool field; `required` means the value must be true. */
export class BoolField extends BaseField {
  static readonly schema = { ...COMMON_SCHEMA } as const;

  readonly type = FIELD_TYPE_BOOL;
  help = "";
  required = false;

  constructor(init?: FieldInit<BoolField>) {
    super();
    this.assign(init);
  }

  columnKind(): ColumnKind {
    return "bool";
  }

  /** cast.ToBool: true, non-zero numbers and "1"/"t"/"true"… are true; everything else false. */
  prepareValue(raw: unknown): boolean {
    return toGoBool(raw);
  }

  async validateValue(_app: App, record: RecordValues): Promise<void> {
    const v = record.get(this.name);
    if (typeof v !== "boolean") throw errUnsupportedValueType();
    if (this.required) {
      const err = required(v);
      if (err) throw err;
    }
  }

  async validateSettings(): Promise<ValidationErrors | null> {
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
    ]);
  }
}

registerField(FIELD_TYPE_BOOL, BoolField);
