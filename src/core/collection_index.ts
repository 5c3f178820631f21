/**
 * CREATE INDEX parsing and rebuilding, as upstream's tools/dbutils/index.go. A collection keeps its
 * index statements as written, but the statement executed on the DB is the normalized rebuild
 * (backticked names; several columns go one per line with two spaces of indent), so sqlite_master
 * holds exactly what upstream would have created. The rendering itself is the dialect's (buildIndex).
 */
import { type IndexColumnSpec, type IndexSpec, isValidIndexSpec, sqliteDialect } from "../tools/sql/dialect.ts";

/** One column (or expression) of an index. */
export type IndexColumn = IndexColumnSpec;

/** A parsed CREATE INDEX statement (the dialects render it: Dialect.buildIndex). */
export type IndexInfo = IndexSpec;

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
  return isValidIndexSpec(idx);
}

/** The normalized CREATE INDEX statement as SQLite takes it (upstream's text); "" for an invalid index. */
export function buildIndex(idx: IndexInfo): string {
  return sqliteDialect.buildIndex(idx);
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
