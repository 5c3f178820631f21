/** The "email" field. */
import { BaseField, COMMON_SCHEMA, registerField, type FieldInit } from "./field.ts";
import { toGoString } from "./cast.ts";

/** The registered type name of email fields. */
export const FIELD_TYPE_EMAIL = "email";

/** Email field; `onlyDomains`/`exceptDomains` restrict the part after "@" (null when unset). */
export class EmailField extends BaseField {
  static readonly schema = {
    ...COMMON_SCHEMA,
    exceptDomains: "strings?",
    onlyDomains: "strings?",
  } as const;

  readonly type = FIELD_TYPE_EMAIL;
  help = "";
  required = false;
  exceptDomains: string[] | null = null;
  onlyDomains: string[] | null = null;

  constructor(init?: FieldInit<EmailField>) {
    super();
    this.assign(init);
  }

  columnType(): string {
    return "TEXT DEFAULT '' NOT NULL";
  }

  prepareValue(raw: unknown): string {
    return toGoString(raw);
  }
}

registerField(FIELD_TYPE_EMAIL, EmailField);
