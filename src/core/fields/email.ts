/** The "email" field. */
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
import { domain, emailFormat } from "../validators/is.ts";

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
    const err = emailFormat(v);
    if (err) throw err;
    const host = v.slice(v.lastIndexOf("@") + 1);
    if (this.onlyDomains && this.onlyDomains.length > 0 && !this.onlyDomains.includes(host)) {
      throw newError("validation_email_domain_not_allowed", "Email domain is not allowed");
    }
    if (this.exceptDomains && this.exceptDomains.length > 0 && this.exceptDomains.includes(host)) {
      throw newError("validation_email_domain_not_allowed", "Email domain is not allowed");
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

registerField(FIELD_TYPE_EMAIL, EmailField);
