/** Ensures the `_collections` type index and clears the delete rule of `_mfas` and `_otps`. */
import { registerSystemMigration, type Migration } from "../src/core/migrations_runner.ts";
import { saveCollectionNoValidate } from "../src/core/collection_save.ts";
import { dbxQuote } from "../src/tools/sql/dbx.ts";
import { findCollectionByNameOrId } from "../src/core/collection_query.ts";
import { COLLECTION_NAME_MFAS, COLLECTION_NAME_OTPS } from "../src/core/collection.ts";

export const migration: Migration = {
  file: "1717233557_v0.23_migrate2.go",
  async up(app) {
    await app.db.run(
      dbxQuote(app.db.dialect).expand(
        "CREATE INDEX IF NOT EXISTS idx__collections_type on {{_collections}} ([[type]]);",
      ),
    );
    for (const name of [COLLECTION_NAME_MFAS, COLLECTION_NAME_OTPS]) {
      const col = await findCollectionByNameOrId(app, name);
      if (!col) throw new Error(`missing collection ${name}`);
      if (col.deleteRule !== null) {
        col.deleteRule = null;
        await saveCollectionNoValidate(app, col);
      }
    }
  },
};

registerSystemMigration(migration);
