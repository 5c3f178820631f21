/**
 * Expanding relations into `record.expand` (upstream core/record_query_expand.go): dotted paths up
 * to six levels, several paths at once, and back-relations `<collection>_via_<field>`. Related
 * records are fetched once per level for all records together (no N+1), through `fetch` so the API
 * can apply each related collection's view rule.
 */
import type { App } from "./app.ts";
import { RelationField } from "./fields/index.ts";
import type { Collection } from "./collection.ts";
import { Record, isMultiple } from "./record.ts";

/** Expanding stops this deep, as upstream's maxNestedRels. */
export const MAX_NESTED_RELS = 6;

export type ExpandFetch = (collection: Collection, ids: string[]) => Promise<Record[]>;

/** The default fetch: every related record, no rules (for internal use). */
export function plainExpandFetch(app: App): ExpandFetch {
  return async (collection, ids) => {
    if (ids.length === 0) return [];
    const q = app.db.dialect.quoteIdent;
    const rows = await app.db.all<{ [k: string]: unknown }>(
      `SELECT * FROM ${q(collection.name)} WHERE ${q("id")} IN (${ids.map(() => "?").join(",")})`,
      ids,
    );
    return rows.map((r) => Record.fromRow(collection, r));
  };
}

/** Expands `paths` on `records` (all of one collection); returns the failed paths with their errors. */
export async function expandRecords(
  app: App,
  records: Record[],
  paths: string[],
  fetch: ExpandFetch = plainExpandFetch(app),
): Promise<Map<string, Error>> {
  const failed = new Map<string, Error>();
  for (const path of normalizeExpands(paths)) {
    try {
      await expandPath(app, records, path, fetch, 1);
    } catch (err) {
      failed.set(path, err instanceof Error ? err : new Error(String(err)));
    }
  }
  return failed;
}

const VIA = /^(\w+)_via_(\w+)$/;
const VIA_OLD = /^(\w+)\((\w+)\)$/;

async function expandPath(app: App, records: Record[], path: string, fetch: ExpandFetch, level: number): Promise<void> {
  if (!path || level > MAX_NESTED_RELS || records.length === 0) return;
  const main = records[0]!.collection;
  const dot = path.indexOf(".");
  const head = dot === -1 ? path : path.slice(0, dot);
  const rest = dot === -1 ? "" : path.slice(dot + 1);

  let relField: RelationField;
  let relCollection: Collection;
  const via = head.includes("(") ? VIA_OLD.exec(head) : VIA.exec(head);
  if (via) {
    const back = app.findCollection(via[1]!);
    if (!back) throw new Error(`couldn't find back-related collection "${via[1]}"`);
    const backField = back.fields.getByName(via[2]!);
    if (!(backField instanceof RelationField) || backField.collectionId !== main.id) {
      throw new Error(`couldn't find back-relation field "${via[2]}" in collection "${back.name}"`);
    }
    const d = app.db.dialect;
    const col = d.quoteIdent(backField.name);
    const where = isMultiple(backField)
      ? `EXISTS (SELECT 1 FROM ${d.jsonEach(col)} je WHERE je.value = ?)`
      : `${col} = ?`;
    const sql = `SELECT ${d.quoteIdent("id")} FROM ${d.quoteIdent(back.name)} WHERE ${where} LIMIT 1000`;
    for (const r of records) {
      const ids = (await app.db.all<{ id: string }>(sql, [r.id])).map((x) => x.id);
      if (ids.length) r.set(head, ids);
    }
    relField = new RelationField({ name: head, maxSelect: 2147483647, collectionId: back.id });
    if (hasSingleColumnUniqueIndex(back, backField.name)) relField.maxSelect = 1;
    relCollection = back;
  } else {
    const f = main.fields.getByName(head);
    if (!(f instanceof RelationField))
      throw new Error(`couldn't find relation field "${head}" in collection "${main.name}"`);
    const c = app.findCollection(f.collectionId);
    if (!c) throw new Error(`couldn't find related collection "${f.collectionId}"`);
    relField = f;
    relCollection = c;
  }

  const wanted: string[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    for (const id of r.getStringSlice(relField.name)) {
      if (!seen.has(id)) {
        seen.add(id);
        wanted.push(id);
      }
    }
  }
  const rels = await fetch(relCollection, wanted);
  if (rest) await expandPath(app, rels, rest, fetch, level + 1);

  const byId = new Map(rels.map((r) => [r.id, r]));
  for (const r of records) {
    const expand = r.expand();
    const valid = r
      .getStringSlice(relField.name)
      .map((id) => byId.get(id))
      .filter((x): x is Record => !!x);
    if (valid.length === 0) continue;
    const old = expand.get(relField.name);
    for (const o of old ? (Array.isArray(old) ? old : [old]) : []) {
      for (const rel of valid) if (rel.id === o.id) rel.mergeExpand(o.expand());
    }
    expand.set(relField.name, isMultiple(relField) ? valid : valid[0]!);
  }
}

/** Spaces removed, dangling dots trimmed, and paths that prefix a longer one dropped. */
export function normalizeExpands(paths: string[]): string[] {
  const cleaned = paths.map((p) => p.replaceAll(" ", "").replace(/^\.+|\.+$/g, "")).filter(Boolean);
  const out: string[] = [];
  cleaned.forEach((p, i) => {
    if (cleaned.some((q, j) => i !== j && q.startsWith(p + "."))) return;
    if (!out.includes(p)) out.push(p);
  });
  return out;
}

function hasSingleColumnUniqueIndex(c: Collection, column: string): boolean {
  const re = new RegExp(
    `^\\s*create\\s+unique\\s+index\\b[^(]*\\(\\s*[\`"'\\[]?${column}[\`"'\\]]?(\\s+collate\\s+\\w+)?(\\s+(asc|desc))?\\s*\\)`,
    "i",
  );
  return c.indexes.some((idx) => re.test(idx));
}
