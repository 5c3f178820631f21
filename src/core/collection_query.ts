/** Reading collections straight from `_collections` (fresh models, unlike the app's shared cache). */
import type { App } from "./app.ts";
import { Collection } from "./collection.ts";
import { RelationField, type Field } from "./fields/index.ts";

type Row = { [key: string]: unknown };

/** All collections, optionally of the given types, in rowid order (as upstream's FindAllCollections). */
export async function findAllCollections(app: App, ...types: string[]): Promise<Collection[]> {
  const unique = [...new Set(types.filter((t) => t !== ""))];
  const d = app.db.dialect;
  const where = unique.length > 0 ? ` WHERE ${d.quoteIdent("type")} IN (${unique.map(() => "?").join(", ")})` : "";
  const rows = await app.db.all<Row>(
    `SELECT * FROM ${d.quoteIdent("_collections")}${where} ORDER BY ${d.rowid} ASC`,
    unique,
  );
  return rows.map((row) => Collection.fromRow(row));
}

/**
 * One collection by id or case-insensitive name, from the DB (the older one wins a clash, as the cache); null when
 * missing.
 */
export async function findCollectionByNameOrId(app: App, nameOrId: string): Promise<Collection | null> {
  const d = app.db.dialect;
  const q = d.quoteIdent;
  const row = await app.db.get<Row>(
    `SELECT * FROM ${q("_collections")} WHERE ${q("id")} = ? OR LOWER(${q("name")}) = ? ORDER BY ${d.rowid} ASC LIMIT 1`,
    [nameOrId, nameOrId.toLowerCase()],
  );
  return row ? Collection.fromRow(row) : null;
}

/** True when a stored collection has exactly this id (read from the DB, not the cache). */
export async function collectionIdExists(app: App, id: string): Promise<boolean> {
  const q = app.db.dialect.quoteIdent;
  return (await app.db.get(`SELECT 1 FROM ${q("_collections")} WHERE ${q("id")} = ? LIMIT 1`, [id])) !== null;
}

/** One collection by exact id, from the DB; null when missing. */
export async function findCollectionById(app: App, id: string): Promise<Collection | null> {
  const q = app.db.dialect.quoteIdent;
  const row = await app.db.get<Row>(`SELECT * FROM ${q("_collections")} WHERE ${q("id")} = ? LIMIT 1`, [id]);
  return row ? Collection.fromRow(row) : null;
}

/**
 * The relation fields pointing at `collection`, grouped by the collection holding them
 * (collections whose id is in `excludeIds` are skipped; pass the collection's own id to skip self-references).
 */
export async function findCollectionReferences(
  app: App,
  collection: Collection,
  ...excludeIds: string[]
): Promise<Map<Collection, Field[]>> {
  const exclude = new Set(excludeIds.filter((id) => id !== ""));
  const result = new Map<Collection, Field[]>();
  for (const c of await findAllCollections(app)) {
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
