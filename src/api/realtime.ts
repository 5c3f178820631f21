/**
 * Realtime over Server-Sent Events (upstream apis/realtime.go):
 * - `GET /api/realtime` opens the stream: a new client is registered, `PB_CONNECT` carries its id,
 *   then every message queued for the client is written as `id:<clientId>\nevent:<name>\ndata:<json>\n\n`.
 *   No keep-alive pings; the stream closes after 5 idle minutes (reset only by a sent message) or
 *   30 minutes in all, and when the peer goes away; the client is then unregistered.
 * - `POST /api/realtime {clientId, subscriptions}` replaces the client's subscriptions and stores
 *   the request's auth on it (only a guest→auth upgrade may change it).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { ApiError, badRequest, forbidden, notFound } from "../core/errors.ts";
import type { Record as PbRecord } from "../core/record.ts";
import { Client, formatSSE, type Message } from "../core/realtime/client.ts";
import {
  REALTIME_CLIENT_AUTH_KEY,
  REALTIME_CLIENT_IP_KEY,
  clientAuth,
  subscriptionsBroker,
} from "../core/realtime/broker.ts";
import {
  RealtimeConnectRequestEvent,
  RealtimeMessageEvent,
  RealtimeSubscribeRequestEvent,
} from "../core/realtime/events.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { each, length, required, validateStruct } from "../core/validators/validation.ts";
import { skipSuccessActivityLog } from "./middlewares/activity_logger.ts";
import type { Router } from "./router.ts";
import { announceClient, commitSubscriptions, forgetClient, remoteClient } from "./realtime_cluster.ts";

/** Default idle timeout of a connection (reset whenever a message is sent). */
export const REALTIME_IDLE_TIMEOUT_MS = 5 * 60_000;
/** Default maximum lifetime of a connection. */
export const REALTIME_MAX_TIMEOUT_MS = 30 * 60_000;

export function bindRealtimeApi(router: Router) {
  router.get("/api/realtime", realtimeConnect, skipSuccessActivityLog());
  router.post("/api/realtime", realtimeSetSubscriptions);
}

const encoder = new TextEncoder();

/**
 * Runs a function in the context this module was loaded in. The connection outlives the connect
 * hook chain, so it must not inherit that chain's async context: a JS onRealtimeMessageSend would
 * otherwise be taken as nested in the JS connect hook that started the stream and run on its
 * worker after that hook has already returned.
 */
const detachedContext = AsyncLocalStorage.snapshot();

async function realtimeConnect(e: RequestEvent) {
  const socketTimeoutOff = keepConnectionOpen(e);
  e.responseHeaders.set("Content-Type", "text/event-stream");
  e.responseHeaders.set("Cache-Control", "no-store");
  e.responseHeaders.set("X-Accel-Buffering", "no");

  const client = new Client();
  client.set(REALTIME_CLIENT_IP_KEY, e.realIP);
  const event = new RealtimeConnectRequestEvent(e, client, REALTIME_IDLE_TIMEOUT_MS, REALTIME_MAX_TIMEOUT_MS);

  await e.app.onRealtimeConnectRequest.trigger(event, (ce) => {
    if (ce.method === "HEAD") {
      ce.send(200, null);
      return;
    }
    const broker = subscriptionsBroker(ce.app);
    const stop = new AbortController();
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
      cancel: () => stop.abort(),
    });
    if (ce.request.signal.aborted) stop.abort();
    else ce.request.signal.addEventListener("abort", () => stop.abort(), { once: true });

    broker.register(ce.client);
    ce.write(new Response(stream, { status: 200 }));
    void detachedContext(() => serveConnection(ce, controller, stop, socketTimeoutOff)).finally(() => {
      broker.unregister(ce.client.id);
      void forgetClient(ce.app, ce.client.id);
      try {
        controller.close();
      } catch {
        // already closed by the peer
      }
    });
  });
}

/** How often a silent stream gets an SSE comment when the socket's idle timeout could not be lifted. */
const SOCKET_KEEPALIVE_MS = 20_000;
const COMMENT = encoder.encode(":\n");

