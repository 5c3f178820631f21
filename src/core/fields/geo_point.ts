/** The "geoPoint" field: a `{lon, lat}` pair stored as JSON. */
import type { ColumnKind } from "../../tools/sql/dialect.ts";
import {
  BaseField,
  COMMON_SCHEMA,
  fieldHelpRule,
  fieldIdRule,
  fieldNameRule,
  lookupKey,
  registerField,
  type FieldInit,
  type RecordValues,
} from "./field.ts";
import type { App } from "../app.ts";
import type { Collection } from "../collection.ts";
import type { ValidationErrors } from "../errors.ts";
import { errUnsupportedValueType, newError, validateStruct } from "../validators/validation.ts";

/** The registered type name of geoPoint fields. */
export const FIELD_TYPE_GEO_POINT = "geoPoint";

/** A geographic point; `lon` comes first, as upstream writes it. */
export interface GeoPoint {
  lon: number;
  lat: number;
}

/** GeoPoint field; (0,0) counts as blank. */
export class GeoPointField extends BaseField {
  static readonly schema = { ...COMMON_SCHEMA } as const;

  readonly type = FIELD_TYPE_GEO_POINT;
  help = "";
  required = false;

  constructor(init?: FieldInit<GeoPointField>) {
    super();
    this.assign(init);
  }

  columnKind(): ColumnKind {
    return "geoPoint";
  }

  /**
   * An object or its JSON text (keys matched case-insensitively, as Go does); anything unreadable is
   * (0,0). Upstream reports a scan error there; for DB reads and `record.set` alike it is dropped.
   */
  prepareValue(raw: unknown): GeoPoint {
    let obj: unknown = raw;
    if (raw instanceof Uint8Array) obj = new TextDecoder().decode(raw);
    if (typeof obj === "string") {
      if (obj === "") return { lon: 0, lat: 0 };
      try {
        obj = JSON.parse(obj);
      } catch {
        return { lon: 0, lat: 0 };
      }
    }
    if (!obj || typeof obj !== "object" || Array.isArray(obj)) return { lon: 0, lat: 0 };
    const lon = lookupKey(obj as { [k: string]: unknown }, "lon");
    const lat = lookupKey(obj as { [k: string]: unknown }, "lat");
    return { lon: typeof lon === "number" ? lon : 0, lat: typeof lat === "number" ? lat : 0 };
  }

  async validateValue(_app: App, record: RecordValues): Promise<void> {
    const v = record.get(this.name) as GeoPoint | undefined;
    if (!v || typeof v !== "object" || typeof v.lat !== "number" || typeof v.lon !== "number")
      throw errUnsupportedValueType();
    if (v.lat === 0 && v.lon === 0) {
      if (this.required) throw newError("validation_required", "cannot be blank");
      return;
    }
    if (v.lat < -90 || v.lat > 90)
      throw newError("validation_invalid_latitude", "Latitude must be between -90 and 90 degrees.");
    if (v.lon < -180 || v.lon > 180)
      throw newError("validation_invalid_longitude", "Longitude must be between -180 and 180 degrees.");
  }

  async validateSettings(): Promise<ValidationErrors | null> {
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
    ]);
  }
}

registerField(FIELD_TYPE_GEO_POINT, GeoPointField);
