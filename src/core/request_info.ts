/**
 * What rules and hooks know about a request (`@request.*` in filters, `e.requestInfo()` in hooks):
 * first query values, snake_cased headers, the (normalized) body, the auth record, method, context.
 */
import type { Record as PbRecord } from "./record.ts";

export type RequestContext =
  "default" | "expand" | "realtime" | "protectedFile" | "batch" | "oauth2" | "otp" | "password";

export class RequestInfo {
  query: Record<string, string> = {};
  headers: Record<string, string> = {};
  body: Record<string, unknown> = {};
  auth: PbRecord | null = null;
  method = "";
  context: RequestContext | string = "default";

  constructor(init: Partial<Pick<RequestInfo, "query" | "headers" | "body" | "auth" | "method" | "context">> = {}) {
    Object.assign(this, init);
  }

  hasSuperuserAuth(): boolean {
    return this.auth?.collection.name === "_superusers";
  }

  clone(): RequestInfo {
    return new RequestInfo({ ...this, query: { ...this.query }, headers: { ...this.headers }, body: { ...this.body } });
  }

  /** Builds the info of a Web request: first value per query key, header names snake_cased. */
  static fromRequest(
    request: Request,
    url: URL,
    auth: PbRecord | null,
    body: Record<string, unknown> = {},
  ): RequestInfo {
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
    const headers: Record<string, string> = {};
    for (const [k, v] of request.headers) headers[snakeHeader(k)] = v;
    return new RequestInfo({ query, headers, body, auth, method: request.method, context: "default" });
  }
}

/** `X-Token` → `x_token`, as upstream's inflector.Snakecase on header names (the common ones remembered). */
function snakeHeader(name: string): string {
  let out = snakeHeaders.get(name);
  if (out === undefined) {
    out = name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "");
    if (snakeHeaders.size >= 512) snakeHeaders.clear();
    snakeHeaders.set(name, out);
  }
  return out;
}
const snakeHeaders = new Map<string, string>();
