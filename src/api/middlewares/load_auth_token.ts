/**
 * Reads the `Authorization` header (an optional `Bearer ` prefix, any case) and sets `e.auth`.
 * Any invalid, expired or foreign token leaves the request a guest, as upstream.
 */
import { findAuthRecordByToken } from "../../core/tokens.ts";
import type { Middleware } from "../router.ts";
import { LOAD_AUTH_TOKEN } from "./priorities.ts";

export function loadAuthToken(): Middleware {
  return {
    id: "pbLoadAuthToken",
    priority: LOAD_AUTH_TOKEN,
    func: async (e) => {
      if (e.auth) return e.next(); // already set by a parent (batch, hooks)
      let token = e.request.headers.get("Authorization") ?? "";
      if (token.length > 7 && token.slice(0, 7).toLowerCase() === "bearer ") token = token.slice(7);
      if (token) e.auth = await findAuthRecordByToken(e.app, token, "auth");
      return e.next();
    },
  };
}
