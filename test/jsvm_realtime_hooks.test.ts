/**
 * The realtime hooks bound from a pb_hooks file (upstream's OnRealtimeConnectRequest,
 * OnRealtimeSubscribeRequest, OnRealtimeMessageSend as plugins/jsvm exposes them), each changing
 * what a client of the official SDK receives from a real server.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type PocketBase from "pocketbase";
import type { RecordModel } from "pocketbase";
import type { TestServer } from "./harness.ts";
import { POSTS_MIGRATION, startJsServer, superuserClient } from "./support/jsvm.ts";

const HOOKS = `
onRealtimeConnectRequest((e) => {
  // a switch the test flips through the settings API
  if (e.app.settings().meta.appName === "realtime-closed") throw new ForbiddenError("Realtime is closed.")
  // a time.Duration upstream: nanoseconds
  e.client.set("idleTimeout", e.idleTimeout)
  e.next()
})

onRealtimeSubscribeRequest((e) => {
  // only superusers may follow the audit trail
  if (!e.hasSuperuserAuth()) e.subscriptions = e.subscriptions.filter((s) => !s.startsWith("audit/"))
  e.next()
})

onRealtimeMessageSend((e) => {
  if (e.message.name.startsWith("posts/")) {
    const payload = JSON.parse(toString(e.message.data))
    payload.record.title = payload.record.title + " (via hook)"
    payload.clientId = e.client.id()
    payload.idleTimeout = e.client.get("idleTimeout")
    e.message.data = toBytes(JSON.stringify(payload))
  }
  e.next()
})
`;

let srv: TestServer;
let su: PocketBase;

beforeAll(async () => {
  srv = await startJsServer({ hooks: { "realtime.pb.js": HOOKS }, migrations: { "1_posts.js": POSTS_MIGRATION } });
  su = await superuserClient(srv);
});

afterAll(async () => {
  await srv?.stop();
});

/** Resolves with the first event passing `pred` (subscriptions are set up by the caller). */
function nextEvent<T>(collect: T[], pred: (e: T) => boolean): Promise<T> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const hit = collect.find(pred);
      if (hit) {
        clearInterval(timer);
        resolve(hit);
      }
    }, 10);
  });
}

test("onRealtimeMessageSend rewrites the data a client receives", async () => {
  const guest = srv.sdk();
  // the SDK hands over the whole decoded message
  const events: { action: string; record: RecordModel; clientId?: string; idleTimeout?: number }[] = [];
  await guest.collection("posts").subscribe("*", (e) => events.push(e));
  try {
    await su.collection("posts").create({ title: "hello" });
    const ev = await nextEvent(events, (e) => e.action === "create");
    expect(ev.record.title).toBe("hello (via hook)");
    // the hook saw the receiving client
    expect(ev.clientId).toBe(guest.realtime.clientId);
    // what the connect hook saw: the default 5 minutes, in nanoseconds
    expect(ev.idleTimeout).toBe(5 * 60 * 1e9);
    // the stored record is unchanged: only the message was
    const stored = await su.collection("posts").getOne(ev.record.id);
    expect(stored.title).toBe("hello");
  } finally {
    await guest.realtime.unsubscribe();
  }
});

test("onRealtimeSubscribeRequest drops topics for guests but not for superusers", async () => {
  const guest = srv.sdk();
  const seen: string[] = [];
  await guest.collection("audit").subscribe("*", (e) => seen.push(`guest audit ${e.record.action}`));
  await guest.collection("posts").subscribe("*", (e) => seen.push(`guest posts ${e.action}`));
  const watcher = await superuserClient(srv);
  await watcher.collection("audit").subscribe("*", (e) => seen.push(`su audit ${e.record.action}`));
  try {
    // the audit event goes out before the posts one on the same stream, so once the guest has the
    // posts event it would also have had the audit one
    await su.collection("audit").create({ action: "marker" });
    await su.collection("posts").create({ title: "after the marker" });
    await nextEvent(seen, (s) => s === "guest posts create");
    await nextEvent(seen, (s) => s === "su audit marker");
    expect(seen.filter((s) => s.startsWith("guest audit"))).toEqual([]);
  } finally {
    await guest.realtime.unsubscribe();
    await watcher.realtime.unsubscribe();
  }
});

test("onRealtimeConnectRequest refuses connections while the switch is on", async () => {
  await su.settings.update({ meta: { appName: "realtime-closed" } });
  try {
    const res = await fetch(`${srv.url}/api/realtime`);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toBe("Realtime is closed.");

    const guest = srv.sdk();
    let err: unknown = null;
    await guest
      .collection("posts")
      .subscribe("*", () => {})
      .catch((e) => (err = e));
    expect(err).not.toBeNull();
    expect(guest.realtime.isConnected).toBe(false);
  } finally {
    await su.settings.update({ meta: { appName: "Acme" } });
  }
  // switched off: the same client code connects
  const guest = srv.sdk();
  await guest.collection("posts").subscribe("*", () => {});
  expect(guest.realtime.isConnected).toBe(true);
  expect(guest.realtime.clientId).not.toBe("");
  await guest.realtime.unsubscribe();
});
