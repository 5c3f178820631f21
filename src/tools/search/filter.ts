/**
 * Filter → SQL: walks the parsed groups, asks the resolver what each identifier means and writes
 * the WHERE condition with every literal bound as a parameter. The equality rules, the LIKE
 * wrapping and the "every value matches" subqueries follow upstream's tools/search/filter.go.
 */
import { ERR_FILTER_EXPR_LIMIT, FilterError } from "./errors.ts";
import { TOKEN_FUNCTIONS } from "./functions.ts";
import { IDENTIFIER_MACROS } from "./macros.ts";
import { isAnyMatchOp, parseFilter, type Expr, type ExprGroup, type Operand, type SignOp } from "./parser.ts";
import { joinOn, NullFallback, paramCount, type FieldResolver, type ResolverResult } from "./resolver.ts";
import type { SqlParams } from "./sql.ts";
import { pgCompare, pgJsonValue, pgLike, typesStrictly, type CompareOp, type TypedOperand } from "./typed.ts";

/** The default number of comparisons one filter may hold. */
export const DEFAULT_FILTER_EXPR_LIMIT = 200;

/** Parsed filters by text (bounded; parsing is pure so entries never go stale). */
const parsedCache = new Map<string, ExprGroup[]>();
const PARSED_CACHE_MAX = 500;

/** Parses `filter` through a small LRU cache. */
export function parseFilterCached(filter: string): ExprGroup[] {
  const hit = parsedCache.get(filter);
  if (hit) {
    parsedCache.delete(filter);
    parsedCache.set(filter, hit);
    return hit;
  }
  const parsed = parseFilter(filter);
  parsedCache.set(filter, parsed);
  if (parsedCache.size > PARSED_CACHE_MAX) parsedCache.delete(parsedCache.keys().next().value as string);
  return parsed;
}

/**
 * Builds the SQL condition of `filter` (text or parsed groups). Throws FilterError on syntax errors,
 * unresolvable identifiers or when more than `maxExpressions` comparisons are used.
 */
export function buildFilterExpr(
  filter: string | ExprGroup[],
  resolver: FieldResolver,
  params: SqlParams,
  maxExpressions = DEFAULT_FILTER_EXPR_LIMIT,
): string {
  const groups = typeof filter === "string" ? parseFilterCached(filter) : filter;
  const budget = { left: maxExpressions };
  return buildGroups(groups, resolver, params, budget);
}

function buildGroups(
  groups: ExprGroup[],
  resolver: FieldResolver,
  params: SqlParams,
  budget: { left: number },
): string {
  if (groups.length === 0) throw new FilterError("empty filter expression");
  const parts: string[] = [];
  for (const g of groups) {
    let sql: string;
    if (Array.isArray(g.item)) {
      sql = buildGroups(g.item, resolver, params, budget);
    } else {
      if (budget.left <= 0) throw new FilterError(ERR_FILTER_EXPR_LIMIT);
      budget.left--;
      sql = buildExpr(g.item, resolver, params);
    }
    if (sql === "") continue;
    if (parts.length > 0) parts.push(g.join === "||" ? "OR" : "AND");
    parts.push(sql);
  }
  // a lone part needs no parentheses unless it is itself an AND/OR chain
  if (parts.length === 1 && !/ (AND|OR) /i.test(parts[0]!)) return parts[0]!;
  return "(" + parts.join(" ") + ")";
}

function buildExpr(expr: Expr, resolver: FieldResolver, params: SqlParams): string {
  let left: ResolverResult;
  try {
    left = resolveOperand(expr.left, resolver, params);
  } catch (err) {
    throw new FilterError(`invalid left operand ${JSON.stringify(expr.left.literal)} - ${(err as Error).message}`);
  }
  if (left.identifier === "") throw new FilterError(`invalid left operand ${JSON.stringify(expr.left.literal)}`);
  let right: ResolverResult;
  try {
    right = resolveOperand(expr.right, resolver, params);
  } catch (err) {
    throw new FilterError(`invalid right operand ${JSON.stringify(expr.right.literal)} - ${(err as Error).message}`);
  }
  if (right.identifier === "") throw new FilterError(`invalid right operand ${JSON.stringify(expr.right.literal)}`);
  return buildComparison(left, expr.op, right, params);
}

/** When a field does not exist, these words stand for SQL literals (case-insensitively). */
const NORMALIZED_IDENTIFIERS: [string, string][] = [
  ["null", "NULL"],
  ["true", "1"],
  ["false", "0"],
];

