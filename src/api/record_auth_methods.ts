/** `GET /api/collections/{collection}/auth-methods` (upstream apis/record_auth_methods.go). */
import { authMethodsOAuth2Providers } from "../core/oauth2/auth_methods.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { findAuthCollection } from "./record_auth_forms.ts";

/** Which auth methods a collection offers, in upstream's key order (plus the legacy keys). */
export function recordAuthMethods(e: RequestEvent): void {
  const c = findAuthCollection(e);
  const pa = c.passwordAuth;
  const identityFields = pa.identityFields ?? [];
  const providers = c.oauth2.enabled ? authMethodsOAuth2Providers(c) : [];
  e.json(200, {
    password: { identityFields: pa.enabled ? [...identityFields] : [], enabled: pa.enabled },
    oauth2: { providers, enabled: c.oauth2.enabled },
    mfa: { enabled: c.mfa.enabled, duration: c.mfa.enabled ? c.mfa.duration : 0 },
    otp: { enabled: c.otp.enabled, duration: c.otp.enabled ? c.otp.duration : 0 },
    // legacy keys for pre-v0.23 clients
    authProviders: c.oauth2.enabled ? providers.map((p) => ({ ...p, logo: "" })) : null,
    usernamePassword: pa.enabled && identityFields.includes("username"),
    emailPassword: pa.enabled && identityFields.includes("email"),
  });
}
