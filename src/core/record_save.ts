/**
 * Saving and deleting records with upstream's hook chains (core/db.go + record_model.go):
 * onRecordCreate → onModelCreate → validation → onRecordCreateExecute → onModelCreateExecute → INSERT,
 * then onRecordAfterCreateSuccess → onModelAfterCreateSuccess (or the …AfterError pair). Updates and
 * deletes alike; deletes cascade through relations.
 *
 * As upstream, no transaction wraps a create or update: the hooks run unlocked and the write lock
 * is held only for the statement, so a slow hook delays its own request and no other write. A delete
 * holds one transaction from its model execute step through its cascade. Inside a caller's
 * `runInTransaction` everything joins that transaction and the after hooks wait for its end.
 */
import type { App } from "./app.ts";
import { UniqueViolationError } from "./db/index.ts";
import { ApiError, ValidationErrors, type FieldError } from "./errors.ts";
import { ModelErrorEvent, ModelEvent, RecordErrorEvent, RecordEvent, type ModelEventType } from "./events.ts";
import { AutodateField, RelationField, TextField, generateFromPattern, validateRecordValues } from "./fields/index.ts";
import { Record, hashPendingPasswords, isMultiple, nowDateTime } from "./record.ts";
import { prepareRecordUploads, uploadRecordFiles } from "./record_files.ts";

/** Validates and saves (inserts or updates) `record`, firing every hook on the way. */
export function saveRecord(app: App, record: Record): Promise<void> {
  return save(app, record, true);
}

/** Saves without running validators (hooks still fire), as upstream's SaveNoValidate. */
export function saveRecordNoValidate(app: App, record: Record): Promise<void> {
  return save(app, record, false);
}

async function save(app: App, record: Record, withValidation: boolean): Promise<void> {
  if (record.collection.type === "view") throw new ApiError(400, "Unsupported collection type.");
  const type: ModelEventType = record.isNew ? "create" : "update";
  if (type === "create") autogenerateNew(record);
  // bcrypt is slow: hash before taking the write lock
  await hashPendingPasswords(record);
  // uploads set as plain Files/Blobs get their stored names before validation
  await prepareRecordUploads(record);

  const hooks =
    type === "create"
      ? {
          record: app.onRecordCreate,
          model: app.onModelCreate,
          recordExec: app.onRecordCreateExecute,
          modelExec: app.onModelCreateExecute,
        }
      : {
          record: app.onRecordUpdate,
          model: app.onModelUpdate,
          recordExec: app.onRecordUpdateExecute,
          modelExec: app.onModelUpdateExecute,
        };

  try {
    await hooks.record.hook.trigger(new RecordEvent(app, record, type), (re) =>
      hooks.model.hook.trigger(new ModelEvent(app, re.record, type), async () => {
        if (withValidation) await validateRecord(app, record);
        await hooks.recordExec.hook.trigger(new RecordEvent(app, record, type), (rx) =>
          hooks.modelExec.hook.trigger(new ModelEvent(app, rx.record, type), () => executeSave(app, rx.record, type)),
        );
      }),
    );
  } catch (err) {
    if (type === "create") record.markAsNew();
    await afterError(app, record, type, err);
    throw err;
  }
  // now, or when the caller's transaction ends (a rollback undoes the write: error hooks instead)
  await app.afterTransaction(async (txErr) => {
    if (!txErr) return afterSuccess(app, record, type);
    if (type === "create") record.markAsNew();
    await afterError(app, record, type, txErr);
  });
}

/** New records: empty text fields with an autogenerate pattern (id, tokenKey…) get a generated value. */
function autogenerateNew(record: Record): void {
  for (const f of record.fields()) {
    if (f instanceof TextField && f.autogeneratePattern && record.getString(f.name) === "") {
      record.setRaw(f.name, generateFromPattern(f.autogeneratePattern));
    }
  }
}

