/**
 * Persisting collections: the `_collections` row plus the record table (or SQL view) and its indexes,
 * as upstream's onCollectionSave/onCollectionSaveExecute and SyncRecordTableSchema do. Every DDL string
 * is issued exactly as upstream issues it, so `sqlite_master` ends up byte-identical.
 */
import type { App } from "./app.ts";
import { ValidationErrors } from "./errors.ts";
import { CollectionErrorEvent, CollectionEvent, ModelErrorEvent, ModelEvent } from "./events.ts";
import { pseudorandomString } from "../tools/security/random.ts";
import {
  COLLECTION_NAME_AUTH_ORIGINS,
  COLLECTION_NAME_EXTERNAL_AUTHS,
  COLLECTION_NAME_MFAS,
  COLLECTION_NAME_OTPS,
  COLLECTION_NAME_SUPERUSERS,
  Collection,
  newTokenSecret,
} from "./collection.ts";
import { buildIndex, isValidIndex, parseIndex } from "./collection_index.ts";
import { collectionIdExists, findCollectionById, findCollectionReferences } from "./collection_query.ts";
import { validateCollection } from "./collection_validate.ts";
import { FieldsList, isMultiValuer, nowDateTime } from "./fields/index.ts";
import { Record as PbRecord } from "./record.ts";
import { deleteRecord } from "./record_save.ts";
import {
  createViewFields,
  deleteView,
  detachDependentViews,
  normalizeViewQueryId,
  reattachViews,
  resaveViewsWithChangedFields,
  saveView,
  withDependentViewsDetached,
} from "./view.ts";

/** System collections whose rows point at an auth collection through `collectionRef`. */
const AUTH_HELPER_COLLECTIONS = [
  COLLECTION_NAME_MFAS,
  COLLECTION_NAME_OTPS,
  COLLECTION_NAME_AUTH_ORIGINS,
  COLLECTION_NAME_EXTERNAL_AUTHS,
];

/** Options of `saveCollection`. */
export interface SaveCollectionOptions {
  /** Run the collection validators first (default true). */
  validate?: boolean;
}

type SaveType = "create" | "update";

/**
 * Saves a collection as upstream's app.Save does, firing the hooks on the way:
 * onCollectionCreate/Update → onModelCreate/Update → (validation: onCollectionValidate → onModelValidate
 * → the validator) → onCollectionCreateExecute/UpdateExecute → onModel…Execute → the write (row,
 * table or view, indexes); then, once the transaction commits, onCollectionAfter…Success →
 * onModelAfter…Success (or the …AfterError pair on failure). Views depending on the collection are
 * re-saved when their inferred fields changed. Runs in one transaction (joining the caller's); the
 * collection is updated in place (timestamps, ids, normalized fields) and marked as stored.
 */
export async function saveCollection(
  app: App,
  collection: Collection,
  opts: SaveCollectionOptions = {},
): Promise<void> {
  const c = collection;
  const validate = opts.validate !== false;
  const type: SaveType = c.isNew() ? "create" : "update";
  const hooks =
    type === "create"
      ? {
          coll: app.onCollectionCreate,
          model: app.onModelCreate,
          collExec: app.onCollectionCreateExecute,
          modelExec: app.onModelCreateExecute,
        }
      : {
          coll: app.onCollectionUpdate,
          model: app.onModelUpdate,
          collExec: app.onCollectionUpdateExecute,
          modelExec: app.onModelUpdateExecute,
        };

  try {
    // everything that reads the DB runs under the write lock: on the one shared connection a read
    // outside it could see another request's uncommitted transaction
    await app.runInTransaction(async () => {
      await normalizeForSave(app, c);
      await hooks.coll.hook.trigger(new CollectionEvent(app, c, type), (ce) =>
        hooks.model.hook.trigger(new ModelEvent(app, ce.collection, type), async (me) => {
          const target = me.model as Collection;
          if (validate) await validateCollectionModel(app, target);
          await hooks.collExec.hook.trigger(new CollectionEvent(app, target, type), (cx) =>
            hooks.modelExec.hook.trigger(new ModelEvent(app, cx.collection, type), (mx) =>
              executeSave(app, mx.model as Collection, type),
            ),
          );
        }),
      );
      await app.afterTransaction((txErr) => (txErr ? afterError(app, c, type, txErr) : afterSuccess(app, c, type)));
    });
  } catch (err) {
    if (type === "create") c.markAsNew();
    await afterError(app, c, type, err);
    throw err;
  }
}

