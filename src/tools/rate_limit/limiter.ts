/**
 * Fixed-window rate limiting per client key (upstream's rateLimiter/rateClient): each key gets
 * `maxRequests` per window of `duration` seconds, the window restarting on the first request after
 * it ended. Windows are counted in whole unix seconds, as upstream does.
 */

interface Client {
  /** Unix second the current window started. */
  start: number;
  available: number;
}

/** One limiter (one rule) tracking many clients. */
export class RateLimiter {
  private clients = new Map<string, Client>();

  constructor(
    readonly maxRequests: number,
    readonly duration: number,
    /** Seconds after its last window a client is forgotten by `cleanup()` (which the owner schedules). */
    readonly forgetAfter = 1800,
    private readonly now: () => number = nowUnix,
  ) {}

  /** Consumes one request for `key`; false when its allowance in this window is used up. */
  isAllowed(key: string): boolean {
    const now = this.now();
    let c = this.clients.get(key);
    if (!c) {
      c = { start: 0, available: 0 };
      this.clients.set(key, c);
    }
    if (now - c.start >= this.duration) {
      c.available = this.maxRequests;
      c.start = now;
    }
    if (c.available > 0) {
      c.available--;
      return true;
    }
    return false;
  }

  /** Forgets the clients whose last window ended more than `forgetAfter` seconds ago. */
  cleanup(now = this.now()): void {
    for (const [k, c] of this.clients) if (now - (c.start + this.duration) > this.forgetAfter) this.clients.delete(k);
  }

  get size(): number {
    return this.clients.size;
  }
}

function nowUnix(): number {
  return Math.floor(Date.now() / 1000);
}
