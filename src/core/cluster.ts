/**
 * Several `pb serve` processes on one PostgreSQL database behaving as one server (no upstream twin:
 * upstream is one process per pb_data). PostgreSQL is the only coordinator:
 *
 * - **Bus.** One LISTEN channel for everyone (`pb_cluster`) and one per node (`pb_node_<id>`, for
 *   request/response). Messages published within a few milliseconds travel as one JSON array; one
 *   over NOTIFY's 8,000 bytes goes through the UNLOGGED `pb_aux._cluster_outbox` and only its row id
 *   is notified. A node ignores its own broadcasts. Delivery is at most once, as upstream's in-memory
 *   realtime: a listen connection that came back may have missed messages, so the node resyncs
 *   (reloads its caches, drops its SSE clients so they reconnect and resubscribe).
 * - **Leader.** A session advisory lock on a connection of its own; non-leaders try every second, the
 *   leader checks its connection every second and steps down when it fails. PostgreSQL frees the lock
 *   when the holder dies. Cron ticks and the cluster's housekeeping run on the leader only.
 * - **Membership.** Each node upserts `pb_aux._cluster_nodes` every 5 s; the leader forgets nodes
 *   silent for 30 s, and the realtime clients they owned.
 */
import type { App } from "./app.ts";
import type { ClusterLink, SessionLock } from "./db/driver.ts";
import { pseudorandomString } from "../tools/security/random.ts";

const BROADCAST_CHANNEL = "pb_cluster";
/** NOTIFY refuses payloads of 8,000 bytes or more; beyond this a message goes through the outbox. */
const NOTIFY_MAX_BYTES = 7_500;
const COALESCE_MS = 5;
const LEADER_RETRY_MS = 1_000;
const HEARTBEAT_MS = 5_000;
/** A node not seen for this long is gone (its realtime clients with it). */
export const NODE_STALE_MS = 30_000;
const OUTBOX_TTL_MS = 60_000;
/** How long a request to another node waits for its answer. */
export const REQUEST_TIMEOUT_MS = 2_000;

const REPLY_TOPIC = "_reply";

/** One message on the wire. */
interface Envelope {
  /** Sender node. */
  n: string;
  /** Per-sender sequence (PostgreSQL folds identical payloads of one transaction; this keeps them apart). */
  s: number;
  /** Topic. */
  t: string;
  d: unknown;
  /** Request id, on requests and their replies. */
  r?: string;
}

type Handler = (data: unknown, from: string) => Promise<void> | void;
type RequestHandler = (data: unknown, from: string) => Promise<unknown> | unknown;

const nodes = new WeakMap<App, ClusterNode>();
const waiting = new WeakMap<App, ((node: ClusterNode) => void)[]>();

/** The app's cluster node, when it serves on a shared database. */
export function clusterNode(app: App): ClusterNode | null {
  return nodes.get(app) ?? null;
}

/** Runs `fn` with the app's node once it has joined its cluster (at once when it already has). */
export function onClusterJoin(app: App, fn: (node: ClusterNode) => void): void {
  const node = nodes.get(app);
  if (node) return fn(node);
  waiting.set(app, [...(waiting.get(app) ?? []), fn]);
}

/** True when this process runs the cluster's scheduled work: always, unless a node of a cluster that another leads. */
export function isClusterLeader(app: App): boolean {
  return nodes.get(app)?.leader ?? true;
}

/**
 * Joins the cluster of the app's database (a no-op on SQLite): listens, starts the leader election
 * and the heartbeat, and relays cache notices. The node leaves on the app's terminate.
 */
export async function joinCluster(app: App): Promise<ClusterNode | null> {
  const link = app.db.cluster;
  if (!link || nodes.has(app)) return nodes.get(app) ?? null;
  const node = new ClusterNode(app, link);
  // collection and settings changes reach the other nodes' caches (pb_data/.notify only reaches
  // processes sharing this host's folder)
  node.on("cache", (kind) => {
    if (kind === "settings") return app.reloadSettings();
    if (kind === "collections") return app.reloadCollections();
  });
  node.onResync(async () => {
    await app.reloadCollections();
    await app.reloadSettings();
  });
  app.notify.relay = (kind) => node.publish("cache", kind);
  await node.start();
  nodes.set(app, node);
  for (const fn of waiting.get(app) ?? []) fn(node);
  waiting.delete(app);
  app.onTerminate.bind({
    id: "__pbClusterLeave__",
    priority: 998,
    func: async (e) => {
      if (nodes.get(app) === node) nodes.delete(app);
      app.notify.relay = null;
      await node.stop();
      return e.next();
    },
  });
  return node;
}

