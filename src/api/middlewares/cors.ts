/**
 * CORS as upstream configures it for `serve --origins`: exact origins, `*`, subdomain wildcards
 * (`https://*.example.com`) and `?`/`*` patterns; preflights answer 204 and stop the chain.
 *
 * @example router.use(cors({ allowOrigins: ["https://app.example.com"] }))
 */
import type { Middleware } from "../router.ts";
import { CORS } from "./priorities.ts";

export interface CorsOptions {
  allowOrigins?: string[];
  allowMethods?: string[];
}

const DEFAULT_METHODS = ["GET", "HEAD", "PUT", "PATCH", "POST", "DELETE"];

export function cors(options: CorsOptions = {}): Middleware {
  const origins = options.allowOrigins?.length ? options.allowOrigins : ["*"];
  const allowMethods = (options.allowMethods ?? DEFAULT_METHODS).join(",");
  const patterns = origins
    .filter((o) => o !== "*")
    .map(
      (o) =>
        new RegExp(
          "^" +
            o
              .replace(/[.+^${}()|[\]\\]/g, "\\$&")
              .replace(/\?/g, ".")
              .replace(/\*/g, ".*") +
            "$",
        ),
    );

  const matchOrigin = (origin: string): string => {
    for (const o of origins) {
      if (o === "*" || o === origin) return o;
      if (matchSubdomain(origin, o)) return origin;
    }
    if (origin.length <= 253 + 3 + 5 && origin.includes("://")) {
      for (const re of patterns) if (re.test(origin)) return origin;
    }
    return "";
  };

  return {
    id: "pbCors",
    priority: CORS,
    func: (e) => {
      const origin = e.request.headers.get("Origin") ?? "";
      const preflight = e.request.method === "OPTIONS";
      e.responseHeaders.append("Vary", "Origin");
      if (!origin) return preflight ? void e.noContent(204) : e.next();
      const allowed = matchOrigin(origin);
      if (!allowed) return preflight ? void e.noContent(204) : e.next();
      e.responseHeaders.set("Access-Control-Allow-Origin", allowed);
      if (!preflight) return e.next();
      e.responseHeaders.append("Vary", "Access-Control-Request-Method");
      e.responseHeaders.append("Vary", "Access-Control-Request-Headers");
      e.responseHeaders.set("Access-Control-Allow-Methods", allowMethods);
      const reqHeaders = e.request.headers.get("Access-Control-Request-Headers");
      if (reqHeaders) e.responseHeaders.set("Access-Control-Allow-Headers", reqHeaders);
      e.noContent(204);
    },
  };
}

/** `https://*.example.com` matches `https://a.example.com` (same scheme, label-wise wildcard). */
function matchSubdomain(domain: string, pattern: string): boolean {
  const di = domain.indexOf("://");
  const pi = pattern.indexOf("://");
  if (di === -1 || pi === -1 || domain.slice(0, di) !== pattern.slice(0, pi)) return false;
  const domAuth = domain.slice(di + 3);
  const patAuth = pattern.slice(pi + 3);
  if (domAuth.length > 253) return false;
  const domParts = domAuth.split(".").reverse();
  const patParts = patAuth.split(".").reverse();
  for (let i = 0; i < patParts.length; i++) {
    const p = patParts[i]!;
    if (p === "*") return true;
    if (domParts[i] !== p) return false;
  }
  return false;
}
