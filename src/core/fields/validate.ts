/** Validating a record's values against its collection's fields (upstream's onRecordValidate core). */
import type { App } from "../app.ts";
import { ValidationErrors, type FieldError } from "../errors.ts";
import { asItem } from "../validators/validation.ts";
import type { RecordValues } from "./field.ts";

/**
 * Runs every field's validateValue on `record`; the failures keyed by field name (as upstream's
 * record validator returns them), or null when all values are valid.
 *
 * @example
 * const errs = await validateRecordValues(app, record);
 * if (errs) throw errs; // → 400 {"data":{"title":{"code":"validation_required","message":"Cannot be blank."}}}
 */
export async function validateRecordValues(app: App, record: RecordValues): Promise<ValidationErrors | null> {
  const errs: Record<string, FieldError | ValidationErrors> = {};
  for (const field of record.collection.fields) {
    try {
      await field.validateValue(app, record);
    } catch (err) {
      errs[field.name] = asItem(err as Error);
    }
  }
  return Object.keys(errs).length > 0 ? new ValidationErrors(errs) : null;
}
