/**
 * The PostgreSQL 15 dialect: the SQL text `sqliteDialect` renders, written so that PostgreSQL gives
 * SQLite's results over the same stored values (issue 17: PostgreSQL stores what SQLite stores, in the
 * same text; JSON kinds are TEXT columns). Pure: no I/O. Our own: upstream runs SQLite only; its
 * SQLite twin is dialect.ts.
 *
 * JSON helpers cast TEXT to `json` only behind `pb_json_valid` (pg_functions.ts), so text that is not
 * JSON never raises; `json` (not jsonb) keeps the text, and so nested values, as stored.
 *
 * Results are text where SQLite's are typed: jsonEach's `value` (json_array_elements_text), jsonExtract
 * and lastJsonItem give a JSON number as its text ('5', not 5), true/false as 'true'/'false' (SQLite:
 * 1/0), a string unquoted, a nested array or object as its JSON text, JSON null as NULL. Comparing those
 * against numbers or bools needs the filter compiler's explicit casts.
 */
import {
  type ColumnKind,
  type Dialect,
  type IndexSpec,
  isIndexExpression,
  isValidIndexSpec,
} from "./dialect.ts";
import { PG_FUNCTIONS_SQL } from "./pg_functions.ts";

function quoteIdent(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

/** A text literal (standard_conforming_strings is on from PostgreSQL 9.1: backslashes are literal). */
function quoteLiteral(s: string): string {
  return "'" + s.replaceAll("'", "''") + "'";
}

/**
 * Text columns take the "C" collation whatever the database's default is: SQLite compares text by
 * bytes (ORDER BY, <, unique indexes) and folds case for ASCII letters only (NOCASE, LIKE); under "C"
 * PostgreSQL does the same — byte order, and lower()/ILIKE fold ASCII only — where a database created
 * with, say, en_US.UTF-8 would sort "a" before "B" and fold "É".
 */
export const TEXT_COLLATION = 'COLLATE "C"';

const PG_COLUMN_TYPES: Readonly<Record<ColumnKind, string>> = {
  text: `TEXT ${TEXT_COLLATION} NOT NULL DEFAULT ''`,
  // upstream's default id shape, 'r' + 14 hex characters (pb generates ids in JS anyway)
  textPrimaryKey: `TEXT ${TEXT_COLLATION} PRIMARY KEY NOT NULL DEFAULT ('r' || substr(md5(random()::text || clock_timestamp()::text), 1, 14))`,
  bool: "SMALLINT NOT NULL DEFAULT 0",
  number: "DOUBLE PRECISION NOT NULL DEFAULT 0",
  json: `TEXT ${TEXT_COLLATION} DEFAULT NULL`,
  jsonArray: `TEXT ${TEXT_COLLATION} NOT NULL DEFAULT '[]'`,
  geoPoint: `TEXT ${TEXT_COLLATION} NOT NULL DEFAULT '{"lon":0,"lat":0}'`,
};

/** True when `expr` holds a JSON array (SQLite's `json_valid(x) AND json_type(x) = 'array'`); NULL for NULL. */
function isJsonArray(expr: string): string {
  // the regex is a cheap first test; pb_json_valid only runs on text starting with '['
  return `(${expr} ~ '^[ \\t\\n\\r]*\\[' AND pb_json_valid(${expr}))`;
}

/** A JSON path as SQLite writes it after `$` (`.a.b`, `[0]`, `a[1]`, `[#-1]`) as a text[] for `#>>`. */
function pathArray(path: string): string {
  const parts: string[] = [];
  for (const m of path.matchAll(/\[([^\]]*)\]|\.?([^.[]+)/g)) {
    const part = m[1] !== undefined ? m[1].replace(/^#/, "") : m[2]!;
    parts.push(part.replace(/^"(.*)"$/, "$1"));
  }
  return parts.length === 0 ? "'{}'::text[]" : `ARRAY[${parts.map(quoteLiteral).join(", ")}]::text[]`;
}

/**
 * A WHERE condition or index expression written for SQLite, with `backtick` identifiers double-quoted
 * for PostgreSQL; 'strings' and "identifiers" stay as written.
 */
export function pgRequote(sql: string): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === "`") {
      let j = i + 1;
      let body = "";
      for (; j < sql.length; j++) {
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) {
            body += ch;
            j++;
            continue;
          }
          break;
        }
        body += sql[j];
      }
      out += ch === "`" ? quoteIdent(body) : sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

