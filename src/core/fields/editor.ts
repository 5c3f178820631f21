/** The "editor" field: rich text (HTML) content. */
import type { ColumnKind } from "../../tools/sql/dialect.ts";
import {
  BaseField,
  COMMON_SCHEMA,
  MAX_SAFE_JSON_INT,
  fieldHelpRule,
  fieldIdRule,
  fieldNameRule,
  registerField,
  type FieldInit,
  type MaxBodySizeCalculator,
  type RecordValues,
} from "./field.ts";
import { toGoString } from "./cast.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { errUnsupportedValueType, max, min, newError, required, validateStruct } from "../validators/validation.ts";

/** The registered type name of editor fields. */
export const FIELD_TYPE_EDITOR = "editor";

/** The size limit applied when `maxSize` is 0: 5 MiB. */
export const DEFAULT_EDITOR_FIELD_MAX_SIZE = 5 << 20;

/** Editor field; `convertURLs` only tells the dashboard editor how to write links. */
export class EditorField extends BaseField implements MaxBodySizeCalculator {
  static readonly schema = {
    ...COMMON_SCHEMA,
    maxSize: "int",
    convertURLs: "bool",
  } as const;

  readonly type = FIELD_TYPE_EDITOR;
  help = "";
  required = false;
  maxSize = 0;
  convertURLs = false;

  constructor(init?: FieldInit<EditorField>) {
    super();
    this.assign(init);
  }

  columnKind(): ColumnKind {
    return "text";
  }

  prepareValue(raw: unknown): string {
    return toGoString(raw);
  }

  calculateMaxBodySize(): number {
    return this.maxSize <= 0 ? DEFAULT_EDITOR_FIELD_MAX_SIZE : this.maxSize;
  }

  async validateValue(_app: App, record: RecordValues): Promise<void> {
    const v = record.get(this.name);
    if (typeof v !== "string") throw errUnsupportedValueType();
    if (this.required) {
      const err = required(v);
      if (err) throw err;
    }
    const maxSize = this.calculateMaxBodySize();
    if (Buffer.byteLength(v, "utf8") > maxSize) {
      throw newError("validation_content_size_limit", "The maximum allowed content size is {{.maxSize}} bytes", {
        maxSize,
      });
    }
  }

  async validateSettings(): Promise<ValidationErrors | null> {
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
      ["maxSize", this.maxSize, min(0), max(MAX_SAFE_JSON_INT)],
    ]);
  }
}

registerField(FIELD_TYPE_EDITOR, EditorField);
