/**
 * For every non-system, non-view collection: adopts indexes that exist in sqlite_master but not in
 * the collection's `indexes` (recreating them in normalized form), then re-saves the collection so
 * all its indexes are normalized. On a fresh DB this only re-saves `users`.
 */
import { registerSystemMigration, type Migration } from "../src/core/migrations_runner.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { findAllCollections } from "../src/core/collection_query.ts";
import { buildIndex, parseIndex, type IndexInfo } from "../src/core/collection_index.ts";
import { FIELD_NAME_EMAIL, FIELD_NAME_TOKEN_KEY } from "../src/core/collection.ts";

export const migration: Migration = {
  file: "1778828400_normalize_indexes.go",
  async up(app) {
    for (const collection of await findAllCollections(app)) {
      // system collection indexes cannot change and views have none
      if (collection.system || collection.isView()) continue;

      // the catalog's explicitly created indexes (automatic ones have no SQL)
      // (SQLite only: on other engines every index was made by the app from the collection's own list)
      const masterIndexes =
        app.db.dialect.name === "sqlite"
          ? [...(await app.tableIndexes(collection.name))].map(([name, sql]) => ({ name, sql }))
          : [];
      if (masterIndexes.length === 0 && collection.indexes.length === 0) continue;

      const known = collection.indexes.map((raw) => parseIndex(raw).indexName.toLowerCase()).filter((n) => n !== "");
      const missing: IndexInfo[] = [];
      for (const master of masterIndexes) {
        const parsed = parseIndex(master.sql);
        parsed.schemaName = "";
        parsed.tableName = collection.name;
        if (!known.includes(parsed.indexName.toLowerCase())) missing.push(parsed);
      }

      next: for (const idx of missing) {
        const sql = buildIndex(idx);
        if (sql === "") throw new Error(`failed to build sqlite_master index: ${JSON.stringify(idx)}`);

        // dropped now, recreated by the save below if adopted
        await app.db.run(`DROP INDEX ${app.db.dialect.quoteIdent(idx.indexName)}`);

        // auth collections always get their own unique tokenKey/email indexes: a second one is a duplicate
        const col = idx.columns[0]?.name.toLowerCase();
        if (
          collection.isAuth() &&
          idx.unique &&
          idx.columns.length === 1 &&
          (col === FIELD_NAME_TOKEN_KEY.toLowerCase() || col === FIELD_NAME_EMAIL.toLowerCase())
        ) {
          continue;
        }

        // the same definition already declared under another name
        for (const raw of collection.indexes) {
          const declared = parseIndex(raw);
          declared.indexName = idx.indexName;
          declared.schemaName = idx.schemaName;
          declared.tableName = idx.tableName;
          if (buildIndex(declared) === sql) continue next;
        }

        // probably created outside the app (e.g. with the sqlite3 CLI): keep it, the user decides
        collection.indexes.push(sql);
      }

      await saveCollection(app, collection);
    }
  },
};

registerSystemMigration(migration);
