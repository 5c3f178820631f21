/**
 * The contract between the filter builder and whoever knows what an identifier means:
 * a resolver turns `author.name` or `@request.auth.id` into an SQL operand (and may register joins).
 */
import { FilterError } from "./errors.ts";
import type { Dialect } from "../sql/dialect.ts";
import type { Join, SelectQuery, SqlParams } from "./sql.ts";
import type { OperandType } from "./typed.ts";

/** How an operand wants `=`/`!=` to treat NULL and empty values. */
export enum NullFallback {
  /** Compare with `''`/NULL normalization when needed (the default). */
  Auto = 0,
  /** No normalization at all: `a IS b` / `a IS NOT b` (json values, computed expressions). */
  Disabled = 1,
  /** Always normalize, even when the operand looks like a known non-empty value. */
  Enforced = 2,
}

/** One resolved operand. */
export interface ResolverResult {
  /** The SQL operand: a quoted column, an expression, a placeholder (`:p3`) or `NULL`. */
  identifier: string;
  nullFallback?: NullFallback;
  /** The placeholders this operand introduced and their values (used to tell empty from known values). */
  params?: Record<string, unknown>;
  /** For a multi-valued operand: the subquery listing all its values, for "every value matches" checks. */
  multiMatch?: MultiMatchSubquery;
  /** Rewrites the whole comparison once built (e.g. adding an `emailVisibility` guard). */
  afterBuild?: (expr: string) => string;
  /** What ORDER BY uses instead of `identifier` (e.g. NULL for emails the caller may not see). */
  sortIdentifier?: string;
  /** What the operand's value is (typed engines compare through it); unknown = compared as written. */
  type?: OperandType;
  /** A number that SQLite holds as a REAL even when integral (prints as `5.0`), e.g. a computed distance. */
  real?: boolean;
  /** For a `json` operand: the JSON document and the path it reads (`a.b`, `[0]`; '' = the root). */
  jsonSource?: { expr: string; path: string };
}

/** Resolves filter identifiers to SQL operands. Throws FilterError for unknown or forbidden ones. */
export interface FieldResolver {
  resolve(field: string, params: SqlParams): ResolverResult;
  /** Applies what the resolved identifiers need (joins, DISTINCT, extra conditions) to the query. */
  updateQuery(query: SelectQuery): void;
}

/** The number of placeholders of a result. */
export function paramCount(r: ResolverResult): number {
  return r.params ? Object.keys(r.params).length : 0;
}

/**
 * A correlated subquery selecting every value of a multi-valued operand for the current row:
 * `SELECT <value> AS multiMatchValue FROM <table> <fromAlias> <joins> WHERE <fromAlias>.id = <target>.id`.
 */
export class MultiMatchSubquery {
  valueIdentifier = "";
  /** For JSON values: the document and path `valueIdentifier` reads (typed engines select the JSON value itself). */
  valueJsonSource?: { expr: string; path: string };
  joins: Join[] = [];

  constructor(
    /** The alias of the row in the outer query. */
    public targetTableAlias: string,
    public fromTableName: string,
    public fromTableAlias: string,
  ) {}

  /** The subquery; `value` replaces the selected value expression. */
  build(d: Dialect, value = this.valueIdentifier): string {
    if (!this.targetTableAlias || !this.fromTableName || !this.fromTableAlias) return "0=1";
    let joins = "";
    for (const j of this.joins) joins += " LEFT JOIN " + d.quoteTable(j.table) + " " + d.quoteIdent(j.alias) + joinOn(d, j.on);
    return (
      `SELECT ${value} AS ${d.quoteIdent("multiMatchValue")} FROM ${d.quoteIdent(this.fromTableName)} ${d.quoteIdent(this.fromTableAlias)}` +
      `${joins} WHERE ${d.quoteColumn(this.fromTableAlias + ".id")} = ${d.quoteColumn(this.targetTableAlias + ".id")}`
    );
  }
}

/**
 * A resolver over a fixed list of columns of one table (upstream's SimpleFieldResolver), used for
 * tables that are not collections (`_collections`, `_logs`). Each allowed entry is a column name or,
 * when written as `^...$`, a pattern; `data.a.b` on an allowed pattern becomes a JSON path into `data`.
 */
export class SimpleFieldResolver implements FieldResolver {
  private exact = new Set<string>();
  private patterns: RegExp[] = [];

  constructor(readonly allowedFields: readonly string[]) {
    for (const f of allowedFields) {
      if (f.startsWith("^") && f.endsWith("$")) {
        try {
          this.patterns.push(new RegExp(f));
        } catch {
          // an invalid pattern matches nothing, as upstream skips it
        }
      } else {
        this.exact.add(f);
      }
    }
  }

  private allowed(field: string): boolean {
    if (this.exact.size === 0 && this.patterns.length === 0) return true;
    return this.exact.has(field) || this.patterns.some((p) => p.test(field));
  }

  resolve(field: string, params: SqlParams): ResolverResult {
    if (!this.allowed(field)) throw new FilterError(`failed to resolve field ${JSON.stringify(field)}`);
    const d = params.dialect;
    const parts = field.split(".");
    if (parts.length === 1) return { identifier: d.quoteIdent(columnify(parts[0]!)) };
    let path = "";
    for (const p of parts.slice(1)) {
      const clean = columnify(p);
      path += /^[+-]?\d+$/.test(p) ? `[${clean}]` : `.${clean}`;
    }
    const column = d.quoteIdent(columnify(parts[0]!));
    return {
      identifier: d.jsonExtractRaw(column, path),
      nullFallback: NullFallback.Disabled,
      // the plain columns stay untyped (compared as written); a JSON value's class is per row
      type: "json",
      jsonSource: { expr: column, path },
    };
  }

  updateQuery(): void {}
}

/** The ON clause of a LEFT JOIN; PostgreSQL requires one even for an unconditioned join. */
export function joinOn(d: Dialect, on: string | undefined): string {
  return on ? " ON " + on : d.unconditionedJoinOn;
}

/** Keeps only the characters a column reference may hold (upstream's inflector.Columnify). */
export function columnify(s: string): string {
  return s.replace(/[^\w.*\-@#]+/g, "");
}