/** Saves without running the validators (upstream's SaveNoValidate); hooks still fire. */
export function saveCollectionNoValidate(app: App, collection: Collection): Promise<void> {
  return saveCollection(app, collection, { validate: false });
}

/**
 * Validates a collection as upstream's app.Validate does: onCollectionValidate → onModelValidate →
 * the collection validator (throws ValidationErrors). The collection is checked against its stored state.
 */
export async function validateCollectionModel(app: App, collection: Collection): Promise<void> {
  await app.onCollectionValidate.hook.trigger(new CollectionEvent(app, collection, "validate"), (ce) =>
    app.onModelValidate.hook.trigger(new ModelEvent(app, ce.collection, "validate"), async (me) => {
      const c = me.model as Collection;
      const original = c.isNew() ? null : await findCollectionById(app, c.lastSavedId);
      if (!c.isNew() && !original) throw new Error("failed to fetch old collection state");
      await validateCollection(app, c, original);
    }),
  );
}

/**
 * Upstream's onCollectionSave: the defaults every save applies before hooks and validation see the
 * collection (type, ids, timestamps, system fields, index table names).
 */
async function normalizeForSave(app: App, c: Collection): Promise<void> {
  if (!c.type) c.type = "base";
  if (c.isNew()) {
    c.initDefaultId();
    c.created = nowDateTime();
  }
  c.updated = nowDateTime();

  // re-add the fields so ids are generated and duplicates by name/id collapse as upstream does
  c.fields = FieldsList.create(...c.fields);
  c.initDefaultFields();
  if (c.isAuth()) c.unsetMissingOAuth2MappedFields();
  if (c.isNew()) await updateGeneratedIdIfExists(app, c);

  // indexes always target the collection's current table (invalid ones are left to the validator)
  c.indexes = c.indexes.map((raw) => {
    const parsed = parseIndex(raw);
    if (parsed.tableName === c.name) return raw;
    parsed.tableName = c.name;
    return buildIndex(parsed) || raw;
  });
}

/** Upstream's onCollectionSaveExecute: the view, the row, the table sync, then dependent views. */
async function executeSave(app: App, c: Collection, type: SaveType): Promise<void> {
  try {
    // the previous state, read fresh from the DB so a mutated cached instance cannot mask changes
    const old = type === "create" ? null : await findCollectionById(app, c.lastSavedId);
    if (type === "update" && !old)
      throw new Error(`failed to find the stored collection ${JSON.stringify(c.lastSavedId)}`);

    // changing authRule invalidates every auth token issued so far (null and "" count as equal)
    if (old && (old.authRule ?? "") !== (c.authRule ?? "")) c.authToken.secret = newTokenSecret();

    if (c.name === COLLECTION_NAME_SUPERUSERS || old?.name === COLLECTION_NAME_SUPERUSERS) enforceSuperusersOptions(c);

    if (c.isView()) {
      // the fields always come from the query
      const viewFields = await createViewFields(app, c.viewQuery);
      // views reading this one are recreated after it (PostgreSQL cannot drop a view others read)
      const dependents = old ? await detachDependentViews(app, old.name) : [];
      if (old) await deleteView(app, old.name);
      let query: string;
      try {
        query = await normalizeViewQueryId(app, c.viewQuery);
      } catch (err) {
        throw new Error(`failed to normalize view query id: ${(err as Error).message}`);
      }
      await saveView(app, c.name, query);
      await reattachViews(app, dependents);
      c.fields = viewFields;
    }

    await writeCollectionRow(app, c, type === "create");
    c.markAsNotNew();

    if (!c.isView()) await syncRecordTableSchema(app, c, old);

    if (old && old.name !== c.name) await renameRateLimitLabels(app, old.name, c.name);
  } finally {
    // inside the save's transaction: the cache follows the uncommitted state (a failure reloads again)
    await app.reloadCollections();
  }

  // views built on this collection may need new fields; failures are only logged (they can be fixed
  // from the dashboard), and each re-save is undone alone when it fails halfway
  const failures = await resaveViewsWithChangedFields(
    app,
    (view) => inSavepoint(app, () => saveCollection(app, view)),
    c.id,
  );
  if (failures && app.isDev)
    console.warn(`Dependent view collection(s) may need to be updated after ${c.name} collection change:\n${failures}`);
}

