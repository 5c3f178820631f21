/**
 * The OAuth2 providers an auth collection may configure: their names (validated in
 * `oauth2.providers[].name`) and what `GET /api/collections/meta/oauth2-providers` lists for the
 * dashboard. The OAuth2 flow itself lives with the auth code; when it brings its own provider
 * registry, this list should be read from there.
 */

/** One listed provider. */
export interface OAuth2ProviderInfo {
  name: string;
  displayName: string;
  /** Dashboard ordering (upstream's provider order; ties by name). */
  order: number;
}

const PROVIDERS: OAuth2ProviderInfo[] = [
  { name: "apple", displayName: "Apple", order: 1 },
  { name: "google", displayName: "Google", order: 2 },
  { name: "microsoft", displayName: "Microsoft", order: 3 },
  { name: "yandex", displayName: "Yandex", order: 4 },
  { name: "facebook", displayName: "Facebook", order: 5 },
  { name: "instagram2", displayName: "Instagram", order: 6 },
  { name: "github", displayName: "GitHub", order: 7 },
  { name: "gitlab", displayName: "GitLab", order: 8 },
  { name: "bitbucket", displayName: "Bitbucket", order: 9 },
  { name: "gitee", displayName: "Gitee", order: 10 },
  { name: "gitea", displayName: "Gitea/Forgejo", order: 11 },
  { name: "discord", displayName: "Discord", order: 12 },
  { name: "twitter", displayName: "X/Twitter", order: 13 },
  { name: "kakao", displayName: "Kakao", order: 14 },
  { name: "vk", displayName: "ВКонтакте", order: 15 },
  { name: "linear", displayName: "Linear", order: 16 },
  { name: "notion", displayName: "Notion", order: 17 },
  { name: "monday", displayName: "monday.com", order: 18 },
  { name: "lark", displayName: "Lark", order: 19 },
  { name: "box", displayName: "Box", order: 20 },
  { name: "spotify", displayName: "Spotify", order: 21 },
  { name: "trakt", displayName: "Trakt", order: 22 },
  { name: "twitch", displayName: "Twitch", order: 23 },
  { name: "patreon", displayName: "Patreon", order: 24 },
  { name: "strava", displayName: "Strava", order: 25 },
  { name: "wakatime", displayName: "WakaTime", order: 26 },
  { name: "livechat", displayName: "LiveChat", order: 27 },
  { name: "mailcow", displayName: "mailcow", order: 28 },
  { name: "planningcenter", displayName: "Planning Center", order: 29 },
  { name: "oidc", displayName: "OIDC", order: 99 },
  { name: "oidc2", displayName: "OIDC", order: 99 },
  { name: "oidc3", displayName: "OIDC", order: 99 },
];

const NAMES = new Set(PROVIDERS.map((p) => p.name));

/** True for a known provider name. */
export function isOAuth2ProviderName(name: string): boolean {
  return NAMES.has(name);
}

/** The providers in listing order. */
export function oauth2Providers(): OAuth2ProviderInfo[] {
  return [...PROVIDERS].sort((a, b) => a.order - b.order || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A neutral badge logo (the provider's initial on a rounded square) as SVG markup.
 * Brand logos belong to the auth work's provider registry.
 */
export function oauth2ProviderLogo(p: OAuth2ProviderInfo): string {
  const letter = [...p.displayName][0] ?? "?";
  const escaped = letter.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">' +
    '<rect width="64" height="64" rx="12" fill="#4b5563"/>' +
    `<text x="32" y="43" font-family="Arial,sans-serif" font-size="30" text-anchor="middle" fill="#fff">${escaped}</text>` +
    "</svg>"
  );
}
