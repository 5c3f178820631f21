/** The "editor" field: rich text (HTML) content. */
import { BaseField, COMMON_SCHEMA, registerField, type FieldInit, type MaxBodySizeCalculator } from "./field.ts";
import { toGoString } from "./cast.ts";

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

  columnType(): string {
    return "TEXT DEFAULT '' NOT NULL";
  }

  prepareValue(raw: unknown): string {
    return toGoString(raw);
  }

  calculateMaxBodySize(): number {
    return this.maxSize <= 0 ? DEFAULT_EDITOR_FIELD_MAX_SIZE : this.maxSize;
  }
}

registerField(FIELD_TYPE_EDITOR, EditorField);