/**
 * For commands other than `serve` (`migrate`, `superuser`) on a shared database: their collection
 * and settings changes reach the serving nodes' caches too. Sent before the app closes.
 */
export function relayCacheNotices(app: App): void {
  const link = app.db.cluster;
  if (!link) return;
  const sender = "cli" + pseudorandomString(9).toLowerCase();
  let seq = 0;
  const pending = new Set<Promise<void>>();
  app.notify.relay = (kind) => {
    const envelope: Envelope = { n: sender, s: ++seq, t: "cache", d: kind };
    const sent = link.notify(BROADCAST_CHANNEL, JSON.stringify([envelope])).catch(() => {});
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  };
  app.onTerminate.bind({
    id: "__pbClusterRelayFlush__",
    priority: 998,
    func: async (e) => {
      await Promise.all(pending);
      app.notify.relay = null;
      return e.next();
    },
  });
}

export class ClusterNode {
  /** This process's id (a channel name part: lowercase letters and digits). */
  readonly id = pseudorandomString(12).toLowerCase();
  leader = false;
  private seq = 0;
  private queue: Envelope[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly handlers = new Map<string, Handler[]>();
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly resyncHandlers: (() => Promise<void> | void)[] = [];
  private readonly pending = new Map<string, (value: unknown) => void>();
  private readonly lock: SessionLock;
  private unlisten: (() => Promise<void>)[] = [];
  private timers: ReturnType<typeof setInterval>[] = [];
  /** Received messages are handled one after another, in arrival order. */
  private inbox: Promise<void> = Promise.resolve();
  private electing = false;
  private stopped = false;
  private housekeepingAt = 0;

  constructor(
    readonly app: App,
    private readonly link: ClusterLink,
  ) {
    this.lock = link.sessionLock("pb:leader");
  }

  get channel(): string {
    return `pb_node_${this.id}`;
  }

  /** Handles `topic` broadcasts from other nodes. */
  on(topic: string, handler: Handler): void {
    this.handlers.set(topic, [...(this.handlers.get(topic) ?? []), handler]);
  }

  /** Answers `topic` requests from other nodes (one handler per topic). */
  onRequest(topic: string, handler: RequestHandler): void {
    this.requestHandlers.set(topic, handler);
  }

  /** Runs after the listen connection came back (messages may have been missed). */
  onResync(handler: () => Promise<void> | void): void {
    this.resyncHandlers.push(handler);
  }

  /** Broadcasts to every other node (after a few milliseconds, batched with what else is published). */
  publish(topic: string, data: unknown): void {
    if (this.stopped) return;
    this.queue.push({ n: this.id, s: ++this.seq, t: topic, d: data });
    this.flushTimer ??= setTimeout(() => void this.flush(), COALESCE_MS);
  }

  /** Sends a request to `node` and resolves with its answer, or undefined after `timeoutMs`. */
  async request(node: string, topic: string, data: unknown, timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
    const r = `${this.id}.${++this.seq}`;
    const answer = new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(r);
        resolve(undefined);
      }, timeoutMs);
      this.pending.set(r, (v) => {
        clearTimeout(timer);
        this.pending.delete(r);
        resolve(v);
      });
    });
    try {
      await this.send(`pb_node_${node}`, [{ n: this.id, s: this.seq, t: topic, d: data, r }]);
    } catch {
      this.pending.get(r)?.(undefined);
    }
    return answer;
  }

  /**
   * Counts one request under a rate limit key shared by every node: a fixed window of
   * `durationSec` opened by the first request after the previous one ended (upstream's limiter).
   * Returns the window's count including this request.
   */
  async countRequest(key: string, durationSec: number): Promise<number> {
    const now = Math.floor(Date.now() / 1000);
    const within = `EXCLUDED."start" - "_rate_limits"."start" < ?`;
    const row = await this.app.auxDb.get<{ count: number }>(
      `INSERT INTO "_rate_limits" ("key", "start", "count", "expires") VALUES (?, ?, 1, ?)
       ON CONFLICT ("key") DO UPDATE SET
         "count" = CASE WHEN ${within} THEN "_rate_limits"."count" + 1 ELSE 1 END,
         "start" = CASE WHEN ${within} THEN "_rate_limits"."start" ELSE EXCLUDED."start" END,
         "expires" = CASE WHEN ${within} THEN "_rate_limits"."expires" ELSE EXCLUDED."expires" END
       RETURNING "count"`,
      [key, now, now + durationSec, durationSec, durationSec, durationSec],
    );
    return Number(row?.count ?? 1);
  }

  async start(): Promise<void> {
    await this.createTables();
    let broadcastListens = 0;
    // (the two channels share one listen connection; the election opens the lock's own)
    const [all, own] = await Promise.all([
      this.link.listen(
        BROADCAST_CHANNEL,
        (p) => this.receive(p),
        () => {
          if (++broadcastListens > 1) this.enqueue(() => this.resync());
        },
      ),
      this.link.listen(
        this.channel,
        (p) => this.receive(p),
        () => {},
      ),
      this.heartbeat(),
      this.elect(),
    ]);
    this.unlisten.push(all, own);
    this.timers.push(
      setInterval(() => void this.heartbeat(), HEARTBEAT_MS),
      setInterval(() => void this.elect(), LEADER_RETRY_MS),
    );
    for (const t of this.timers) (t as { unref?: () => void }).unref?.();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.flush().catch(() => {});
    for (const unlisten of this.unlisten) await unlisten().catch(() => {});
    await this.lock.release();
    this.leader = false;
    const aux = this.app.auxDb;
    await aux.run(`DELETE FROM "_realtime_clients" WHERE "node" = ?`, [this.id]).catch(() => {});
    await aux.run(`DELETE FROM "_cluster_nodes" WHERE "node" = ?`, [this.id]).catch(() => {});
  }

  /** The cluster's tables, in the logs' schema (UNLOGGED: nothing in them outlives a crash usefully). */
  private async createTables(): Promise<void> {
    const aux = this.app.auxDb;
    // the last one created tells they all exist: no lock and DDL on every start
    const exists = await aux.get<{ t: string | null }>(`SELECT to_regclass('"_rate_limits"')::text AS t`);
    if (exists?.t) return;
    await this.link.exclusive("pb:setup", () =>
      aux.exec(
        [
          `CREATE UNLOGGED TABLE IF NOT EXISTS "_cluster_outbox" ("id" BIGSERIAL PRIMARY KEY, "payload" TEXT NOT NULL, "created" BIGINT NOT NULL)`,
          `CREATE UNLOGGED TABLE IF NOT EXISTS "_cluster_nodes" ("node" TEXT PRIMARY KEY, "seen" BIGINT NOT NULL)`,
          `CREATE UNLOGGED TABLE IF NOT EXISTS "_realtime_clients" ("id" TEXT PRIMARY KEY, "node" TEXT NOT NULL, "ip" TEXT NOT NULL DEFAULT '', "authCollection" TEXT NOT NULL DEFAULT '', "authId" TEXT NOT NULL DEFAULT '')`,
          `CREATE UNLOGGED TABLE IF NOT EXISTS "_rate_limits" ("key" TEXT PRIMARY KEY, "start" BIGINT NOT NULL, "count" BIGINT NOT NULL, "expires" BIGINT NOT NULL)`,
        ].join(";\n"),
      ),
    );
  }

  private async flush(): Promise<void> {
    this.flushTimer = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    try {
      await this.send(BROADCAST_CHANNEL, batch);
    } catch (err) {
      if (this.app.isDev) console.warn("cluster: failed to publish", err);
    }
  }

  private async send(channel: string, batch: Envelope[]): Promise<void> {
    let payload = JSON.stringify(batch);
    if (Buffer.byteLength(payload) > NOTIFY_MAX_BYTES) {
      const row = await this.app.auxDb.get<{ id: number }>(
        `INSERT INTO "_cluster_outbox" ("payload", "created") VALUES (?, ?) RETURNING "id"`,
        [payload, Date.now()],
      );
      payload = JSON.stringify({ o: Number(row!.id) });
    }
    await this.link.notify(channel, payload);
  }

  private receive(payload: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return;
    }
    if (Array.isArray(parsed)) return this.take(parsed as Envelope[]);
    // a batch too large for NOTIFY: its outbox row, read in turn so the order holds
    const outboxId = (parsed as { o?: unknown } | null)?.o;
    if (typeof outboxId !== "number") return;
    this.enqueue(async () => {
      const row = await this.app.auxDb.get<{ payload: string }>(
        `SELECT "payload" FROM "_cluster_outbox" WHERE "id" = ?`,
        [outboxId],
      );
      if (!row) return;
      for (const env of JSON.parse(row.payload) as Envelope[]) {
        if (env && env.n !== this.id) await this.dispatch(env); // (a request's dispatch does not wait)
      }
    });
  }

  /**
   * Requests and replies are handled at once (a reply must not wait behind a slow fan-out, or its
   * request would time out); broadcasts one after another, in arrival order.
   */
  private take(batch: Envelope[]): void {
    const ordered: Envelope[] = [];
    for (const env of batch) {
      if (!env || env.n === this.id) continue;
      if (env.r) void this.dispatch(env);
      else ordered.push(env);
    }
    if (ordered.length > 0)
      this.enqueue(async () => {
        for (const env of ordered) await this.dispatch(env);
      });
  }

  private async dispatch(env: Envelope): Promise<void> {
    if (env.t === REPLY_TOPIC) {
      if (env.r) this.pending.get(env.r)?.(env.d);
      return;
    }
    if (env.r) {
      // a request: answered on the sender's channel, off the inbox so a slow one does not hold it
      const handler = this.requestHandlers.get(env.t);
      const r = env.r;
      void (async () => {
        let answer: unknown = null;
        try {
          answer = handler ? await handler(env.d, env.n) : null;
        } catch {
          answer = null;
        }
        await this.send(`pb_node_${env.n}`, [
          { n: this.id, s: ++this.seq, t: REPLY_TOPIC, d: answer ?? null, r },
        ]).catch(() => {});
      })();
      return;
    }
    for (const handler of this.handlers.get(env.t) ?? []) {
      try {
        await handler(env.d, env.n);
      } catch (err) {
        if (this.app.isDev) console.warn(`cluster: handling "${env.t}" failed`, err);
      }
    }
  }

  private enqueue(fn: () => Promise<void> | void): void {
    this.inbox = this.inbox.then(fn).catch(() => {});
  }

  private async resync(): Promise<void> {
    for (const handler of this.resyncHandlers) {
      try {
        await handler();
      } catch {
        // each handler stands alone
      }
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.app.auxDb.run(
        `INSERT INTO "_cluster_nodes" ("node", "seen") VALUES (?, ?) ON CONFLICT ("node") DO UPDATE SET "seen" = EXCLUDED."seen"`,
        [this.id, Date.now()],
      );
    } catch {
      // the database is away: the next beat tries again
    }
  }

  /** One round of the election: the leader checks its lease, the others try to take it. */
  private async elect(): Promise<void> {
    if (this.electing || this.stopped) return;
    this.electing = true;
    try {
      if (this.leader) this.leader = await this.lock.check();
      if (!this.leader) this.leader = await this.lock.tryAcquire();
      if (this.leader && Date.now() - this.housekeepingAt > 10_000) {
        this.housekeepingAt = Date.now();
        await this.housekeeping();
      }
    } finally {
      this.electing = false;
    }
  }

  /** The leader forgets what dead nodes and old messages left behind. */
  private async housekeeping(): Promise<void> {
    const aux = this.app.auxDb;
    const now = Date.now();
    try {
      await aux.run(`DELETE FROM "_cluster_outbox" WHERE "created" < ?`, [now - OUTBOX_TTL_MS]);
      await aux.run(`DELETE FROM "_cluster_nodes" WHERE "seen" < ?`, [now - NODE_STALE_MS]);
      await aux.run(`DELETE FROM "_realtime_clients" WHERE "node" NOT IN (SELECT "node" FROM "_cluster_nodes")`);
      await aux.run(`DELETE FROM "_rate_limits" WHERE "expires" < ?`, [now]);
    } catch {
      // next round
    }
  }
}
