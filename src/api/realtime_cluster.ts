/**
 * Realtime across the nodes of a cluster (no upstream twin: upstream's broker lives in one process).
 *
 * - After a record change commits, the node that made it sends its own clients the event as on one
 *   node, then publishes `{action, collection, id}` on the bus (a delete also carries the row, which
 *   is gone by then). Every other node re-reads the record and runs the same per-client fan-out —
 *   rules, subscription filters, `expand`, `fields`, the realtime hooks — for its own clients; a
 *   deleted record's rules are checked against the row it carried.
 * - Each SSE client is listed in `pb_aux._realtime_clients` with its node, IP and auth, so a
 *   `POST /api/realtime` that reaches another node than the stream's is checked there (upstream's IP
 *   and auth checks, the subscribe hooks) and applied by the owner over the bus; no answer within
 *   2 s is the unknown client's 404.
 */
import type { App } from "../core/app.ts";
import { clusterNode, onClusterJoin } from "../core/cluster.ts";
import type { ModelEvent } from "../core/events.ts";
import { Record } from "../core/record.ts";
import { findRecordById } from "../core/record_query.ts";
import {
  Client,
  REALTIME_CLIENT_AUTH_KEY,
  REALTIME_CLIENT_IP_KEY,
  clientAuth,
  subscriptionsBroker,
  type Message,
} from "../core/realtime/index.ts";
import { broadcastRecord } from "./realtime_records.ts";

const RECORD_TOPIC = "realtime.record";
const SUBSCRIBE_TOPIC = "realtime.subscribe";
const SEND_TOPIC = "realtime.send";

interface RecordEvent {
  a: "create" | "update" | "delete";
  /** Collection id. */
  c: string;
  id: string;
  /** The deleted record's row. */
  row?: { [k: string]: unknown };
}

interface ForwardedMessage {
  clientId: string;
  /** Delivered only while the client holds this subscription. */
  topic: string;
  /** Null: nothing to send, only `unsubscribe`. */
  message: Message | null;
  /** Drop `topic` from the client's subscriptions afterwards. */
  unsubscribe: boolean;
}

interface ForwardedSubscription {
  clientId: string;
  subscriptions: string[];
  /** The auth the subscribing request carried: collection id and record id. */
  auth: { c: string; id: string } | null;
}

/** Stand-ins for clients whose stream is on another node: client → that node. */
const remoteOwners = new WeakMap<Client, string>();

const bound = new WeakSet<App>();

/** Publishes committed record changes to the other nodes and takes theirs in (once per app). */
export function bindRealtimeCluster(app: App): void {
  if (bound.has(app)) return;
  bound.add(app);
  const publish = (action: RecordEvent["a"]) => async (e: ModelEvent) => {
    const node = clusterNode(app);
    const r = e.model;
    if (node && r instanceof Record) {
      const event: RecordEvent = { a: action, c: r.collection.id, id: r.id };
      if (action === "delete") event.row = r.toRow();
      node.publish(RECORD_TOPIC, event);
    }
    await e.next();
  };
  // after the local fan-out (priority -99 in realtime_records.ts), so this node's clients go first
  app.onModelAfterCreateSuccess().bind({ priority: -100, func: publish("create") });
  app.onModelAfterUpdateSuccess().bind({ priority: -100, func: publish("update") });
  app.onModelAfterDeleteSuccess().bind({ priority: -100, func: publish("delete") });

  onClusterJoin(app, (node) => {
    node.on(RECORD_TOPIC, (data) => receiveRecordEvent(app, data as RecordEvent));
    node.onRequest(SUBSCRIBE_TOPIC, (data) => applyForwardedSubscription(app, data as ForwardedSubscription));
    node.onRequest(SEND_TOPIC, (data) => deliverForwardedMessage(app, data as ForwardedMessage));
    // the listen connection came back: events were missed; the SDKs reconnect, resubscribe and refetch
    node.onResync(() => subscriptionsBroker(app).unregisterAll());
  });
}

async function receiveRecordEvent(app: App, event: RecordEvent): Promise<void> {
  if (subscriptionsBroker(app).totalClients() === 0) return;
  const collection = app.findCollection(event.c);
  if (!collection) return;
  if (event.a === "delete") {
    if (!event.row) return;
    await broadcastRecord(app, "delete", Record.fromRow(collection, event.row), null, { snapshot: true });
    return;
  }
  const record = await findRecordById(app, collection, event.id);
  if (record) await broadcastRecord(app, event.a, record, null); // gone already: a delete follows
}

