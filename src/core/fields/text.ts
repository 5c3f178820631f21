/** The "text" field: any string; also the primary key `id` of every collection. */
import {
  BaseField,
  COMMON_SCHEMA,
  MAX_SAFE_JSON_INT,
  fieldHelpRule,
  fieldIdRule,
  fieldNameRule,
  registerField,
  type FieldInit,
  type RecordValues,
} from "./field.ts";
import { toGoString } from "./cast.ts";
import type { ColumnKind } from "../../tools/sql/dialect.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import {
  empty,
  errUnsupportedValueType,
  inListWithMessage,
  max,
  min,
  newError,
  required,
  validateStruct,
  when,
  type Rule,
} from "../validators/validation.ts";
import { checkGoRegex, generateFromPattern, goRegexMatch } from "../validators/regex.ts";

/** The registered type name of text fields. */
export const FIELD_TYPE_TEXT = "text";

/** The id pattern of default collections; ids matching it skip the extra primary key checks. */
const DEFAULT_LOWERCASE_ID_PATTERN = "^[a-z0-9]+$";

/** Characters a custom primary key may not contain (ids name storage folders). */
const FORBIDDEN_PK_CHARACTERS = [
  ".",
  "/",
  "\\",
  "|",
  '"',
  "'",
  "`",
  "<",
  ">",
  ":",
  "?",
  "*",
  "%",
  "$",
  "\0",
  "\t",
  "\n",
  "\r",
  " ",
];

