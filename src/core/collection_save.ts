/**
 * Persisting collections: the `_collections` row plus the record table (or SQL view) and its indexes,
 * as upstream's onCollectionSave/onCollectionSaveExecute and SyncRecordTableSchema do. Every DDL string
 * is issued exactly as upstream issues it, so `sqlite_master` ends up byte-identical.
 */
import type { App } from "./app.ts";
import { ValidationErrors } from "./errors.ts";
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

import { buildIndex, isValidIndex, parseIndex, splitTokens } from "./collection_index.ts";
import { findCollectionById, findCollectionReferences, tableExists } from "./collection_query.ts";
import { FieldsList, isMultiValuer, nowDateTime } from "./fields/index.ts";

/** System collections whose rows point at an auth collection through `collectionRef`. */
const AUTH_HELPER_COLLECTIONS = [
  COLLECTION_NAME_MFAS,
  COLLECTION_NAME_OTPS,
  COLLECTION_NAME_AUTH_ORIGINS,
  COLLECTION_NAME_EXTERNAL_AUTHS,
];

/** Backtick-quotes an identifier as dbx does for SQLite (names already holding a backtick pass as-is). */
export function quoteName(name: string): string {
  return name.includes("`") ? name : "`" + name + "`";
}

/** dbx's table-name quoting: each dot-separated part backticked; expressions pass as-is. */
export function quoteTableName(name: string): string {
  if (name.includes("(") || name.includes("{{")) return name;
  return name.split(".").map(quoteName).join(".");
}

/** dbx's column-name quoting: an optional table prefix, then the backticked column. */
export function quoteColumnName(name: string): string {
  if (name.includes("(") || name.includes("{{") || name.includes("[[")) return name;
  const simple = (col: string) => (col === "*" ? col : quoteName(col));
  const dot = name.lastIndexOf(".");
  if (dot === -1) return simple(name);
  return quoteTableName(name.slice(0, dot)) + "." + simple(name.slice(dot + 1));
}

/**
 * Expands dbx's `{{table}}` and `[[column]]` placeholders into backtick-quoted names, as upstream's
 * query builder does before executing raw SQL (so DDL lands in sqlite_master exactly as upstream's).
 */
export function expandDbxPlaceholders(sql: string): string {
  return sql.replace(/\{\{[\w\-. ]+\}\}|\[\[[\w\-. ]+\]\]/g, (m) =>
    m[0] === "{" ? quoteTableName(m.slice(2, -2)) : quoteColumnName(m.slice(2, -2)),
  );
}

/** Options of `saveCollection`. */
export interface SaveCollectionOptions {
  /** Run the collection validators first (default true). */
  validate?: boolean;
}

/**
 * Saves a collection: normalizes it (default id, system fields, field ids, index table names), writes
 * its `_collections` row, creates or syncs its table or view and indexes, all in one transaction
 * (joining the caller's), then reloads the app's collection cache. The collection is updated in place
 * (timestamps, ids) and marked as stored.
 */
