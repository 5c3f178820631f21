/**
 * Rate limiting as upstream (apis/middlewares_rate_limit.go, settings.rateLimits): off unless
 * enabled; superusers and `excludedIPs` are never limited; fixed windows per client IP (`e.realIP`,
 * so trusted proxy headers count). A rule's label is `METHOD /path`, `/path` (a trailing `/` makes
 * it a prefix rule), `collection:tag`, `*:tag` or a bare tag; its audience `""`, `@guest` or `@auth`.
 *
 * - `rateLimit()` — the global middleware: labels `METHOD path`, `path`; one counter per rule.
 * - `collectionPathRateLimit(...tags)` — bound on collection routes in place of the global one
 *   (same id): labels `{name}:{tag}`, `*:{tag}`, then the global ones; one counter per
 *   collection + route + rule audience. It also answers 404 for a missing collection.
 * - `checkCollectionRateLimit(e, collection, ...tags)` — the same check from inside a handler.
 *
 * State is per app (on a cluster: shared by the nodes, in the database) and starts over whenever the settings change (as upstream resets on reload); the
 * `__pbRateLimitersCleanup__` cron job (added with the first limiter, as upstream) forgets idle clients.
 */
import type { App } from "../../core/app.ts";
import type { Collection } from "../../core/collection.ts";
import { ApiError, noRows } from "../../core/errors.ts";
import { cronAdd } from "../../core/crons.ts";
import { clusterNode } from "../../core/cluster.ts";
import type { RequestEvent } from "../../core/request_event.ts";
import type { RateLimitRule, RateLimitsConfig, Settings } from "../../core/settings.ts";
import { RateLimiter } from "../../tools/rate_limit/limiter.ts";
import type { Middleware } from "../router.ts";
import { RATE_LIMIT } from "./priorities.ts";
import { ipInList } from "./real_ip.ts";

/** The id of the default rate limit middleware (unbind it to opt a route out). */
export const RATE_LIMIT_MIDDLEWARE_ID = "pbRateLimit";

export const AUDIENCE_ALL = "";
export const AUDIENCE_GUEST = "@guest";
export const AUDIENCE_AUTH = "@auth";

/**
 * The first rule matching `labels` (tried in order) for one of `audiences` (any when empty):
 * per label an exact match wins, else a prefix rule (label ending in `/`) that prefixes `label + "/"`.
 * As upstream, prefix rules are collected while scanning the first label.
 */
export function findRateLimitRule(
  rules: readonly RateLimitRule[],
  labels: readonly string[],
  audiences: readonly string[] = [],
): RateLimitRule | null {
  const fits = (r: RateLimitRule) => audiences.length === 0 || audiences.includes(r.audience);
  const prefixRules: RateLimitRule[] = [];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    for (const r of rules) {
      if (label === r.label && fits(r)) return r;
      if (i === 0 && r.label.endsWith("/")) prefixRules.push(r);
    }
    for (const r of prefixRules) {
      if ((label + "/").startsWith(r.label) && fits(r)) return r;
    }
  }
  return null;
}

interface LimiterState {
  settings: Settings;
  config: string;
  limiters: Map<string, RateLimiter>;
}

const states = new WeakMap<App, LimiterState>();

function limitersOf(app: App): Map<string, RateLimiter> {
  const settings = app.settings();
  const config = JSON.stringify(settings.rateLimits);
  let state = states.get(app);
  if (!state || state.settings !== settings || state.config !== config) {
    if (!state) {
      // a minute past the hour: many cleanups already run at minute 0
      cronAdd(app, "__pbRateLimitersCleanup__", "2 * * * *", () => {
        for (const rl of states.get(app)?.limiters.values() ?? []) rl.cleanup();
      });
    }
    state = { settings, config, limiters: new Map() };
    states.set(app, state);
  }
  return state.limiters;
}

/**
 * Counts this request against `rule` under the limiter `id` and throws 429 once it is exhausted.
 * It does not look at `enabled`, superusers or excluded IPs (callers do; the OTP guard doesn't).
 */
