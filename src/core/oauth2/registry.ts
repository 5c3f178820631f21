/**
 * The OAuth2 provider registry: every provider upstream ships, by name. A collection's
 * `oauth2.providers[]` entry names one of these and overrides its defaults (`initProvider`).
 */
import type { OAuth2ProviderConfig } from "../collection.ts";
import type { OAuth2Provider } from "./provider.ts";
import { AppleProvider } from "./providers/apple.ts";
import { BitbucketProvider } from "./providers/bitbucket.ts";
import { BoxProvider } from "./providers/box.ts";
import { DiscordProvider } from "./providers/discord.ts";
import { FacebookProvider } from "./providers/facebook.ts";
import { GiteaProvider } from "./providers/gitea.ts";
import { GiteeProvider } from "./providers/gitee.ts";
import { GithubProvider } from "./providers/github.ts";
import { GitlabProvider } from "./providers/gitlab.ts";
import { GoogleProvider } from "./providers/google.ts";
import { InstagramProvider } from "./providers/instagram.ts";
import { KakaoProvider } from "./providers/kakao.ts";
import { LarkProvider } from "./providers/lark.ts";
import { LinearProvider } from "./providers/linear.ts";
import { LivechatProvider } from "./providers/livechat.ts";
import { MailcowProvider } from "./providers/mailcow.ts";
import { MicrosoftProvider } from "./providers/microsoft.ts";
import { MondayProvider } from "./providers/monday.ts";
import { NotionProvider } from "./providers/notion.ts";
import { OIDCProvider } from "./providers/oidc.ts";
import { PatreonProvider } from "./providers/patreon.ts";
import { PlanningcenterProvider } from "./providers/planningcenter.ts";
import { SpotifyProvider } from "./providers/spotify.ts";
import { StravaProvider } from "./providers/strava.ts";
import { TraktProvider } from "./providers/trakt.ts";
import { TwitchProvider } from "./providers/twitch.ts";
import { TwitterProvider } from "./providers/twitter.ts";
import { VKProvider } from "./providers/vk.ts";
import { WakatimeProvider } from "./providers/wakatime.ts";
import { YandexProvider } from "./providers/yandex.ts";

/** Makes a provider instance with its defaults. */
export type ProviderFactory = () => OAuth2Provider;

/** Provider factories by name (`instagram2`: the "2" avoids the retired Basic Display provider). */
const PROVIDERS = new Map<string, ProviderFactory>([
  ["apple", () => new AppleProvider()],
  ["bitbucket", () => new BitbucketProvider()],
  ["box", () => new BoxProvider()],
  ["discord", () => new DiscordProvider()],
  ["facebook", () => new FacebookProvider()],
  ["gitea", () => new GiteaProvider()],
  ["gitee", () => new GiteeProvider()],
  ["github", () => new GithubProvider()],
  ["gitlab", () => new GitlabProvider()],
  ["google", () => new GoogleProvider()],
  ["instagram2", () => new InstagramProvider()],
  ["kakao", () => new KakaoProvider()],
  ["lark", () => new LarkProvider()],
  ["linear", () => new LinearProvider()],
  ["livechat", () => new LivechatProvider()],
  ["mailcow", () => new MailcowProvider()],
  ["microsoft", () => new MicrosoftProvider()],
  ["monday", () => new MondayProvider()],
  ["notion", () => new NotionProvider()],
  ["oidc", () => new OIDCProvider()],
  ["oidc2", () => new OIDCProvider()],
  ["oidc3", () => new OIDCProvider()],
  ["patreon", () => new PatreonProvider()],
  ["planningcenter", () => new PlanningcenterProvider()],
  ["spotify", () => new SpotifyProvider()],
  ["strava", () => new StravaProvider()],
  ["trakt", () => new TraktProvider()],
  ["twitch", () => new TwitchProvider()],
  ["twitter", () => new TwitterProvider()],
  ["vk", () => new VKProvider()],
  ["wakatime", () => new WakatimeProvider()],
  ["yandex", () => new YandexProvider()],
]);

/** The registered provider names. */
export function providerNames(): string[] {
  return [...PROVIDERS.keys()];
}

/** True when `name` is a registered provider. */
export function hasProvider(name: string): boolean {
  return PROVIDERS.has(name);
}

/**
 * Registers (or replaces) a provider, e.g. a custom vendor from app code or a test double.
 * Returns a function that restores the previous registration.
 */
export function registerProvider(name: string, factory: ProviderFactory): () => void {
  const previous = PROVIDERS.get(name);
  PROVIDERS.set(name, factory);
  return () => {
    if (previous) PROVIDERS.set(name, previous);
    else PROVIDERS.delete(name);
  };
}

/** A new instance of the named provider with its defaults; throws for an unknown name. */
export function newProviderByName(name: string): OAuth2Provider {
  const factory = PROVIDERS.get(name);
  if (!factory) throw new Error(`missing provider ${name}`);
  return factory();
}

/** The provider of a collection's config entry: its defaults, then every non-empty setting applied. */
export function initProvider(config: OAuth2ProviderConfig): OAuth2Provider {
  const p = newProviderByName(config.name);
  if (config.clientId) p.clientId = config.clientId;
  if (config.clientSecret) p.clientSecret = config.clientSecret;
  if (config.authURL) p.authURL = config.authURL;
  if (config.userInfoURL) p.userInfoURL = config.userInfoURL;
  if (config.tokenURL) p.tokenURL = config.tokenURL;
  if (config.displayName) p.displayName = config.displayName;
  if (config.pkce !== null && config.pkce !== undefined) p.pkce = config.pkce;
  if (config.extra !== null && config.extra !== undefined) p.setExtra(config.extra);
  return p;
}