/** Resolves one operand: macros, resolver fields (with the null/true/false fallback), literals, functions. */
export function resolveOperand(op: Operand, resolver: FieldResolver, params: SqlParams): ResolverResult {
  switch (op.type) {
    case "identifier": {
      const macro = IDENTIFIER_MACROS[op.literal];
      if (macro) {
        const v = macro();
        const ph = params.add(v);
        return { identifier: ph, params: { [ph]: v }, type: typeof v === "number" ? "number" : "text" };
      }
      let result: ResolverResult | undefined;
      let error: unknown;
      try {
        result = resolver.resolve(op.literal, params);
      } catch (err) {
        error = err;
      }
      if (!result || result.identifier === "") {
        const lower = op.literal.toLowerCase();
        for (const [k, v] of NORMALIZED_IDENTIFIERS) {
          if (k === lower) return { identifier: v, type: v === "NULL" ? "null" : "number" };
        }
        if (error instanceof FilterError) throw error;
        if (error) throw new FilterError((error as Error)?.message ?? String(error));
        throw new FilterError(`failed to resolve ${JSON.stringify(op.literal)}`);
      }
      return result;
    }
    case "text": {
      const ph = params.add(op.literal);
      return { identifier: ph, params: { [ph]: op.literal }, type: "text" };
    }
    case "number": {
      // as Go's cast.ToFloat64: out of range (or otherwise unparsable) is 0
      let n = Number(op.literal);
      if (!Number.isFinite(n)) n = 0;
      const ph = params.add(n, { real: true });
      return { identifier: ph, params: { [ph]: n }, type: "number" };
    }
    case "function": {
      const fn = Object.hasOwn(TOKEN_FUNCTIONS, op.literal) ? TOKEN_FUNCTIONS[op.literal] : undefined;
      if (!fn) throw new FilterError(`unknown function ${JSON.stringify(op.literal)}`);
      return fn((arg) => resolveOperand(arg, resolver, params), op.args, params.dialect, (v) => params.add(v));
    }
  }
}

/** Builds `left op right`, adding the "every value" subquery for multi-valued operands of non-`?` operators. */
export function buildComparison(left: ResolverResult, op: SignOp, right: ResolverResult, params: SqlParams): string {
  const d = params.dialect;
  let expr: string;
  switch (op) {
    case "=":
    case "?=":
      expr = buildEqual(true, left, right, params);
      break;
    case "!=":
    case "?!=":
      expr = buildEqual(false, left, right, params);
      break;
    case "~":
    case "?~":
    case "!~":
    case "?!~": {
      const negate = op === "!~" || op === "?!~";
      // a strictly typed engine matches the text SQLite would convert each side to
      const typed = typesStrictly(d) && left.type !== undefined && right.type !== undefined;
      const add = (v: unknown) => params.add(v);
      if (paramCount(right) === 0) {
        // a column or expression on the right: contains-match against its value
        expr = typed
          ? pgLike(typedOperand(left, params), typedOperand(right, params), negate, true, add)
          : d.likeContains(left.identifier, right.identifier, negate);
      } else {
        wrapLikeParams(right, params);
        // the bound values are LIKE patterns now: text
        const pattern = /^:p\d+$/.test(right.identifier) ? { ...typedOperand(right, params), type: "text" as const } : typedOperand(right, params);
        expr = typed
          ? pgLike(typedOperand(left, params), pattern, negate, false, add)
          : d.like(left.identifier, right.identifier, negate);
      }
      break;
    }
    case "<":
    case "?<":
      expr = compare(typedOperand(left, params), "<", typedOperand(right, params), params);
      break;
    case "<=":
    case "?<=":
      expr = compare(typedOperand(left, params), "<=", typedOperand(right, params), params);
      break;
    case ">":
    case "?>":
      expr = compare(typedOperand(left, params), ">", typedOperand(right, params), params);
      break;
    case ">=":
    case "?>=":
      expr = compare(typedOperand(left, params), ">=", typedOperand(right, params), params);
      break;
    default:
      throw new FilterError(`unknown expression operator ${JSON.stringify(op)}`);
  }

  if (!isAnyMatchOp(op)) {
    if (left.multiMatch && right.multiMatch) {
      expr = `((${expr}) AND (${manyVsMany(left, op, right, params)}))`;
    } else if (left.multiMatch) {
      expr = `((${expr}) AND (${manyVsOne(left, op, right, false, params)}))`;
    } else if (right.multiMatch) {
      expr = `((${expr}) AND (${manyVsOne(right, op, left, true, params)}))`;
    }
  }

  if (left.afterBuild) expr = left.afterBuild(expr);
  if (right.afterBuild) expr = right.afterBuild(expr);
  return expr;
}

const not = (expr: string) => `NOT (${expr})`;

