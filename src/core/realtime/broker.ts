/**
 * The realtime broker: the registry of connected SSE clients (upstream's subscriptions.Broker),
 * one per app, plus the ways messages reach them. The HTTP side (src/api/realtime.ts) registers a
 * client per connection and drains its channel; everything else only finds clients and sends.
 *
 * Record-change events (next step) build on `clientsWithSubscriptions`: for each client and each
 * subscription matching a collection prefix, check the rule with the client's auth and send a
 * per-subscription payload, or use `broadcast` with a filter.
 */
import type { App } from "../app.ts";
import type { Record } from "../record.ts";
import type { AppHooks } from "../app_hooks.ts";
import { Client, type Message, type SubscriptionOptions } from "./client.ts";

/** Client store key of the auth record set by the last subscription request. */
export const REALTIME_CLIENT_AUTH_KEY = "auth";
/** Client store key of the IP the client connected from. */
export const REALTIME_CLIENT_IP_KEY = "pbRealtimeClientIP";

/** Which clients a broadcast reaches, and per client whether it may (async rule checks allowed). */
export type ClientFilter = (client: Client) => boolean | Promise<boolean>;

export class Broker {
  private readonly store = new Map<string, Client>();

  /** A snapshot of the connected clients by id. */
  clients(): Map<string, Client> {
    return new Map(this.store);
  }

  /** The clients in chunks of `size` (for work spread over several turns). */
  chunkedClients(size: number): Client[][] {
    const all = [...this.store.values()];
    const out: Client[][] = [];
    for (let i = 0; i < all.length; i += Math.max(1, size)) out.push(all.slice(i, i + Math.max(1, size)));
    return out;
  }

  totalClients(): number {
    return this.store.size;
  }

  /** The client with `id`, or null. */
  clientById(id: string): Client | null {
    return this.store.get(id) ?? null;
  }

  register(client: Client): void {
    this.store.set(client.id, client);
  }

  /** Discards the client (ending its connection) and forgets it. */
  unregister(id: string): void {
    const c = this.store.get(id);
    if (!c) return;
    c.discard();
    this.store.delete(id);
  }

  /** Discards every client, ending their connections (on shutdown: open streams would hold a graceful stop). */
  unregisterAll(): void {
    for (const id of [...this.store.keys()]) this.unregister(id);
  }

  /**
   * Each client with its subscriptions matching any of `prefixes` (clients without one are
   * skipped). The record-events work iterates this to check rules per subscription.
   */
  *clientsWithSubscriptions(...prefixes: string[]): Generator<[Client, Map<string, SubscriptionOptions>]> {
    for (const client of this.store.values()) {
      if (client.isDiscarded) continue;
      const subs = client.subscriptions(...prefixes);
      if (subs.size > 0) yield [client, subs];
    }
  }

  /**
   * Sends `{name: topic, data}` to every client subscribed to exactly `topic` that passes
   * `filter`; `data` is JSON-encoded unless it is already a string. Returns how many got it.
   */
  async broadcast(topic: string, data: unknown, filter?: ClientFilter): Promise<number> {
    const text = typeof data === "string" ? data : JSON.stringify(data);
    let n = 0;
    for (const client of [...this.store.values()]) {
      if (client.isDiscarded || !client.hasSubscription(topic)) continue;
      if (filter && !(await filter(client))) continue;
      client.send({ name: topic, data: text });
      n++;
    }
    return n;
  }
}

/**
 * The realtime hooks (upstream's OnRealtimeConnectRequest, OnRealtimeSubscribeRequest, OnRealtimeMessageSend), declared
 * on the App.
 */
export type RealtimeHooks = Pick<
  AppHooks,
  "onRealtimeConnectRequest" | "onRealtimeSubscribeRequest" | "onRealtimeMessageSend"
>;

interface RealtimeState {
  broker: Broker;
}

const states = new WeakMap<App, RealtimeState>();