/** Runs `fn` inside a SAVEPOINT of the current transaction, rolled back alone if it throws. */
async function inSavepoint(app: App, fn: () => Promise<void>): Promise<void> {
  const name = "pb_sp_" + pseudorandomString(8);
  await app.db.exec(`SAVEPOINT ${name}`);
  try {
    await fn();
    await app.db.exec(`RELEASE ${name}`);
  } catch (err) {
    await app.db.exec(`ROLLBACK TO ${name}`);
    await app.db.exec(`RELEASE ${name}`);
    throw err;
  }
}

async function afterSuccess(app: App, c: Collection, type: SaveType | "delete"): Promise<void> {
  // committed: other processes sharing the pb_data reload too
  await app.collectionsChanged();
  const [collHook, modelHook] =
    type === "create"
      ? [app.onCollectionAfterCreateSuccess, app.onModelAfterCreateSuccess]
      : type === "update"
        ? [app.onCollectionAfterUpdateSuccess, app.onModelAfterUpdateSuccess]
        : [app.onCollectionAfterDeleteSuccess, app.onModelAfterDeleteSuccess];
  await collHook.hook.trigger(new CollectionEvent(app, c, type), (ce) =>
    modelHook.hook.trigger(new ModelEvent(app, ce.collection, type)),
  );
}

async function afterError(app: App, c: Collection, type: SaveType | "delete", error: unknown): Promise<void> {
  // the cache may hold a state that was rolled back
  try {
    await app.reloadCollections();
  } catch {
    // the app may be closing
  }
  const [collHook, modelHook] =
    type === "create"
      ? [app.onCollectionAfterCreateError, app.onModelAfterCreateError]
      : type === "update"
        ? [app.onCollectionAfterUpdateError, app.onModelAfterUpdateError]
        : [app.onCollectionAfterDeleteError, app.onModelAfterDeleteError];
  await collHook.hook.trigger(new CollectionErrorEvent(app, c, type, error), (ce) =>
    modelHook.hook.trigger(new ModelErrorEvent(app, ce.collection, type, error)),
  );
}

/**
 * `_superusers` keeps its name, never allows OAuth2 (a sign-in must not create a superuser), always
 * allows password auth, and requires MFA whenever OTP is on — whatever was submitted.
 */
function enforceSuperusersOptions(c: Collection): void {
  c.name = COLLECTION_NAME_SUPERUSERS;
  c.oauth2.enabled = false;
  c.oauth2.providers = null;
  c.passwordAuth.enabled = true;
  if (c.otp.enabled) c.mfa.enabled = true;
}

/** A renamed collection carries its `<name>:<action>` rate limit rules along. */
async function renameRateLimitLabels(app: App, oldName: string, newName: string): Promise<void> {
  let settings;
  try {
    settings = app.settings();
  } catch {
    return; // settings are not loaded yet (a system migration during bootstrap)
  }
  let changed = false;
  for (const rule of settings.rateLimits.rules) {
    if (rule.label.startsWith(oldName + ":")) {
      rule.label = newName + ":" + rule.label.slice(oldName.length + 1);
      changed = true;
    }
  }
  if (changed) await app.saveSettings(settings);
}

/** Options of `deleteCollection`. */
export interface DeleteCollectionOptions {
  /**
   * Refuse to delete a collection still referenced by relation fields or read by a view (default
   * true; the import turns it off, as it replaces the whole schema at once).
   */
  integrityChecks?: boolean;
}

/**
 * Deletes a collection as upstream's app.Delete does: onCollectionDelete → onModelDelete →
 * onCollectionDeleteExecute → onModelDeleteExecute → the row delete, after dropping the table or
 * view; then onCollectionAfterDeleteSuccess (deferred to the commit) or …AfterDeleteError.
 * System collections, collections referenced by relation fields and collections a view still reads
 * from cannot be deleted. The auth helper rows (MFAs, OTPs, origins, OAuth2 links) of an auth
 * collection are deleted with it.
 */
