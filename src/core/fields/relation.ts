/** The "relation" field: ids of records in another collection. */
import { BaseField, COMMON_SCHEMA, registerField, type FieldInit, type MultiValuer } from "./field.ts";
import { normalizeMultiValue } from "./select.ts";

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

  columnType(): string {
    return this.isMultiple() ? "JSON DEFAULT '[]' NOT NULL" : "TEXT DEFAULT '' NOT NULL";
  }

  /** Unique non-empty ids; a single relation keeps the last one ("" when none). */
  prepareValue(raw: unknown): string | string[] {
    return normalizeMultiValue(raw, this.isMultiple());
  }
}

registerField(FIELD_TYPE_RELATION, RelationField);
