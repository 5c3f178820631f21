/** The "relation" field: ids of records in another collection. */
import type { ColumnKind } from "../../tools/sql/dialect.ts";
import {
  BaseField,
  COMMON_SCHEMA,
  fieldHelpRule,
  fieldIdRule,
  fieldNameRule,
  registerField,
  storedFieldJSON,
  type FieldInit,
  type MultiValuer,
  type RecordValues,
} from "./field.ts";
import { normalizeMultiValue } from "./select.ts";
import { toUniqueStringSlice } from "./cast.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { min, newError, required, validateStruct, when, type Rule } from "../validators/validation.ts";

/** The registered type name of relation fields. */
export const FIELD_TYPE_RELATION = "relation";

/** Relation field; multiple when `maxSelect > 1`, and then stored as a JSON array. */
export class RelationField extends BaseField implements MultiValuer {
  static readonly schema = {
    ...COMMON_SCHEMA,
    collectionId: "string",
    cascadeDelete: "bool",
    minSelect: "int",
    maxSelect: "int",
  } as const;

  readonly type = FIELD_TYPE_RELATION;
  help = "";
  required = false;
  collectionId = "";
  cascadeDelete = false;
  minSelect = 0;
  maxSelect = 0;

  constructor(init?: FieldInit<RelationField>) {
    super();
    this.assign(init);
  }

  isMultiple(): boolean {
    return this.maxSelect > 1;
  }

  columnKind(): ColumnKind {
    return this.isMultiple() ? "jsonArray" : "text";
  }

  /** Unique non-empty ids; a single relation keeps the last one ("" when none). */
  prepareValue(raw: unknown): string | string[] {
    return normalizeMultiValue(raw, this.isMultiple());
  }

  async validateValue(app: App, record: RecordValues): Promise<void> {
    const ids = toUniqueStringSlice(record.get(this.name));
    if (ids.length === 0) {
      if (this.required) throw newError("validation_required", "cannot be blank");
      return;
    }
    if (this.minSelect > 0 && ids.length < this.minSelect) {
      throw newError("validation_not_enough_values", "Select at least {{.minSelect}}", { minSelect: this.minSelect });
    }
    const maxSelect = Math.max(this.maxSelect, 1);
    if (ids.length > maxSelect) {
      throw newError("validation_too_many_values", "Select no more than {{.maxSelect}}", { maxSelect });
    }
    const target = app.findCollection(this.collectionId);
    if (!target)
      throw newError("validation_missing_rel_collection", "Relation connection is missing or cannot be accessed");
    let total = -1;
    try {
      const table = app.db.dialect.quoteIdent(target.name);
      const row = await app.db.get<{ n: number }>(
        `SELECT count(*) AS n FROM ${table} WHERE id IN (${ids.map(() => "?").join(", ")})`,
        ids,
      );
      total = row!.n;
    } catch {
      total = -1;
    }
    if (total !== ids.length) {
      throw newError("validation_missing_rel_records", "Failed to find all relation records with the provided ids");
    }
  }

  async validateSettings(app: App, collection: Collection): Promise<ValidationErrors | null> {
    // the target of an existing relation field is fixed: compare with the stored settings
    const stored =
      this.collectionId !== "" && !collection.isNew() ? await storedFieldJSON(app, collection.id, this.id) : null;
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
      ["collectionId", this.collectionId, required, this.checkCollectionId(app, collection, stored)],
      ["minSelect", this.minSelect, min(0)],
      ["maxSelect", this.maxSelect, when(this.minSelect > 0, [required]), min(this.minSelect)],
    ]);
  }

  private checkCollectionId(app: App, collection: Collection, old: { [key: string]: unknown } | null): Rule {
    return (v) => {
      if (typeof v !== "string" || v === "") return null;
      if (old && old.type === FIELD_TYPE_RELATION && old.collectionId !== v) {
        return newError("validation_field_relation_change", "The relation collection cannot be changed.");
      }
      const target = app.findCollection(v);
      if (!target || target.id !== v) {
        return newError("validation_field_relation_missing_collection", "The relation collection doesn't exist.");
      }
      // only views may point at views (a view record cannot be the target of a stored reference)
      if (!collection.isView() && target.isView()) {
        return newError(
          "validation_relation_field_non_view_base_collection",
          "Only view collections are allowed to have relations to other views.",
        );
      }
      return null;
    };
  }
}

registerField(FIELD_TYPE_RELATION, RelationField);
