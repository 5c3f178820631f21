/**
 * Script values as Go encodes them: a plain JS object handed to a Go function becomes a
 * map[string]any, so its keys are written sorted (byte-wise); a byte slice becomes base64 text.
 * Host objects (records, collections) keep their own JSON form.
 */
import { byteCompare } from "../tools/json.ts";

/** A deep copy of `v` with plain-object keys sorted and byte arrays as base64, ready for goEncode. */
export function goMap(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== "object" || depth > 200) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64");
  if (Array.isArray(v)) {
    if (Object.getPrototypeOf(v) !== Array.prototype) return v;
    return v.map((x) => goMap(x, depth + 1));
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  const out: { [k: string]: unknown } = {};
  const o = v as { [k: string]: unknown };
  for (const k of Object.keys(o).sort(byteCompare)) {
    if (o[k] === undefined) continue;
    out[k] = goMap(o[k], depth + 1);
  }
  return out;
}
