/**
 * A small rule toolkit with the semantics of the validation library upstream is built on
 * (ozzo-validation v4.3): a value is checked by an ordered list of rules and the first failure wins;
 * a struct is checked key by key into a nested error map. Codes and message templates are the
 * library's, so API clients see exactly upstream's `{code, message, params}` items.
 *
 * @example
 * const errs = validateStruct([
 *   ["name", c.name, required, length(1, 255), match(/^\w+$/)],
 *   ["type", c.type, required, inList("base", "auth", "view")],
 * ]);
 * if (errs) throw errs;
 */
import { sentenize } from "../../tools/inflector.ts";
import { FieldValidationError, ValidationErrors, type FieldError } from "../errors.ts";
import { goFormatFloat } from "../fields/cast.ts";

/** What a rule returns: nothing when the value passes, else the failure. */
export type RuleResult = FieldValidationError | ValidationErrors | Error | null | undefined | void;

/** A validation rule: inspects one value. */
export type Rule = (value: unknown) => RuleResult;

/** How a param is written into a message, when Go's %v formatting of the value differs from String(). */
export type ParamFormat = "float" | "int" | "time" | "list";

/**
 * A validation failure (upstream's validation.Error): the message is the interpolated template,
 * sentenized for clients; `rawMessage` keeps the text as the library renders it (used when an
 * error map is embedded in another message, as the collections import does).
 */
export class RuleError extends FieldValidationError {
  readonly rawMessage: string;
  constructor(code: string, rawMessage: string, params?: Record<string, unknown>) {
    super(code, sentenize(rawMessage), params && Object.keys(params).length > 0 ? params : undefined);
    this.rawMessage = rawMessage;
  }
}

/** Go's %v of a float64 (strconv 'g', shortest): exponent form when exp < -4 or exp >= 6, as `1e+06`. */
export function goFormatFloatV(n: number): string {
  if (!Number.isFinite(n) || n === 0) return goFormatFloat(n);
  const [mant, e] = n.toExponential().split("e");
  const exp = Number(e);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? "-" : "+";
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  return goFormatFloat(n);
}

