/**
 * Filter → SQL: walks the parsed groups, asks the resolver what each identifier means and writes
 * the WHERE condition with every literal bound as a parameter. The equality rules, the LIKE
 * wrapping and the "every value matches" subqueries follow upstream's tools/search/filter.go.
 */
import { ERR_FILTER_EXPR_LIMIT, FilterError } from "./errors.ts";
import { TOKEN_FUNCTIONS } from "./functions.ts";
import { IDENTIFIER_MACROS } from "./macros.ts";
import { isAnyMatchOp, parseFilter, type Expr, type ExprGroup, type Operand, type SignOp } from "./parser.ts";
import { NullFallback, paramCount, type FieldResolver, type ResolverResult } from "./resolver.ts";
import type { SqlParams } from "./sql.ts";

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
        return { identifier: ph, params: { [ph]: v } };
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
        for (const [k, v] of NORMALIZED_IDENTIFIERS) if (k === lower) return { identifier: v };
        if (error instanceof FilterError) throw error;
        if (error) throw new FilterError((error as Error)?.message ?? String(error));
        throw new FilterError(`failed to resolve ${JSON.stringify(op.literal)}`);
      }
      return result;
    }
    case "text": {
      const ph = params.add(op.literal);
      return { identifier: ph, params: { [ph]: op.literal } };
    }
    case "number": {
      // as Go's cast.ToFloat64: out of range (or otherwise unparsable) is 0
      let n = Number(op.literal);
      if (!Number.isFinite(n)) n = 0;
      const ph = params.add(n, { real: true });
      return { identifier: ph, params: { [ph]: n } };
    }
    case "function": {
      const fn = Object.hasOwn(TOKEN_FUNCTIONS, op.literal) ? TOKEN_FUNCTIONS[op.literal] : undefined;
      if (!fn) throw new FilterError(`unknown function ${JSON.stringify(op.literal)}`);
      return fn((arg) => resolveOperand(arg, resolver, params), op.args, params.dialect);
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
      if (paramCount(right) === 0) {
        // a column or expression on the right: contains-match against its value
        expr = d.likeContains(left.identifier, right.identifier, negate);
      } else {
        wrapLikeParams(right, params);
        expr = d.like(left.identifier, right.identifier, negate);
      }
      break;
    }
    case "<":
    case "?<":
      expr = `${left.identifier} < ${right.identifier}`;
      break;
    case "<=":
    case "?<=":
      expr = `${left.identifier} <= ${right.identifier}`;
      break;
    case ">":
    case "?>":
      expr = `${left.identifier} > ${right.identifier}`;
      break;
    case ">=":
    case "?>=":
      expr = `${left.identifier} >= ${right.identifier}`;
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
  };
  const plain: ResolverResult = { identifier: other.identifier, params: other.params };
  const where = inverse ? buildComparison(plain, op, value, params) : buildComparison(value, op, plain, params);
  return `NOT EXISTS (SELECT 1 FROM (${multi.multiMatch!.build(d)}) ${d.quoteIdent(alias)} WHERE ${where})`;
}

/** Both sides multi-valued: every left value compared with every right value. */
function manyVsMany(left: ResolverResult, op: SignOp, right: ResolverResult, params: SqlParams): string {
  const d = params.dialect;
  const l = params.alias("__ml");
  const r = params.alias("__mr");
  const where = buildComparison(
    { nullFallback: left.nullFallback, identifier: `${d.quoteIdent(l)}.${d.quoteIdent("multiMatchValue")}` },
    op,
    {
      nullFallback: right.nullFallback,
      identifier: `${d.quoteIdent(r)}.${d.quoteIdent("multiMatchValue")}`,
      afterBuild: not,
    },
    params,
  );
  return `NOT EXISTS (SELECT 1 FROM (${left.multiMatch!.build(d)}) ${d.quoteIdent(l)} LEFT JOIN (${right.multiMatch!.build(d)}) ${d.quoteIdent(r)} WHERE ${where})`;
}

/**
 * `=` and `!=` with upstream's NULL/empty normalizations: direct comparisons when one side is a
 * known non-empty value, `(x = '' OR x IS NULL)` against empty values, COALESCE between columns,
 * null-safe equality (`IS`/`IS NOT`) when an operand disables the fallback. `!=` is always the
 * null-safe `IS NOT` so a NULL column still differs from a value.
 */
function buildEqual(equal: boolean, left: ResolverResult, right: ResolverResult, params: SqlParams): string {
  const d = params.dialect;
  const eq = (l: string, r: string) => (equal ? `${l} = ${r}` : d.nullSafeEq(l, r, true));
  const concat = equal ? "OR" : "AND";
  const nullExpr = equal ? "IS NULL" : "IS NOT NULL";

  if (left.nullFallback === NullFallback.Disabled || right.nullFallback === NullFallback.Disabled) {
    return d.nullSafeEq(left.identifier, right.identifier, !equal);
  }

  const leftEmpty =
    isEmptyIdentifier(left) ||
    ((left.nullFallback ?? NullFallback.Auto) === NullFallback.Auto && paramCount(left) === 1 && hasEmptyParam(left));
  const rightEmpty =
    isEmptyIdentifier(right) ||
    ((right.nullFallback ?? NullFallback.Auto) === NullFallback.Auto &&
      paramCount(right) === 1 &&
      hasEmptyParam(right));

  if (leftEmpty && rightEmpty) return eq("''", "''");

  if (isKnownNonEmpty(left) || isKnownNonEmpty(right)) {
    return eq(leftEmpty ? "''" : left.identifier, rightEmpty ? "''" : right.identifier);
  }
  if (leftEmpty) return `(${eq("''", right.identifier)} ${concat} ${right.identifier} ${nullExpr})`;
  if (rightEmpty) return `(${eq(left.identifier, "''")} ${concat} ${left.identifier} ${nullExpr})`;
  return eq(`COALESCE(${left.identifier}, '')`, `COALESCE(${right.identifier}, '')`);
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