/** Windows device names, reserved as primary keys (case-insensitively). */
const RESERVED_PKS = [
  "CON",
  "PRN",
  "AUX",
  "NUL",
  ...[1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((n) => ["COM" + n, "LPT" + n]),
];
const LARGEST_RESERVED_PK_LENGTH = 4;

/** The text limit applied when `max` is 0. */
export const DEFAULT_TEXT_FIELD_MAX = 5000;

/** Upstream's IsRegex rule: the value must compile as a Go regexp. */
export const isRegexRule: Rule = (v) => {
  if (typeof v !== "string") return errUnsupportedValueType();
  if (v === "") return null;
  try {
    checkGoRegex(v);
    return null;
  } catch (err) {
    return newError("validation_invalid_regex", (err as Error).message);
  }
};

/** Text field: `min`/`max` rune counts (max 0 means 5000), a regex `pattern`, an `autogeneratePattern`. */
export class TextField extends BaseField {
  static readonly schema = {
    ...COMMON_SCHEMA,
    min: "int",
    max: "int",
    pattern: "string",
    autogeneratePattern: "string",
    primaryKey: "bool",
  } as const;

  readonly type = FIELD_TYPE_TEXT;
  help = "";
  required = false;
  min = 0;
  max = 0;
  pattern = "";
  autogeneratePattern = "";
  primaryKey = false;

  constructor(init?: FieldInit<TextField>) {
    super();
    this.assign(init);
  }

  columnKind(): ColumnKind {
    return this.primaryKey ? "textPrimaryKey" : "text";
  }

  prepareValue(raw: unknown): string {
    return toGoString(raw);
  }

  async validateValue(app: App, record: RecordValues): Promise<void> {
    const value = record.get(this.name);
    if (typeof value !== "string") throw errUnsupportedValueType();

    if (this.primaryKey) {
      if (!record.isNew) {
        const old = record.originalId;
        if (old !== value) throw newError("validation_pk_change", "The record primary key cannot be changed.");
        // a stored id may come from another system (a migration) and is not re-checked
        if (old !== "") return;
      } else if (this.pattern !== DEFAULT_LOWERCASE_ID_PATTERN) {
        // a custom pattern could allow ids differing only in case: check for duplicates case-insensitively
        let exists = false;
        try {
          const d = app.db.dialect;
          const sql = `SELECT (1) FROM ${d.quoteIdent(record.collection.name)} WHERE ${d.nocaseEq("id", "?")} LIMIT 1`;
          exists = (await app.db.get(sql, [value])) !== null;
        } catch {
          exists = true;
        }
        if (exists) throw newError("validation_pk_invalid", "The record primary key is invalid or already exists.");
      }
    }

    const err = this.validatePlainValue(value);
    if (err) throw err;
  }

  /** Checks a plain string against the settings (also used to vet generated values). */
  validatePlainValue(value: string): Error | null {
    if (this.required || this.primaryKey) {
      const err = required(value);
      if (err) return err;
    }
    if (value === "") return null;

    const length = [...value].length;
    if (this.min > 0 && length < this.min) {
      return newError("validation_min_text_constraint", "Must be at least {{.min}} character(s).", { min: this.min });
    }
    const maxLength = this.max === 0 ? DEFAULT_TEXT_FIELD_MAX : this.max;
    if (maxLength > 0 && length > maxLength) {
      return newError("validation_max_text_constraint", "Must be no more than {{.max}} character(s).", {
        max: maxLength,
      });
    }
    if (this.pattern !== "" && !goRegexMatch(this.pattern, value)) {
      return newError("validation_invalid_format", "Invalid value format.");
    }

    // ids often name folders: keep custom ones portable
    if (this.primaryKey && this.pattern !== DEFAULT_LOWERCASE_ID_PATTERN) {
      for (const ch of FORBIDDEN_PK_CHARACTERS) {
        if (value.includes(ch)) {
          return newError("validation_forbidden_pk_character", "'{{.ch}}' is not a valid primary key character.", {
            ch,
          });
        }
      }
      if (LARGEST_RESERVED_PK_LENGTH >= length) {
        for (const reserved of RESERVED_PKS) {
          if (value.toUpperCase() === reserved) {
            return newError(
              "validation_reserved_pk",
              "The primary key '{{.reserved}}' is reserved and cannot be used.",
              { reserved },
            );
          }
        }
      }
    }
    return null;
  }

  async validateSettings(_app: App, collection: Collection): Promise<ValidationErrors | null> {
    return validateStruct([
      ["id", this.id, fieldIdRule],
      [
        "name",
        this.name,
        fieldNameRule,
        when(this.primaryKey, [inListWithMessage(`The primary key must be named "id".`, "id")]),
      ],
      ["help", this.help, fieldHelpRule],
      ["primaryKey", this.primaryKey, this.checkOtherFieldsForPK(collection)],
      ["min", this.min, min(0), max(MAX_SAFE_JSON_INT)],
      ["max", this.max, min(this.min), max(MAX_SAFE_JSON_INT)],
      ["pattern", this.pattern, when(this.primaryKey, [required]), isRegexRule],
      ["hidden", this.hidden, when(this.primaryKey, [empty])],
      ["required", this.required, when(this.primaryKey, [required])],
      ["autogeneratePattern", this.autogeneratePattern, isRegexRule, (v) => this.checkAutogeneratePattern(v)],
    ]);
  }

  private checkOtherFieldsForPK(collection: Collection): Rule {
    return (v) => {
      if (v !== true) return null;
      let total = 0;
      for (const f of collection.fields) {
        if (f instanceof TextField && f.primaryKey) total++;
        if (total > 1) {
          return newError(
            "validation_unsupported_composite_pk",
            "Composite PKs are not supported and the collection must have only 1 PK.",
          );
        }
      }
      return null;
    };
  }

  private checkAutogeneratePattern(v: unknown): Error | null {
    if (typeof v !== "string" || v === "") return null;
    // a few samples to catch patterns that conflict with the other settings
    for (let i = 0; i < 10; i++) {
      let generated: string;
      try {
        generated = generateFromPattern(v);
      } catch (err) {
        return newError("validation_invalid_autogenerate_pattern", (err as Error).message);
      }
      if (this.validatePlainValue(generated)) {
        return newError(
          "validation_invalid_autogenerate_pattern_value",
          `The provided autogenerate pattern could produce invalid field values, ex.: ${JSON.stringify(generated)}`,
        );
      }
    }
    return null;
  }
}

registerField(FIELD_TYPE_TEXT, TextField);
