/**
 * The v0.22 → v0.23 upgrade. A pb_data from v0.23 on (and every fresh one) already has `_mfas` and
 * `_authOrigins`, so the migration only gets recorded. Converting an older pb_data (admins, old
 * settings and schema) is not implemented: open it once with upstream v0.23+ first.
 */
import { registerSystemMigration, type Migration } from "../src/core/migrations_runner.ts";
import { COLLECTION_NAME_AUTH_ORIGINS, COLLECTION_NAME_MFAS } from "../src/core/collection.ts";

export const migration: Migration = {
  file: "1717233556_v0.23_migrate.go",
  async up(app) {
    if ((await app.hasTable(COLLECTION_NAME_MFAS)) && (await app.hasTable(COLLECTION_NAME_AUTH_ORIGINS))) return;
    throw new Error(
      "this pb_data predates PocketBase v0.23 and cannot be upgraded here; open it once with PocketBase v0.23 or newer first",
    );
  },
};

registerSystemMigration(migration);
