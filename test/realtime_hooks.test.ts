/**
 * Realtime with the API served in-process: the realtime hooks (connect, subscribe, message send),
 * the connection timeouts, the broker's API for app code, and the stored auth following record
 * changes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import PocketBase from "pocketbase";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { Record } from "../src/core/record.ts";
import { findAuthRecordByEmail } from "../src/core/record_query.ts";
import { deleteRecord, saveRecord } from "../src/core/record_save.ts";
import { newTokenSecret } from "../src/core/collection.ts";
import { findCollectionByNameOrId } from "../src/core/collection_query.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import {
  REALTIME_CLIENT_AUTH_KEY,
  clientAuth,
  realtimeHooks,
  subscriptionsBroker,
} from "../src/core/realtime/index.ts";
import { tempDir, testAppConfig } from "./harness.ts";

let app: App;
let server: RunningServer;
/** Per-test knobs read by the hooks bound once below. */
const knobs = {
  idleTimeout: 0,
  maxTimeout: 0,
  failConnect: false,
  swallowAll: false,
  rewrite: null as string[] | null,
};

beforeAll(async () => {
  app = new App(await testAppConfig({ dataDir: tempDir() }));
  await app.bootstrap();
  const user = new Record(app.findCollection("users")!);
  user.load({ email: "u1@example.com", password: "1234567890", passwordConfirm: "1234567890", verified: true });
  await saveRecord(app, user);

  const hooks = realtimeHooks(app);
  hooks.onRealtimeConnectRequest.bindFunc(async (e) => {
    if (knobs.idleTimeout) e.idleTimeout = knobs.idleTimeout;
    if (knobs.maxTimeout) e.maxTimeout = knobs.maxTimeout;
    await e.next();
  });
  hooks.onRealtimeMessageSend.bindFunc(async (e) => {
    if (knobs.failConnect && e.message.name === "PB_CONNECT") throw new Error("PB_CONNECT error");
    if (knobs.swallowAll) return;
    await e.next();
  });
  hooks.onRealtimeSubscribeRequest.bindFunc(async (e) => {
    if (knobs.rewrite) e.subscriptions = knobs.rewrite;
    await e.next();
  });
  server = await startServer(app, { http: "127.0.0.1:0" });
});

afterAll(async () => {
  // open streams would keep a graceful stop waiting
  subscriptionsBroker(app).unregisterAll();
  await server?.stop();
  await app?.terminate();
});

function resetKnobs() {
  Object.assign(knobs, { idleTimeout: 0, maxTimeout: 0, failConnect: false, swallowAll: false, rewrite: null });
}

/** Opens a raw stream and collects its text until it ends or `close()` is called. */
async function rawStream() {
  const abort = new AbortController();
  const res = await fetch(`${server.url}/api/realtime`, { signal: abort.signal });
  let text = "";
  const done = (async () => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body!) text += dec.decode(chunk as Uint8Array, { stream: true });
    } catch {
      // aborted
    }
  })();
  return { res, text: () => text, done, close: () => abort.abort() };
}

async function waitFor(cond: () => boolean, timeoutMs = 3_000) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(10);
  }
}

