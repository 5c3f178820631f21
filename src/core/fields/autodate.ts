/** The "autodate" field: set to now on create and/or update; clients cannot set it. */
import type { ColumnKind } from "../../tools/sql/dialect.ts";
import {
  BASE_SCHEMA,
  BaseField,
  fieldIdRule,
  fieldNameRule,
  registerField,
  storedFieldJSON,
  type FieldInit,
} from "./field.ts";
import { parseDateTime } from "./datetime.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { newError, validateStruct, when, type Rule } from "../validators/validation.ts";

/** The registered type name of autodate fields. */
export const FIELD_TYPE_AUTODATE = "autodate";

/** Autodate field. Unlike the other types it has no `help` and no `required` setting. */
export class AutodateField extends BaseField {
  static readonly schema = {
    ...BASE_SCHEMA,
    onCreate: "bool",
    onUpdate: "bool",
  } as const;

  readonly type = FIELD_TYPE_AUTODATE;
  onCreate = false;
  onUpdate = false;

  constructor(init?: FieldInit<AutodateField>) {
    super();
    this.assign(init);
  }

  /** No dynamic default: SQLite cannot add a column whose default is not constant. */
  columnKind(): ColumnKind {
    return "text";
  }

  prepareValue(raw: unknown): string {
    return parseDateTime(raw);
  }

  async validateValue(): Promise<void> {
    // set by the system, nothing to check
  }

  async validateSettings(app: App, collection: Collection): Promise<ValidationErrors | null> {
    let oldOnCreate = this.onCreate;
    let oldOnUpdate = this.onUpdate;
    const oldField = await storedFieldJSON(app, collection.id, this.id);
    if (oldField && oldField.type === FIELD_TYPE_AUTODATE) {
      oldOnCreate = oldField.onCreate === true;
      oldOnUpdate = oldField.onUpdate === true;
    }
    const equal =
      (expected: boolean): Rule =>
      (v) =>
        v === expected ? null : newError("validation_values_mismatch", "Values don't match.");
    const eitherRequired: Rule = (v) =>
      v ? null : newError("validation_required", "either onCreate or onUpdate must be enabled");
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["onCreate", this.onCreate, when(this.system, [equal(oldOnCreate)]), when(!this.onUpdate, [eitherRequired])],
      ["onUpdate", this.onUpdate, when(this.system, [equal(oldOnUpdate)]), when(!this.onCreate, [eitherRequired])],
    ]);
  }
}

registerField(FIELD_TYPE_AUTODATE, AutodateField);
