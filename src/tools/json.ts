/**
 * JSON as Go's encoding/json writes it, so responses match upstream byte for byte:
 * `<`, `>`, `&`, U+2028 and U+2029 escaped, exponents with at least two digits, a trailing newline.
 * Key order is the caller's: build objects in upstream's struct order, or pass maps through `sortKeys`.
 */

const ESCAPE_RE = /[<>&\u2028\u2029]/g;
const NEEDS_ESCAPE = /[<>&\u2028\u2029]/;
const ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

/** Go writes 1e-07 where JS writes 1e-7; only numbers that JS prints with an exponent need this. */
function goNumber(n: number): string {
  const s = JSON.stringify(n);
  if (s === "null") return s; // NaN/Infinity: Go would fail; JSON has no spelling for them
  return s.includes("e") ? s.replace(/e([+-])(\d)$/, "e$10$2") : s;
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === "number" && value !== 0 && (Math.abs(value) < 1e-6 || Math.abs(value) >= 1e21)) {
    return `\u0000num:${goNumber(value)}\u0000`; // unquoted again after stringify
  }
  return value;
}

/** Serializes like Go's json.Marshal (no trailing newline). */
export function goMarshal(value: unknown): string {
  let out = JSON.stringify(value);
  if (out === undefined) return "null";
  // Cheap guard: only a payload that may hold an exponent number pays for the replacer pass.
  if (/\de[+-]\d/.test(out)) {
    out = JSON.stringify(value, replacer).replace(/"\\u0000num:([^\\]+)\\u0000"/g, "$1");
  }
  return NEEDS_ESCAPE.test(out) ? out.replace(ESCAPE_RE, (c) => ESCAPES[c]!) : out;
}

/** Serializes like Go's json.Encoder: `goMarshal` plus the trailing newline. */
export function goEncode(value: unknown): string {
  return goMarshal(value) + "\n";
}

/** A shallow copy of `obj` with its keys sorted byte-wise, as Go writes a map. */
export function sortKeys<T extends Record<string, unknown>>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort(byteCompare)) out[k] = obj[k];
  return out as T;
}

/** Byte-wise comparison of UTF-16 strings that holds for the ASCII keys we sort. */
export function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