describe("connection lifetime", () => {
  test("the idle timeout closes a silent connection and drops the client", async () => {
    knobs.idleTimeout = 150;
    const s = await rawStream();
    await waitFor(() => subscriptionsBroker(app).totalClients() === 1);
    const started = Date.now();
    await s.done; // the server ends the stream
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(s.text()).toContain("event:PB_CONNECT");
    expect(subscriptionsBroker(app).totalClients()).toBe(0);
    resetKnobs();
  });

  test("sending resets the idle timer; the max timeout still applies", async () => {
    knobs.idleTimeout = 200;
    knobs.maxTimeout = 700;
    const s = await rawStream();
    await waitFor(() => subscriptionsBroker(app).totalClients() === 1);
    const client = [...subscriptionsBroker(app).clients().values()][0]!;
    const started = Date.now();
    const ticker = setInterval(() => client.send({ name: "tick", data: "{}" }), 80);
    await s.done;
    clearInterval(ticker);
    const lived = Date.now() - started;
    expect(lived).toBeGreaterThanOrEqual(600); // outlived several idle periods
    expect(lived).toBeLessThan(2_000);
    expect(s.text().split("event:tick").length - 1).toBeGreaterThan(3);
    expect(subscriptionsBroker(app).totalClients()).toBe(0);
    resetKnobs();
  });

  test("a failed PB_CONNECT ends the connection at once", async () => {
    knobs.failConnect = true;
    const s = await rawStream();
    await s.done;
    expect(s.res.status).toBe(200);
    expect(s.text()).toBe("");
    expect(subscriptionsBroker(app).totalClients()).toBe(0);
    resetKnobs();
  });

  test("a message hook that does not continue skips the message", async () => {
    knobs.swallowAll = true;
    knobs.idleTimeout = 150;
    const s = await rawStream();
    await s.done;
    expect(s.text()).toBe("");
    resetKnobs();
  });
});

describe("hooks and the broker", () => {
  test("onRealtimeSubscribeRequest may rewrite the topics", async () => {
    knobs.rewrite = ["rewritten"];
    const pb = new PocketBase(server.url);
    await pb.realtime.subscribe("original", () => {});
    const client = subscriptionsBroker(app).clientById(pb.realtime.clientId)!;
    expect([...client.subscriptions().keys()]).toEqual(["rewritten"]);
    await pb.realtime.unsubscribe();
    resetKnobs();
  });

  test("broadcast reaches exact subscribers; the event name is the whole subscription", async () => {
    const a = new PocketBase(server.url);
    const b = new PocketBase(server.url);
    const got: string[] = [];
    const withOptions =
      "news?options=" + encodeURIComponent(JSON.stringify({ query: { n: 1 }, headers: { "X-Token": "t" } }));
    await a.realtime.subscribe("news", (e) => got.push("a:" + JSON.stringify(e)));
    await b.realtime.subscribe(withOptions, (e) => got.push("b:" + JSON.stringify(e)));
    const broker = subscriptionsBroker(app);

    const bClient = broker.clientById(b.realtime.clientId)!;
    expect(bClient.subscriptions().get(withOptions)).toEqual({ query: { n: "1" }, headers: { x_token: "t" } });
    const matched = [...broker.clientsWithSubscriptions("news")].map(([c, subs]) => [c.id, [...subs.keys()]]);
    expect(matched).toContainEqual([a.realtime.clientId, ["news"]]);
    expect(matched).toContainEqual([b.realtime.clientId, [withOptions]]);

    expect(await broker.broadcast("news", { hello: "world" })).toBe(1);
    expect(await broker.broadcast("news", { skipped: true }, (c) => c.id !== a.realtime.clientId)).toBe(0);
    bClient.send({ name: withOptions, data: '{"direct":true}' });
    await waitFor(() => got.length === 2);
    expect(got.sort()).toEqual(['a:{"hello":"world"}', 'b:{"direct":true}']);
    await a.realtime.unsubscribe();
    await b.realtime.unsubscribe();
  });

  test("the stored auth follows the record: replaced on update, unset when the tokenKey changes", async () => {
    const pb = new PocketBase(server.url);
    await pb.collection("users").authWithPassword("u1@example.com", "1234567890");
    await pb.realtime.subscribe("x", () => {});
    const client = subscriptionsBroker(app).clientById(pb.realtime.clientId)!;
    expect(clientAuth(client)?.email()).toBe("u1@example.com");

    const user = (await findAuthRecordByEmail(app, "users", "u1@example.com"))!;
    user.set("name", "Renamed");
    await saveRecord(app, user);
    expect(clientAuth(client)?.getString("name")).toBe("Renamed");

    user.set("password", "0987654321");
    await saveRecord(app, user);
    expect(client.get(REALTIME_CLIENT_AUTH_KEY)).toBeUndefined();
    await pb.realtime.unsubscribe();
  });

  test("the stored auth is unset when the collection's auth secret changes or the record goes", async () => {
    const signedIn = async () => {
      const pb = new PocketBase(server.url);
      await pb.collection("users").authWithPassword("u2@example.com", "1234567890");
      await pb.realtime.subscribe("x", () => {});
      return { pb, client: subscriptionsBroker(app).clientById(pb.realtime.clientId)! };
    };
    const u2 = new Record(app.findCollection("users")!);
    u2.load({ email: "u2@example.com", password: "1234567890", passwordConfirm: "1234567890", verified: true });
    await saveRecord(app, u2);

    const first = await signedIn();
    expect(clientAuth(first.client)?.id).toBe(u2.id);
    const users = (await findCollectionByNameOrId(app, "users"))!; // a fresh copy, as the collections API edits
    users.authToken.secret = newTokenSecret();
    await saveCollection(app, users);
    expect(clientAuth(first.client)).toBeNull();
    await first.pb.realtime.unsubscribe();

    const second = await signedIn();
    expect(clientAuth(second.client)?.id).toBe(u2.id);
    await deleteRecord(app, (await findAuthRecordByEmail(app, "users", "u2@example.com"))!);
    expect(clientAuth(second.client)).toBeNull();
    await second.pb.realtime.unsubscribe();
  });
});

