/**
 * A realtime (SSE) client as upstream's subscriptions.Client: an id, a set of subscriptions (each
 * with the options parsed from its `?options=` suffix), a small key/value store (auth record,
 * connect IP…) and a send channel that the connection drains in order.
 */
import { snakeCase } from "../../tools/inflector.ts";
import { randomString } from "../../tools/security/random.ts";

/** One SSE message: `name` becomes the `event:` line, `data` the (single-line) `data:` line. */
export interface Message {
  name: string;
  /** Raw data text, usually JSON. */
  data: string;
}

/** What a subscription's `?options={"query":{},"headers":{}}` asked for, values as strings. */
export interface SubscriptionOptions {
  query: { [k: string]: string };
  /** Header names snake_cased, to match `@request.headers.*`. */
  headers: { [k: string]: string };
}

const OPTIONS_PARAM = "options";

export class Client {
  readonly id: string;
  private readonly subs = new Map<string, SubscriptionOptions>();
  private readonly store = new Map<string, unknown>();
  private readonly queue: Message[] = [];
  private waiter: (() => void) | null = null;
  private discarded = false;

  constructor(id = randomString(40)) {
    this.id = id;
  }

  /**
   * The subscriptions and their options; with `prefixes`, only those that match one of them
   * (a subscription `s` matches `p` when `s + "?"` starts with `p`, so `posts/*?` also matches `posts/*`).
   */
  subscriptions(...prefixes: string[]): Map<string, SubscriptionOptions> {
    if (prefixes.length === 0) return new Map(this.subs);
    let out: Map<string, SubscriptionOptions> | null = null;
    for (const prefix of prefixes) {
      for (const [s, opts] of this.subs) if (matchesPrefix(s, prefix)) (out ??= new Map()).set(s, opts);
    }
    return out ?? new Map();
  }

  /** Adds subscriptions (empty strings are skipped); the full string, options included, is the key. */
  subscribe(...subs: string[]): void {
    for (const s of subs) {
      if (s === "") continue;
      this.subs.set(s, parseSubscriptionOptions(s));
    }
  }

  /** Removes the given subscriptions, or all of them when none is given. */
  unsubscribe(...subs: string[]): void {
    if (subs.length === 0) this.subs.clear();
    else for (const s of subs) this.subs.delete(s);
  }

  /** True when the client holds exactly `sub` (an `?options=` variant does not count). */
  hasSubscription(sub: string): boolean {
    return this.subs.has(sub);
  }

  get(key: string): unknown {
    return this.store.get(key);
  }

  set(key: string, value: unknown): void {
    this.store.set(key, value);
  }

  unset(key: string): void {
    this.store.delete(key);
  }

  /** Closes the send channel: queued messages are dropped and the connection ends. */
  discard(): void {
    if (this.discarded) return;
    this.discarded = true;
    this.queue.length = 0;
    this.wake();
  }

  get isDiscarded(): boolean {
    return this.discarded;
  }

  /** Queues a message for the connection (a no-op once discarded). */
  send(m: Message): void {
    if (this.discarded) return;
    this.queue.push(m);
    this.wake();
  }

  /**
   * The next queued message, waiting for one; null once the client is discarded or `signal`
   * aborts. Only the connection that owns the client should read.
   */
  async receive(signal?: AbortSignal): Promise<Message | null> {
    // one abort listener per signal, not one per wait (a fan-out wakes every client at once)
    if (signal && this.watched !== signal) {
      this.watched = signal;
      signal.addEventListener("abort", () => this.wake(), { once: true });
    }
    for (;;) {
      if (this.discarded || signal?.aborted) return null;
      const m = this.queue.shift();
      if (m) return m;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private watched: AbortSignal | null = null;

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}

/** `(sub + "?").startsWith(prefix)`, without building the string. */
function matchesPrefix(sub: string, prefix: string): boolean {
  if (sub.startsWith(prefix)) return true;
  return prefix.length === sub.length + 1 && prefix.charCodeAt(sub.length) === 63 /* ? */ && prefix.startsWith(sub);
}

/** The options of a subscription string (`topic?options=<urlencoded JSON>`); unparsable options are empty. */
export function parseSubscriptionOptions(sub: string): SubscriptionOptions {
  const out: SubscriptionOptions = { query: {}, headers: {} };
  const q = sub.indexOf("?");
  if (q < 0) return out;
  let raw: string | null;
  try {
    raw = new URLSearchParams(sub.slice(q + 1).split("#")[0]).get(OPTIONS_PARAM);
  } catch {
    return out;
  }
  if (!raw) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return out;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return out;
  const { query, headers } = parsed as { query?: unknown; headers?: unknown };
  if (query && typeof query === "object" && !Array.isArray(query)) {
    for (const [k, v] of Object.entries(query)) out.query[k] = castString(v);
  }
  if (headers && typeof headers === "object" && !Array.isArray(headers)) {
    for (const [k, v] of Object.entries(headers)) out.headers[snakeCase(k)] = castString(v);
  }
  return out;
}

/** spf13/cast's ToString for JSON values: scalars as text, anything else empty. */
function castString(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return "";
}

/** One SSE event as upstream writes it: `id:<clientId>`, `event:<name>`, `data:<data>`, blank line. */
export function formatSSE(m: Message, eventId: string): string {
  return `id:${eventId}\nevent:${m.name}\ndata:${m.data}\n\n`;
}
