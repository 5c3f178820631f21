/**
 * dbx's builder syntax (upstream's pocketbase/dbx), rendered through a dialect: `{{table}}` and
 * `[[column]]` placeholders in raw SQL, and the simple-name quoting of the query builder. Raw SQL of
 * migrations and JS `$app.db()` queries is written in it. Pure, like the dialect.
 */
import type { Dialect } from "./dialect.ts";

/**
 * dbx's identifier quoting over a dialect: a name already holding the dialect's quote character is
 * taken as quoted and passes as written (dbx's QuoteSimpleTableName/QuoteSimpleColumnName), a
 * dotted name is quoted part by part, and expressions (`(`, `{{`, `[[`) are left alone.
 */
export class DbxQuote {
  private readonly quoteChar: string;
  constructor(private readonly dialect: Dialect) {
    this.quoteChar = dialect.quoteIdent("").charAt(0);
  }

  private name(name: string): string {
    return name.includes(this.quoteChar) ? name : this.dialect.quoteIdent(name);
  }

  table(name: string): string {
    if (name.includes("(") || name.includes("{{")) return name;
    return name
      .split(".")
      .map((p) => this.name(p))
      .join(".");
  }

  column(name: string): string {
    if (name.includes("(") || name.includes("{{") || name.includes("[[")) return name;
    const simple = (col: string) => (col === "*" ? col : this.name(col));
    const dot = name.lastIndexOf(".");
    if (dot === -1) return simple(name);
    return this.table(name.slice(0, dot)) + "." + simple(name.slice(dot + 1));
  }

  /** Expands `{{table}}` and `[[column]]` placeholders into quoted names, as dbx does before running raw SQL. */
  expand(sql: string): string {
    return sql.replace(/\{\{[\w\-. ]+\}\}|\[\[[\w\-. ]+\]\]/g, (m) =>
      m[0] === "{" ? this.table(m.slice(2, -2)) : this.column(m.slice(2, -2)),
    );
  }
}

const quoters = new WeakMap<Dialect, DbxQuote>();

/** The (cached) dbx quoting of a dialect. */
export function dbxQuote(dialect: Dialect): DbxQuote {
  let q = quoters.get(dialect);
  if (!q) quoters.set(dialect, (q = new DbxQuote(dialect)));
  return q;
}
