/**
 * The JS migration templates `migrate create`/`migrate collections` and automigrate write
 * (upstream's plugins/migratecmd/templates.go, JS flavour): collection JSON with keys sorted,
 * indented by two spaces under a two-space prefix, nothing HTML-escaped, `created`/`updated` and
 * `oauth2.providers` dropped.
 */
import type { Collection } from "../core/collection.ts";
import { byteCompare } from "../tools/json.ts";

/** The first line of every generated file, whatever the real directories are. */
export const JS_TYPES_DIRECTIVE = `/// <reference path="../pb_data/types.d.ts" />\n`;

/** Raised when a collection change produces no migration. */
export class EmptyTemplateError extends Error {
  constructor() {
    super("empty template");
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function sortDeep(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === "object") {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort(byteCompare)) out[k] = sortDeep(v[k]!);
    return out;
  }
  return v;
}

/** Go's json.MarshalIndent(v, "  ", "  ") of a map (sorted keys), without HTML escaping. */
export function marshalIndent(v: unknown): string {
  return JSON.stringify(sortDeep(v as Json), null, "  ").replace(/\n/g, "\n  ");
}

/** A collection as the templates serialise it (upstream's toMap minus timestamps and OAuth2 providers). */
export function collectionMap(c: Collection): { [k: string]: Json } {
  const data = JSON.parse(JSON.stringify(c.toJSON())) as { [k: string]: Json };
  delete data.created;
  delete data.updated;
  const oauth2 = data.oauth2;
  if (oauth2 && typeof oauth2 === "object" && !Array.isArray(oauth2)) delete oauth2.providers;
  return data;
}

export function blankTemplate(): string {
  return `${JS_TYPES_DIRECTIVE}migrate((app) => {
}, (app) => {
})
`;
}

export function snapshotTemplate(collections: Collection[]): string {
  const data = collections.map(collectionMap);
  return `${JS_TYPES_DIRECTIVE}migrate((app) => {
  const snapshot = ${marshalIndent(data)};

  return app.importCollections(snapshot, false);
}, (app) => {
  return null;
})
`;
}

export function createTemplate(c: Collection): string {
  return `${JS_TYPES_DIRECTIVE}migrate((app) => {
  const collection = new Collection(${marshalIndent(collectionMap(c))});

  return app.save(collection);
}, (app) => {
  const collection = app.findCollectionByNameOrId(${goQuote(c.id)});

  return app.delete(collection);
})
`;
}

export function deleteTemplate(c: Collection): string {
  return `${JS_TYPES_DIRECTIVE}migrate((app) => {
  const collection = app.findCollectionByNameOrId(${goQuote(c.id)});

  return app.delete(collection);
}, (app) => {
  const collection = new Collection(${marshalIndent(collectionMap(c))});

  return app.save(collection);
})
`;
}

/** Go's %q for the ASCII ids we quote. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** upstream's diffMaps: changed top-level keys (nested maps diffed recursively), removed keys as null. */
export function diffMaps(
  oldMap: { [k: string]: Json },
  newMap: { [k: string]: Json },
  ...exclude: string[]
): { [k: string]: Json } {
  const diff: { [k: string]: Json } = {};
  for (const k of Object.keys(newMap)) {
    if (exclude.includes(k)) continue;
    const vNew = newMap[k]!;
    if (!(k in oldMap)) {
      diff[k] = vNew;
      continue;
    }
    const vOld = oldMap[k]!;
    if (JSON.stringify(sortDeep(vOld)) !== JSON.stringify(sortDeep(vNew))) {
      const isMap = (x: Json) => !!x && typeof x === "object" && !Array.isArray(x);
      if (isMap(vOld) && isMap(vNew)) {
        const sub = diffMaps(vOld as { [k: string]: Json }, vNew as { [k: string]: Json });
        if (Object.keys(sub).length > 0) diff[k] = sub;
      } else diff[k] = vNew;
    }
  }
  for (const k of Object.keys(oldMap)) {
    if (k in diff || exclude.includes(k)) continue;
    if (!(k in newMap)) diff[k] = null;
  }
  return diff;
}

/** The migration between two states of a collection (either may be null: created or deleted). */
export function diffTemplate(next: Collection | null, old: Collection | null): string {
  if (!next && !old) throw new Error("the diff template require at least one of the collection to be non-nil");
  if (!next) return deleteTemplate(old!);
  if (!old) return createTemplate(next);

  const up: string[] = [];
  const down: string[] = [];
  const v = "collection";
  const newMap = collectionMap(next);
  const oldMap = collectionMap(old);

  const upDiff = diffMaps(oldMap, newMap, "fields", "created", "updated");
  if (Object.keys(upDiff).length > 0) {
    const downDiff = diffMaps(newMap, oldMap, "fields", "created", "updated");
    up.push("// update collection data", `unmarshal(${marshalIndent(upDiff)}, ${v})\n`);
    down.push("// update collection data", `unmarshal(${marshalIndent(downDiff)}, ${v})\n`);
  }

  const oldFields = oldMap.fields as Json[];
  const newFields = newMap.fields as Json[];

  old.fields.forEach((f, i) => {
    if (next.fields.getById(f.id)) return;
    up.push("// remove field", `${v}.fields.removeById(${goQuote(f.id)})\n`);
    down.push("// add field", `${v}.fields.addAt(${i}, new Field(${marshalIndent(oldFields[i])}))\n`);
  });

  next.fields.forEach((f, i) => {
    if (old.fields.getById(f.id)) return;
    up.push("// add field", `${v}.fields.addAt(${i}, new Field(${marshalIndent(newFields[i])}))\n`);
    down.push("// remove field", `${v}.fields.removeById(${goQuote(f.id)})\n`);
  });

  next.fields.forEach((f, i) => {
    const j = old.fields.findIndex((o) => o.id === f.id);
    if (j < 0) return;
    const rawNew = marshalIndent(newFields[i]);
    const rawOld = marshalIndent(oldFields[j]);
    if (rawNew === rawOld) return;
    up.push("// update field", `${v}.fields.addAt(${i}, new Field(${rawNew}))\n`);
    down.push("// update field", `${v}.fields.addAt(${j}, new Field(${rawOld}))\n`);
  });

  if (up.length === 0 && down.length === 0) throw new EmptyTemplateError();

  return `${JS_TYPES_DIRECTIVE}migrate((app) => {
  const collection = app.findCollectionByNameOrId(${goQuote(old.id)})

  ${up.join("\n  ").trim()}

  return app.save(collection)
}, (app) => {
  const collection = app.findCollectionByNameOrId(${goQuote(next.id)})

  ${down.join("\n  ").trim()}

  return app.save(collection)
})
`;
}
