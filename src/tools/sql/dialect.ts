/**
 * What differs between SQL engines, rendered as text: identifier quoting, parameters, the JSON helpers
 * the filter compiler and the record resolver use, LIKE, null-safe equality, column types and the
 * catalog queries. Pure: no I/O and nothing of the app (upstream's twin is tools/dbutils plus the
 * dbx builder's dialect). SQLite here; PostgreSQL in postgres.ts. Core asks `app.db.dialect` and never
 * assumes either.
 */

/** A bindable value. */
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;

/** A statement's bound values: positional (`?`) or named (`:name`, written without the colon). */
export type SqlBindings = readonly unknown[] | Readonly<Record<string, unknown>>;

/** A column as the catalog describes it (SQLite's PRAGMA table_info). */
export interface TableColumn {
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: unknown;
  pk: number;
}

/**
 * What a field stores, as far as the column is concerned: text (also dates, emails, single
 * relations...), the text primary key `id`, a number, a bool, JSON that may be NULL, a JSON array,
 * or a geo point.
 */
export type ColumnKind = "text" | "textPrimaryKey" | "number" | "bool" | "json" | "jsonArray" | "geoPoint";

/** One column (or expression) of an index, as written in the collection's CREATE INDEX. */
export interface IndexColumnSpec {
  name: string;
  /** The COLLATE name as written ('' for none). */
  collate: string;
  /** 'ASC', 'DESC' or ''. */
  sort: string;
}

/** A CREATE INDEX statement taken apart (core's parseIndex in collection_index.ts fills it). */
export interface IndexSpec {
  schemaName: string;
  indexName: string;
  tableName: string;
  /** The WHERE condition as written (upstream's SQLite syntax), '' for none. */
  where: string;
  columns: IndexColumnSpec[];
  unique: boolean;
  /** IF NOT EXISTS */
  optional: boolean;
}

/** True when the index has a name, a table and at least one column. */
export function isValidIndexSpec(idx: IndexSpec): boolean {
  return idx.indexName !== "" && idx.tableName !== "" && idx.columns.length > 0;
}

export interface Dialect {
  readonly name: "sqlite" | "postgres";

  /** One identifier, quoted (embedded quote characters doubled). */
  quoteIdent(name: string): string;
  /** A possibly dotted column reference `a.b`, each part quoted (a `*` part stays bare). */
  quoteColumn(ref: string): string;
  /** A table name; a table expression such as `json_each(...)` is left as written. */
  quoteTable(name: string): string;

  /**
   * A named parameter forced to a floating-point value (Go float64 semantics: SQLite compares an
   * integer and a real differently against TEXT columns).
   */
  realParam(placeholder: string): string;
  /** The LIMIT value meaning "no limit" (needed when only OFFSET is given). */
  readonly limitAll: string;

  /** A table expression with a `value` column over the items of `expr`: a JSON array, or else the single value. */
  jsonEach(expr: string): string;
  /** A table expression over a bound JSON array text (a parameter placeholder). */
  jsonEachParam(placeholder: string): string;
  /** The item count of `expr` as `jsonEach` iterates it ('' and NULL count 0). */
  jsonArrayLength(expr: string): string;
  /** A JSON path (`a.b`, `[0]`) read from `expr`, a plain value standing for `{"pb": value}`'s pb. */
  jsonExtract(expr: string, path: string): string;

  /**
   * A JSON path read from `expr`, which must hold JSON (malformed JSON is the engine's error), as
   * upstream's SimpleFieldResolver; `path` is what follows `$` (`.a.b`, `[0]`, `.a[1]`).
   */
  jsonExtractRaw(expr: string, path: string): string;

  /** `left [NOT] LIKE right` with `\` as the escape character. */
  like(left: string, right: string, negate: boolean): string;
  /** `left [NOT] LIKE '%' || right || '%'`: contains-match against another expression. */
  likeContains(left: string, right: string, negate: boolean): string;
  /** Equality where NULL equals NULL (`IS`, `IS NOT`). */
  nullSafeEq(left: string, right: string, negate: boolean): string;
  /** `strftime(format, time, modifiers...)` over already-rendered arguments. */
  strftime(args: string[]): string;
  /** `left = right` compared case-insensitively (SQLite's NOCASE collation: ASCII letters only). */
  nocaseEq(left: string, right: string): string;
  /** SQLite's `LOWER(expr)`: ASCII letters only, any value read as text. */
  lower(expr: string): string;
  /** `expr` (a bool column: 0/1) is true. */
  isTrue(expr: string): string;
  /** What follows an unconditioned `LEFT JOIN <table> <alias>` ('' when the engine needs no ON). */
  readonly unconditionedJoinOn: string;
  /** One ORDER BY term; NULLs come first ascending and last descending, as in SQLite. */
  orderTerm(expr: string, direction: "ASC" | "DESC"): string;
  /**
   * True when the engine compares only values of one type (PostgreSQL): the filter compiler then
   * writes each comparison from its operands' types to give SQLite's answer (tools/search/typed.ts),
   * orders text by its bytes, and rewrites a DISTINCT ordered by unselected columns.
   */
  readonly strictTypes: boolean;

