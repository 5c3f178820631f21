/** Record lookups by id and by field, returning Record models (null when absent). */
import type { App } from "./app.ts";
import type { Collection } from "./collection.ts";
import { Record } from "./record.ts";

function collectionOf(app: App, c: Collection | string): Collection | null {
  return typeof c === "string" ? app.findCollection(c) : c;
}

/**
 * Rows of `collection` matching `where` (a condition built with the dialect's identifier quoting
 * and `?` placeholders), newest first with the insertion order breaking ties: the order upstream's
 * auth system tables (`_otps`, `_mfas`, `_authOrigins`) are read in.
 */
export async function findRecordsNewestFirst(
  app: App,
  collection: Collection,
  where: (q: (name: string) => string) => string,
  args: readonly string[],
): Promise<Record[]> {
  const d = app.db.dialect;
  const q = d.quoteIdent;
  const sql = `SELECT * FROM ${q(collection.name)} WHERE ${where(q)} ORDER BY ${q("created")} DESC, ${d.rowid} DESC`;
  return (await app.db.all<{ [k: string]: unknown }>(sql, args)).map((row) => Record.fromRow(collection, row));
}

export async function findRecordById(app: App, collection: Collection | string, id: string): Promise<Record | null> {
  const col = collectionOf(app, collection);
  if (!col || !id) return null;
  const q = app.db.dialect.quoteIdent;
  const row = await app.db.get<{ [k: string]: unknown }>(`SELECT * FROM ${q(col.name)} WHERE ${q("id")} = ? LIMIT 1`, [
    id,
  ]);
  return row ? Record.fromRow(col, row) : null;
}

/**
 * The first record whose `field` equals `value`. As upstream, the match is case-insensitive only when
 * the field's single-column unique index declares `COLLATE NOCASE`.
 */
export async function findFirstRecordByField(
  app: App,
  collection: Collection | string,
  field: string,
  value: unknown,
): Promise<Record | null> {
  const col = collectionOf(app, collection);
  if (!col) return null;
  if (!col.fields.getByName(field)) return null;
  const q = app.db.dialect.quoteIdent;
  const cmp = hasNocaseUniqueIndex(col, field) ? app.db.dialect.nocaseEq(q(field), "?") : `${q(field)} = ?`;
  const row = await app.db.get<{ [k: string]: unknown }>(`SELECT * FROM ${q(col.name)} WHERE ${cmp} LIMIT 1`, [value]);
  return row ? Record.fromRow(col, row) : null;
}

export function findAuthRecordByEmail(
  app: App,
  collection: Collection | string,
  email: string,
): Promise<Record | null> {
  return findFirstRecordByField(app, collection, "email", email);
}

export async function countRecords(
  app: App,
  collection: Collection | string,
  where = "1=1",
  ...args: (string | number)[]
): Promise<number> {
  const col = collectionOf(app, collection);
  if (!col) return 0;
  const q = app.db.dialect.quoteIdent;
  const row = await app.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${q(col.name)} WHERE ${where}`, args);
  return row!.n;
}

function hasNocaseUniqueIndex(col: Collection, field: string): boolean {
  const re = new RegExp(
    `^\\s*create\\s+unique\\s+index\\b[^(]*\\(\\s*[\`"'\\[]?${field}[\`"'\\]]?\\s+collate\\s+nocase\\s*\\)`,
    "i",
  );
  return col.indexes.some((idx) => re.test(idx));
}
