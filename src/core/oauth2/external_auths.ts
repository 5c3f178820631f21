/**
 * `_externalAuths` rows: which provider account (provider + providerId) is linked to which auth
 * record. Lookups return plain Records of that system collection.
 */
import type { App } from "../app.ts";
import { COLLECTION_NAME_EXTERNAL_AUTHS } from "../collection.ts";
import { Record } from "../record.ts";
import { deleteRecord, saveRecord } from "../record_save.ts";

function externalAuthsCollection(app: App) {
  const c = app.findCollection(COLLECTION_NAME_EXTERNAL_AUTHS);
  if (!c) throw new Error("missing _externalAuths collection");
  return c;
}

/** The link of `providerId` at `provider` for the collection, or null. */
export async function findExternalAuth(
  app: App,
  collectionId: string,
  provider: string,
  providerId: string,
): Promise<Record | null> {
  const c = externalAuthsCollection(app);
  const q = app.db.dialect.quoteIdent;
  const row = await app.db.get<{ [k: string]: unknown }>(
    `SELECT * FROM ${q("_externalAuths")} WHERE ${q("collectionRef")} = ? AND ${q("provider")} = ? AND ${q("providerId")} = ? LIMIT 1`,
    [collectionId, provider, providerId],
  );
  return row ? Record.fromRow(c, row) : null;
}

/** Every link of an auth record, oldest first. */
export async function findExternalAuthsByRecord(app: App, record: Record): Promise<Record[]> {
  const c = externalAuthsCollection(app);
  const d = app.db.dialect;
  const q = d.quoteIdent;
  const rows = await app.db.all<{ [k: string]: unknown }>(
    `SELECT * FROM ${q("_externalAuths")} WHERE ${q("collectionRef")} = ? AND ${q("recordRef")} = ? ORDER BY ${q("created")} ASC, ${d.rowid} ASC`,
    [record.collection.id, record.id],
  );
  return rows.map((row) => Record.fromRow(c, row));
}

/** Deletes every link of an auth record (through the normal delete hooks). */
export async function deleteExternalAuthsByRecord(app: App, record: Record): Promise<void> {
  for (const ea of await findExternalAuthsByRecord(app, record)) await deleteRecord(app, ea);
}

/** Saves a new link of `record` to `providerId` at `provider`. */
export async function createExternalAuth(
  app: App,
  record: Record,
  provider: string,
  providerId: string,
): Promise<Record> {
  const ea = new Record(externalAuthsCollection(app));
  ea.set("collectionRef", record.collection.id);
  ea.set("recordRef", record.id);
  ea.set("provider", provider);
  ea.set("providerId", providerId);
  await saveRecord(app, ea);
  return ea;
}