/** Go's time.Time String() for a UTC instant: `2006-01-02 15:04:05.999999999 +0000 UTC`. */
export function goTimeString(d: Date): string {
  const iso = d.toISOString(); // 2006-01-02T15:04:05.123Z
  let frac = iso.slice(20, 23).replace(/0+$/, "");
  frac = frac ? "." + frac : "";
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac} +0000 UTC`;
}

function formatParam(v: unknown, kind: ParamFormat | undefined): string {
  if (kind === "float" && typeof v === "number") return goFormatFloatV(v);
  if (kind === "time" && v instanceof Date) return goTimeString(v);
  if (Array.isArray(v)) return "[" + v.map((x) => formatParam(x, undefined)).join(" ") + "]";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : goFormatFloatV(v);
  if (v instanceof Date) return goTimeString(v);
  if (v === null || v === undefined) return "<nil>";
  return String(v);
}

/** Interpolates `{{.name}}` placeholders as Go's text/template does for a params map. */
export function interpolate(
  template: string,
  params?: Record<string, unknown>,
  formats?: Record<string, ParamFormat>,
): string {
  if (!params || Object.keys(params).length === 0) return template;
  return template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_, name: string) =>
    name in params ? formatParam(params[name], formats?.[name]) : "<no value>",
  );
}

/**
 * A new validation error. `params` are interpolated into the message and returned to clients
 * (JSON-ready values); `formats` says how a param prints in the message when that differs.
 */
export function newError(
  code: string,
  template: string,
  params?: Record<string, unknown>,
  formats?: Record<string, ParamFormat>,
): RuleError {
  const jsonParams = params ? toJSONParams(params) : undefined;
  return new RuleError(code, interpolate(template, params, formats), jsonParams);
}

function toJSONParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    // Go encodes time.Time params as RFC 3339
    out[k] = v instanceof Date ? v.toISOString().replace(/\.?0*Z$/, "Z") : v;
  }
  return out;
}

// --- emptiness (ozzo's IsEmpty) ------------------------------------------------------------------

/** ozzo's IsEmpty: "", 0, false, nil, empty lists and maps, the zero time. */
export function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  switch (typeof v) {
    case "string":
      return v === "";
    case "number":
      return v === 0;
    case "bigint":
      return v === 0n;
    case "boolean":
      return v === false;
    case "object":
      if (Array.isArray(v)) return v.length === 0;
      if (v instanceof Date)
        return v.getTime() === new Date("0001-01-01T00:00:00Z").getTime() || Number.isNaN(v.getTime());
      if (v instanceof Map || v instanceof Set) return v.size === 0;
      if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)
        return Object.keys(v).length === 0;
      return false; // a struct is never empty
    default:
      return false;
  }
}

// --- the library's rules --------------------------------------------------------------------------

/** Must not be empty (`validation_required`). */
export const required: Rule = (v) => (isEmpty(v) ? newError("validation_required", "cannot be blank") : null);

/** Required with a custom message. */
export function requiredWithMessage(message: string): Rule {
  return (v) => (isEmpty(v) ? newError("validation_required", message) : null);
}

/** nil or non-empty (`validation_nil_or_not_empty_required`): for nullable strings. */
export const nilOrNotEmpty: Rule = (v) =>
  v !== null && v !== undefined && isEmpty(v)
    ? newError("validation_nil_or_not_empty_required", "cannot be blank")
    : null;

/** Must be nil (`validation_nil`). */
export const nil: Rule = (v) => (v !== null && v !== undefined ? newError("validation_nil", "must be blank") : null);

/** Must be empty (`validation_empty`). */
export const empty: Rule = (v) => (!isEmpty(v) ? newError("validation_empty", "must be blank") : null);

function lengthOf(v: unknown, runes: boolean): number | null {
  if (typeof v === "string") return runes ? [...v].length : Buffer.byteLength(v, "utf8");
  if (Array.isArray(v)) return v.length;
  if (v instanceof Map || v instanceof Set) return v.size;
  if (v && typeof v === "object") return Object.keys(v).length;
  return null;
}

function lengthRule(min: number, max: number, runes: boolean): Rule {
  let err: () => RuleError;
  const params = { min, max };
  if (min === 0 && max > 0)
    err = () => newError("validation_length_too_long", "the length must be no more than {{.max}}", params);
  else if (min > 0 && max === 0)
    err = () => newError("validation_length_too_short", "the length must be no less than {{.min}}", params);
  else if (min > 0 && max > 0) {
    err =
      min === max
        ? () => newError("validation_length_invalid", "the length must be exactly {{.min}}", params)
        : () => newError("validation_length_out_of_range", "the length must be between {{.min}} and {{.max}}", params);
  } else err = () => newError("validation_length_empty_required", "the value must be empty");
  return (v) => {
    if (isEmpty(v)) return null;
    const l = lengthOf(v, runes);
    if (l === null) return newError("validation_unsupported_value_type", "cannot get the length of the value");
    if ((min > 0 && l < min) || (max > 0 && l > max) || (min === 0 && max === 0 && l > 0)) return err();
    return null;
  };
}

/** Length between min and max (0 = no bound) in bytes for strings, items for lists; empty values pass. */
export function length(min: number, max: number): Rule {
  return lengthRule(min, max, false);
}

/** Like `length` but counting a string's characters (runes). */
export function runeLength(min: number, max: number): Rule {
  return lengthRule(min, max, true);
}

/** Must match `re` (`validation_match_invalid`); empty strings pass. */
export function match(re: RegExp, message = "must be in a valid format"): Rule {
  return (v) => {
    if (v === null || v === undefined) return null;
    const s = typeof v === "string" ? v : String(v);
    if (s === "" || re.test(s)) return null;
    return newError("validation_match_invalid", message);
  };
}

/** Must be one of `values` (`validation_in_invalid`); empty values pass. */
export function inList(...values: unknown[]): Rule {
  return inListWithMessage("must be a valid value", ...values);
}

/** `inList` with a custom message. */
export function inListWithMessage(message: string, ...values: unknown[]): Rule {
  return (v) => (isEmpty(v) || values.includes(v) ? null : newError("validation_in_invalid", message));
}

/** Must not be one of `values` (`validation_not_in_invalid`); empty values pass. */
export function notIn(...values: unknown[]): Rule {
  return (v) =>
    !isEmpty(v) && values.includes(v) ? newError("validation_not_in_invalid", "must not be in list") : null;
}

/** value >= threshold (`validation_min_greater_equal_than_required`); empty values pass. */
export function min(threshold: number | Date, format?: ParamFormat): Rule {
  return (v) => {
    if (isEmpty(v)) return null;
    const ok = threshold instanceof Date ? (v as Date).getTime() >= threshold.getTime() : (v as number) >= threshold;
    return ok
      ? null
      : newError(
          "validation_min_greater_equal_than_required",
          "must be no less than {{.threshold}}",
          { threshold },
          format ? { threshold: format } : undefined,
        );
  };
}

/** value <= threshold (`validation_max_less_equal_than_required`); empty values pass. */
export function max(threshold: number | Date, format?: ParamFormat): Rule {
  return (v) => {
    if (isEmpty(v)) return null;
    const ok = threshold instanceof Date ? (v as Date).getTime() <= threshold.getTime() : (v as number) <= threshold;
    return ok
      ? null
      : newError(
          "validation_max_less_equal_than_required",
          "must be no greater than {{.threshold}}",
          { threshold },
          format ? { threshold: format } : undefined,
        );
  };
}

/** Rules that apply only when `cond` holds, else the `otherwise` rules. */
export function when(cond: boolean, rules: Rule[], otherwise: Rule[] = []): Rule {
  return (v) => firstError(v, cond ? rules : otherwise);
}

/** Runs `rules` on each item of a list, collecting failures by index (ozzo's Each). */
export function each(...rules: Rule[]): Rule {
  return (v) => {
    if (!Array.isArray(v)) return null;
    const errs: Record<string, FieldError | ValidationErrors> = {};
    v.forEach((item, i) => {
      const err = firstError(item, rules);
      if (err) errs[String(i)] = asItem(err);
    });
    return Object.keys(errs).length > 0 ? new ValidationErrors(errs) : null;
  };
}

/** The common "unsupported value type" failure. */
export const errUnsupportedValueType = () =>
  newError("validation_unsupported_value_type", "Invalid or unsupported value type.");

// --- running rules --------------------------------------------------------------------------------

/** The first failure of `rules` on `value`, or null. */
export function firstError(value: unknown, rules: Rule[]): FieldValidationError | ValidationErrors | Error | null {
  for (const rule of rules) {
    const err = rule(value);
    if (err) return err;
  }
  return null;
}

/**
 * An error as an item of an error map. Errors that are not validation errors are reported as
 * upstream's router reports them: `validation_invalid_value` "Invalid value.".
 */
export function asItem(err: FieldValidationError | ValidationErrors | Error): FieldError | ValidationErrors {
  if (err instanceof ValidationErrors || err instanceof FieldValidationError) return err;
  return new RuleError("validation_invalid_value", "Invalid value.");
}

/** One struct key: its name, its value and the rules checking it. */
export type StructField = [key: string, value: unknown, ...rules: Rule[]];

/** Validates several keys (ozzo's ValidateStruct): a nested error map, or null when all pass. */
export function validateStruct(fields: StructField[]): ValidationErrors | null {
  const errs: Record<string, FieldError | ValidationErrors> = {};
  for (const [key, value, ...rules] of fields) {
    const err = firstError(value, rules);
    if (err) errs[key] = asItem(err);
  }
  return Object.keys(errs).length > 0 ? new ValidationErrors(errs) : null;
}

/** Merges two error maps (upstream's JoinValidationErrors for two validation.Errors). */
export function joinValidationErrors(a: ValidationErrors | null, b: ValidationErrors | null): ValidationErrors | null {
  if (a && b) return new ValidationErrors({ ...a.errors, ...b.errors });
  return a ?? b;
}

/**
 * The error map as the library's MarshalJSON renders it (raw, non-sentenized messages; nested maps
 * as objects), e.g. for upstream's collections import failure message.
 */
export function rawErrorsJSON(err: ValidationErrors): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(err.errors).sort()) {
    const v = err.errors[k]!;
    if (v instanceof ValidationErrors) out[k] = rawErrorsJSON(v);
    else out[k] = v instanceof RuleError ? v.rawMessage : v.message;
  }
  return out;
}