/** Lists a new SSE client as this node's (before its PB_CONNECT, which lets it subscribe anywhere). */
export async function announceClient(app: App, client: Client): Promise<void> {
  const node = clusterNode(app);
  if (!node) return;
  const ip = client.get(REALTIME_CLIENT_IP_KEY);
  await app.auxDb.run(`INSERT INTO "_realtime_clients" ("id", "node", "ip") VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, [
    client.id,
    node.id,
    typeof ip === "string" ? ip : "",
  ]);
}

/** Takes a closed SSE client off the list. */
export async function forgetClient(app: App, clientId: string): Promise<void> {
  if (!clusterNode(app)) return;
  await app.auxDb.run(`DELETE FROM "_realtime_clients" WHERE "id" = ?`, [clientId]).catch(() => {});
}

/**
 * A stand-in for a client whose stream is on another node (null when no node has it): its IP and
 * auth as its node recorded them, so a subscription request is checked here as the owner would.
 */
export async function remoteClient(app: App, clientId: string): Promise<Client | null> {
  const node = clusterNode(app);
  if (!node) return null;
  const row = await app.auxDb.get<{ node: string; ip: string; authCollection: string; authId: string }>(
    `SELECT "node", "ip", "authCollection", "authId" FROM "_realtime_clients" WHERE "id" = ?`,
    [clientId],
  );
  if (!row || row.node === node.id) return null;
  const client = new Client(clientId);
  client.set(REALTIME_CLIENT_IP_KEY, row.ip);
  if (row.authId) {
    const auth = await findRecordById(app, row.authCollection, row.authId).catch(() => null);
    // an auth record deleted since cannot match any request's auth: the client is as good as gone
    if (!auth) return null;
    client.set(REALTIME_CLIENT_AUTH_KEY, auth);
  }
  remoteOwners.set(client, row.node);
  return client;
}

/**
 * After a subscription request was accepted: records the client's auth (for checks on other
 * nodes) and, for a stand-in, has the owner apply it. False when the owner did not (gone, or no
 * answer within 2 s): the request then fails as for an unknown client.
 */
export async function commitSubscriptions(app: App, client: Client, subscriptions: string[]): Promise<boolean> {
  const node = clusterNode(app);
  if (!node) return true;
  const auth = clientAuth(client);
  const owner = remoteOwners.get(client);
  if (owner) {
    const forwarded: ForwardedSubscription = {
      clientId: client.id,
      subscriptions,
      auth: auth ? { c: auth.collection.id, id: auth.id } : null,
    };
    const answer = await node.request(owner, SUBSCRIBE_TOPIC, forwarded);
    if (answer !== true) return false;
  }
  await app.auxDb.run(`UPDATE "_realtime_clients" SET "authCollection" = ?, "authId" = ? WHERE "id" = ?`, [
    auth?.collection.id ?? "",
    auth?.id ?? "",
    client.id,
  ]);
  return true;
}

/** The owner's side of a forwarded subscription request (already checked by the node that got it). */
async function applyForwardedSubscription(app: App, data: ForwardedSubscription): Promise<boolean> {
  const client = subscriptionsBroker(app).clientById(data.clientId);
  if (!client) return false;
  let auth: Record | null = null;
  if (data.auth) {
    auth = await findRecordById(app, data.auth.c, data.auth.id);
    if (!auth) return false;
  }
  client.set(REALTIME_CLIENT_AUTH_KEY, auth);
  client.unsubscribe();
  client.subscribe(...data.subscriptions);
  return true;
}

/**
 * Sends `message` to a client whose stream is on another node (a stand-in from `remoteClient`),
 * if it still holds `topic`, and drops that subscription when `unsubscribe` (the OAuth2 redirect's
 * one-shot `@oauth2`). False when the owner has no such client or did not answer.
 */
export async function sendToRemoteClient(
  app: App,
  client: Client,
  topic: string,
  message: Message | null,
  unsubscribe: boolean,
): Promise<boolean> {
  const node = clusterNode(app);
  const owner = remoteOwners.get(client);
  if (!node || !owner) return false;
  const forwarded: ForwardedMessage = { clientId: client.id, topic, message, unsubscribe };
  return (await node.request(owner, SEND_TOPIC, forwarded)) === true;
}

function deliverForwardedMessage(app: App, data: ForwardedMessage): boolean {
  const client = subscriptionsBroker(app).clientById(data.clientId);
  if (!client || client.isDiscarded || !client.hasSubscription(data.topic)) return false;
  if (data.message) client.send(data.message);
  if (data.unsubscribe) client.unsubscribe(data.topic);
  return true;
}
