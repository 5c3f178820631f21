/**
 * The `?fields=` picker applied to every 2xx JSON response, as upstream's tools/picker:
 * comma-separated paths (`id,expand.author.name`), `*` for the rest of a level, and modifiers
 * (`description:excerpt(100,true)`). Like upstream, the result is re-encoded from generic maps,
 * so object keys come out sorted — even for structs such as a list result.
 *
 * @example pick({ a: 1, b: { c: 2, d: 3 } }, "b.c") // → { b: { c: 2 } }
 */
import { excerpt } from "./excerpt.ts";
import { tokenize } from "./tokenizer.ts";

type Modifier = (value: unknown) => unknown;
type Fields = Map<string, Modifier | null>;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Picks `rawFields` out of `data`; `isSearchResult` applies the paths to `items` of a list result. */
export function pick(data: unknown, rawFields: string, isSearchResult = false): Json {
  const fields = parseFields(rawFields);
  const decoded = JSON.parse(JSON.stringify(data) ?? "null") as Json;
  if (isSearchResult) {
    if (decoded && typeof decoded === "object" && !Array.isArray(decoded)) pickParsed(decoded.items, fields);
  } else {
    pickParsed(decoded, fields);
  }
  return sortDeep(decoded);
}

function parseFields(raw: string): Fields {
  const result: Fields = new Map();
  for (const f of tokenize(raw)) {
    const i = f.indexOf(":");
    if (i >= 0) result.set(f.slice(0, i).trim(), parseModifier(f.slice(i + 1)));
    else result.set(f.trim(), null);
  }
  return result;
}

function parseModifier(raw: string): Modifier {
  const parts = tokenize(raw, ["(", ")", ",", " "], { ignoreParenthesis: true });
  if (parts.length === 0) throw new Error(`invalid or empty modifier expression ${JSON.stringify(raw)}`);
  const [name, ...args] = parts;
  if (name !== "excerpt") throw new Error(`missing or invalid modifier ${JSON.stringify(name)}`);
  if (args.length === 0) throw new Error("max argument is required - expected (max, withEllipsis?)");
  if (args.length > 2) throw new Error("too many arguments - expected (max, withEllipsis?)");
  const max = toInt(args[0]!);
  if (max <= 0) throw new Error("max argument must be > 0");
  const withEllipsis = args.length > 1 && toBool(args[1]!);
  return (v) => excerpt(v, max, withEllipsis);
}

/** spf13/cast's ToInt on a string: base-10 integer, anything else 0. */
function toInt(s: string): number {
  const t = s.trim().replace(/^['"`](.*)['"`]$/, "$1");
  return /^[+-]?\d+$/.test(t) ? parseInt(t, 10) : 0;
}

function toBool(s: string): boolean {
  return ["1", "t", "T", "TRUE", "true", "True"].includes(s.trim().replace(/^['"`](.*)['"`]$/, "$1"));
}

function pickParsed(data: Json | undefined, fields: Fields): void {
  if (Array.isArray(data)) {
    if (data.length === 0 || !isObject(data[0]!)) return;
    for (const item of data) if (isObject(item)) pickMap(item, fields);
  } else if (data && isObject(data)) {
    pickMap(data, fields);
  }
}

function isObject(v: Json): v is { [k: string]: Json } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function pickMap(data: { [k: string]: Json }, input: Fields): void {
  if (input.size === 0) return;
  const fields = new Map(input);
  if (fields.has("*")) {
    const m = fields.get("*")!;
    for (const k of Object.keys(data)) {
      let exists = false;
      for (const f of fields.keys()) if ((f + ".").startsWith(k + ".")) exists = true;
      if (!exists) fields.set(k, m);
    }
  }
  for (const k of Object.keys(data)) {
    const matching: Fields = new Map();
    for (const [f, m] of fields) if ((f + ".").startsWith(k + ".")) matching.set(f, m);
    if (matching.size === 0) {
      delete data[k];
      continue;
    }
    let done = false;
    const nested: Fields = new Map();
    for (const [f, m] of matching) {
      const remains = (f + ".").slice((k + ".").length).replace(/\.$/, "");
      if (remains === "") {
        if (m) data[k] = m(data[k]) as Json;
        done = true;
        break;
      }
      nested.set(remains, m);
    }
    if (!done) pickParsed(data[k], nested);
  }
}

function sortDeep(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (!isObject(v)) return v;
  const out: { [k: string]: Json } = {};
  for (const k of Object.keys(v).sort()) out[k] = sortDeep(v[k]!);
  return out;
}
