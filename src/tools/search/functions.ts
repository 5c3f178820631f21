/**
 * Filter functions: `geoDistance(lonA, latA, lonB, latB)` and `strftime(format[, time[, modifiers...]])`.
 * Each gets its argument operands and a callback resolving one operand, and returns an operand.
 */
import type { Dialect } from "../sql/dialect.ts";
import { FilterError } from "./errors.ts";
import type { Operand } from "./parser.ts";
import { NullFallback, type ResolverResult } from "./resolver.ts";
import { pgMathNumber, typesStrictly } from "./typed.ts";

type ResolveArg = (arg: Operand) => ResolverResult;
/** Binds one more value and returns its placeholder. */
type AddParam = (value: unknown) => string;
type TokenFunction = (resolveArg: ResolveArg, args: Operand[], dialect: Dialect, addParam: AddParam) => ResolverResult;

function mergeParams(...results: ResolverResult[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of results) Object.assign(out, r.params);
  return out;
}

/** The filter functions by name. */
export const TOKEN_FUNCTIONS: { readonly [name: string]: TokenFunction } = {
  /**
   * The great-circle distance in km between two points (haversine via the spherical law of cosines).
   * Arguments are numbers or identifiers; with multi-valued identifiers it is an "any of" match.
   */
  geoDistance(resolveArg, args, d, addParam) {
    if (args.length !== 4) throw new FilterError(`[geoDistance] expected 4 arguments, got ${args.length}`);
    const r = args.map((arg, i) => {
      if (arg.type !== "identifier" && arg.type !== "number") {
        throw new FilterError(`[geoDistance] argument ${i} must be an identifier or number`);
      }
      try {
        return resolveArg(arg);
      } catch (err) {
        throw new FilterError(`[geoDistance] failed to resolve argument ${i}: ${(err as Error).message}`);
      }
    });
    if (typesStrictly(d)) {
      // SQLite's math functions read text as a number (NULL when it is not one) and give NULL
      // outside acos's domain, where PostgreSQL raises
      // a bound argument may have become a LIKE pattern (`x ~ geoDistance(...)` wraps its values): read as text
      const [lonA, latA, lonB, latB] = r.map((x) =>
        pgMathNumber(
          { sql: x.identifier, type: /^:p\d+$/.test(x.identifier) ? "text" : (x.type ?? "number"), jsonSource: x.jsonSource },
          addParam,
        ),
      ) as [string, string, string, string];
      const cosine =
        `cos(radians(${latA})) * cos(radians(${latB})) * cos(radians(${lonB}) - radians(${lonA})) + ` +
        `sin(radians(${latA})) * sin(radians(${latB}))`;
      return {
        nullFallback: NullFallback.Disabled,
        identifier: `(SELECT CASE WHEN c BETWEEN -1 AND 1 THEN 6371 * acos(c) END FROM (SELECT ${cosine} AS c OFFSET 0) pb_geo)`,
        params: mergeParams(...r),
        type: "number",
        real: true,
      };
    }
    const [lonA, latA, lonB, latB] = r.map((x) => x.identifier) as [string, string, string, string];
    return {
      nullFallback: NullFallback.Disabled,
      identifier:
        `(6371 * acos(cos(radians(${latA})) * cos(radians(${latB})) * ` +
        `cos(radians(${lonB}) - radians(${lonA})) + sin(radians(${latA})) * sin(radians(${latB}))))`,
      params: mergeParams(...r),
      type: "number",
      real: true,
    };
  },

  /**
   * SQLite's strftime with NULL results normalized like text fields. The format and modifiers must be
   * text literals; the time value a text, number or identifier (multi-valued → "every value" match).
   */
  strftime(resolveArg, args, d) {
    if (args.length < 1) throw new FilterError(`[strftime] expected at least 1 arguments, got ${args.length}`);
    if (args.length > 10) throw new FilterError(`[strftime] too many arguments (max allowed 10, got ${args.length})`);
    if (args[0]!.type !== "text") throw new FilterError("[strftime] expects the first argument to be a format string");
    const format = resolveArg(args[0]!);
    if (args.length === 1) {
      return { ...format, nullFallback: NullFallback.Enforced, identifier: d.strftime([format.identifier]), type: "text" };
    }
    const timeArg = args[1]!;
    if (timeArg.type !== "text" && timeArg.type !== "identifier" && timeArg.type !== "number") {
      throw new FilterError("[strftime] expects the second argument to be of a valid time-value type");
    }
    let time: ResolverResult;
    try {
      time = resolveArg(timeArg);
    } catch (err) {
      throw new FilterError(`[strftime] failed to resolve time-value argument: ${(err as Error).message}`);
    }
    const modifiers = args.slice(2).map((arg, i) => {
      if (arg.type !== "text") throw new FilterError(`[strftime] invalid modifier argument ${i} - can be only string`);
      return resolveArg(arg);
    });
    const idents = [format.identifier, time.identifier, ...modifiers.map((m) => m.identifier)];
    const result: ResolverResult = {
      nullFallback: NullFallback.Enforced,
      identifier: d.strftime(idents),
      params: mergeParams(format, time, ...modifiers),
      type: "text",
    };
    if (time.multiMatch) {
      // the "every value" subquery formats each of the values the same way
      idents[1] = time.multiMatch.valueIdentifier;
      time.multiMatch.valueIdentifier = d.strftime(idents);
      time.multiMatch.valueJsonSource = undefined;
      result.multiMatch = time.multiMatch;
    }
    return result;
  },
};
