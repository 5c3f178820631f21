/**
 * Typed comparisons: what an operand's SQL value is (a number column, a text column, a bound number,
 * a JSON value...) and how `left op right` is written so that an engine that types strictly
 * (PostgreSQL) gives SQLite's answer. Our own: upstream runs SQLite only.
 *
 * SQLite compares loosely: a column's affinity converts the other operand first (a NUMERIC column
 * turns the text '5' into 5; a TEXT column turns the bound real 5 into '5.0'), then values order as
 * NULL < numbers < text, so a number never equals a text. PostgreSQL refuses `text = float8`. For
 * PostgreSQL each operand becomes the triple SQLite sees (storage class rank, number, text) after the
 * same affinity rules, decided statically from the operand types wherever they are known, and
 * compared as a row only when the class is known at run time alone (JSON values). SQLite's SQL is
 * left exactly as before: it is the reference.
 */
import type { Dialect, SqlValue } from "../sql/dialect.ts";

/**
 * What an operand holds:
 * - `numberColumn`: a column with SQLite NUMERIC affinity holding numbers (number and bool fields);
 * - `textColumn`: a column with TEXT affinity (text, email, date, single relation..., also the JSON
 *   array columns of multiple fields, which hold text);
 * - `number` / `text`: a number or a text without affinity (bound literals, macros, functions);
 * - `bool`: an SQL condition used as a value (`:isset`, `:changed`): 1 or 0 in SQLite;
 * - `json`: a JSON value read by path (`jsonSource`): its class is only known per row;
 * - `null`: the NULL literal.
 */
export type OperandType = "numberColumn" | "textColumn" | "number" | "text" | "bool" | "json" | "null";

/** One side of a comparison. */
export interface TypedOperand {
  /** The SQL as the filter compiler wrote it (SQLite's text). */
  sql: string;
  /** Unknown: compared as written (plain tables through SimpleFieldResolver). */
  type?: OperandType;
  /** For `json`: the JSON document expression and the path read from it (`a.b`, `[0]`; '' for the root). */
  jsonSource?: { expr: string; path: string };
  /** The value bound to `sql` when it is a lone placeholder. */
  constant?: SqlValue;
  /** The constant is bound as a REAL (a Go float64), which SQLite prints as `5.0`. */
  real?: boolean;
  /** Wrapped as `COALESCE(x, '')` (which drops the affinity in SQLite). */
  orEmpty?: boolean;
}

export type CompareOp = "=" | "<" | "<=" | ">" | ">=" | "IS" | "IS NOT";

/**
 * How SQLite (3.54) writes a REAL as text: 15 significant digits when they give the number back,
 * else 17; at least one decimal (5 → '5.0'); exponent form below 1e-4 and from 1e17 ('1.0e-07').
 * Its 17th digit comes from its own rounding, which may differ from this (exact) one.
 */
