/** The "url" field. */
import { BaseField, COMMON_SCHEMA, registerField, type FieldInit } from "./field.ts";
import { toGoString } from "./cast.ts";

/** The registered type name of url fields. */
export const FIELD_TYPE_URL = "url";

/** URL field; `onlyDomains`/`exceptDomains` restrict the host (null when unset). */
export class URLField extends BaseField {
  static readonly schema = {
    ...COMMON_SCHEMA,
    exceptDomains: "strings?",
    onlyDomains: "strings?",
  } as const;

  readonly type = FIELD_TYPE_URL;
  help = "";
  required = false;
  exceptDomains: string[] | null = null;
  onlyDomains: string[] | null = null;

  constructor(init?: FieldInit<URLField>) {
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

registerField(FIELD_TYPE_URL, URLField);
