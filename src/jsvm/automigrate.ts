/**
 * Automigrate (`--automigrate`, upstream's migratecmd): every collection change made through the
 * collections API writes a JS migration replaying it, and records it as applied locally. Saves
 * from hooks, migrations and the import endpoint do not produce files.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../core/app.ts";
import type { Collection } from "../core/collection.ts";
import type { CollectionRequestEvent } from "../core/events.ts";
import { MIGRATIONS_TABLE, nowMicros } from "../core/migrations_runner.ts";
import { EmptyTemplateError, diffTemplate } from "./migrate_templates.ts";

/** A name ending in "test" gets a trailing "_" so the file never ends in `_test.js`. */
export function normalizeCollectionName(name: string): string {
  return name.toLowerCase().endsWith("test") ? name + "_" : name;
}

/** Binds automigrate on the collection create/update/delete request hooks. */
export function registerAutomigrate(app: App, dir: string): void {
  const handler = async (e: CollectionRequestEvent) => {
    let old: Collection | null = null;
    if (!e.collection.isNew()) old = e.app.findCollection(e.collection.id)?.clone() ?? null;
    await e.next();
    const next = app.findCollection(e.collection.id)?.clone() ?? null;

    let template: string;
    try {
      template = diffTemplate(next, old);
    } catch (err) {
      if (err instanceof EmptyTemplateError) return;
      throw new Error(`failed to resolve template: ${(err as Error).message}`);
    }
    const action = !next
      ? "deleted_" + normalizeCollectionName(old!.name)
      : !old
        ? "created_" + normalizeCollectionName(next.name)
        : "updated_" + normalizeCollectionName(old.name);
    const name = `${Math.floor(Date.now() / 1000)}_${action}.js`;
    await app.runInTransaction(async () => {
      const q = app.db.dialect.quoteIdent;
      await app.db.run(`INSERT INTO ${q(MIGRATIONS_TABLE)} (${q("file")}, ${q("applied")}) VALUES (?, ?)`, [
        name,
        nowMicros(),
      ]);
      try {
        mkdirSync(dir, { recursive: true });
      } catch (err) {
        throw new Error(`failed to create migration dir: ${(err as Error).message}`);
      }
      try {
        writeFileSync(join(dir, name), template, { mode: 0o644 });
      } catch (err) {
        throw new Error(`failed to save automigrate file: ${(err as Error).message}`);
      }
    });
  };
  app.onCollectionCreateRequest.bindFunc(handler);
  app.onCollectionUpdateRequest.bindFunc(handler);
  app.onCollectionDeleteRequest.bindFunc(handler);
}