async function executeSave(app: App, record: Record, type: "create" | "update" | ModelEventType): Promise<void> {
  const now = nowDateTime();
  for (const f of record.fields()) {
    if (!(f instanceof AutodateField)) continue;
    const due = type === "create" ? f.onCreate : f.onUpdate;
    if (due && record.get(f.name) === record.originalValue(f.name)) record.setRaw(f.name, now);
  }
  if (record.collection.type === "auth" && type === "update") {
    const passwordChanged = record.get("password") !== record.originalValue("password");
    const emailChanged = record.get("email") !== record.originalValue("email");
    if (record.tokenKey() === record.originalValue("tokenKey") && (passwordChanged || emailChanged))
      record.refreshTokenKey();
  }
  // new uploads are written just before the row (and taken back if it fails), without the lock
  const files = await uploadRecordFiles(app, record);
  const row = record.toRow();
  const cols = Object.keys(row);
  const q = app.db.dialect.quoteIdent;
  const table = q(record.collection.name);
  try {
    // the write lock for this step only (a short transaction, or the caller's)
    await app.runInTransaction(async () => {
      // auth ids are unique across all auth collections (tokens carry only the id and collection);
      // checked inside the transaction so two concurrent creates cannot both pass
      if (record.collection.type === "auth") await assertUniqueAuthId(app, record);
      if (type === "create") {
        await app.db.run(
          `INSERT INTO ${table} (${cols.map(q).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
          cols.map((c) => row[c]!),
        );
      } else {
        if (record.id !== record.originalId) throw new Error("primary key change is not allowed");
        await app.db.run(`UPDATE ${table} SET ${cols.map((c) => `${q(c)} = ?`).join(", ")} WHERE ${q("id")} = ?`, [
          ...cols.map((c) => row[c]!),
          record.originalId,
        ]);
      }
    });
  } catch (err) {
    await files?.writeFailed();
    throw normalizeUniqueIndexError(err, record.collection.name, cols);
  }
  await files?.written();
  record.markAsSaved();
}

async function assertUniqueAuthId(app: App, record: Record): Promise<void> {
  for (const c of app.collections()) {
    if (c.type !== "auth" || c.id === record.collection.id) continue;
    const q = app.db.dialect.quoteIdent;
    const hit = await app.db.get(`SELECT 1 FROM ${q(c.name)} WHERE ${q("id")} = ? LIMIT 1`, [record.id]);
    if (hit)
      throw new ValidationErrors({
        id: { code: "validation_invalid_auth_id", message: "Invalid or duplicated auth record id." },
      });
  }
}

/** A unique index refusing the write ("posts.title") as a field validation error, as upstream. */
export function normalizeUniqueIndexError(err: unknown, table: string, fieldNames: string[]): unknown {
  if (!(err instanceof UniqueViolationError)) return err;
  const refused = new Set(err.columns.map((c) => c.toLowerCase()));
  const errors: { [k: string]: FieldError } = {};
  for (const name of fieldNames) {
    if (refused.has(`${table}.${name}`.toLowerCase()))
      errors[name] = { code: "validation_not_unique", message: "Value must be unique." };
  }
  return Object.keys(errors).length ? new ValidationErrors(errors) : err;
}

/**
 * Runs the validate hooks and every field's validator; throws ValidationErrors keyed by field.
 */
export async function validateRecord(app: App, record: Record): Promise<void> {
  await app.onRecordValidate.hook.trigger(new RecordEvent(app, record, "validate"), (re) =>
    app.onModelValidate.hook.trigger(new ModelEvent(app, re.record, "validate"), async () => {
      const errors = await validateRecordValues(app, re.record);
      if (errors) throw errors;
    }),
  );
}

async function afterSuccess(app: App, record: Record, type: ModelEventType): Promise<void> {
  const hooks =
    type === "create"
      ? [app.onRecordAfterCreateSuccess, app.onModelAfterCreateSuccess]
      : type === "update"
        ? [app.onRecordAfterUpdateSuccess, app.onModelAfterUpdateSuccess]
        : [app.onRecordAfterDeleteSuccess, app.onModelAfterDeleteSuccess];
  const [recordHook, modelHook] = hooks as [
    typeof app.onRecordAfterCreateSuccess,
    typeof app.onModelAfterCreateSuccess,
  ];
  await recordHook.hook.trigger(new RecordEvent(app, record, type), (re) =>
    modelHook.hook.trigger(new ModelEvent(app, re.record, type)),
  );
}

async function afterError(app: App, record: Record, type: ModelEventType, error: unknown): Promise<void> {
  const recordHook =
    type === "create"
      ? app.onRecordAfterCreateError
      : type === "update"
        ? app.onRecordAfterUpdateError
        : app.onRecordAfterDeleteError;
  const modelHook =
    type === "create"
      ? app.onModelAfterCreateError
      : type === "update"
        ? app.onModelAfterUpdateError
        : app.onModelAfterDeleteError;
  await recordHook.hook.trigger(new RecordErrorEvent(app, record, type, error), (re) =>
    modelHook.hook.trigger(new ModelErrorEvent(app, re.record, type, error)),
  );
}

/** Deletes `record` with its hooks, then cascades through the relations that point at it. */
export async function deleteRecord(app: App, record: Record): Promise<void> {
  try {
    await app.onRecordDelete.hook.trigger(new RecordEvent(app, record, "delete"), async (re) => {
      if (re.record.collection.type === "view") throw new Error("view records cannot be deleted");
      await app.onModelDelete.hook.trigger(new ModelEvent(app, re.record, "delete"), async () => {
        if (!record.originalId)
          throw new Error("the model can be deleted only if it is existing and has a non-empty primary key");
        await app.onRecordDeleteExecute.hook.trigger(new RecordEvent(app, record, "delete"), (rx) =>
          // the row and its cascade go together or not at all (upstream's onRecordDeleteExecute)
          app.runInTransaction(async () => {
            await app.onModelDeleteExecute.hook.trigger(new ModelEvent(app, rx.record, "delete"), async () => {
              const q = app.db.dialect.quoteIdent;
              await app.db.run(`DELETE FROM ${q(rx.record.collection.name)} WHERE ${q("id")} = ?`, [
                rx.record.originalId,
              ]);
            });
            await cascadeRecordDelete(app, rx.record);
          }),
        );
      });
    });
  } catch (err) {
    await afterError(app, record, "delete", err);
    throw err;
  }
  await app.afterTransaction((txErr) =>
    txErr ? afterError(app, record, "delete", txErr) : afterSuccess(app, record, "delete"),
  );
}

/**
 * Removes the deleted record's id from every relation pointing at it: records left without a
 * required relation block the delete; cascadeDelete relations left empty delete their record.
 */
async function cascadeRecordDelete(app: App, main: Record): Promise<void> {
  const refs = app
    .collections()
    .filter((c) => c.type !== "view")
    .map((c) => ({
      c,
      fields: c.fields.filter(
        (f): f is RelationField => f instanceof RelationField && f.collectionId === main.collection.id,
      ),
    }))
    .filter((x) => x.fields.length > 0)
    .sort((a, b) => (a.c.name < b.c.name ? -1 : a.c.name > b.c.name ? 1 : 0));

  for (const { c, fields } of refs) {
    const d = app.db.dialect;
    const table = d.quoteIdent(c.name);
    for (const field of fields) {
      const col = `${table}.${d.quoteIdent(field.name)}`;
      let where = isMultiple(field)
        ? `EXISTS (SELECT 1 FROM ${d.jsonEach(col)} AS __je__ WHERE __je__.value = ?)`
        : `${col} = ?`;
      const params: string[] = [main.id];
      if (c.id === main.collection.id) {
        where += ` AND ${table}.${d.quoteIdent("id")} != ?`;
        params.push(main.id);
      }
      const rows = await app.db.all<{ [k: string]: unknown }>(`SELECT ${table}.* FROM ${table} WHERE ${where}`, params);
      for (const row of rows) {
        const ref = Record.fromRow(c, row);
        const ids = ref.getStringSlice(field.name).filter((id) => id !== main.id);
        if (field.cascadeDelete && ids.length === 0) {
          await deleteRecord(app, ref);
          continue;
        }
        if (field.required && ids.length === 0) {
          throw new Error(
            `the record cannot be deleted because it is part of a required reference in record ${ref.id} (${c.name} collection)`,
          );
        }
        ref.set(field.name, ids);
        await saveRecordNoValidate(app, ref);
      }
    }
  }
}
