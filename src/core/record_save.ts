/**
 * Minimal record persistence: insert or update a row with autodate, id and tokenKey defaults.
 * The records API brings validation, modifiers and the model hooks around this step.
 */
import type { App } from "./app.ts";
import { AutodateField } from "./fields/index.ts";
import { Record, newRecordId, nowDateTime } from "./record.ts";
import { quoteIdent } from "./record_query.ts";
import { randomString } from "../tools/security/random.ts";

/** Writes `record` to its table inside the write lock, filling id, tokenKey and autodates. */
export async function persistRecord(app: App, record: Record): Promise<void> {
  const isNew = record.isNew;
  const now = nowDateTime();
  if (!record.id) record.id = newRecordId();
  if (record.collection.type === "auth" && !record.tokenKey()) record.set("tokenKey", randomString(50));
  for (const f of record.fields()) {
    if (!(f instanceof AutodateField)) continue;
    if ((isNew && f.onCreate) || (!isNew && f.onUpdate)) record.set(f.name, now);
  }
  const row = record.toRow();
  const cols = Object.keys(row);
  const table = quoteIdent(record.collection.name);
  await app.runInTransaction(() => {
    if (isNew) {
      const sql = `INSERT INTO ${table} (${cols.map(quoteIdent).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`;
      app.db.query(sql).run(...cols.map((c) => row[c]!));
    } else {
      const sql = `UPDATE ${table} SET ${cols.map((c) => `${quoteIdent(c)} = ?`).join(", ")} WHERE \`id\` = ?`;
      app.db.query(sql).run(...cols.map((c) => row[c]!), record.originalId);
    }
  });
  record.originalId = record.id;
}

/** Deletes `record`'s row. */
export async function deleteRecordRow(app: App, record: Record): Promise<void> {
  await app.runInTransaction(() => {
    app.db.query(`DELETE FROM ${quoteIdent(record.collection.name)} WHERE \`id\` = ?`).run(record.originalId || record.id);
  });
}
