/** The realtime request events, with upstream's fields (core/events.go, "Realtime API events data"). */
import { RequestEvent } from "../request_event.ts";
import type { Client, Message } from "./client.ts";

/**
 * A new SSE connection. Hooks may change the timeouts or the client before it is registered.
 * Unlike upstream, the connection outlives the hook chain: code after `e.next()` runs once the
 * stream is set up, not when it closes.
 */
export class RealtimeConnectRequestEvent extends RequestEvent {
  constructor(
    parent: RequestEvent,
    public client: Client,
    /** Closes the connection when nothing was sent for this long (ms). */
    public idleTimeout: number,
    /** Closes the connection after this long in any case (ms). */
    public maxTimeout: number,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
}

/** A subscription request; hooks may rewrite `subscriptions` before they replace the client's. */
export class RealtimeSubscribeRequestEvent extends RequestEvent {
  constructor(
    parent: RequestEvent,
    public client: Client,
    public subscriptions: string[],
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
}

/** A message about to be written to a client's stream; hooks may change or drop it. */
export class RealtimeMessageEvent extends RequestEvent {
  constructor(
    parent: RequestEvent,
    public client: Client,
    public message: Message,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
}
