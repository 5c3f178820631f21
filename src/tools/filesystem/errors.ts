/** Errors shared by the storage backends. */

/** The blob (or its folder) does not exist. */
export class NotFoundError extends Error {
  constructor(
    readonly key: string,
    override readonly cause?: unknown,
  ) {
    super(`blob not found: ${JSON.stringify(key)}`);
    this.name = "NotFoundError";
  }
}

/** True for a NotFoundError (or anything that says ENOENT/NoSuchKey). */
export function isNotFound(err: unknown): boolean {
  if (err instanceof NotFoundError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return code === "ENOENT" || code === "NoSuchKey" || code === "NotFound";
}
