/**
 * CREATE INDEX parsing and rebuilding, as upstream's tools/dbutils/index.go. A collection keeps its
 * index statements as written, but the statement executed on the DB is the normalized rebuild
 * (backticked names; several columns go one per line with two spaces of indent), so sqlite_master
 * holds exactly what upstream would have created.
 */

/** One column (or expression) of an index. */
export interface IndexColumn {
  name: string;
  collate: string;
  sort: string;
}

/** A parsed CREATE INDEX statement. */
export interface IndexInfo {
  schemaName: string;
  indexName: string;
  tableName: string;
  where: string;
  columns: IndexColumn[];
  unique: boolean;
  /** IF NOT EXISTS */
  optional: boolean;
}

const INDEX_RE =
  /create\s+(unique\s+)?\s*index\s*(if\s+not\s+exists\s+)?(\S*)\s+on\s+(\S*)\s*\(([\s\S]*)\)(?:\s*where\s+([\s\S]*))?/i;
// note: multiline, so a column expression spanning lines keeps only its first line, as upstream's does
const INDEX_COLUMN_RE = /^([\s\S]+?)(?:\s+collate\s+(\w+))?(?:\s+(asc|desc))?$/im;

const TRIM_CHARS = "`\"'[]\r\n\t\f\v ";

function trimChars(s: string, cutset: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && cutset.includes(s[start]!)) start++;
  while (end > start && cutset.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

const WHITESPACE = "\t\n\v\f\r \u0085\u00a0";

/**
 * Splits `s` on `separator` outside quotes (' " `) and parentheses, trimming whitespace and dropping
 * empty tokens, as upstream's tools/tokenizer does. Null when a quote or parenthesis is unbalanced.
 */
export function splitTokens(s: string, separator: string): string[] | null {
  const cutset = [...WHITESPACE].filter((c) => c !== separator).join("");
  const tokens: string[] = [];
  let buf = "";
  let depth = 0;
  let quote = "";
  let prev = "";
  const flush = () => {
    if (depth > 0 || quote !== "") return false;
    const t = trimChars(buf, cutset);
    if (t !== "") tokens.push(t);
    buf = "";
    prev = "";
    return true;
  };
  for (const ch of s) {
    if (prev !== "\\") {
      if (ch === "(" && quote === "") depth++;
      else if (ch === ")" && depth > 0 && quote === "") depth--;
      else if (ch === "'" || ch === '"' || ch === "`") {
        if (quote === ch) quote = "";
        else if (quote === "") quote = ch;
      }
    }
    if (ch === separator && depth === 0 && quote === "") {
      if (!flush()) return null;
      continue;
    }
    prev = ch;
    buf += ch;
  }
  if (!flush()) return null;
  return tokens;
}

/** Parses a CREATE INDEX statement; an unparsable one gives an invalid (empty) result. */
export function parseIndex(sql: string): IndexInfo {
  const result: IndexInfo = {
    schemaName: "",
    indexName: "",
    tableName: "",
    where: "",
    columns: [],
    unique: false,
    optional: false,
  };
  const m = INDEX_RE.exec(sql);
  if (!m) return result;

  result.unique = (m[1] ?? "").trim() !== "";
  result.optional = (m[2] ?? "").trim() !== "";

  const nameParts = splitTokens(m[3] ?? "", ".") ?? [];
  if (nameParts.length === 2) {
    result.schemaName = trimChars(nameParts[0]!, TRIM_CHARS);
    result.indexName = trimChars(nameParts[1]!, TRIM_CHARS);
  } else {
    result.indexName = trimChars(nameParts[0] ?? "", TRIM_CHARS);
  }

  result.tableName = trimChars(m[4] ?? "", TRIM_CHARS);

  for (const raw of splitTokens(m[5] ?? "", ",") ?? []) {
    const cm = INDEX_COLUMN_RE.exec(raw);
    if (!cm) continue;
    const name = trimChars(cm[1] ?? "", TRIM_CHARS);
    if (name === "") continue;
    result.columns.push({ name, collate: (cm[2] ?? "").trim(), sort: (cm[3] ?? "").toUpperCase() });
  }

  result.where = (m[6] ?? "").trim();
  return result;
}

/** True when the index has a name, a table and at least one column. */
export function isValidIndex(idx: IndexInfo): boolean {
  return idx.indexName !== "" && idx.tableName !== "" && idx.columns.length > 0;
}

/** The normalized CREATE INDEX statement; "" for an invalid index. */
export function buildIndex(idx: IndexInfo): string {
  if (!isValidIndex(idx)) return "";
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
    s += col.name.includes("(") || col.name.includes(" ") ? name : "`" + name + "`";
    if (col.collate !== "") s += " COLLATE " + col.collate;
    if (col.sort !== "") s += " " + col.sort.toUpperCase();
    hasCol = true;
  }
  if (hasCol && multi) s += "\n";
  s += ")";
  if (idx.where !== "") s += " WHERE " + idx.where;
  return s;
}

/** The first UNIQUE single-column index on `column` (case-insensitive), if any. */
export function findSingleColumnUniqueIndex(indexes: readonly string[], column: string): IndexInfo | null {
  const lower = column.toLowerCase();
  for (const raw of indexes) {
    const idx = parseIndex(raw);
    if (idx.unique && idx.columns.length === 1 && idx.columns[0]!.name.toLowerCase() === lower) return idx;
  }
  return null;
}
