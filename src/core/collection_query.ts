/** Reading collections straight from `_collections` (fresh models, unlike the app's shared cache). */
import type { App } from "./app.ts";
import { Collection } from "./collection.ts";
import { RelationField, type Field } from "./fields/index.ts";

type Row = { [key: string]: unknown };

/** All collections, optionally of the given types, in rowid order (as upstream's FindAllCollections). */
export function findAllCollections(app: App, ...types: string[]): Collection[] {
  const unique = [...new Set(types.filter((t) => t !== ""))];
  const where = unique.length > 0 ? ` WHERE \`type\` IN (${unique.map(() => "?").join(", ")})` : "";
  const rows = app.db.query(`SELECT * FROM \`_collections\`${where} ORDER BY rowid ASC`).all(...unique) as Row[];
  return rows.map((row) => Collection.fromRow(row));
}

/**
 * One collection by id or case-insensitive name, from the DB (the older one wins a clash, as the cache); null when
 * missing.
 */
export function findCollectionByNameOrId(app: App, nameOrId: string): Collection | null {
  const row = app.db
    .query("SELECT * FROM `_collections` WHERE `id` = ? OR LOWER(`name`) = ? ORDER BY `rowid` ASC LIMIT 1")
    .get(nameOrId, nameOrId.toLowerCase()) as Row | null;
  return row ? Collection.fromRow(row) : null;
}

/** One collection by exact id, from the DB; null when missing. */
export function findCollectionById(app: App, id: string): Collection | null {
  const row = app.db.query("SELECT * FROM `_collections` WHERE `id` = ? LIMIT 1").get(id) as Row | null;
  return row ? Collection.fromRow(row) : null;
}

/**
 * The relation fields pointing at `collection`, grouped by the collection holding them
 * (collections whose id is in `excludeIds` are skipped; pass the collection's own id to skip self-references).
 */
export function findCollectionReferences(
  app: App,
  collection: Collection,
  ...excludeIds: string[]
): Map<Collection, Field[]> {
  const exclude = new Set(excludeIds.filter((id) => id !== ""));
  const result = new Map<Collection, Field[]>();
  for (const c of findAllCollections(app)) {
    if (exclude.has(c.id)) continue;
    for (const f of c.fields) {
      if (f instanceof RelationField && f.collectionId === collection.id) {
        const list = result.get(c) ?? [];
        list.push(f);
        result.set(c, list);
      }
    }
  }
  return result;
}

/** True when a table or view named `name` exists in `db` (case-insensitive, as upstream's HasTable). */
export function tableExists(db: App["db"], name: string): boolean {
  return (
    db
      .query("SELECT 1 FROM sqlite_master WHERE `type` IN ('table', 'view') AND LOWER(`name`) = LOWER(?) LIMIT 1")
      .get(name) != null
  );
}