  /**
   * The implicit key of a table's rows, which follows insertion order (SQLite's rowid), for ORDER BY
   * ties. A user column of that name shadows it (SQLite's rule; `_rowid_` is the unshadowable alias).
   */
  readonly rowid: string;
  /**
   * The column definition appended to CREATE TABLE of every record and system table to give it that
   * implicit key (null when the engine has one already, as SQLite's rowid).
   */
  readonly rowidColumn: string | null;
  /** An expression for "now" as upstream stores dates (`2024-01-02 03:04:05.678Z`), for column defaults. */
  readonly timestampDefault: string;
  /** An idempotent script run once when a database is opened (helper functions); '' for none. */
  readonly setupScript: string;

  /**
   * `expr` as a JSON array, for a field turning multiple: itself when it already holds one, else a
   * one-item array of the value (any text, JSON objects included, becomes a string item). Callers
   * map ''/NULL themselves.
   */
  toJsonArray(expr: string): string;
  /**
   * The last item of `expr` when it holds a JSON array ('' for an empty array or a null item), else
   * `expr` unchanged: a field turning single keeps its last value.
   */
  lastJsonItem(expr: string): string;

  /** The column definition (type, default, constraints) a kind of stored value takes. */
  columnType(kind: ColumnKind): string;
  /** The CREATE INDEX statement for `spec` in this engine's syntax; '' for an invalid spec. */
  buildIndex(spec: IndexSpec): string;

  /** Catalog queries (each one statement taking positional parameters). */
  readonly catalog: {
    /** One row when table or view `?` exists (case-insensitive, as upstream's HasTable). */
    hasTable: string;
    /** The columns of a table or view: rows shaped as `TableColumn`. */
    tableColumns(table: string): string;
    /** `{name, sql}` of the explicitly created indexes of table `?`. */
    tableIndexes: string;
    /** The names of every table and view (system ones excluded). */
    tableNames: string;
    /** `{name, sql}` of every view, with the statement that created it. */
    views: string;
    /** `{tbl_name}` of the table owning index `?` (index names are database-wide, matched case-insensitively). */
    indexTable: string;
  };
}

const SQLITE_COLUMN_TYPES: Readonly<Record<ColumnKind, string>> = {
  text: "TEXT DEFAULT '' NOT NULL",
  // upstream's default id: 'r' + 14 random hex characters
  textPrimaryKey: "TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL",
  bool: "BOOLEAN DEFAULT FALSE NOT NULL",
  number: "NUMERIC DEFAULT 0 NOT NULL",
  json: "JSON DEFAULT NULL",
  jsonArray: "JSON DEFAULT '[]' NOT NULL",
  geoPoint: `JSON DEFAULT '{"lon":0,"lat":0}' NOT NULL`,
};

/** An index column that is an expression rather than a plain column name (upstream's test). */
export function isIndexExpression(name: string): boolean {
  return name.includes("(") || name.includes(" ");
}

function sqliteQuoteIdent(name: string): string {
  return "`" + name.replaceAll("`", "``") + "`";
}

/** `CASE WHEN <expr is a JSON array> THEN expr ELSE <else> END` (upstream's dbutils.JSONEach guard). */
function sqliteArrayOr(expr: string, orElse: string): string {
  return `CASE WHEN iif(json_valid(${expr}), json_type(${expr})='array', FALSE) THEN ${expr} ELSE ${orElse} END`;
}

