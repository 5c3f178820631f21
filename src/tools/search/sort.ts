/**
 * Sort expressions: `-created,+title,@random` → ORDER BY terms resolved through a FieldResolver.
 */
import { FilterError } from "./errors.ts";
import type { SqlParams } from "./sql.ts";
import { paramCount, type FieldResolver } from "./resolver.ts";
import { pgSortKey, typesStrictly } from "./typed.ts";

/** The special sort keys. */
export const RANDOM_SORT_KEY = "@random";
export const ROWID_SORT_KEY = "@rowid";

/** One sort field and its direction. */
export interface SortField {
  name: string;
  direction: "ASC" | "DESC";
}

/** Splits a comma list: `-f` descending, `f` or `+f` ascending (entries are trimmed, never dropped). */
export function parseSort(text: string): SortField[] {
  return text.split(",").map((raw) => {
    const f = raw.trim();
    if (f.startsWith("-")) return { name: f.slice(1), direction: "DESC" as const };
    return { name: f.startsWith("+") ? f.slice(1) : f, direction: "ASC" as const };
  });
}

/**
 * The ORDER BY term of one sort field. Only plain field paths are sortable: anything resolving to a
 * parameter or NULL is rejected. `@rowid` is qualified with `table` (the query's FROM table).
 */
export function buildSortExpr(field: SortField, resolver: FieldResolver, params: SqlParams, table: string): string {
  if (field.name === RANDOM_SORT_KEY) return "RANDOM()";
  if (field.name === ROWID_SORT_KEY) {
    const d = params.dialect;
    return `${d.quoteIdent(table)}.${d.quoteIdent("_rowid_")} ${field.direction}`;
  }
  let identifier = "";
  let pgKey: string | null = null;
  try {
    const r = resolver.resolve(field.name, params);
    if (paramCount(r) === 0) {
      identifier = r.sortIdentifier ?? r.identifier;
      if (typesStrictly(params.dialect)) {
        const sortType = r.sortIdentifier && r.type === "json" ? undefined : r.type;
        pgKey = pgSortKey({ sql: identifier, type: sortType, jsonSource: r.jsonSource }, (v) => params.add(v));
      }
    }
  } catch {
    // reported below
  }
  if (identifier === "" || identifier.toLowerCase() === "null") {
    throw new FilterError(`invalid sort field ${JSON.stringify(field.name)}`);
  }
  return params.dialect.orderTerm(pgKey ?? identifier, field.direction);
}
