/** Record lookups by id and by field, returning Record models (null when absent). */
import type { App } from "./app.ts";
import type { Collection } from "./collection.ts";
import { Record } from "./record.ts";

/** Backtick-quotes an identifier for SQLite, doubling embedded backticks. */
export function quoteIdent(name: string): string {
  return "`" + name.replaceAll("`", "``") + "`";
}

function collectionOf(app: App, c: Collection | string): Collection | null {
  return typeof c === "string" ? app.findCollection(c) : c;
}

export function findRecordById(app: App, collection: Collection | string, id: string): Record | null {
  const col = collectionOf(app, collection);
  if (!col || !id) return null;
  const row = app.db.query(`SELECT * FROM ${quoteIdent(col.name)} WHERE \`id\` = ? LIMIT 1`).get(id);
  return row ? Record.fromRow(col, row as { [k: string]: unknown }) : null;
}

/**
 * The first record whose `field` equals `value`. As upstream, the match is case-insensitive only when
 * the field's single-column unique index declares `COLLATE NOCASE`.
 */
export function findFirstRecordByField(
  app: App,
  collection: Collection | string,
  field: string,
  value: unknown,
): Record | null {
  const col = collectionOf(app, collection);
  if (!col) return null;
  if (!col.fields.getByName(field)) return null;
  const cmp = hasNocaseUniqueIndex(col, field) ? `${quoteIdent(field)} = ? COLLATE NOCASE` : `${quoteIdent(field)} = ?`;
  const row = app.db.query(`SELECT * FROM ${quoteIdent(col.name)} WHERE ${cmp} LIMIT 1`).get(value as string);
  return row ? Record.fromRow(col, row as { [k: string]: unknown }) : null;
}

export function findAuthRecordByEmail(app: App, collection: Collection | string, email: string): Record | null {
  return findFirstRecordByField(app, collection, "email", email);
}

export function countRecords(
  app: App,
  collection: Collection | string,
  where = "1=1",
  ...args: (string | number)[]
): number {
  const col = collectionOf(app, collection);
  if (!col) return 0;
  const row = app.db.query(`SELECT COUNT(*) AS n FROM ${quoteIdent(col.name)} WHERE ${where}`).get(...args) as {
    n: number;
  };
  return row.n;
}

function hasNocaseUniqueIndex(col: Collection, field: string): boolean {
  const re = new RegExp(
    `^\\s*create\\s+unique\\s+index\\b[^(]*\\(\\s*[\`"'\\[]?${field}[\`"'\\]]?\\s+collate\\s+nocase\\s*\\)`,
    "i",
  );
  return col.indexes.some((idx) => re.test(idx));
}
