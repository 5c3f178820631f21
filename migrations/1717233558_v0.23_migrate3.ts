/**
 * Normalizes the ids of the system collections to `pbc_<crc32(type+name)>` and of their system
 * fields to `<type><crc32(name)>` (pre-release v0.23 data used other ids). On a fresh DB nothing changes.
 */
import type { App } from "../src/core/app.ts";
import { registerSystemMigration, type Migration } from "../src/core/migrations_runner.ts";
import { saveCollectionNoValidate } from "../src/core/collection_save.ts";
import { findAllCollections, findCollectionReferences } from "../src/core/collection_query.ts";
import {
  COLLECTION_NAME_AUTH_ORIGINS,
  COLLECTION_NAME_EXTERNAL_AUTHS,
  COLLECTION_NAME_MFAS,
  COLLECTION_NAME_OTPS,
  COLLECTION_NAME_SUPERUSERS,
} from "../src/core/collection.ts";
import { RelationField, crc32Checksum, defaultFieldId, nowDateTime } from "../src/core/fields/index.ts";

const SYSTEM_NAMES = [
  COLLECTION_NAME_MFAS,
  COLLECTION_NAME_OTPS,
  COLLECTION_NAME_EXTERNAL_AUTHS,
  COLLECTION_NAME_AUTH_ORIGINS,
  COLLECTION_NAME_SUPERUSERS,
];

/** Points the `collectionRef` of the auth-helper records at the collection's new id. */
async function updateCollectionRefs(app: App, oldId: string, newId: string): Promise<void> {
  for (const table of [COLLECTION_NAME_AUTH_ORIGINS, COLLECTION_NAME_MFAS, COLLECTION_NAME_OTPS]) {
    const q = app.db.dialect.quoteIdent;
    await app.db.run(
      `UPDATE ${q(table)} SET ${q("collectionRef")} = ?, ${q("updated")} = ? WHERE ${q("collectionRef")} = ?`,
      [newId, nowDateTime(), oldId],
    );
  }
}

export const migration: Migration = {
  file: "1717233558_v0.23_migrate3.go",
  async up(app) {
    const collections = (await findAllCollections(app)).filter((c) => SYSTEM_NAMES.includes(c.name));
    for (const c of collections) {
      const references = await findCollectionReferences(app, c, c.id);
      const originalId = c.id;
      let needUpdate = false;

      const checksum = "pbc_" + crc32Checksum(c.type + c.name);
      if (c.id !== checksum) {
        c.id = checksum;
        needUpdate = true;
      }
      for (const f of c.fields) {
        if (!f.system) continue;
        const id = defaultFieldId(f.type, f.name);
        if (f.id !== id) {
          f.id = id;
          needUpdate = true;
        }
      }
      if (!needUpdate) continue;

      // a direct row update: the id itself changes, which a regular save refuses
      const row = c.toRow() as unknown as { [key: string]: string | number | null };
      const names = Object.keys(row).sort();
      const q = (name: string) => app.db.dialect.quoteIdent(name);
      await app.db.run(`UPDATE ${q("_collections")} SET ${names.map((n) => `${q(n)}=?`).join(", ")} WHERE ${q("id")}=?`, [
        ...names.map((n) => row[n]!),
        originalId,
      ]);
      c.markAsNotNew();
      await app.reloadCollections();

      // upstream skips the relation fields here by an inverted check, leaving them dangling;
      // they are re-pointed at the new id instead
      for (const [refCollection, fields] of references) {
        for (const f of fields) if (f instanceof RelationField && f.collectionId === originalId) f.collectionId = c.id;
        await saveCollectionNoValidate(app, refCollection);
      }

      await updateCollectionRefs(app, originalId, c.id);
    }
  },
};

registerSystemMigration(migration);