export async function saveCollection(app: App, collection: Collection, opts: SaveCollectionOptions = {}): Promise<void> {
  const c = collection;
  if (!c.type) c.type = "base";

  const isNew = c.isNew();
  let committed = false;
  try {
    // everything that reads the DB runs under the write lock: on the one shared connection a read
    // outside it could see another request's uncommitted transaction
    await app.runInTransaction(async () => {
      if (isNew) {
        c.initDefaultId();
        c.created = nowDateTime();
      }
      c.updated = nowDateTime();

      // re-add the fields so ids are generated and duplicates by name/id collapse as upstream does
      c.fields = FieldsList.create(...c.fields);
      c.initDefaultFields();
      if (c.isAuth()) c.unsetMissingOAuth2MappedFields();
      if (isNew) updateGeneratedIdIfExists(app, c);

      // indexes always target the collection's current table
      c.indexes = c.indexes.map((raw) => {
        const parsed = parseIndex(raw);
        if (parsed.tableName === c.name) return raw;
        parsed.tableName = c.name;
        return buildIndex(parsed) || raw;
      });

      if (opts.validate !== false) {
        // TODO(collections validation issue): run upstream's collection validator here
        // (names, rules, fields settings, indexes, auth options) and throw ValidationErrors.
      }

      // the previous state, read fresh from the DB so a mutated cached instance cannot mask changes
      const old = isNew ? null : findCollectionById(app, c.lastSavedId);
      if (!isNew && !old) throw new Error(`failed to find the stored collection ${JSON.stringify(c.lastSavedId)}`);

      // changing authRule invalidates every auth token issued so far (null and "" count as equal)
      if (old && (old.authRule ?? "") !== (c.authRule ?? "")) c.authToken.secret = newTokenSecret();

      if (c.name === COLLECTION_NAME_SUPERUSERS || old?.name === COLLECTION_NAME_SUPERUSERS) enforceSuperusersOptions(c);

      if (c.isView()) {
        // TODO(view collections issue): infer c.fields from the query (CreateViewFields) and wrap a
        // non-text id (normalizeViewQueryId); for now the given fields are kept.
        if (old) deleteView(app, old.name);
        saveView(app, c.name, c.viewQuery);
      }

      writeCollectionRow(app, c, isNew);

      if (!c.isView()) syncRecordTableSchema(app, c, old);

      if (old && old.name !== c.name) await renameRateLimitLabels(app, old.name, c.name);
    });
    committed = true;
  } finally {
    refreshCollections(app, committed);
  }
  c.markAsNotNew();
  // TODO(view collections issue): re-save the views depending on this collection (resaveViewsWithChangedFields).
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

/** Saves without running the validators (upstream's SaveNoValidate). */
export function saveCollectionNoValidate(app: App, collection: Collection): Promise<void> {
  return saveCollection(app, collection, { validate: false });
}

/**
 * Deletes a collection: its table or view and its row. System collections and collections still
 * referenced by relation fields cannot be deleted.
 */
export async function deleteCollection(app: App, collection: Collection): Promise<void> {
  if (collection.system) throw new Error(`[${collection.name}] system collections cannot be deleted`);
  let committed = false;
  try {
    await app.runInTransaction(() => {
      const refs = findCollectionReferences(app, collection, collection.id);
      if (refs.size > 0) {
        const names = [...refs.keys()].map((c) => c.name).join(", ");
        throw new Error(`[${collection.name}] failed to delete due to existing relation references: ${names}`);
      }
      const id = collection.lastSavedId || collection.id;
      if (collection.isView()) deleteView(app, collection.name);
      else app.db.run(`DROP TABLE IF EXISTS ${quoteName(collection.name)}`);
      app.db.query("DELETE FROM `_collections` WHERE `id` = ?").run(id);
      if (collection.isAuth()) {
        // the auth helper rows (MFA sessions, OTPs, login origins, OAuth2 links) go with their collection
        // TODO(records issue): delete them as records so record hooks fire, as upstream does
        for (const table of AUTH_HELPER_COLLECTIONS) {
          if (tableExists(app.db, table)) app.db.query(`DELETE FROM ${quoteName(table)} WHERE \`collectionRef\` = ?`).run(id);
        }
      }
    });
    committed = true;
  } finally {
    refreshCollections(app, committed);
  }
  collection.markAsNew();
}

/**
 * Reloads the app's collection cache; once a change is committed (not merely part of a caller's
 * still-open transaction) other processes sharing the pb_data are told as well.
 */
function refreshCollections(app: App, committed: boolean): void {
  if (committed && !app.inTransaction) app.collectionsChanged();
  else app.reloadCollections();
}

/** A new collection's checksum id is bumped with 2..999 when another collection already has it. */
function updateGeneratedIdIfExists(app: App, c: Collection): void {
  if (c.id === "" || c.id !== c.autogeneratedId) return; // cleared or set by hand
  const base = c.idChecksum();
  let newId = base;
  const exists = app.db.query("SELECT 1 FROM `_collections` WHERE `id` = ? LIMIT 1");
  for (let i = 2; i < 1000 && exists.get(newId) != null; i++) newId = base + i;
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
function writeCollectionRow(app: App, c: Collection, isNew: boolean): void {
  const row = c.toRow() as unknown as { [key: string]: string | number | null };
  const names = Object.keys(row).sort();
  const values = names.map((n) => row[n]!);
  if (isNew) {
    const cols = names.map(quoteName).join(", ");
    app.db.query(`INSERT INTO \`_collections\` (${cols}) VALUES (${names.map(() => "?").join(", ")})`).run(...values);
    return;
  }
  if (c.id !== c.lastSavedId) throw new Error("primary key change is not allowed");
  const sets = names.map((n) => `${quoteName(n)}=?`).join(", ");
  app.db.query(`UPDATE \`_collections\` SET ${sets} WHERE \`id\`=?`).run(...values, c.lastSavedId);
}

// --- record table sync ------------------------------------------------------------------------------

/**
 * Creates the record table of `next` (when `prev` is null or its table is missing) or applies the
 * differences from `prev`: rename, dropped/added/renamed columns (via temporary names, as upstream),
 * single↔multiple value conversions, and index recreation when anything relevant changed.
 */
export function syncRecordTableSchema(app: App, next: Collection, prev: Collection | null): void {
  if (next.isView()) return;
  const db = app.db;

  if (!prev || !tableExists(db, prev.name)) {
    const cols = new Map<string, string>();
    for (const f of next.fields) cols.set(f.name, f.columnType());
    const defs = [...cols.keys()].sort().map((name) => quoteName(name) + " " + cols.get(name));
    db.run(`CREATE TABLE ${quoteName(next.name)} (${defs.join(", ")})`);
    createCollectionIndexes(app, next);
    db.run("PRAGMA optimize");
    return;
  }

  const oldName = prev.name;
  const newName = next.name;
  const needRename = oldName.toLowerCase() !== newName.toLowerCase();
  const fieldsText = (c: Collection) => JSON.stringify(c.fields.map((f) => f.toJSON()));
  const needIndexes =
    needRename || fieldsText(prev) !== fieldsText(next) || JSON.stringify(prev.indexes) !== JSON.stringify(next.indexes);

  if (needIndexes) dropCollectionIndexes(app, prev);

  if (needRename) db.run(`ALTER TABLE ${quoteName(oldName)} RENAME TO ${quoteName(newName)}`);

  for (const oldField of prev.fields) {
    if (next.fields.getById(oldField.id)) continue;
    db.run(`ALTER TABLE ${quoteName(newName)} DROP COLUMN ${quoteName(oldField.name)}`);
  }

  // temporary names avoid collisions when names are swapped (title,name → name,title)
  const toRename = new Map<string, string>();
  for (const field of next.fields) {
    const oldField = prev.fields.getById(field.id);
    if (!oldField) {
      const temp = field.name + pseudorandomString(5);
      toRename.set(temp, field.name);
      db.run(`ALTER TABLE ${quoteName(newName)} ADD ${quoteName(temp)} ${field.columnType()}`);
    } else if (oldField.name !== field.name) {
      const temp = field.name + pseudorandomString(5);
      toRename.set(temp, field.name);
      db.run(`ALTER TABLE ${quoteName(newName)} RENAME COLUMN ${quoteName(oldField.name)} TO ${quoteName(temp)}`);
    }
  }
  for (const [temp, actual] of toRename) {
    db.run(`ALTER TABLE ${quoteName(newName)} RENAME COLUMN ${quoteName(temp)} TO ${quoteName(actual)}`);
  }

  normalizeSingleVsMultipleFieldChanges(app, next, prev);

  if (needIndexes) createCollectionIndexes(app, next);
  db.run("PRAGMA optimize");
}

/** Converts the data of fields that switched between single and multiple values. */
function normalizeSingleVsMultipleFieldChanges(app: App, next: Collection, prev: Collection): void {
  const db = app.db;
  for (const field of next.fields) {
    const oldField = prev.fields.getById(field.id);
    const wasMultiple = oldField && isMultiValuer(oldField) ? oldField.isMultiple() : false;
    const isMultiple = isMultiValuer(field) ? field.isMultiple() : false;
    if (wasMultiple === isMultiple) continue;

    // views referencing the column would break the rename: drop them and restore them after
    const views = db
      .query("SELECT `name`, `sql` FROM `sqlite_master` WHERE sql is not null AND `type`='view'")
      .all() as { name: string; sql: string }[];
    for (const v of views) deleteView(app, v.name);

    const table = quoteName(next.name);
    const col = quoteName(field.name);
    const temp = quoteName("_" + field.name + pseudorandomString(5));
    db.run(`ALTER TABLE ${table} RENAME COLUMN ${col} TO ${temp}`);
    db.run(`ALTER TABLE ${table} ADD ${col} ${field.columnType()}`);
    if (isMultiple) {
      // single → multiple: wrap the value in a JSON array
      db.run(
        `UPDATE ${table} set ${col} = (CASE WHEN COALESCE(${temp}, '') = '' THEN '[]' ELSE (` +
          `CASE WHEN json_valid(${temp}) AND json_type(${temp}) == 'array' THEN ${temp} ELSE json_array(${temp}) END) END)`,
      );
    } else {
      // multiple → single: keep the last element (files themselves are left for migrations to handle)
      db.run(
        `UPDATE ${table} set ${col} = (CASE WHEN COALESCE(${temp}, '[]') = '[]' THEN '' ELSE (` +
          `CASE WHEN json_valid(${temp}) AND json_type(${temp}) == 'array' THEN COALESCE(json_extract(${temp}, '$[#-1]'), '') ELSE ${temp} END) END)`,
      );
    }
    db.run(`ALTER TABLE ${table} DROP COLUMN ${temp}`);

    for (const v of views) db.run(v.sql);
  }
}

/** Drops every index the collection declares. */
function dropCollectionIndexes(app: App, c: Collection): void {
  if (c.isView()) return;
  for (const raw of c.indexes) {
    const parsed = parseIndex(raw);
    // the table name may be missing in a stored statement, so only the index name is required
    if (parsed.indexName === "") throw new Error(`failed to drop index - missing index name: ${raw}`);
    app.db.run(`DROP INDEX IF EXISTS ${quoteName(parsed.indexName)}`);
  }
}

/** Creates the collection's indexes in their normalized form; failures come back as `indexes` validation errors. */
function createCollectionIndexes(app: App, c: Collection): void {
  if (c.isView()) return;
  const errors: { [key: string]: { code: string; message: string } } = {};
  c.indexes.forEach((raw, i) => {
    const parsed = parseIndex(raw);
    parsed.tableName = c.name;
    if (!isValidIndex(parsed)) {
      errors[i] = { code: "validation_invalid_index_expression", message: "Invalid CREATE INDEX expression." };
      return;
    }
    try {
      app.db.run(buildIndex(parsed));
    } catch (err) {
      errors[i] = {
        code: "validation_invalid_index_expression",
        message: `Failed to create index ${parsed.indexName} - ${(err as Error).message}.`,
      };
    }
  });
  if (Object.keys(errors).length > 0) throw new ValidationErrors({ indexes: new ValidationErrors(errors) });
}

// --- views ----------------------------------------------------------------------------------------

/** Drops a SQL view if it exists. */
export function deleteView(app: App, name: string): void {
  app.db.run(`DROP VIEW IF EXISTS ${quoteName(name)}`);
}

/** (Re)creates a SQL view from one SELECT, wrapped as upstream wraps it. */
export function saveView(app: App, name: string, selectQuery: string): void {
  deleteView(app, name);
  const query = selectQuery.trim().replace(/^;+|;+$/g, "");
  const parts = splitTokens(query, ";");
  if (parts && parts.length > 1) throw new Error("multiple statements are not supported");
  app.db.run(`CREATE VIEW ${quoteName(name)} AS SELECT * FROM (${query})`);
  try {
    // a missing table or column only shows when the view is read
    app.db.query(`PRAGMA table_info(${quoteName(name)})`).all();
  } catch (err) {
    deleteView(app, name);
    throw err;
  }
}

