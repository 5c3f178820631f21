/** The "bool" field. */
import { BaseField, COMMON_SCHEMA, registerField, type FieldInit } from "./field.ts";
import { toGoBool } from "./cast.ts";

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

  columnType(): string {
    return "BOOLEAN DEFAULT FALSE NOT NULL";
  }

  /** cast.ToBool: true, non-zero numbers and "1"/"t"/"true"… are true; everything else false. */
  prepareValue(raw: unknown): boolean {
    return toGoBool(raw);
  }
}

registerField(FIELD_TYPE_BOOL, BoolField);
