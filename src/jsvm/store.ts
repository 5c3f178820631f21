/**
 * `$app.store()`: the process-wide key/value store scripts share (upstream's store.Store). It
 * lives on the main thread, so every worker and context sees the same values — the one sanctioned
 * way for handlers to share state.
 */
import type { App } from "../core/app.ts";

export class JsStore {
  private readonly m = new Map<string, unknown>();
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` alone (setFunc/getOrSet are atomic upstream: the store's lock is held meanwhile). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => {});
    return run;
  }

  get(k: string): unknown {
    return this.m.get(k) ?? null;
  }
  has(k: string): boolean {
    return this.m.has(k);
  }
  set(k: string, v: unknown): void {
    this.m.set(k, v);
  }
  /** Sets only while the store holds fewer than `limit` keys; true when set. */
  setIfLessThanLimit(k: string, v: unknown, limit: number): boolean {
    if (this.m.size >= limit) return false;
    this.m.set(k, v);
    return true;
  }
  remove(k: string): void {
    this.m.delete(k);
  }
  removeAll(): void {
    this.m.clear();
  }
  reset(data: { [k: string]: unknown }): void {
    this.m.clear();
    for (const [k, v] of Object.entries(data)) this.m.set(k, v);
  }
  getAll(): { [k: string]: unknown } {
    return Object.fromEntries(this.m);
  }
  get length(): number {
    return this.m.size;
  }
}

const stores = new WeakMap<App, JsStore>();

/** The app's store (one per app). */
export function appStore(app: App): JsStore {
  let s = stores.get(app);
  if (!s) stores.set(app, (s = new JsStore()));
  return s;
}
