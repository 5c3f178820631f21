/**
 * Record auth routes for every auth collection (upstream apis/record_auth.go): auth methods,
 * password, OTP, refresh, impersonation, and the verification, password reset and email change
 * flows. OAuth2 lives in record_auth_oauth2.ts. Each route swaps the global rate limiter for the
 * collection-aware one with its tags.
 */
import { forbidden, unauthorized } from "../core/errors.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { requireSuperuserAuth } from "./collections.ts";
import { collectionPathRateLimit, RATE_LIMIT_MIDDLEWARE_ID } from "./middlewares/rate_limit.ts";
import { recordConfirmEmailChange, recordRequestEmailChange } from "./record_auth_email_change.ts";
import { recordAuthMethods } from "./record_auth_methods.ts";
import { recordAuthWithOTP, recordRequestOTP } from "./record_auth_otp.ts";
import { recordAuthImpersonate, recordAuthRefresh, recordAuthWithPassword } from "./record_auth_password.ts";
import { recordConfirmPasswordReset, recordRequestPasswordReset } from "./record_auth_password_reset.ts";
import { recordConfirmVerification, recordRequestVerification } from "./record_auth_verification.ts";
import type { HandlerFunc } from "../tools/hook.ts";
import type { Middleware, Router } from "./router.ts";

export { authResponse, MFARequiredError } from "./record_auth_response.ts";
export { findAuthCollection } from "./record_auth_forms.ts";
export { bearerToken } from "./record_auth_password.ts";

/** The id upstream gives its same-collection guard. */
export const REQUIRE_SAME_COLLECTION_CONTEXT_AUTH_MIDDLEWARE_ID = "pbRequireSameCollectionContextAuth";

/** Binds the record auth routes (expired OTPs and MFA sessions are purged by the system crons). */
export function bindRecordAuthApi(router: Router): void {
  const base = "/api/collections/{collection}";
  const route = (
    method: "get" | "post",
    path: string,
    action: HandlerFunc<RequestEvent>,
    tags: string[],
    ...mws: Middleware[]
  ) =>
    router[method](base + path, action, ...mws)
      .unbind(RATE_LIMIT_MIDDLEWARE_ID)
      .bind(collectionPathRateLimit(...tags));

  route("get", "/auth-methods", recordAuthMethods, ["listAuthMethods"]);
  route("post", "/auth-refresh", recordAuthRefresh, ["authRefresh"], requireSameCollectionContextAuth());
  route("post", "/auth-with-password", recordAuthWithPassword, ["authWithPassword", "auth"]);
  route("post", "/request-otp", recordRequestOTP, ["requestOTP"]);
  route("post", "/auth-with-otp", recordAuthWithOTP, ["authWithOTP", "auth"]);
  route("post", "/request-password-reset", recordRequestPasswordReset, ["requestPasswordReset"]);
  route("post", "/confirm-password-reset", recordConfirmPasswordReset, ["confirmPasswordReset"]);
  route("post", "/request-verification", recordRequestVerification, ["requestVerification"]);
  route("post", "/confirm-verification", recordConfirmVerification, ["confirmVerification"]);
  route(
    "post",
    "/request-email-change",
    recordRequestEmailChange,
    ["requestEmailChange"],
    requireSameCollectionContextAuth(),
  );
  route("post", "/confirm-email-change", recordConfirmEmailChange, ["confirmEmailChange"]);
  router.post(base + "/impersonate/{id}", recordAuthImpersonate, requireSuperuserAuth());
}

/** 401 without an auth record, 403 when it belongs to another collection than the path's. */
export function requireSameCollectionAuth(e: RequestEvent): void {
  if (!e.auth) throw unauthorized("The request requires valid record authorization token.");
  const c = e.app.findCollection(e.params.collection ?? "");
  if (!c || c.id !== e.auth.collection.id) {
    throw forbidden(`The request requires auth record from ${e.auth.collection.name} collection.`);
  }
}

/** `requireSameCollectionAuth` as a route middleware (upstream's RequireSameCollectionContextAuth). */
export function requireSameCollectionContextAuth(): Middleware {
  return {
    id: REQUIRE_SAME_COLLECTION_CONTEXT_AUTH_MIDDLEWARE_ID,
    func: (e) => {
      requireSameCollectionAuth(e);
      return e.next();
    },
  };
}
