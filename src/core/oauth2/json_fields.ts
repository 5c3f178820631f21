/**
 * Reading a provider's user JSON the way Go's json.Unmarshal fills a typed struct: keys match
 * exactly or case-insensitively, null and missing keys leave the zero value, and a value of the
 * wrong type is an error (so a malformed profile fails the login rather than mapping garbage).
 */
import { OAuth2Error } from "./provider.ts";

export type JSONObject = { [k: string]: unknown };

function lookup(o: JSONObject, key: string): unknown {
  if (key in o) return o[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(o)) if (k.toLowerCase() === lower) return o[k];
  return undefined;
}

function typeError(key: string, want: string, v: unknown): OAuth2Error {
  return new OAuth2Error(
    `json: cannot unmarshal ${Array.isArray(v) ? "array" : typeof v} into field "${key}" of type ${want}`,
  );
}

/** A string field ("" when absent or null). */
export function jsonStr(o: JSONObject, key: string): string {
  const v = lookup(o, key);
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw typeError(key, "string", v);
  return v;
}

/** An int64 field rendered as Go's strconv.FormatInt ("0" when absent or null). */
export function jsonInt(o: JSONObject, key: string): string {
  const v = lookup(o, key);
  if (v === undefined || v === null) return "0";
  if (typeof v !== "number" || !Number.isInteger(v)) throw typeError(key, "int64", v);
  return BigInt(v).toString();
}

/** A number field (0 when absent or null). */
export function jsonNum(o: JSONObject, key: string): number {
  const v = lookup(o, key);
  if (v === undefined || v === null) return 0;
  if (typeof v !== "number") throw typeError(key, "number", v);
  return v;
}

/** A bool field (false when absent or null). */
export function jsonBool(o: JSONObject, key: string): boolean {
  const v = lookup(o, key);
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw typeError(key, "bool", v);
  return v;
}

/** A nested object field ({} when absent or null). */
export function jsonObj(o: JSONObject, key: string): JSONObject {
  const v = lookup(o, key);
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw typeError(key, "object", v);
  return v as JSONObject;
}

/** A list field ([] when absent or null). */
export function jsonArr(o: JSONObject, key: string): unknown[] {
  const v = lookup(o, key);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw typeError(key, "list", v);
  return v;
}

/** A list of objects ([] when absent or null). */
export function jsonObjArr(o: JSONObject, key: string): JSONObject[] {
  return jsonArr(o, key).map((item) => {
    if (item === null) return {};
    if (typeof item !== "object" || Array.isArray(item)) throw typeError(key, "object", item);
    return item as JSONObject;
  });
}

/** Any field's raw value (for fields upstream reads as `any`). */
export function jsonAny(o: JSONObject, key: string): unknown {
  return lookup(o, key);
}

/** spf13/cast's ToBool: booleans, non-zero numbers, and strconv.ParseBool strings are true. */
export function castBool(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") return ["1", "t", "T", "TRUE", "true", "True"].includes(v);
  return false;
}

/** spf13/cast's ToString for the scalar values a JSON config holds. */
export function castString(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return "";
}

/** spf13/cast's ToStringSlice: a list of values as strings, or a string split on whitespace. */
export function castStringSlice(v: unknown): string[] {
  if (Array.isArray(v))
    return v.map((x) => (typeof x === "string" ? x : x === null || x === undefined ? "" : String(x)));
  if (typeof v === "string") return v.split(/\s+/).filter(Boolean);
  return [];
}