function buildIndex(idx: IndexSpec): string {
  if (!isValidIndexSpec(idx)) return "";
  // PostgreSQL creates an index in its table's schema and takes no qualified index name; upstream's
  // schema names are SQLite's attached databases (`main`), so the schema is left out
  let s = "CREATE ";
  if (idx.unique) s += "UNIQUE ";
  s += "INDEX ";
  if (idx.optional) s += "IF NOT EXISTS ";
  s += quoteIdent(idx.indexName) + " ON " + quoteIdent(idx.tableName) + " (";
  const cols: string[] = [];
  for (const col of idx.columns) {
    const name = col.name.trim();
    if (name === "") continue;
    // an expression keeps its text (identifiers requoted) in the parentheses PostgreSQL requires
    let expr = isIndexExpression(col.name) ? `(${pgRequote(name)})` : quoteIdent(name);
    // NOCASE becomes a lower() expression index (nocaseEq compares lower() = lower() to use it);
    // PostgreSQL knows no other SQLite collation (BINARY is its default, RTRIM has no twin)
    if (col.collate.toUpperCase() === "NOCASE") expr = `(lower(${expr}))`;
    if (col.sort !== "") expr += " " + col.sort.toUpperCase();
    cols.push(expr);
  }
  if (cols.length > 1) s += "\n  " + cols.join(",\n  ") + "\n";
  else s += cols.join("");
  s += ")";
  if (idx.where !== "") s += " WHERE " + pgRequote(idx.where);
  return s;
}

/** The relations of the current schema that SQLite would call tables and views. */
const RELATIONS =
  "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
  "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')";

/** The indexes (ic) of the current schema's tables (tc). */
const INDEXES =
  "pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid " +
  "JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid JOIN pg_catalog.pg_namespace n ON n.oid = tc.relnamespace " +
  "WHERE n.nspname = current_schema()";

/** Only those created by CREATE INDEX (constraint-backed ones are the table's own, as SQLite's autoindexes). */
const CREATED_INDEXES =
  INDEXES +
  " AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con WHERE con.conindid = i.indexrelid" +
  " AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))";