export const sqliteDialect: Dialect = {
  name: "sqlite",
  quoteIdent: sqliteQuoteIdent,
  quoteColumn(ref) {
    return ref
      .split(".")
      .map((p) => (p === "*" ? p : sqliteQuoteIdent(p)))
      .join(".");
  },
  quoteTable(name) {
    return name.includes("(") ? name : sqliteQuoteIdent(name);
  },
  realParam(placeholder) {
    return `(${placeholder} + 0.0)`;
  },
  limitAll: "-1",
  jsonEach(expr) {
    return `json_each(${sqliteArrayOr(expr, `json_array(${expr})`)})`;
  },
  jsonEachParam(placeholder) {
    return `json_each(${placeholder})`;
  },
  jsonArrayLength(expr) {
    return `json_array_length(${sqliteArrayOr(expr, `(CASE WHEN ${expr} = '' OR ${expr} IS NULL THEN json_array() ELSE json_array(${expr}) END)`)})`;
  },
  jsonExtract(expr, path) {
    const p = path !== "" && !path.startsWith("[") ? "." + path : path;
    return `(CASE WHEN json_valid(${expr}) THEN JSON_EXTRACT(${expr}, '$${p}') ELSE JSON_EXTRACT(json_object('pb', ${expr}), '$.pb${p}') END)`;
  },
  jsonExtractRaw(expr, path) {
    return `JSON_EXTRACT(${expr}, '$${path}')`;
  },
  like(left, right, negate) {
    return `${left} ${negate ? "NOT " : ""}LIKE ${right} ESCAPE '\\'`;
  },
  likeContains(left, right, negate) {
    return `${left} ${negate ? "NOT " : ""}LIKE ('%' || ${right} || '%') ESCAPE '\\'`;
  },
  nullSafeEq(left, right, negate) {
    return `${left} ${negate ? "IS NOT" : "IS"} ${right}`;
  },
  strftime(args) {
    return `strftime(${args.join(",")})`;
  },
  nocaseEq(left, right) {
    return `${left} = ${right} COLLATE NOCASE`;
  },
  lower(expr) {
    return `LOWER(${expr})`;
  },
  isTrue(expr) {
    return `${expr} = TRUE`;
  },
  unconditionedJoinOn: "",
  orderTerm(expr, direction) {
    return `${expr} ${direction}`;
  },
  strictTypes: false,
  rowid: "`rowid`",
  rowidColumn: null,
  timestampDefault: "strftime('%Y-%m-%d %H:%M:%fZ')",
  setupScript: "",
  // upstream's core/collection_record_table_sync.go conversions, as written there
  toJsonArray(expr) {
    return `CASE WHEN json_valid(${expr}) AND json_type(${expr}) == 'array' THEN ${expr} ELSE json_array(${expr}) END`;
  },
  lastJsonItem(expr) {
    return `CASE WHEN json_valid(${expr}) AND json_type(${expr}) == 'array' THEN COALESCE(json_extract(${expr}, '$[#-1]'), '') ELSE ${expr} END`;
  },
  columnType(kind) {
    return SQLITE_COLUMN_TYPES[kind];
  },
  // upstream's tools/dbutils Index.Build: backticked names, several columns one per line
  buildIndex(idx) {
    if (!isValidIndexSpec(idx)) return "";
    let s = "CREATE ";
    if (idx.unique) s += "UNIQUE ";
    s += "INDEX ";
    if (idx.optional) s += "IF NOT EXISTS ";
    if (idx.schemaName !== "") s += "`" + idx.schemaName + "`.";
    s += "`" + idx.indexName + "` ON `" + idx.tableName + "` (";
    const multi = idx.columns.length > 1;
    if (multi) s += "\n  ";
    let hasCol = false;
    for (const col of idx.columns) {
      const name = col.name.trim();
      if (name === "") continue;
      if (hasCol) s += ",\n  ";
      // a name with a parenthesis or a space is an expression and stays as written
      s += isIndexExpression(col.name) ? name : "`" + name + "`";
      if (col.collate !== "") s += " COLLATE " + col.collate;
      if (col.sort !== "") s += " " + col.sort.toUpperCase();
      hasCol = true;
    }
    if (hasCol && multi) s += "\n";
    s += ")";
    if (idx.where !== "") s += " WHERE " + idx.where;
    return s;
  },
  catalog: {
    hasTable: "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND LOWER(name) = LOWER(?) LIMIT 1",
    tableColumns: (table) => `PRAGMA table_info(${sqliteQuoteIdent(table)})`,
    tableIndexes: "SELECT `name`, `sql` FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
    tableNames:
      "SELECT `name` FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    views: "SELECT `name`, `sql` FROM `sqlite_master` WHERE sql is not null AND `type`='view'",
    indexTable: "SELECT `tbl_name` FROM sqlite_master WHERE `type` = 'index' AND LOWER(`name`) = LOWER(?) LIMIT 1",
  },
};