/** "No value of the subquery fails the comparison": `NOT EXISTS (... WHERE NOT (value op other))`. */
function manyVsOne(
  multi: ResolverResult,
  op: SignOp,
  other: ResolverResult,
  inverse: boolean,
  params: SqlParams,
): string {
  const d = params.dialect;
  const alias = params.alias("__sm");
  const value: ResolverResult = {
    nullFallback: multi.nullFallback,
    identifier: `${d.quoteIdent(alias)}.${d.quoteIdent("multiMatchValue")}`,
    afterBuild: not,
    type: multi.type,
  };
  const plain: ResolverResult = { identifier: other.identifier, params: other.params, type: other.type, jsonSource: other.jsonSource };
  const where = inverse ? buildComparison(plain, op, value, params) : buildComparison(value, op, plain, params);
  return `NOT EXISTS (SELECT 1 FROM (${buildMultiMatch(multi, params)}) ${d.quoteIdent(alias)} WHERE ${where})`;
}

/** Both sides multi-valued: every left value compared with every right value. */
function manyVsMany(left: ResolverResult, op: SignOp, right: ResolverResult, params: SqlParams): string {
  const d = params.dialect;
  const l = params.alias("__ml");
  const r = params.alias("__mr");
  const where = buildComparison(
    {
      nullFallback: left.nullFallback,
      identifier: `${d.quoteIdent(l)}.${d.quoteIdent("multiMatchValue")}`,
      type: left.type,
    },
    op,
    {
      nullFallback: right.nullFallback,
      identifier: `${d.quoteIdent(r)}.${d.quoteIdent("multiMatchValue")}`,
      afterBuild: not,
      type: right.type,
    },
    params,
  );
  return `NOT EXISTS (SELECT 1 FROM (${buildMultiMatch(left, params)}) ${d.quoteIdent(l)} LEFT JOIN (${buildMultiMatch(right, params)}) ${d.quoteIdent(r)}${joinOn(d, undefined)} WHERE ${where})`;
}

/**
 * The "every value" subquery of a multi-valued operand. A strictly typed engine selects a JSON
 * operand's JSON value itself, so that its class (number, text...) is still known outside.
 */
function buildMultiMatch(multi: ResolverResult, params: SqlParams): string {
  const d = params.dialect;
  const mm = multi.multiMatch!;
  if (typesStrictly(d) && multi.type === "json" && mm.valueJsonSource) {
    return mm.build(d, pgJsonValue(mm.valueJsonSource.expr, mm.valueJsonSource.path));
  }
  return mm.build(d);
}

/** The typed view of a resolved operand (its bound constant when it is a lone placeholder). */
function typedOperand(r: ResolverResult, params: SqlParams): TypedOperand {
  const lone = /^:p\d+$/.test(r.identifier);
  return {
    sql: r.identifier,
    type: r.type,
    jsonSource: r.jsonSource,
    constant: lone ? params.get(r.identifier) : undefined,
    real: lone ? params.isReal(r.identifier) : r.real === true,
  };
}

const EMPTY_TEXT: TypedOperand = { sql: "''", type: "text" };

/**
 * `left op right`: as written for SQLite (`IS`/`IS NOT` through the dialect); a strictly typed
 * engine compares as SQLite would (typed.ts) when both operand types are known.
 */
function compare(left: TypedOperand, op: CompareOp, right: TypedOperand, params: SqlParams): string {
  const d = params.dialect;
  if (typesStrictly(d) && left.type !== undefined && right.type !== undefined) {
    return pgCompare(left, op, right, (v) => params.add(v));
  }
  const l = left.orEmpty ? `COALESCE(${left.sql}, '')` : left.sql;
  const r = right.orEmpty ? `COALESCE(${right.sql}, '')` : right.sql;
  if (op === "IS" || op === "IS NOT") return d.nullSafeEq(l, r, op === "IS NOT");
  return `${l} ${op} ${r}`;
}

/**
 * `=` and `!=` with upstream's NULL/empty normalizations: direct comparisons when one side is a
 * known non-empty value, `(x = '' OR x IS NULL)` against empty values, COALESCE between columns,
 * null-safe equality (`IS`/`IS NOT`) when an operand disables the fallback. `!=` is always the
 * null-safe `IS NOT` so a NULL column still differs from a value.
 */