/**
 * The app's realtime state, created on first use. Kept beside the App (rather than on it) until
 * the App grows `subscriptionsBroker()`; the realtime hooks are the App's own.
 */
function stateOf(app: App): RealtimeState {
  let s = states.get(app);
  if (!s) {
    s = { broker: new Broker() };
    states.set(app, s);
    bindAuthTracking(app, s.broker);
    const broker = s.broker;
    app.onTerminate.bind({
      id: "pbRealtimeCloseConnections",
      priority: -9999,
      func: async (e) => {
        broker.unregisterAll();
        await e.next();
      },
    });
  }
  return s;
}

/** The app's subscriptions broker. */
export function subscriptionsBroker(app: App): Broker {
  return stateOf(app).broker;
}

/** The app's realtime hooks: the App itself (kept for callers written before the App declared them). */
export function realtimeHooks(app: App): RealtimeHooks {
  return app;
}

/** The auth record a client subscribed with, if any. */
export function clientAuth(client: Client): Record | null {
  return (client.get(REALTIME_CLIENT_AUTH_KEY) as Record | undefined) ?? null;
}

/** Sends one message to one client (app code's `client.send`, named here for symmetry with broadcast). */
export function sendToClient(client: Client, message: Message): void {
  client.send(message);
}

/**
 * Keeps the clients' stored auth in step with the records (upstream's bindRealtimeEvents):
 * an updated auth record replaces the stored one (or unsets it when its tokenKey changed); a
 * deleted record, a deleted auth collection or a changed `authToken.secret` unsets it.
 */
function bindAuthTracking(app: App, broker: Broker): void {
  const forAuthOf = (fn: (client: Client, auth: Record) => void) => {
    for (const client of broker.clients().values()) {
      const auth = clientAuth(client);
      if (auth) fn(client, auth);
    }
  };

  app.onRecordAfterUpdateSuccess().bind({
    id: "pbRealtimeUpdateClientsAuth",
    priority: -99,
    func: async (e) => {
      const r = e.record;
      if (r.collection.type === "auth" && broker.totalClients() > 0) {
        forAuthOf((client, auth) => {
          if (auth.id !== r.id || auth.collection.name !== r.collection.name) return;
          if (auth.tokenKey() !== r.tokenKey()) client.unset(REALTIME_CLIENT_AUTH_KEY);
          else client.set(REALTIME_CLIENT_AUTH_KEY, r.clone());
        });
      }
      await e.next();
    },
  });

  app.onRecordAfterDeleteSuccess().bind({
    id: "pbRealtimeUnsetDeletedAuth",
    priority: -99,
    func: async (e) => {
      const r = e.record;
      if (r.collection.type === "auth" && broker.totalClients() > 0) {
        forAuthOf((client, auth) => {
          if (auth.id === r.id && auth.collection.name === r.collection.name) client.unset(REALTIME_CLIENT_AUTH_KEY);
        });
      }
      await e.next();
    },
  });

  app.onCollectionUpdate().bind({
    id: "pbRealtimeCollectionSecretChange",
    priority: -99,
    func: async (e) => {
      const c = e.collection;
      if (c.type !== "auth") return e.next();
      const cachedSecret = app.findCollection(c.id)?.authToken.secret;
      await e.next();
      if (cachedSecret !== undefined && cachedSecret !== c.authToken.secret) {
        forAuthOf((client, auth) => {
          if (auth.collection.name === c.name) client.unset(REALTIME_CLIENT_AUTH_KEY);
        });
      }
    },
  });

  app.onCollectionAfterDeleteSuccess().bind({
    id: "pbRealtimeUnsetDeletedCollectionAuth",
    priority: -99,
    func: async (e) => {
      const c = e.collection;
      if (c.type === "auth") {
        forAuthOf((client, auth) => {
          if (auth.collection.name === c.name) client.unset(REALTIME_CLIENT_AUTH_KEY);
        });
      }
      await e.next();
    },
  });
}
