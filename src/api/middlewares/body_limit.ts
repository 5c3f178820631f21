/**
 * Rejects bodies over `limit` bytes with 413: at once on a larger Content-Length, and while reading
 * for chunked bodies (the reader in RequestEvent enforces `e.bodyLimit`).
 */
import { ApiError } from "../../core/errors.ts";
import type { Middleware } from "../router.ts";
import { BODY_LIMIT } from "./priorities.ts";

/** Upstream's default: 32 MiB. */
export const DEFAULT_BODY_LIMIT = 32 << 20;

export function bodyLimit(limit = DEFAULT_BODY_LIMIT): Middleware {
  return {
    id: "pbBodyLimit",
    priority: BODY_LIMIT,
    func: (e) => {
      e.bodyLimit = limit;
      const declared = Number(e.request.headers.get("content-length") ?? "0");
      if (limit > 0 && declared > limit) throw new ApiError(413, "Request entity too large");
      return e.next();
    },
  };
}
