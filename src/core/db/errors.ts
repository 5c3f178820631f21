/**
 * Storage errors, recognised once by the driver so callers never sniff an engine's error names or
 * texts: a unique index refused a value, a statement ran past `--queryTimeout`, or anything else the
 * engine reported. A PostgreSQL driver maps its SQLSTATEs (23505, 57014) to the same classes.
 */

/** Any error the database engine reported for a statement (bad SQL, a constraint, a busy file...). */
export class DbError extends Error {
  override name = "DbError";
  constructor(
    message: string,
    /** The engine's (extended) result code; 0 when unknown. */
    readonly errno = 0,
    /** The engine's symbolic code, such as SQLITE_CONSTRAINT_UNIQUE. */
    readonly code = "",
  ) {
    super(message);
  }
}

/** A unique index refused a value; `columns` as the engine named them (`table.column`). */
export class UniqueViolationError extends DbError {
  override name = "UniqueViolationError";
  readonly columns: string[];
  constructor(message: string, errno = 0, code = "") {
    super(message, errno, code);
    // SQLite: "UNIQUE constraint failed: posts.title, posts.slug"
    const list = message.split("UNIQUE constraint failed:")[1] ?? "";
    this.columns = list
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  }
}

/** A statement ran longer than the configured timeout and was abandoned. */
export class QueryTimeoutError extends Error {
  override name = "QueryTimeoutError";
  constructor(seconds: number) {
    super(`the query exceeded the ${seconds}s timeout`);
  }
}

/** The engine's error as a DbError (a UniqueViolationError when a unique index refused the write). */
export function toDbError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof DbError) return err;
  const e = err as Error & { errno?: unknown; code?: unknown };
  if (e.name !== "SQLiteError") return err;
  const errno = typeof e.errno === "number" ? e.errno : 0;
  const code = typeof e.code === "string" ? e.code : "";
  const out =
    code === "SQLITE_CONSTRAINT_UNIQUE" ||
    code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
    e.message.startsWith("UNIQUE constraint failed")
      ? new UniqueViolationError(e.message, errno, code)
      : new DbError(e.message, errno, code);
  out.stack = e.stack;
  return out;
}
