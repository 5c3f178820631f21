/** The response headers upstream adds to every response (no HSTS, as upstream). */
import type { Middleware } from "../router.ts";
import { SECURITY_HEADERS } from "./priorities.ts";

export function securityHeaders(): Middleware {
  return {
    id: "pbSecurityHeaders",
    priority: SECURITY_HEADERS,
    func: (e) => {
      e.responseHeaders.set("X-XSS-Protection", "1; mode=block");
      e.responseHeaders.set("X-Content-Type-Options", "nosniff");
      e.responseHeaders.set("X-Frame-Options", "SAMEORIGIN");
      return e.next();
    },
  };
}
