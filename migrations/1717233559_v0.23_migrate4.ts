/** Adds the hidden system `sentTo` text field to `_otps` when it is missing. */
import { registerSystemMigration, type Migration } from "../src/core/migrations_runner.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { findCollectionByNameOrId } from "../src/core/collection_query.ts";
import { COLLECTION_NAME_OTPS } from "../src/core/collection.ts";
import { TextField } from "../src/core/fields/index.ts";

export const migration: Migration = {
  file: "1717233559_v0.23_migrate4.go",
  async up(app) {
    const otps = await findCollectionByNameOrId(app, COLLECTION_NAME_OTPS);
    if (!otps) throw new Error(`missing collection ${COLLECTION_NAME_OTPS}`);
    if (otps.fields.getByName("sentTo")) return;
    otps.fields.add(new TextField({ name: "sentTo", system: true, hidden: true }));
    await saveCollection(app, otps);
  },
};

registerSystemMigration(migration);
