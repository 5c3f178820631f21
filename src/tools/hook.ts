/**
 * The hook bus: an ordered chain of handlers per event, each continuing the chain with `e.next()`.
 *
 * @example
 * const onThing = new Hook<ThingEvent>();
 * onThing.bindFunc(async (e) => { e.value += 1; await e.next(); });
 * await onThing.trigger(new ThingEvent(), async (e) => save(e.value)); // the one-off handler runs last
 */
import { pseudorandomString } from "./security/random.ts";

/** Base class of every event: carries the link to the next handler in the running chain. */
export class HookEvent {
  /** @internal the continuation set by `Hook.trigger` */
  _next: (() => Promise<void>) | null = null;

  /** Runs the rest of the chain. Calling it more than once runs the rest only once. */
  next(): Promise<void> {
    const fn = this._next;
    if (!fn) return Promise.resolve();
    return fn();
  }
}

export type HandlerFunc<E extends HookEvent> = (e: E) => Promise<void> | void;

export interface Handler<E extends HookEvent> {
  func: HandlerFunc<E>;
  /** An existing id replaces that handler; empty gets a random one. */
  id?: string;
  /** Lower runs earlier; equal priorities keep their binding order. */
  priority?: number;
}

interface BoundHandler<E extends HookEvent> {
  func: HandlerFunc<E>;
  id: string;
  priority: number;
}

/** A chain of handlers for one event type. */
export class Hook<E extends HookEvent> {
  private handlers: BoundHandler<E>[] = [];

  /** Binds a handler and returns its id. */
  bind(handler: Handler<E>): string {
    let id = handler.id ?? "";
    const bound: BoundHandler<E> = { func: handler.func, id, priority: handler.priority ?? 0 };
    const existing = id ? this.handlers.findIndex((h) => h.id === id) : -1;
    if (existing >= 0) {
      this.handlers[existing] = bound;
    } else {
      if (!id) {
        do id = pseudorandomString(20);
        while (this.handlers.some((h) => h.id === id));
        bound.id = id;
      }
      this.handlers.push(bound);
    }
    // Array.prototype.sort is stable, so equal priorities keep binding order.
    this.handlers.sort((a, b) => a.priority - b.priority);
    return bound.id;
  }

  /** Binds a bare function with default priority. */
  bindFunc(func: HandlerFunc<E>): string {
    return this.bind({ func });
  }

  unbind(...ids: string[]): void {
    this.handlers = this.handlers.filter((h) => !ids.includes(h.id));
  }

  unbindAll(): void {
    this.handlers = [];
  }

  get length(): number {
    return this.handlers.length;
  }

  /**
   * Runs the bound handlers in priority order, then the one-off handlers (usually the default action).
   * A handler that does not call `e.next()` stops the chain.
   */
  trigger(event: E, ...oneOff: HandlerFunc<E>[]): Promise<void> {
    const chain = this.handlers.length ? [...this.handlers.map((h) => h.func), ...oneOff] : oneOff;
    return runChain(event, chain);
  }
}

/** Runs `chain` on `event`, each link reaching the next through `event.next()`. */
export function runChain<E extends HookEvent>(event: E, chain: HandlerFunc<E>[]): Promise<void> {
  const outer = event._next; // keep a reused event's continuation intact for its caller
  let index = 0;
  const step = async (): Promise<void> => {
    if (index >= chain.length) {
      event._next = null;
      return;
    }
    const fn = chain[index++]!;
    let called = false;
    event._next = () => {
      if (called) return Promise.resolve();
      called = true;
      return step();
    };
    await fn(event);
  };
  return step().finally(() => {
    event._next = outer;
  });
}

/** Something that tells a tagged hook which names it belongs to (a collection's id and name, say). */
export interface Tagged {
  tags(): string[];
}

/**
 * A view of a hook restricted to events whose tags intersect the given ones.
 * Without tags it behaves as the parent hook.
 */
export class TaggedHook<E extends HookEvent & Tagged> {
  constructor(
    private readonly parent: Hook<E>,
    private readonly tagList: string[] = [],
  ) {}

  private canTrigger(e: E): boolean {
    if (this.tagList.length === 0) return true;
    return e.tags().some((t) => this.tagList.includes(t));
  }

  bind(handler: Handler<E>): string {
    const inner = handler.func;
    return this.parent.bind({
      ...handler,
      func: (e) => (this.canTrigger(e) ? inner(e) : e.next()),
    });
  }

  bindFunc(func: HandlerFunc<E>): string {
    return this.bind({ func });
  }

  unbind(...ids: string[]): void {
    this.parent.unbind(...ids);
  }

  trigger(event: E, ...oneOff: HandlerFunc<E>[]): Promise<void> {
    return this.parent.trigger(event, ...oneOff);
  }
}