export async function checkRateLimit(
  e: RequestEvent,
  id: string,
  rule: Pick<RateLimitRule, "audience" | "duration" | "maxRequests">,
  message = "",
): Promise<void> {
  if (rule.audience === AUDIENCE_GUEST && e.auth) return;
  if (rule.audience === AUDIENCE_AUTH && !e.auth) return;
  const key = e.realIP;
  if (!key) return;
  if (!(await isAllowed(e.app, id, rule, key))) {
    // the matched rule goes to the request log as upstream's RateLimitRule.String() (its JSON)
    const label = (rule as Partial<RateLimitRule>).label ?? "";
    const ruleJSON = JSON.stringify({
      label,
      audience: rule.audience,
      duration: rule.duration,
      maxRequests: rule.maxRequests,
    });
    throw new ApiError(429, message, {}, message ? undefined : new Error("triggered rate limit rule: " + ruleJSON));
  }
}

/**
 * Counts one request of client `key` under limiter `id`. On a cluster the count is shared by every
 * node (one upsert); the rule's figures are part of the key, so a changed rule starts over, as a
 * settings change resets upstream's limiters.
 */
async function isAllowed(
  app: App,
  id: string,
  rule: Pick<RateLimitRule, "duration" | "maxRequests">,
  key: string,
): Promise<boolean> {
  const node = clusterNode(app);
  if (node) {
    const count = await node.countRequest(JSON.stringify([id, rule.maxRequests, rule.duration, key]), rule.duration);
    return count <= rule.maxRequests;
  }
  const limiters = limitersOf(app);
  let rl = limiters.get(id);
  if (!rl || rl.maxRequests !== rule.maxRequests || rl.duration !== rule.duration) {
    rl = new RateLimiter(rule.maxRequests, rule.duration);
    limiters.set(id, rl);
  }
  return rl.isAllowed(key);
}

/** True when rate limits don't apply to this request: disabled, a superuser, or an excluded IP. */
export function skipRateLimit(e: RequestEvent): boolean {
  const cfg: RateLimitsConfig = e.app.settings().rateLimits;
  return !cfg.enabled || e.hasSuperuserAuth() || ipInList(cfg.excludedIPs ?? [], e.realIP);
}

/** The audiences a rule may have to apply to this request. */
function audiencesOf(e: RequestEvent): string[] {
  return e.auth ? [AUDIENCE_ALL, AUDIENCE_AUTH] : [AUDIENCE_ALL, AUDIENCE_GUEST];
}

/** `METHOD /path` and `/path` of this request. */
function defaultLabels(e: RequestEvent): string[] {
  let path = e.url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the raw path
  }
  return [`${e.method} ${path}`, path];
}

/** The global rate limit middleware (bound on every route by default). */
export function rateLimit(): Middleware {
  return {
    id: RATE_LIMIT_MIDDLEWARE_ID,
    priority: RATE_LIMIT,
    func: async (e) => {
      if (!skipRateLimit(e)) {
        const rule = findRateLimitRule(e.app.settings().rateLimits.rules, defaultLabels(e), audiencesOf(e));
        if (rule) await checkRateLimit(e, rule.label + rule.audience, rule);
      }
      return e.next();
    },
  };
}

/**
 * Checks the collection-aware rules for `tags` (e.g. "create", or "authWithPassword" + "auth"):
 * labels `{name}:{tag}`, then `*:{tag}`, then `METHOD path` and `path`. Throws 429 when exceeded.
 */
export async function checkCollectionRateLimit(
  e: RequestEvent,
  collection: Collection,
  ...tags: string[]
): Promise<void> {
  if (skipRateLimit(e)) return;
  const labels = [...tags.map((t) => `${collection.name}:${t}`), ...tags.map((t) => `*:${t}`), ...defaultLabels(e)];
  const rule = findRateLimitRule(e.app.settings().rateLimits.rules, labels, audiencesOf(e));
  if (rule) await checkRateLimit(e, `${collection.id} ${e.method} ${tags.join(",")}${rule.audience}`, rule);
}

/**
 * Route middleware replacing the global limiter (same id) on `/api/collections/{collection}/…`
 * routes: 404 `Missing or invalid collection context.` without a collection, then the
 * collection-aware check for `tags`.
 */
export function collectionPathRateLimit(...tags: string[]): Middleware {
  return {
    id: RATE_LIMIT_MIDDLEWARE_ID,
    priority: RATE_LIMIT,
    func: async (e) => {
      const collection = e.app.findCollection(e.params.collection ?? "");
      if (!collection) throw new ApiError(404, "Missing or invalid collection context.", {}, noRows());
      await checkCollectionRateLimit(e, collection, ...tags);
      return e.next();
    },
  };
}