export const postgresDialect: Dialect = {
  name: "postgres",
  quoteIdent,
  quoteColumn(ref) {
    return ref
      .split(".")
      .map((p) => (p === "*" ? p : quoteIdent(p)))
      .join(".");
  },
  quoteTable(name) {
    return name.includes("(") ? name : quoteIdent(name);
  },
  realParam(placeholder) {
    return `(${placeholder})::float8`;
  },
  limitAll: "ALL",
  jsonEach(expr) {
    // `value` is text for every item (SQLite's json_each gives 5 for a number item, here '5'; true is
    // 'true', SQLite's 1); a non-array value, '' and NULL included, is the one item, as in SQLite
    return `json_array_elements_text(CASE WHEN ${isJsonArray(expr)} THEN (${expr})::json ELSE json_build_array(${expr}) END)`;
  },
  jsonEachParam(placeholder) {
    // through text: a placeholder cast straight to json would bind a JS string as a JSON string; a
    // value that is no JSON array (a LIKE pattern the filter made of it) gives no items, not an error
    // (the placeholder appears once: a positional `?` binds one value)
    return `json_array_elements_text((SELECT CASE WHEN ${isJsonArray("t")} THEN t::json ELSE '[]'::json END FROM (SELECT CAST(${placeholder} AS text) AS t) pb_p))`;
  },
  jsonArrayLength(expr) {
    return `(CASE WHEN ${isJsonArray(expr)} THEN json_array_length((${expr})::json) WHEN ${expr} = '' OR ${expr} IS NULL THEN 0 ELSE 1 END)`;
  },
  jsonExtract(expr, path) {
    // not JSON: the value stands at the root with nothing below it (SQLite's json_object('pb', v))
    const notJson = path === "" ? `(${expr})::text` : "NULL";
    return `(CASE WHEN pb_json_valid(${expr}) THEN (${expr})::json #>> ${pathArray(path)} ELSE ${notJson} END)`;
  },
  jsonExtractRaw(expr, path) {
    return `((${expr})::json #>> ${pathArray(path)})`;
  },
  like(left, right, negate) {
    return `${left} ${negate ? "NOT " : ""}ILIKE ${right} ESCAPE '\\'`;
  },
  likeContains(left, right, negate) {
    return `${left} ${negate ? "NOT " : ""}ILIKE ('%' || ${right} || '%') ESCAPE '\\'`;
  },
  nullSafeEq(left, right, negate) {
    return `${left} ${negate ? "IS DISTINCT FROM" : "IS NOT DISTINCT FROM"} ${right}`;
  },
  strftime(args) {
    // pb_strftime takes text (a number time value reads as SQLite reads it, a Julian day); one
    // argument is SQLite's strftime(format) of now
    const [format, time, ...modifiers] = args.map((a) => `(${a})::text`);
    return `pb_strftime(${[format ?? "NULL", time ?? "'now'", ...modifiers].join(", ")})`;
  },
  nocaseEq(left, right) {
    // matches the NOCASE lower() index; under the columns' "C" collation lower() folds ASCII only, as NOCASE
    return `lower(${left}) = lower(${right})`;
  },
  lower(expr) {
    // SQLite's LOWER folds ASCII letters only (lower() folds every letter) and reads numbers as text
    return `translate((${expr})::text, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;
  },
  isTrue(expr) {
    return `${expr} <> 0`;
  },
  unconditionedJoinOn: " ON TRUE",
  orderTerm(expr, direction) {
    return `${expr} ${direction} ${direction === "ASC" ? "NULLS FIRST" : "NULLS LAST"}`;
  },
  strictTypes: true,
  rowid: '"_rowid_"',
  rowidColumn: '"_rowid_" BIGINT GENERATED ALWAYS AS IDENTITY',
  timestampDefault: `to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS"Z"')`,
  setupScript: PG_FUNCTIONS_SQL,
  toJsonArray(expr) {
    return `CASE WHEN ${isJsonArray(expr)} THEN ${expr} ELSE json_build_array(${expr})::text END`;
  },
  lastJsonItem(expr) {
    return `CASE WHEN ${isJsonArray(expr)} THEN COALESCE((${expr})::json ->> -1, '') ELSE ${expr} END`;
  },
  columnType(kind) {
    return PG_COLUMN_TYPES[kind];
  },
  buildIndex,
  catalog: {
    hasTable: `SELECT 1 FROM ${RELATIONS} AND lower(c.relname) = lower(CAST(? AS text)) LIMIT 1`,
    tableColumns(table) {
      // the exact name first, else a case-insensitive match (SQLite's names are case-insensitive)
      const lit = quoteLiteral(table);
      return (
        "SELECT (row_number() OVER (ORDER BY a.attnum) - 1)::int AS cid, a.attname::text AS name, " +
        "upper(format_type(a.atttypid, a.atttypmod)) AS type, a.attnotnull::int AS notnull, " +
        "pg_get_expr(d.adbin, d.adrelid) AS dflt_value, " +
        "COALESCE((SELECT array_position(con.conkey, a.attnum) FROM pg_catalog.pg_constraint con " +
        "WHERE con.conrelid = a.attrelid AND con.contype = 'p'), 0)::int AS pk " +
        "FROM pg_catalog.pg_attribute a " +
        "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum " +
        `WHERE a.attrelid = (SELECT c.oid FROM ${RELATIONS} AND lower(c.relname) = lower(${lit}) ` +
        `ORDER BY c.relname = ${lit} DESC LIMIT 1) ` +
        "AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> '_rowid_' ORDER BY a.attnum"
      );
    },
    tableIndexes: `SELECT ic.relname::text AS name, pg_get_indexdef(i.indexrelid) AS sql FROM ${CREATED_INDEXES} AND tc.relname = CAST(? AS text) ORDER BY ic.oid`,
    tableNames: `SELECT c.relname::text AS name FROM ${RELATIONS} ORDER BY c.oid`,
    views:
      "SELECT c.relname::text AS name, " +
      `'CREATE VIEW "' || replace(c.relname, '"', '""') || '" AS ' || ` +
      "rtrim(btrim(pg_get_viewdef(c.oid), E' \\n'), ';') AS sql " +
      "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace " +
      "WHERE n.nspname = current_schema() AND c.relkind = 'v' ORDER BY c.oid",
    indexTable: `SELECT tc.relname::text AS tbl_name FROM ${INDEXES} AND lower(ic.relname) = lower(CAST(? AS text)) LIMIT 1`,
  },
};
