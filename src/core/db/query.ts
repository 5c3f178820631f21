/** Runs a built SelectQuery (src/tools/search) on a connection: the query's SQL and named bindings, then the rows. */
import type { SelectQuery } from "../../tools/search/sql.ts";
import type { DbConn, Row } from "./driver.ts";

type SqlOptions = Parameters<SelectQuery["sql"]>[0];

/** Every row of a built query. */
export function queryAll<T = Row>(db: DbConn, query: SelectQuery, opts?: SqlOptions): Promise<T[]> {
  const { sql, bindings } = query.params.finalize(query.sql(opts));
  return db.all<T>(sql, bindings);
}

/** The first row of a built query (null when none). */
export function queryGet<T = Row>(db: DbConn, query: SelectQuery, opts?: SqlOptions): Promise<T | null> {
  const { sql, bindings } = query.params.finalize(query.sql(opts));
  return db.get<T>(sql, bindings);
}
