/**
 * Value coercions with the semantics of the Go helpers upstream's fields use (spf13/cast v1.10,
 * tools/list): a raw DB text or a decoded JSON input becomes a string, number, bool or string list
 * exactly as upstream would make it. JS numbers stand for Go float64 (what encoding/json decodes).
 */

/** Go's strconv.FormatFloat(n, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function goFormatFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  if (Object.is(n, -0)) return "-0";
  const s = String(n); // JS also prints the shortest round-trip digits
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, rest = "", expText] = m;
  const digits = lead! + rest;
  const exp = Number(expText); // position of the decimal point after the first digit
  if (exp >= 0) {
    const intLen = exp + 1;
    return (
      sign +
      (digits.length <= intLen
        ? digits + "0".repeat(intLen - digits.length)
        : digits.slice(0, intLen) + "." + digits.slice(intLen))
    );
  }
  return sign + "0." + "0".repeat(-exp - 1) + digits;
}

/** cast.ToString: strings, bools, numbers and bytes; everything else (lists, objects, nil) is "". */
export function toGoString(raw: unknown): string {
  switch (typeof raw) {
    case "string":
      return raw;
    case "boolean":
      return raw ? "true" : "false";
    case "number":
      return goFormatFloat(raw);
    case "bigint":
      return raw.toString();
    case "object":
      if (raw === null) return "";
      if (raw instanceof Uint8Array) return new TextDecoder().decode(raw);
      // values that are fmt.Stringers upstream (JSONRaw) expose a `goString`
      if (typeof (raw as { goString?: unknown }).goString === "function")
        return (raw as { goString(): string }).goString();
      return "";
    default:
      return "";
  }
}

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]((?:[0-9a-fA-F]|_[0-9a-fA-F])*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?\d+)$/;

/** strconv.ParseFloat(s, 64); null when Go would report an error (syntax or range). */
export function parseGoFloat(s: string): number | null {
  if (DECIMAL_FLOAT.test(s)) {
    const n = Number(s);
    return Number.isFinite(n) ? n : null; // out of range is an error in Go
  }
  const lower = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith("-") ? -Infinity : Infinity;
  if (lower === "nan") return NaN;
  const hex = HEX_FLOAT.exec(s);
  if (hex) {
    const [, sign, intPart = "", fracPart = "", exp] = hex;
    const intDigits = intPart.replace(/_/g, "");
    const fracDigits = fracPart.replace(/_/g, "");
    if (!intDigits && !fracDigits) return null;
    let mantissa = 0;
    for (const d of intDigits + fracDigits) mantissa = mantissa * 16 + parseInt(d, 16);
    const n = mantissa * 2 ** (Number(exp) - 4 * fracDigits.length);
    if (!Number.isFinite(n)) return null;
    return sign === "-" ? -n : n;
  }
  return null;
}

/** cast.ToFloat64: numbers, bools (1/0), numeric strings; anything unparsable is 0. */
export function toGoFloat64(raw: unknown): number {
  switch (typeof raw) {
    case "number":
      return raw;
    case "boolean":
      return raw ? 1 : 0;
    case "bigint":
      return Number(raw);
    case "string":
      return raw === "" ? 0 : (parseGoFloat(raw) ?? 0);
    default:
      return 0;
  }
}

const TRUE_WORDS = new Set(["1", "t", "T", "TRUE", "true", "True"]);

/** cast.ToBool: bools, non-zero numbers and strconv.ParseBool's true words; everything else false. */
export function toGoBool(raw: unknown): boolean {
  switch (typeof raw) {
    case "boolean":
      return raw;
    case "number":
      return raw !== 0;
    case "bigint":
      return raw !== 0n;
    case "string":
      return TRUE_WORDS.has(raw);
    default:
      return false;
  }
}

/** list.NonzeroUniques for strings: drops "" and repeats, keeping the first occurrence. */
export function nonzeroUniques(list: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of list) {
    if (v === "" || seen.has(v)) continue;
    seen.add(v);
    out.push(v);
  }
  return out;
}

/** Decodes a JSON array that Go could unmarshal into []string (null items become ""); else null. */
function parseStringArrayJSON(text: string): string[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) return null;
  const out: string[] = [];
  for (const item of parsed) {
    if (item === null) out.push("");
    else if (typeof item === "string") out.push(item);
    else return null;
  }
  return out;
}

/**
 * list.ToUniqueStringSlice: the multi-value normalization of select, relation and file fields.
 * A string holding a JSON array is decoded, any other non-empty string is one element;
 * a list is cast item by item (one uncastable item empties it, as cast does); repeats and "" drop.
 */
export function toUniqueStringSlice(raw: unknown): string[] {
  if (raw === null || raw === undefined) return [];
  if (typeof raw === "string") {
    if (raw === "") return [];
    if (raw.includes("[")) return nonzeroUniques(parseStringArrayJSON(raw) ?? [raw]);
    return [raw];
  }
  if (Array.isArray(raw)) {
    const out: string[] = [];
    for (const item of raw) {
      if (item !== null && item !== undefined && typeof item === "object" && !(item instanceof Uint8Array)) return [];
      out.push(toGoString(item));
    }
    return nonzeroUniques(out);
  }
  if (typeof raw === "object" && typeof (raw as { goString?: unknown }).goString === "function") {
    // a json.Marshaler (JSONRaw) is re-decoded as a string list
    return nonzeroUniques(parseStringArrayJSON((raw as { goString(): string }).goString()) ?? []);
  }
  if (typeof raw === "object" && !(raw instanceof Uint8Array)) return [];
  return nonzeroUniques([toGoString(raw)]);
}
