/**
 * The OAuth2 providers an auth collection may configure, as the collection code sees them: the
 * names valid in `oauth2.providers[].name`, and what `GET /api/collections/meta/oauth2-providers`
 * lists for the dashboard. Both read the provider registry in ./oauth2/.
 */
import { hasProvider, newProviderByName, providerNames } from "./oauth2/registry.ts";

/** One listed provider. */
export interface OAuth2ProviderInfo {
  name: string;
  displayName: string;
  /** Dashboard ordering (upstream's provider order; ties by name). */
  order: number;
  /** SVG markup. */
  logo: string;
}

/** True for a registered provider name. */
export function isOAuth2ProviderName(name: string): boolean {
  return hasProvider(name);
}

/** Every registered provider with its defaults, sorted by order, then name. */
export function oauth2Providers(): OAuth2ProviderInfo[] {
  return providerNames()
    .map((name) => {
      const p = newProviderByName(name);
      return { name, displayName: p.displayName, order: p.order, logo: p.logo };
    })
    .sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The provider's SVG logo. */
export function oauth2ProviderLogo(p: OAuth2ProviderInfo): string {
  return p.logo;
}
