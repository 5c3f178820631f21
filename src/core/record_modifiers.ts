/**
 * Field modifiers in record data (upstream's FindSetter per field type):
 * `title:autogenerate` (prefix + generated), `total+`/`total-` (add/subtract),
 * `+tags`/`tags+`/`tags-` (prepend/append/remove) for select, relation and file fields.
 */
import { generateFromPattern } from "./fields/index.ts";
import type { Field } from "./fields/index.ts";

const LIST_TYPES = new Set(["select", "relation", "file"]);

/**
 * The raw new value of `field` when `key` is one of its modifiers (to be prepared by the field),
 * or undefined when `key` is not a modifier of this field.
 */
export function applyModifier(field: Field, key: string, value: unknown, current: unknown): unknown {
  const name = field.name;
  if (field.type === "text" && key === name + ":autogenerate") {
    const pattern = (field as unknown as { autogeneratePattern?: string }).autogeneratePattern ?? "";
    const prefix = value == null ? "" : String(value);
    return pattern ? prefix + generateFromPattern(pattern) : prefix;
  }
  if (field.type === "number") {
    if (key === name + "+") return toFloat(current) + toFloat(value);
    if (key === name + "-") return toFloat(current) - toFloat(value);
    return undefined;
  }
  if (LIST_TYPES.has(field.type)) {
    if (key === "+" + name) return [...toList(value), ...toList(current)];
    if (key === name + "+") return [...toList(current), ...toList(value)];
    if (key === name + "-") {
      const remove = toList(value).filter((v) => typeof v === "string");
      return toList(current).filter((v) => !(typeof v === "string" && remove.includes(v)));
    }
  }
  return undefined;
}

/** spf13/cast ToFloat64: numbers, numeric strings and bools; anything else 0. */
function toFloat(v: unknown): number {
  if (typeof v === "number") return Number.isFinite(v) ? v : 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  }
  return 0;
}

/** A value as a list, keeping File objects (new uploads) beside names; empty strings dropped. */
function toList(v: unknown): unknown[] {
  if (v == null || v === "") return [];
  if (Array.isArray(v)) return v.flatMap(toList);
  if (typeof v === "string" && v.startsWith("[")) {
    try {
      const parsed = JSON.parse(v);
      if (Array.isArray(parsed)) return parsed.flatMap(toList);
    } catch {
      /* a plain string */
    }
  }
  return [typeof v === "string" || (typeof File !== "undefined" && v instanceof File) ? v : String(v)];
}