export function sqliteRealText(n: number): string {
  if (Number.isNaN(n)) return "";
  if (!Number.isFinite(n)) return n > 0 ? "Inf" : "-Inf";
  if (n === 0) return "0.0";
  const sign = n < 0 ? "-" : "";
  let m = Math.abs(n).toExponential(14);
  if (Number(m) !== Math.abs(n)) m = Math.abs(n).toExponential(16);
  const [mant, expText] = m.split("e") as [string, string];
  const exp = Number(expText);
  const digits = mant.replace(".", "").replace(/0+$/, "") || "0";
  if (exp < -4 || exp >= 17) {
    return `${sign}${digits[0]}.${digits.slice(1) || "0"}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  return `${sign}${digits.slice(0, exp + 1).padEnd(exp + 1, "0")}.${digits.slice(exp + 1) || "0"}`;
}

/** SQLite's test for text that NUMERIC affinity turns into a number (spaces around allowed; no hex). */
const NUMERIC_TEXT = /^[ \t\n\f\r]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\n\f\r]*$/;

/** The number NUMERIC affinity makes of `s`, or null when it stays text. */
export function sqliteNumericText(s: string): number | null {
  if (!NUMERIC_TEXT.test(s)) return null;
  const n = Number(s.trim());
  return Number.isNaN(n) ? null : n;
}

// --- PostgreSQL ---------------------------------------------------------------------------------------

/** A value as SQLite sees it: its storage class when known statically, and SQL for each part. */
interface PgValue {
  cls: "num" | "text" | "dyn" | "null";
  /** float8 SQL (num; dyn: NULL unless the class is numeric). */
  num: string;
  /** text SQL (text; dyn: NULL unless the class is text). */
  txt: string;
  /** dyn: 1 numeric, 2 text, NULL for NULL. */
  rank: string;
  /** num and dyn: the number written as text, as SQLite's TEXT affinity would. */
  numText: string;
}

const PG_NUMERIC_RE = "^[ \\t\\n\\f\\r]*[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]{1,4})?[ \\t\\n\\f\\r]*$";

/** float8 of a numeric-looking text (NULL otherwise), clamped where float8 would overflow or underflow. */
function pgTextToNumber(t: string): string {
  return (
    `(CASE WHEN ${t} ~ '${PG_NUMERIC_RE}' THEN (SELECT CASE WHEN abs(x) > 1.7976931348623157e308 THEN sign(x) * 'Infinity'::float8 ` +
    `WHEN abs(x) < 1e-307 THEN 0::float8 ELSE x::float8 END FROM (SELECT (${t})::numeric AS x OFFSET 0) pb_n) END)`
  );
}

/**
 * How SQLite prints a number (float8 `x`): a REAL as sqliteRealText does (15 significant digits when
 * they give the number back, else PostgreSQL's shortest round-trip text, where SQLite prints 17); an
 * integral value as an INTEGER when `real` is false (SQLite keeps integral numbers of a NUMERIC
 * column, and counts, as integers). The exponent forms (below 1e-4, from 1e17) are PostgreSQL's.
 */
export function pgNumberText(x: string, real: boolean): string {
  // digits (numeric) as SQLite writes them: trailing zeros dropped, at least one decimal
  const fixed = (n: string) =>
    `(SELECT CASE WHEN t LIKE '%.' THEN t || '0' WHEN t LIKE '%.%' THEN t ELSE t || '.0' END FROM ` +
    `(SELECT CASE WHEN position('.' in r) > 0 THEN rtrim(r, '0') ELSE r END AS t FROM (SELECT (${n})::text AS r) pb_u) pb_t)`;
  // beyond 1e17 and below 1e-4 PostgreSQL prints the shortest round-trip digits in exponent form
  // too: the significand gets SQLite's '.0' and the exponent its two digits at least
  const exponentForm =
    `(SELECT ${fixed("split_part(t, 'e', 1)")} || 'e' || (CASE WHEN x < 0 THEN '-' ELSE '+' END) || ` +
    `(CASE WHEN abs(x) < 10 THEN '0' ELSE '' END) || abs(x)::text ` +
    `FROM (SELECT t, split_part(t, 'e', 2)::int AS x FROM (SELECT v::text AS t) pb_x) pb_y)`;
  const realText =
    `(SELECT CASE WHEN v = 0 THEN '0.0' WHEN v IN ('Infinity', '-Infinity', 'NaN') THEN v::text ` +
    `WHEN abs(v) >= 1e17 OR abs(v) < 1e-4 THEN ${exponentForm} ` +
    `WHEN r15::float8 = v THEN ${fixed("r15")} ELSE ${fixed("(v::text)::numeric")} END FROM ` +
    `(SELECT v, CASE WHEN v <> 0 AND abs(v) < 1e17 AND abs(v) >= 1e-4 THEN round((v::text)::numeric, (14 - floor(log(abs((v::text)::numeric))))::int) END AS r15 ` +
    `FROM (SELECT (${x})::float8 AS v OFFSET 0) pb_r) pb_s)`;
  if (real) return realText;
  return `(CASE WHEN (${x}) = trunc(${x}) AND abs(${x}) < 1e18 THEN trunc(${x})::bigint::text ELSE ${realText} END)`;
}

/** A JSON path (`a.b`, `[0]`, `a[1]`) as the text[] of `#>`. */
function pgPathArray(path: string): string {
  const parts: string[] = [];
  for (const m of path.matchAll(/\[([^\]]*)\]|\.?([^.[]+)/g)) parts.push(m[1] !== undefined ? m[1] : m[2]!);
  return parts.length === 0 ? "'{}'::text[]" : `ARRAY[${parts.map((p) => "'" + p.replaceAll("'", "''") + "'").join(", ")}]::text[]`;
}

/**
 * The json value SQLite's json_extract reads (json type): text that is not JSON stands at the root
 * as a string (SQLite's `{"pb": value}` fallback) and has nothing below it.
 */
export function pgJsonValue(expr: string, path: string): string {
  const root = path === "" ? `to_json((${expr})::text)` : "NULL::json";
  return `(CASE WHEN pb_json_valid((${expr})::text) THEN ((${expr})::text)::json #> ${pgPathArray(path)} ELSE ${root} END)`;
}

function fromJson(j: string): PgValue {
  const t = `json_typeof(${j})`;
  return {
    cls: "dyn",
    rank: `(CASE ${t} WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 WHEN 'string' THEN 2 WHEN 'array' THEN 2 WHEN 'object' THEN 2 END)`,
    num: `(CASE ${t} WHEN 'number' THEN ${pgTextToNumber(`(${j} #>> '{}')`)} WHEN 'boolean' THEN (CASE WHEN (${j})::text = 'true' THEN 1 ELSE 0 END)::float8 END)`,
    txt: `(CASE WHEN ${t} IN ('string', 'array', 'object') THEN ${j} #>> '{}' END)`,
    numText: `(CASE ${t} WHEN 'number' THEN ${j} #>> '{}' WHEN 'boolean' THEN (CASE WHEN (${j})::text = 'true' THEN '1' ELSE '0' END) END)`,
  };
}

const NULL_VALUE: PgValue = { cls: "null", num: "NULL::float8", txt: "NULL::text", rank: "NULL::int", numText: "NULL::text" };

/** Binds a new parameter (typed in the SQL) and returns its SQL. */
type AddParam = (value: SqlValue) => string;

/** A plain column reference or a lone placeholder: cheap to repeat in the rendered SQL. */
const SIMPLE_SQL = /^(?:"(?:[^"]|"")*"\.)?"(?:[^"]|"")*"$|^:p\d+$/;

/**
 * The operand's value, typed (float8, text or json), as SQL to compute once; null for NULL. A
 * comparison reads it through `pb_v.<name>` when it is not cheap to repeat (see withBindings).
 */
function baseSql(op: TypedOperand): string | null {
  switch (op.type) {
    case "null":
      return null;
    case "numberColumn":
    case "number":
      return `(${op.sql})::float8`;
    case "bool":
      return `((${op.sql})::int)::float8`;
    case "json":
      return op.jsonSource ? pgJsonValue(op.jsonSource.expr, op.jsonSource.path) : `(${op.sql})::json`;
    default:
      return `(${op.sql})::text`;
  }
}

/** The value over `ref`, the operand's base SQL (or a reference to it). */
function pgValue(op: TypedOperand, ref: string, add: AddParam): PgValue {
  let v: PgValue;
  switch (op.type) {
    case "null":
      return NULL_VALUE;
    case "numberColumn":
    case "number": {
      const numText =
        typeof op.constant === "number" ? `(${add(formatNumberConstant(op))})::text` : pgNumberText(ref, op.real === true);
      v = { cls: "num", num: ref, txt: "NULL::text", rank: "1", numText };
      break;
    }
    case "bool":
      v = { cls: "num", num: ref, txt: "NULL::text", rank: "1", numText: `((${ref})::int)::text` };
      break;
    case "json":
      v = fromJson(ref);
      break;
    default:
      v = { cls: "text", num: "NULL::float8", txt: ref, rank: "2", numText: "NULL::text" };
  }
  return op.orEmpty ? orEmpty(v) : v;
}

/**
 * Renders `body` over the operands' values, computing each non-trivial one once: JSON values and
 * function results are bound in a one-row subquery (`pb_v`) instead of being repeated in every
 * branch of the CASE expressions. OFFSET 0 keeps PostgreSQL from flattening that subquery, which
 * would paste the expression back into every reference.
 */
function withBindings(ops: TypedOperand[], add: AddParam, body: (values: PgValue[]) => string): string {
  const binds: string[] = [];
  const values = ops.map((op, i) => {
    const base = baseSql(op);
    if (base === null) return pgValue(op, "NULL", add);
    if (SIMPLE_SQL.test(op.sql) && op.type !== "json") return pgValue(op, base, add);
    binds.push(`${base} AS v${i}`);
    return pgValue(op, `pb_v.v${i}`, add);
  });
  const sql = body(values);
  return binds.length === 0 ? sql : `(SELECT ${sql} FROM (SELECT ${binds.join(", ")} OFFSET 0) pb_v)`;
}

/** The text a bound number becomes under TEXT affinity: a real as SQLite prints it, an integer as digits. */
function formatNumberConstant(op: TypedOperand): string {
  const n = op.constant as number;
  return op.real || !Number.isInteger(n) ? sqliteRealText(n) : String(n);
}

/** The value as a dyn triple (for row comparisons). */
function toDyn(v: PgValue): PgValue {
  switch (v.cls) {
    case "num":
      return { ...v, cls: "dyn", rank: `(CASE WHEN ${v.num} IS NULL THEN NULL ELSE 1 END)` };
    case "text":
      return { ...v, cls: "dyn", rank: `(CASE WHEN ${v.txt} IS NULL THEN NULL ELSE 2 END)` };
    default:
      return v;
  }
}

/** COALESCE(v, ''): NULL becomes the empty text. */
function orEmpty(v: PgValue): PgValue {
  if (v.cls === "text") return { ...v, txt: `COALESCE(${v.txt}, '')` };
  if (v.cls === "null") return { cls: "text", num: "NULL::float8", txt: "''", rank: "2", numText: "NULL::text" };
  const d = toDyn(v);
  return { ...d, rank: `COALESCE(${d.rank}, 2)`, txt: `(CASE WHEN ${d.rank} IS NULL THEN '' ELSE ${d.txt} END)` };
}

/** NUMERIC affinity applied to a value: numeric-looking text becomes a number. */
function numericAffinity(v: PgValue, op: TypedOperand, add: AddParam): PgValue {
  if (v.cls === "num" || v.cls === "null") return v;
  if (v.cls === "text") {
    if (typeof op.constant === "string" && !op.orEmpty) {
      const n = sqliteNumericText(op.constant);
      if (n === null) return v;
      const ph = add(n);
      return { cls: "num", num: `(${ph})::float8`, txt: "NULL::text", rank: "1", numText: `(${v.txt})` };
    }
    const num = pgTextToNumber(v.txt);
    return {
      cls: "dyn",
      rank: `(CASE WHEN ${v.txt} IS NULL THEN NULL WHEN ${v.txt} ~ '${PG_NUMERIC_RE}' THEN 1 ELSE 2 END)`,
      num,
      txt: `(CASE WHEN ${v.txt} ~ '${PG_NUMERIC_RE}' THEN NULL ELSE ${v.txt} END)`,
      numText: v.txt,
    };
  }
  // dyn: its text part may look numeric too
  return {
    cls: "dyn",
    rank: `(CASE WHEN ${v.rank} = 2 AND ${v.txt} ~ '${PG_NUMERIC_RE}' THEN 1 ELSE ${v.rank} END)`,
    num: `(CASE WHEN ${v.rank} = 1 THEN ${v.num} WHEN ${v.rank} = 2 THEN ${pgTextToNumber(v.txt)} END)`,
    txt: `(CASE WHEN ${v.rank} = 2 AND NOT (${v.txt} ~ '${PG_NUMERIC_RE}') THEN ${v.txt} END)`,
    numText: `(CASE WHEN ${v.rank} = 1 THEN ${v.numText} ELSE ${v.txt} END)`,
  };
}

/** TEXT affinity applied to a value: a number becomes its text. */
function textAffinity(v: PgValue): PgValue {
  if (v.cls === "text" || v.cls === "null") return v;
  if (v.cls === "num") return { cls: "text", num: "NULL::float8", txt: v.numText, rank: "2", numText: "NULL::text" };
  return {
    cls: "dyn",
    rank: `(CASE WHEN ${v.rank} IS NULL THEN NULL ELSE 2 END)`,
    num: "NULL::float8",
    txt: `(CASE WHEN ${v.rank} = 1 THEN ${v.numText} ELSE ${v.txt} END)`,
    numText: "NULL::text",
  };
}

type Affinity = "numeric" | "text" | "none";

function affinityOf(op: TypedOperand): Affinity {
  if (op.orEmpty) return "none";
  if (op.type === "numberColumn") return "numeric";
  if (op.type === "textColumn") return "text";
  return "none";
}

function isNullSql(v: PgValue): string {
  switch (v.cls) {
    case "num":
      return `${v.num} IS NULL`;
    case "text":
      return `${v.txt} IS NULL`;
    case "null":
      return "TRUE";
    default:
      return `${v.rank} IS NULL`;
  }
}

/** The two values as SQLite compares them (affinity applied). */
function applyAffinity(left: TypedOperand, l: PgValue, right: TypedOperand, r: PgValue, add: AddParam): [PgValue, PgValue] {
  const la = affinityOf(left);
  const ra = affinityOf(right);
  if (la === "numeric" && ra !== "numeric") r = numericAffinity(r, right, add);
  else if (ra === "numeric" && la !== "numeric") l = numericAffinity(l, left, add);
  else if (la === "text" && ra === "none") r = textAffinity(r);
  else if (ra === "text" && la === "none") l = textAffinity(l);
  return [l, r];
}

/** The leading number of a text as SQLite reads a text's truth ('100%' → 100, 'abc' → 0). */
const PG_NUMERIC_PREFIX_RE = "^[ \\t\\n\\f\\r]*[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?";

/**
 * SQLite's `x IS [NOT] TRUE|FALSE`, a truth test rather than a comparison with 1/0: a number is
 * true when not 0, a text by its leading number, NULL is neither.
 */
function truthTest(v: PgValue, op: "IS" | "IS NOT", keyword: "TRUE" | "FALSE"): string {
  const textNumber = (t: string) => `COALESCE(${pgTextToNumber(`substring(${t} from '${PG_NUMERIC_PREFIX_RE}')`)}, 0)`;
  let z: string;
  switch (v.cls) {
    case "null":
      z = "NULL::float8";
      break;
    case "num":
      z = v.num;
      break;
    case "text":
      z = `(CASE WHEN ${v.txt} IS NULL THEN NULL ELSE ${textNumber(v.txt)} END)`;
      break;
    default:
      z = `(CASE ${v.rank} WHEN 1 THEN ${v.num} WHEN 2 THEN ${textNumber(v.txt)} END)`;
  }
  const test = `COALESCE(${z} ${keyword === "TRUE" ? "<>" : "="} 0, FALSE)`;
  return op === "IS" ? test : `(NOT ${test})`;
}

/** `left op right` for PostgreSQL with SQLite's result (NULL where SQLite gives NULL). */
export function pgCompare(left: TypedOperand, op: CompareOp, right: TypedOperand, add: AddParam): string {
  if ((op === "IS" || op === "IS NOT") && (right.sql === "TRUE" || right.sql === "FALSE") && !right.orEmpty) {
    return withBindings([left], add, ([lv]) => truthTest(lv!, op, right.sql as "TRUE" | "FALSE"));
  }
  return withBindings([left, right], add, ([lv, rv]) => {
    const [l, r] = applyAffinity(left, lv!, right, rv!, add);
    return compareValues(l, op, r);
  });
}

function compareValues(l: PgValue, op: CompareOp, r: PgValue): string {
  const nullSafe = op === "IS" || op === "IS NOT";
  if (l.cls === "null" || r.cls === "null") {
    if (!nullSafe) return "NULL::boolean";
    const other = l.cls === "null" ? r : l;
    const bothNull = isNullSql(other);
    return op === "IS" ? `(${bothNull})` : `(NOT (${bothNull}))`;
  }
  const sqlOp = op === "IS" ? "IS NOT DISTINCT FROM" : op === "IS NOT" ? "IS DISTINCT FROM" : op;
  if (l.cls === "num" && r.cls === "num") return `${l.num} ${sqlOp} ${r.num}`;
  // text orders by its bytes, as SQLite's BINARY collation, whatever the database's collation
  if (l.cls === "text" && r.cls === "text") return `${l.txt} ${sqlOp} ${r.txt}${nullSafe || op === "=" ? "" : ' COLLATE "C"'}`;
  if (l.cls !== "dyn" && r.cls !== "dyn") {
    // a number against a text: never equal, and the number orders first
    const lNull = isNullSql(l);
    const rNull = isNullSql(r);
    if (op === "IS") return `(${lNull} AND ${rNull})`;
    if (op === "IS NOT") return `(NOT (${lNull} AND ${rNull}))`;
    const numFirst = l.cls === "num";
    const result = op === "=" ? false : op === "<" || op === "<=" ? numFirst : !numFirst;
    return `(CASE WHEN ${lNull} OR ${rNull} THEN NULL ELSE ${result ? "TRUE" : "FALSE"} END)`;
  }
  const a = toDyn(l);
  const b = toDyn(r);
  const row = (v: PgValue) => `ROW(${v.rank}, COALESCE(${v.num}, 0::float8), COALESCE(${v.txt}, ''::text) COLLATE "C")`;
  const rowOp = nullSafe ? "=" : op;
  const cmp = `${row(a)} ${rowOp} ${row(b)}`;
  if (op === "IS") return `(CASE WHEN ${a.rank} IS NULL OR ${b.rank} IS NULL THEN (${a.rank} IS NULL AND ${b.rank} IS NULL) ELSE ${cmp} END)`;
  if (op === "IS NOT") return `(CASE WHEN ${a.rank} IS NULL OR ${b.rank} IS NULL THEN NOT (${a.rank} IS NULL AND ${b.rank} IS NULL) ELSE NOT (${cmp}) END)`;
  return `(CASE WHEN ${a.rank} IS NULL OR ${b.rank} IS NULL THEN NULL ELSE ${cmp} END)`;
}

/** The text SQLite's LIKE reads of a value (a number prints as a number; NULL stays NULL). */
function likeText(v: PgValue): string {
  switch (v.cls) {
    case "null":
      return "NULL::text";
    case "text":
      return v.txt;
    case "num":
      return v.numText;
    default:
      return `(CASE WHEN ${v.rank} = 1 THEN ${v.numText} ELSE ${v.txt} END)`;
  }
}

const ASCII_UPPER = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ'";
const ASCII_LOWER = "'abcdefghijklmnopqrstuvwxyz'";

/**
 * SQLite's `left LIKE right ESCAPE '\'` (also with `'%' || right || '%'` when `contains`): both
 * sides as text, case-insensitive for ASCII letters only (PostgreSQL's ILIKE folds every letter).
 */
export function pgLike(left: TypedOperand, right: TypedOperand, negate: boolean, contains: boolean, add: AddParam): string {
  return withBindings([left, right], add, ([l, r]) => {
    const fold = (t: string) => `translate(${t}, ${ASCII_UPPER}, ${ASCII_LOWER})`;
    const pattern = contains ? `('%' || ${fold(likeText(r!))} || '%')` : fold(likeText(r!));
    return `${fold(likeText(l!))} ${negate ? "NOT " : ""}LIKE ${pattern} ESCAPE '\\'`;
  });
}

/** The number an operand gives a math function (SQLite: numeric-looking text converts, other text is NULL). */
export function pgMathNumber(op: TypedOperand, add: AddParam): string {
  return withBindings([op], add, ([v]) => {
    switch (v!.cls) {
      case "null":
        return "NULL::float8";
      case "num":
        return v!.num;
      case "text":
        return pgTextToNumber(v!.txt);
      default:
        return `(CASE WHEN ${v!.rank} = 1 THEN ${v!.num} WHEN ${v!.rank} = 2 THEN ${pgTextToNumber(v!.txt)} END)`;
    }
  });
}

/**
 * An ORDER BY key ordering as SQLite orders the operand's values: text by its bytes (SQLite's BINARY
 * collation, whatever the database's), JSON values by class (NULL, numbers, text) then value; null
 * when the plain SQL already orders right.
 */
export function pgSortKey(op: TypedOperand, add: AddParam): string | null {
  if (op.type === "text" || op.type === "textColumn") return `${op.sql} COLLATE "C"`;
  if (op.type !== "json") return null;
  return withBindings(
    [op],
    add,
    ([v]) => `ROW(COALESCE(${v!.rank}, 0), COALESCE(${v!.num}, 0::float8), COALESCE(${v!.txt}, ''::text) COLLATE "C")`,
  );
}

/** True when `d` types strictly and needs the typed rendering. */
export function typesStrictly(d: Dialect): boolean {
  return d.strictTypes;
}