describe("record events to many subscribers", () => {
  test("subscribers with the same options get the same data; onRecordEnrich still runs for each", async () => {
    const { newBaseCollection } = await import("../src/core/collection.ts");
    const { TextField } = await import("../src/core/fields/index.ts");
    const notes = newBaseCollection("fanout_notes");
    notes.fields.add(new TextField({ name: "title" }));
    notes.listRule = notes.viewRule = "";
    await saveCollection(app, notes);

    const clients = [
      new PocketBase(server.url),
      new PocketBase(server.url),
      new PocketBase(server.url),
      new PocketBase(server.url),
    ];
    const got: any[][] = clients.map(() => []);
    await clients[0]!.collection("fanout_notes").subscribe("*", (e) => got[0]!.push(e));
    await clients[1]!.collection("fanout_notes").subscribe("*", (e) => got[1]!.push(e));
    await clients[2]!.collection("fanout_notes").subscribe("*", (e) => got[2]!.push(e), { filter: "title = 'other'" });
    await clients[3]!.collection("fanout_notes").subscribe("*", (e) => got[3]!.push(e), { fields: "id,title" });

    const create = async (title: string) => {
      const r = new Record(app.findCollection("fanout_notes")!);
      r.set("title", title);
      await saveRecord(app, r);
      return r;
    };
    const first = await create("first");
    await waitFor(() => got[0]!.length === 1 && got[1]!.length === 1 && got[3]!.length === 1);
    expect(got[0]![0]).toEqual(got[1]![0]);
    expect(got[0]![0].record.id).toBe(first.id);
    expect(Object.keys(got[3]![0].record).sort()).toEqual(["id", "title"]); // other options, other data
    await Bun.sleep(100);
    expect(got[2]).toEqual([]); // its filter hides the record

    let calls = 0;
    const hookId = app.onRecordEnrich("fanout_notes").bindFunc(async (e) => {
      e.record!.exportCustomData = true;
      e.record!.set("enrichCall", ++calls);
      await e.next();
    });
    try {
      await create("second");
      await waitFor(() => got[0]!.length === 2 && got[1]!.length === 2 && got[3]!.length === 2);
      // one hook call per subscriber that may see the record (the filtered-out one is checked first)
      expect(calls).toBe(3);
      expect(new Set([got[0]![1].record.enrichCall, got[1]![1].record.enrichCall]).size).toBe(2);
    } finally {
      app.onRecordEnrich.hook.unbind(hookId);
      for (const c of clients) await c.realtime.unsubscribe();
    }
  });
});
