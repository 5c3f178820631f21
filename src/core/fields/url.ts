/** The "url" field. */
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
import { toGoString } from "./cast.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import {
  each,
  empty,
  errUnsupportedValueType,
  newError,
  required,
  validateStruct,
  when,
} from "../validators/validation.ts";
import { domain, isURL, parseGoURL } from "../validators/is.ts";

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

  columnKind(): ColumnKind {
    return "text";
  }

  prepareValue(raw: unknown): string {
    return toGoString(raw);
  }

  async validateValue(_app: App, record: RecordValues): Promise<void> {
    const v = record.get(this.name);
    if (typeof v !== "string") throw errUnsupportedValueType();
    if (this.required) {
      const err = required(v);
      if (err) throw err;
    }
    if (v === "") return;
    if (!isURL(v)) throw newError("validation_invalid_url", "Must be a valid url");
    const host = parseGoURL(v)?.host ?? "";
    if (this.onlyDomains && this.onlyDomains.length > 0 && !this.onlyDomains.includes(host)) {
      throw newError("validation_url_domain_not_allowed", "Url domain is not allowed");
    }
    if (this.exceptDomains && this.exceptDomains.length > 0 && this.exceptDomains.includes(host)) {
      throw newError("validation_url_domain_not_allowed", "Url domain is not allowed");
    }
  }

  async validateSettings(): Promise<ValidationErrors | null> {
    const hasOnly = (this.onlyDomains?.length ?? 0) > 0;
    const hasExcept = (this.exceptDomains?.length ?? 0) > 0;
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
      ["exceptDomains", this.exceptDomains, when(hasOnly, [empty], [each(domain)])],
      ["onlyDomains", this.onlyDomains, when(hasExcept, [empty], [each(domain)])],
    ]);
  }
}

registerField(FIELD_TYPE_URL, URLField);