export async function deleteCollection(
  app: App,
  collection: Collection,
  opts: DeleteCollectionOptions = {},
): Promise<void> {
  const c = collection;
  const integrityChecks = opts.integrityChecks !== false;
  try {
    await app.runInTransaction(async () => {
      await app.onCollectionDelete.hook.trigger(new CollectionEvent(app, c, "delete"), (ce) =>
        app.onModelDelete.hook.trigger(new ModelEvent(app, ce.collection, "delete"), async (me) => {
          const target = me.model as Collection;
          if ((target.lastSavedId || "") === "" && target.isNew()) {
            throw new Error("the model can be deleted only if it is existing and has a non-empty primary key");
          }
          await app.onCollectionDeleteExecute.hook.trigger(new CollectionEvent(app, target, "delete"), (cx) =>
            executeDelete(app, cx.collection, integrityChecks, (x) =>
              app.onModelDeleteExecute.hook.trigger(new ModelEvent(app, x, "delete"), async (mx) => {
                const id = (mx.model as Collection).lastSavedId || (mx.model as Collection).id;
                const q = app.db.dialect.quoteIdent;
                await app.db.run(`DELETE FROM ${q("_collections")} WHERE ${q("id")} = ?`, [id]);
              }),
            ),
          );
        }),
      );
      await app.afterTransaction((txErr) =>
        txErr ? afterError(app, c, "delete", txErr) : afterSuccess(app, c, "delete"),
      );
    });
  } catch (err) {
    await afterError(app, c, "delete", err);
    throw err;
  }
  c.markAsNew();
}

/** Upstream's onCollectionDeleteExecute (plus the auth helper clean-up hooks). */
async function executeDelete(
  app: App,
  c: Collection,
  integrityChecks: boolean,
  deleteRow: (c: Collection) => Promise<void>,
): Promise<void> {
  if (c.system) throw new Error(`[${c.name}] system collections cannot be deleted`);
  try {
    if (integrityChecks) {
      const refs = await findCollectionReferences(app, c, c.id);
      if (refs.size > 0) {
        const names = [...refs.keys()].map((x) => x.name).join(", ");
        throw new Error(`[${c.name}] failed to delete due to existing relation references: ${names}`);
      }
    }
    // views reading it go too (PostgreSQL refuses the drop otherwise; SQLite leaves them broken):
    // the view dependency check below then refuses the delete and the rollback brings them back
    await detachDependentViews(app, c.name);
    if (c.isView()) await deleteView(app, c.name);
    else await app.deleteTable(c.name);

    if (integrityChecks) {
      // a view still reading from the dropped table fails to re-infer its fields: refuse the delete
      const failures = await resaveViewsWithChangedFields(app, (view) => saveCollection(app, view), c.id);
      if (failures) throw new Error(`[${c.name}] failed to delete due to existing view dependency: ${failures}`);
    }

    await deleteRow(c);

    if (c.isAuth()) await deleteAuthHelperRecords(app, c);
  } finally {
    await app.reloadCollections();
  }
}

/** The MFA sessions, OTPs, login origins and OAuth2 links of a deleted auth collection go with it. */
async function deleteAuthHelperRecords(app: App, c: Collection): Promise<void> {
  for (const name of AUTH_HELPER_COLLECTIONS) {
    if (c.name === name) continue;
    const helper = app.findCollection(name);
    if (!helper) continue;
    const q = app.db.dialect.quoteIdent;
    const rows = await app.db.all<{ [k: string]: unknown }>(
      `SELECT * FROM ${q(helper.name)} WHERE ${q("collectionRef")} = ?`,
      [c.id],
    );
    for (const row of rows) await deleteRecord(app, PbRecord.fromRow(helper, row));
  }
}

/**
 * Deletes every record of a (non-view) collection one by one through the record pipeline (hooks,
 * cascades, files), in one transaction; any failure (e.g. a required reference) rolls it all back.
 */
export async function truncateCollection(app: App, collection: Collection): Promise<void> {
  if (collection.isView())
    throw new Error("view collections cannot be truncated since they don't store their own records");
  await app.runInTransaction(async () => {
    const q = app.db.dialect.quoteIdent;
    const table = q(collection.name);
    for (;;) {
      const rows = await app.db.all<{ [k: string]: unknown }>(`SELECT * FROM ${table} LIMIT 500`);
      if (rows.length === 0) return;
      for (const row of rows) {
        const record = PbRecord.fromRow(collection, row);
        // a cascade may already have removed it
        if ((await app.db.get(`SELECT 1 FROM ${table} WHERE ${q("id")} = ?`, [record.id])) === null) continue;
        await deleteRecord(app, record);
      }
    }
  });
}

