/** OAuth2 sign-in: the provider registry and clients, auth-methods' provider list, and helpers. */
export {
  OAuth2Error,
  OAuth2Provider,
  parseTokenResponse,
  tokenExtra,
  type OAuth2Token,
  type OAuth2User,
  type ProviderDefaults,
} from "./provider.ts";
export {
  hasProvider,
  initProvider,
  newProviderByName,
  providerNames,
  registerProvider,
  type ProviderFactory,
} from "./registry.ts";
export { authMethodsOAuth2Providers, s256Challenge, type AuthMethodsProviderInfo } from "./auth_methods.ts";
export { generateAppleClientSecret, type AppleClientSecretOptions } from "./apple_client_secret.ts";
export { storeAppleRedirectName, takeAppleRedirectName } from "./apple_names.ts";
export {
  createExternalAuth,
  deleteExternalAuthsByRecord,
  findExternalAuth,
  findExternalAuthsByRecord,
} from "./external_auths.ts";
export { setIdTokenLeeway } from "./id_token.ts";
export { safeFileFromURL } from "./safe_fetch.ts";