function buildEqual(equal: boolean, left: ResolverResult, right: ResolverResult, params: SqlParams): string {
  const L = typedOperand(left, params);
  const R = typedOperand(right, params);
  const eq = (l: TypedOperand, r: TypedOperand) => compare(l, equal ? "=" : "IS NOT", r, params);
  const concat = equal ? "OR" : "AND";
  const nullExpr = equal ? "IS NULL" : "IS NOT NULL";

  if (left.nullFallback === NullFallback.Disabled || right.nullFallback === NullFallback.Disabled) {
    return compare(L, equal ? "IS" : "IS NOT", R, params);
  }

  const leftEmpty =
    isEmptyIdentifier(left) ||
    ((left.nullFallback ?? NullFallback.Auto) === NullFallback.Auto && paramCount(left) === 1 && hasEmptyParam(left));
  const rightEmpty =
    isEmptyIdentifier(right) ||
    ((right.nullFallback ?? NullFallback.Auto) === NullFallback.Auto &&
      paramCount(right) === 1 &&
      hasEmptyParam(right));

  if (leftEmpty && rightEmpty) return eq(EMPTY_TEXT, EMPTY_TEXT);

  if (isKnownNonEmpty(left) || isKnownNonEmpty(right)) {
    return eq(leftEmpty ? EMPTY_TEXT : L, rightEmpty ? EMPTY_TEXT : R);
  }
  if (leftEmpty) return `(${eq(EMPTY_TEXT, R)} ${concat} ${right.identifier} ${nullExpr})`;
  if (rightEmpty) return `(${eq(L, EMPTY_TEXT)} ${concat} ${left.identifier} ${nullExpr})`;
  return eq({ ...L, orEmpty: true }, { ...R, orEmpty: true });
}

function hasEmptyParam(r: ResolverResult): boolean {
  for (const v of Object.values(r.params ?? {})) {
    if (v === null || v === undefined || v === "") return true;
  }
  return false;
}

function isEmptyIdentifier(r: ResolverResult): boolean {
  switch (r.identifier.toLowerCase()) {
    case "":
    case "null":
    case "''":
    case '""':
    case "``":
      return true;
    default:
      return false;
  }
}

function isKnownNonEmpty(r: ResolverResult): boolean {
  if (r.nullFallback === NullFallback.Enforced) return false;
  switch (r.identifier.toLowerCase()) {
    case "1":
    case "0":
    case "false":
    case "true":
      return true;
  }
  return paramCount(r) > 0 && !hasEmptyParam(r) && !isEmptyIdentifier(r);
}

/**
 * Turns the right-hand values of a LIKE into contains-patterns: `%value%` with `\`, `%` and `_`
 * escaped, unless the value already holds an unescaped `%` (then it is used as the pattern).
 * Computed from the operand's original values, so wrapping twice gives the same pattern.
 */
function wrapLikeParams(r: ResolverResult, params: SqlParams): void {
  for (const [ph, v] of Object.entries(r.params ?? {})) {
    let s = likeString(v);
    if (!containsUnescaped(s, "%")) s = "%" + escapeUnescaped(s, ["\\", "%", "_"]) + "%";
    params.set(ph, s);
  }
}

/** cast.ToString of a bound value as the LIKE wrapping sees it. */
function likeString(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return formatGoFloat(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  return String(v);
}

/** strconv.FormatFloat(n, 'f', -1, 64) for the numbers a filter can hold. */
function formatGoFloat(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return BigInt(n).toString();
  const s = String(n);
  if (!/e/i.test(s)) return s;
  // small magnitudes: expand the exponent form without rounding
  const [mant, expText] = s.split("e") as [string, string];
  const exp = Number(expText);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  const intLen = (mant.replace("-", "").split(".")[0] ?? "").length + exp;
  const body = intLen <= 0 ? "0." + "0".repeat(-intLen) + digits : digits.slice(0, intLen) + "." + digits.slice(intLen);
  return (neg ? "-" : "") + body;
}

function containsUnescaped(s: string, ch: string): boolean {
  let prev = "";
  for (const c of s) {
    if (c === ch && prev !== "\\") return true;
    // an escaped backslash does not escape what follows it
    prev = c === "\\" && prev === "\\" ? "" : c;
  }
  return false;
}

/**
 * Prefixes `chars` with a backslash unless already escaped. Scans backwards like upstream: the
 * character before a matched one is only looked at as a possible escape, so in a run of special
 * characters every other one is escaped ("a__b" → "a_\_b") — kept so LIKE results match upstream's.
 */
function escapeUnescaped(s: string, chars: string[]): string {
  const rs = Array.from(s);
  const out: string[] = [];
  let match = false;
  for (let i = rs.length - 1; i >= 0; i--) {
    const c = rs[i]!;
    if (match) {
      if (c !== "\\") out.push("\\");
      match = false;
    } else if (chars.includes(c)) {
      match = true;
    }
    out.push(c);
    if (i === 0 && match) out.push("\\");
  }
  return out.reverse().join("");
}
