/**
 * PostgreSQL as the coordinator of several pb processes on one database (no upstream twin: upstream
 * runs one process per pb_data): LISTEN/NOTIFY for the cluster bus, advisory locks for "once" work
 * (setup, migrations) and for the leader. Locks are keyed by `hashtext(name)`.
 */
import { SQL, type ReservedSQL } from "bun";
import type { ClusterLink, SessionLock } from "./driver.ts";

export class PgClusterLink implements ClusterLink {
  /** LISTEN's own client: its connection only listens, and must not share a pool's idle timeout. */
  private listener: SQL | null = null;

  constructor(
    private readonly location: string,
    /** The owner's write pool (notifications go through it). */
    private readonly pool: SQL,
  ) {}

  async listen(channel: string, onPayload: (payload: string) => void, onListen: () => void) {
    this.listener ??= new SQL(this.location, { max: 1, idleTimeout: 0, connection: { idle_session_timeout: "0" } });
    const subscription = await this.listener.listen(channel, onPayload, onListen);
    return () => subscription.unlisten();
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.pool.unsafe("SELECT pg_notify($1, $2)", [channel, payload]);
  }

  async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    // a connection of its own: `fn` needs the pool's (a small pool may have only one)
    const lockClient = new SQL(this.location, { max: 1, idleTimeout: 0 });
    try {
      await lockClient.unsafe("SELECT pg_advisory_lock(hashtext($1))", [name]);
      return await fn();
    } finally {
      // closing the session frees the lock
      await lockClient.close({ timeout: 1 }).catch(() => {});
    }
  }

  sessionLock(name: string): SessionLock {
    return new PgSessionLock(this.location, name);
  }

  async close(): Promise<void> {
    const listener = this.listener;
    this.listener = null;
    await listener?.close({ timeout: 1 }).catch(() => {});
  }
}

/**
 * A session advisory lock on a dedicated connection, never returned to a pool: PostgreSQL frees it
 * the moment that connection ends — the process died, or the server restarted — which is what makes
 * it a leader lease. A dead connection is dropped and the next `tryAcquire` opens a new one.
 */
class PgSessionLock implements SessionLock {
  private client: SQL | null = null;
  private conn: ReservedSQL | null = null;
  private held = false;

  constructor(
    private readonly location: string,
    private readonly name: string,
  ) {}

  async tryAcquire(): Promise<boolean> {
    if (this.held && (await this.check())) return true;
    try {
      if (!this.conn) {
        this.client ??= new SQL(this.location, {
          max: 1,
          idleTimeout: 0,
          connectionTimeout: 5,
          connection: { idle_session_timeout: "0" },
        });
        this.conn = await this.client.reserve();
      }
      const rows = (await this.conn.unsafe("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [this.name])) as {
        ok: boolean;
      }[];
      this.held = rows[0]?.ok === true;
      return this.held;
    } catch {
      await this.drop();
      return false;
    }
  }

  async check(): Promise<boolean> {
    if (!this.held || !this.conn) return false;
    try {
      await this.conn.unsafe("SELECT 1");
      return true;
    } catch {
      await this.drop();
      return false;
    }
  }

  async release(): Promise<void> {
    await this.drop();
  }

  /** Forgets the connection (and with it the lock); a new one is opened on the next attempt. */
  private async drop(): Promise<void> {
    this.held = false;
    const client = this.client;
    const conn = this.conn;
    this.conn = null;
    this.client = null;
    // a reserved connection still out would hold close() up to its timeout: hand it back first
    try {
      conn?.release();
    } catch {
      // already gone with its session
    }
    await client?.close({ timeout: 0 }).catch(() => {});
  }
}
