/**
 * Importing collections in bulk (upstream's core/collection_import.go), as the dashboard's
 * "Import collections" and `PUT /api/collections/import` do.
 */
import type { App } from "./app.ts";
import { Collection } from "./collection.ts";
import { findCollectionByNameOrId } from "./collection_query.ts";
import { CollectionValidator } from "./collection_validate.ts";
import { deleteCollection, saveCollectionNoValidate } from "./collection_save.ts";
import { ValidationErrors } from "./errors.ts";
import { lookupKey, toGoString } from "./fields/index.ts";
import { newError, rawErrorsJSON } from "./validators/validation.ts";

type JSONObject = { [key: string]: unknown };

/**
 * Imports `toImport` (collection JSON objects): each is matched to an existing collection by `id`,
 * else by `name`, and merged into it (fields absent from the import are kept unless `deleteMissing`,
 * system fields always); new ones are created. With `deleteMissing` the non-system collections
 * missing from the import are deleted. Views are saved last. Everything runs in one transaction:
 * the collections are saved first, then validated together (so they may reference each other), and
 * a validation failure rolls it all back with a `collections` error.
 */
export async function importCollections(app: App, toImport: JSONObject[], deleteMissing: boolean): Promise<void> {
  if (toImport.length === 0) throw new Error("no collections to import");

  await app.runInTransaction(async () => {
    const imported: Collection[] = [];
    const importedIds = new Set<string>();

    for (const raw of toImport) {
      const data = { ...raw };
      let identifier = toGoString(lookupKey(data, "id"));
      if (identifier === "") identifier = toGoString(lookupKey(data, "name"));
      const existing = identifier === "" ? null : await findCollectionByNameOrId(app, identifier);

      let c: Collection;
      if (existing) {
        c = existing.clone();
        if ((lookupKey(data, "fields") === undefined || lookupKey(data, "fields") === null) && deleteMissing)
          data.fields = [];
        c.mergeJSON(data);
        // keep the fields the import does not mention (always the system ones)
        for (const f of existing.fields) {
          if (!f.system && deleteMissing) continue;
          if (c.fields.getById(f.id)) continue;
          const sameName = c.fields.getByName(f.name);
          if (sameName && sameName.type === f.type) sameName.id = f.id;
          c.fields.add(f.clone());
        }
      } else {
        c = Collection.fromJSON(data);
      }
      imported.push(c);
      importedIds.add(c.id);
    }

    // views last (they read the others' tables), then by creation and update time
    const rank = (c: Collection) => (c.isView() ? 1 : -1);
    const order = imported.map((c, i) => ({ c, i }));
    order.sort(
      (a, b) => rank(a.c) - rank(b.c) || cmp(a.c.created, b.c.created) || cmp(a.c.updated, b.c.updated) || a.i - b.i,
    );
    const sorted = order.map((x) => x.c);

    const q = app.db.dialect.quoteIdent;
    const existingRows = await app.db.all<JSONObject>(
      `SELECT * FROM ${q("_collections")} ORDER BY ${q("updated")} ASC`,
    );
    const existingById = new Map<string, Collection>();
    for (const row of existingRows) {
      const c = Collection.fromRow(row);
      existingById.set(c.id, c);
    }

    if (deleteMissing) {
      for (const existing of existingById.values()) {
        if (importedIds.has(existing.id) || existing.system) continue;
        await deleteCollection(app, existing, { integrityChecks: false });
      }
    }

    for (const c of sorted) {
      try {
        await saveCollectionNoValidate(app, c);
      } catch (err) {
        // validation errors (e.g. an index that fails to build) are reported as they are
        if (err instanceof ValidationErrors) throw err;
        throw new Error(`failed to save collection ${JSON.stringify(c.name)}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }

    for (const c of sorted) {
      const original = existingById.get(c.id) ?? c;
      const err = await new CollectionValidator(app, c, original).run();
      if (err) {
        const details = JSON.stringify(rawErrorsJSON(err), null, 2);
        throw new ValidationErrors({
          collections: newError(
            "validation_collections_import_failure",
            `Data validations failed for collection ${JSON.stringify(c.name)} (${c.id}):\n${details}`,
          ),
        });
      }
    }
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