/** Writes PB_CONNECT, then the client's messages until a timeout, the peer leaving or the client's discard. */
async function serveConnection(
  ce: RealtimeConnectRequestEvent,
  controller: ReadableStreamDefaultController<Uint8Array>,
  stop: AbortController,
  socketTimeoutOff: boolean,
) {
  const hooks = ce.app;
  const client = ce.client;
  let lastWrite = Date.now();
  const deliver = (message: Message, clientId: string) => {
    controller.enqueue(encoder.encode(formatSSE(message, clientId)));
    lastWrite = Date.now();
  };
  const write = async (message: Message) => {
    // nothing bound: no event and chain per message (a fan-out writes to every client at once)
    if (hooks.onRealtimeMessageSend.length === 0) return deliver(message, client.id);
    await hooks.onRealtimeMessageSend.trigger(new RealtimeMessageEvent(ce, client, message), (me) =>
      deliver(me.message, me.client.id),
    );
  };
  // Upstream sends no keep-alives. Only when the server's socket idle timeout (30 s) could not be
  // lifted does a silent stream get a comment line, which EventSource clients ignore, so that a
  // waiting client (an OAuth2 popup) is not cut off.
  const keepalive = socketTimeoutOff
    ? undefined
    : setInterval(() => {
        if (Date.now() - lastWrite < SOCKET_KEEPALIVE_MS) return;
        try {
          controller.enqueue(COMMENT);
          lastWrite = Date.now();
        } catch {
          stop.abort();
        }
      }, SOCKET_KEEPALIVE_MS / 4);

  try {
    await announceClient(ce.app, client); // on a cluster: other nodes may take its subscriptions
    await write({ name: "PB_CONNECT", data: `{"clientId":"${client.id}"}` });
  } catch (err) {
    clearInterval(keepalive);
    if (ce.app.isDev) console.debug("realtime connection closed (failed to deliver PB_CONNECT)", client.id, err);
    return;
  }

  const maxTimer = setTimeout(() => stop.abort(), ce.maxTimeout);
  // the idle timeout counts from the last delivered message: rather than a new timer per message,
  // the timer re-arms itself for what is left when it fires early
  let lastMessage = Date.now();
  const checkIdle = () => {
    const left = lastMessage + ce.idleTimeout - Date.now();
    if (left <= 0) stop.abort();
    else idleTimer = setTimeout(checkIdle, left);
  };
  let idleTimer = setTimeout(checkIdle, ce.idleTimeout);
  try {
    for (;;) {
      const message = await client.receive(stop.signal);
      if (!message) return;
      try {
        await write(message);
      } catch (err) {
        if (ce.app.isDev) console.debug("realtime connection closed (failed to deliver message)", client.id, err);
        return;
      }
      lastMessage = Date.now();
    }
  } finally {
    clearTimeout(maxTimer);
    clearTimeout(idleTimer);
    clearInterval(keepalive);
  }
}

/**
 * Bun closes a socket that stays silent for the server's `idleTimeout` (Elysia sets 30 s) even
 * while a streamed response is open; an SSE stream may be silent for minutes, so it opts out.
 * That needs the request's Bun server (`e.state.server`, when the router provides it); returns
 * whether it worked.
 */
function keepConnectionOpen(e: RequestEvent): boolean {
  const server = (e.state as { server?: { timeout?(req: Request, seconds: number): void } }).server;
  if (typeof server?.timeout !== "function") return false;
  try {
    server.timeout(e.request, 0);
    return true;
  } catch {
    return false;
  }
}

interface SubscribeForm {
  clientId: string;
  subscriptions: string[];
}

async function realtimeSetSubscriptions(e: RequestEvent) {
  const form = await readSubscribeForm(e);
  const invalid = validateStruct([
    ["clientId", form.clientId, required, length(1, 255)],
    ["subscriptions", form.subscriptions, length(0, 1000), each(length(0, 2500))],
  ]);
  if (invalid) throw badRequest("", invalid.toJSON(), invalid);

  // a client whose stream is on another node of a cluster gets a stand-in checked here
  const client = subscriptionsBroker(e.app).clientById(form.clientId) ?? (await remoteClient(e.app, form.clientId));
  if (!client) throw unknownClient(form.clientId);

  // guards against another party reusing a leaked client id (clients registered by app code have no IP)
  const clientIP = client.get(REALTIME_CLIENT_IP_KEY);
  if (typeof clientIP === "string" && clientIP !== "" && clientIP !== e.realIP) {
    throw badRequest(
      "Invalid realtime client.",
      {},
      new Error("the subscription request IP doesn't match with the realtime client IP"),
    );
  }

  // only a guest→auth upgrade may change the stored auth
  const previous = clientAuth(client);
  if (previous && !isSameAuth(previous, e.auth)) {
    throw forbidden("The current and the previous request authorization don't match.");
  }

  const event = new RealtimeSubscribeRequestEvent(e, client, form.subscriptions);
  await e.app.onRealtimeSubscribeRequest.trigger(event, async (se) => {
    se.client.set(REALTIME_CLIENT_AUTH_KEY, se.auth);
    se.client.unsubscribe();
    se.client.subscribe(...se.subscriptions);
    if (!(await commitSubscriptions(se.app, se.client, se.subscriptions))) throw unknownClient(form.clientId);
    se.noContent(204);
  });
}

/** The body as upstream's form binding reads it: JSON types must match; form values are text. */
async function readSubscribeForm(e: RequestEvent): Promise<SubscribeForm> {
  let body: { [k: string]: unknown };
  try {
    body = await e.bindBody();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest("", {}, err);
  }
  const isJSON = (e.request.headers.get("content-type") ?? "").startsWith("application/json");
  const scalar = (v: unknown): string | null => {
    if (v === undefined || v === null) return "";
    if (typeof v === "string") return v;
    if (!isJSON && (typeof v === "number" || typeof v === "boolean")) return String(v);
    return null;
  };
  const clientId = scalar(body.clientId);
  if (clientId === null) throw badRequest("", {});
  let subscriptions: string[] = [];
  const raw = body.subscriptions;
  if (Array.isArray(raw)) {
    for (const s of raw) {
      const v = scalar(s); // a JSON null item decodes to ""
      if (v === null) throw badRequest("", {});
      subscriptions.push(v);
    }
  } else if (raw !== undefined && raw !== null) {
    const v = isJSON ? null : scalar(raw);
    if (v === null) throw badRequest("", {});
    subscriptions = [v];
  }
  return { clientId, subscriptions };
}

function unknownClient(clientId: string): ApiError {
  return notFound(
    "Missing or invalid client id.",
    {},
    new Error(`no client associated with connection ID ${JSON.stringify(clientId)}`),
  );
}

function isSameAuth(a: PbRecord | null, b: PbRecord | null): boolean {
  if (!a) return !b;
  if (!b) return false;
  return a.id === b.id && a.collection.id === b.collection.id;
}