/** A new collection's checksum id is bumped with 2..999 when another collection already has it. */
async function updateGeneratedIdIfExists(app: App, c: Collection): Promise<void> {
  if (c.id === "" || c.id !== c.autogeneratedId) return; // cleared or set by hand
  const base = c.idChecksum();
  let newId = base;
  for (let i = 2; i < 1000 && (await collectionIdExists(app, newId)); i++) newId = base + i;
  if (newId === c.id) return;
  // index names embedding the old id follow it
  c.indexes = c.indexes.map((raw) => {
    const parsed = parseIndex(raw);
    const renamed = parsed.indexName.split(c.id).join(newId);
    if (renamed === parsed.indexName) return raw;
    parsed.indexName = renamed;
    return buildIndex(parsed);
  });
  c.id = newId;
  c.setAutogeneratedId(newId);
}

/** Inserts or updates the row; columns sorted by name as dbx's Insert/Update write them. */
async function writeCollectionRow(app: App, c: Collection, isNew: boolean): Promise<void> {
  const row = c.toRow() as unknown as { [key: string]: string | number | null };
  const names = Object.keys(row).sort();
  const values = names.map((n) => row[n]!);
  const q = (name: string) => app.db.dialect.quoteIdent(name);
  if (isNew) {
    const cols = names.map(q).join(", ");
    await app.db.run(`INSERT INTO ${q("_collections")} (${cols}) VALUES (${names.map(() => "?").join(", ")})`, values);
    return;
  }
  if (c.id !== c.lastSavedId) throw new Error("primary key change is not allowed");
  const sets = names.map((n) => `${q(n)}=?`).join(", ");
  await app.db.run(`UPDATE ${q("_collections")} SET ${sets} WHERE ${q("id")}=?`, [...values, c.lastSavedId]);
}

// --- record table sync ------------------------------------------------------------------------------

/**
 * Creates the record table of `next` (when `prev` is null or its table is missing) or applies the
 * differences from `prev`: rename, dropped/added/renamed columns (via temporary names, as upstream),
 * single↔multiple value conversions, and index recreation when anything relevant changed.
 */
export async function syncRecordTableSchema(app: App, next: Collection, prev: Collection | null): Promise<void> {
  if (next.isView()) return;
  const db = app.db;
  const quoteName = (name: string) => db.dialect.quoteIdent(name);

  if (!prev || !(await app.hasTable(prev.name))) {
    const cols = new Map<string, string>();
    for (const f of next.fields) cols.set(f.name, f.columnType(db.dialect));
    const defs = [...cols.keys()].sort().map((name) => quoteName(name) + " " + cols.get(name));
    if (db.dialect.rowidColumn) defs.push(db.dialect.rowidColumn);
    await db.run(`CREATE TABLE ${quoteName(next.name)} (${defs.join(", ")})`);
    await createCollectionIndexes(app, next);
    await db.optimize();
    return;
  }

  const oldName = prev.name;
  const newName = next.name;
  const needRename = oldName.toLowerCase() !== newName.toLowerCase();
  const fieldsText = (c: Collection) => JSON.stringify(c.fields.map((f) => f.toJSON()));
  const needIndexes =
    needRename ||
    fieldsText(prev) !== fieldsText(next) ||
    JSON.stringify(prev.indexes) !== JSON.stringify(next.indexes);

  if (needIndexes) await dropCollectionIndexes(app, prev);

  if (needRename) await db.run(`ALTER TABLE ${quoteName(oldName)} RENAME TO ${quoteName(newName)}`);

  const dropped = prev.fields.filter((f) => !next.fields.getById(f.id));
  if (dropped.length > 0) {
    // PostgreSQL cannot drop a column a view reads: those views are recreated after (if they still can be)
    await withDependentViewsDetached(app, newName, async () => {
      for (const oldField of dropped) {
        await db.run(`ALTER TABLE ${quoteName(newName)} DROP COLUMN ${quoteName(oldField.name)}`);
      }
    });
  }

  // temporary names avoid collisions when names are swapped (title,name → name,title)
  const toRename = new Map<string, string>();
  for (const field of next.fields) {
    const oldField = prev.fields.getById(field.id);
    if (!oldField) {
      const temp = field.name + pseudorandomString(5);
      toRename.set(temp, field.name);
      await db.run(`ALTER TABLE ${quoteName(newName)} ADD ${quoteName(temp)} ${field.columnType(db.dialect)}`);
    } else if (oldField.name !== field.name) {
      const temp = field.name + pseudorandomString(5);
      toRename.set(temp, field.name);
      await db.run(`ALTER TABLE ${quoteName(newName)} RENAME COLUMN ${quoteName(oldField.name)} TO ${quoteName(temp)}`);
    }
  }
  for (const [temp, actual] of toRename) {
    await db.run(`ALTER TABLE ${quoteName(newName)} RENAME COLUMN ${quoteName(temp)} TO ${quoteName(actual)}`);
  }

  await normalizeSingleVsMultipleFieldChanges(app, next, prev);

  if (needIndexes) await createCollectionIndexes(app, next);
  await db.optimize();
}

