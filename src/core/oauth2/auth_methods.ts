/**
 * The OAuth2 part of `GET /api/collections/{c}/auth-methods`: one entry per configured provider,
 * with a fresh state, the PKCE pair when the provider uses PKCE, and the consent URL ending in
 * `&redirect_uri=` so that clients append their own redirect URL.
 */
import { createHash } from "node:crypto";
import type { Collection } from "../collection.ts";
import { randomString } from "../../tools/security/random.ts";
import { initProvider } from "./registry.ts";

/** One provider of auth-methods, keys in upstream's order. */
export interface AuthMethodsProviderInfo {
  name: string;
  displayName: string;
  /** SVG markup; "" in the legacy `authProviders` copy. */
  logo: string;
  state: string;
  authURL: string;
  /** Legacy alias of authURL (pre-v0.23 clients). */
  authUrl: string;
  /** "" when the provider does not use PKCE (kept so typed clients don't break). */
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: string;
}

/** base64url (no padding) of sha256(verifier): the S256 PKCE challenge. */
export function s256Challenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/**
 * The providers list of auth-methods for `collection`, in config order. Empty when OAuth2 is
 * disabled; a provider that fails to initialize is skipped. For the legacy `authProviders` field,
 * copy the list with `logo: ""`.
 */
export function authMethodsOAuth2Providers(collection: Collection): AuthMethodsProviderInfo[] {
  if (!collection.oauth2.enabled) return [];
  const out: AuthMethodsProviderInfo[] = [];
  for (const config of collection.oauth2.providers ?? []) {
    let provider;
    try {
      provider = initProvider(config);
    } catch {
      continue;
    }
    const info: AuthMethodsProviderInfo = {
      name: config.name,
      displayName: provider.displayName || config.name,
      logo: provider.logo,
      state: randomString(30),
      authURL: "",
      authUrl: "",
      codeVerifier: "",
      codeChallenge: "",
      codeChallengeMethod: "",
    };
    const params: { [k: string]: string } = {};
    // Apple posts the redirect back as a form (it carries the user's name on the first sign-in)
    if (config.name === "apple") params.response_mode = "form_post";
    if (provider.pkce) {
      info.codeVerifier = randomString(43);
      info.codeChallenge = s256Challenge(info.codeVerifier);
      info.codeChallengeMethod = "S256";
      params.code_challenge = info.codeChallenge;
      params.code_challenge_method = info.codeChallengeMethod;
    }
    info.authURL = provider.buildAuthURL(info.state, params) + "&redirect_uri=";
    info.authUrl = info.authURL;
    out.push(info);
  }
  return out;
}