/** Converts the data of fields that switched between single and multiple values. */
async function normalizeSingleVsMultipleFieldChanges(app: App, next: Collection, prev: Collection): Promise<void> {
  const db = app.db;
  const quoteName = (name: string) => db.dialect.quoteIdent(name);
  for (const field of next.fields) {
    const oldField = prev.fields.getById(field.id);
    const wasMultiple = oldField && isMultiValuer(oldField) ? oldField.isMultiple() : false;
    const isMultiple = isMultiValuer(field) ? field.isMultiple() : false;
    if (wasMultiple === isMultiple) continue;

    // views referencing the column would break the rename: drop them and restore them after (on
    // PostgreSQL only those reading the table, deepest first, which its catalog order would not give)
    const pgDependents = await detachDependentViews(app, next.name);
    const views =
      db.dialect.name === "postgres" ? [] : await db.all<{ name: string; sql: string }>(db.dialect.catalog.views);
    for (const v of views) await deleteView(app, v.name);

    const table = quoteName(next.name);
    const col = quoteName(field.name);
    const temp = quoteName("_" + field.name + pseudorandomString(5));
    await db.run(`ALTER TABLE ${table} RENAME COLUMN ${col} TO ${temp}`);
    await db.run(`ALTER TABLE ${table} ADD ${col} ${field.columnType(db.dialect)}`);
    if (isMultiple) {
      // single → multiple: wrap the value in a JSON array
      await db.run(
        `UPDATE ${table} set ${col} = (CASE WHEN COALESCE(${temp}, '') = '' THEN '[]' ELSE (${db.dialect.toJsonArray(temp)}) END)`,
      );
    } else {
      // multiple → single: keep the last element (files themselves are left for migrations to handle)
      await db.run(
        `UPDATE ${table} set ${col} = (CASE WHEN COALESCE(${temp}, '[]') = '[]' THEN '' ELSE (${db.dialect.lastJsonItem(temp)}) END)`,
      );
    }
    await db.run(`ALTER TABLE ${table} DROP COLUMN ${temp}`);

    for (const v of views) await db.run(v.sql);
    await reattachViews(app, pgDependents);
  }
}

/** Drops every index the collection declares. */
async function dropCollectionIndexes(app: App, c: Collection): Promise<void> {
  if (c.isView()) return;
  for (const raw of c.indexes) {
    const parsed = parseIndex(raw);
    // the table name may be missing in a stored statement, so only the index name is required
    if (parsed.indexName === "") throw new Error(`failed to drop index - missing index name: ${raw}`);
    await app.db.run(`DROP INDEX IF EXISTS ${app.db.dialect.quoteIdent(parsed.indexName)}`);
  }
}

/** Creates the collection's indexes in their normalized form; failures come back as `indexes` validation errors. */
async function createCollectionIndexes(app: App, c: Collection): Promise<void> {
  if (c.isView()) return;
  const errors: { [key: string]: { code: string; message: string } } = {};
  for (let i = 0; i < c.indexes.length; i++) {
    const parsed = parseIndex(c.indexes[i]!);
    parsed.tableName = c.name;
    if (!isValidIndex(parsed)) {
      errors[i] = { code: "validation_invalid_index_expression", message: "Invalid CREATE INDEX expression." };
      continue;
    }
    try {
      // run() compiles only the first statement: text stacked after `;` (e.g. in the WHERE clause)
      // never runs, where exec() would execute every statement of the string
      await app.db.run(app.db.dialect.buildIndex(parsed));
    } catch (err) {
      errors[i] = {
        code: "validation_invalid_index_expression",
        message: `Failed to create index ${parsed.indexName} - ${(err as Error).message}.`,
      };
    }
  }
  if (Object.keys(errors).length > 0) throw new ValidationErrors({ indexes: new ValidationErrors(errors) });
}

export { deleteView, saveView } from "./view.ts";
