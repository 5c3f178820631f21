/**
 * Realtime over SSE against a real server process: the raw stream framing, subscriptions through
 * the official SDK, the subscription request's checks (validation, client IP, auth changes) and
 * the clean-up when a connection goes away.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { App } from "../src/core/app.ts";
import { runPb, startServer, tempDir, type TestServer, testAppConfig } from "./harness.ts";

let srv: TestServer;
let su: PocketBase;
let userToken = "";
let otherUserToken = "";

async function buildSchema(dataDir: string) {
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const settings = app.settings();
  // lets a test pretend to come from another IP
  settings.trustedProxy.headers = ["x-test-ip"];
  await app.saveSettings(settings);
  await app.terminate();
}

/** An open SSE connection read by hand. */
interface RawStream {
  res: Response;
  /** Reads until `count` events arrived (or the stream ends); returns the raw text so far. */
  events(count: number): Promise<string>;
  close(): void;
}

async function openStream(headers: Record<string, string> = {}): Promise<RawStream> {
  const abort = new AbortController();
  const res = await fetch(`${srv.url}/api/realtime`, { headers, signal: abort.signal });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  return {
    res,
    async events(count: number) {
      while (text.split("\n\n").length - 1 < count) {
        const { done, value } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
      }
      return text;
    },
    close: () => abort.abort(),
  };
}

/** The client id of a stream's PB_CONNECT event. */
async function connectId(s: RawStream): Promise<string> {
  const text = await s.events(1);
  return /^id:(\w+)\n/.exec(text)![1]!;
}

const subscribe = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${srv.url}/api/realtime`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }).then(async (r) => ({
    status: r.status,
    body: r.status === 204 ? null : ((await r.json()) as { message: string; data: Record<string, unknown> }),
  }));

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(20);
  }
}

beforeAll(async () => {
  const work = tempDir();
  const dataDir = join(work, "pb_data");
  await buildSchema(dataDir);
  expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dataDir}`])).code).toBe(0);
  srv = await startServer({ workDir: work });
  su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", "1234567890");
  for (const email of ["u1@example.com", "u2@example.com"]) {
    await su.collection("users").create({ email, password: "1234567890", passwordConfirm: "1234567890" });
  }
  userToken = (await srv.sdk().collection("users").authWithPassword("u1@example.com", "1234567890")).token;
  otherUserToken = (await srv.sdk().collection("users").authWithPassword("u2@example.com", "1234567890")).token;
});

afterAll(async () => {
  await srv?.stop();
});

describe("GET /api/realtime", () => {
  test("streams PB_CONNECT with the client id, upstream's framing and headers", async () => {
    const s = await openStream();
    expect(s.res.status).toBe(200);
    expect(s.res.headers.get("content-type")).toBe("text/event-stream");
    expect(s.res.headers.get("cache-control")).toBe("no-store");
    expect(s.res.headers.get("x-accel-buffering")).toBe("no");
    const text = await s.events(1);
    const m = /^id:([A-Za-z0-9]{40})\nevent:PB_CONNECT\ndata:\{"clientId":"([A-Za-z0-9]{40})"\}\n\n$/.exec(text);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(m![2]!);
    s.close();
  });

  test("a closed connection unregisters its client", async () => {
    const s = await openStream();
    const id = await connectId(s);
    expect((await subscribe({ clientId: id, subscriptions: ["a"] })).status).toBe(204);
    s.close();
    await waitFor(async () => (await subscribe({ clientId: id, subscriptions: ["a"] })).status === 404);
  });
});

describe("POST /api/realtime", () => {
  test("validation", async () => {
    expect(await subscribe({ clientId: "missing", subscriptions: ["test1", "test2"] })).toEqual({
      status: 404,
      body: { data: {}, message: "Missing or invalid client id.", status: 404 } as never,
    });

    const empty = await subscribe({});
    expect(empty.status).toBe(400);
    expect(empty.body!.message).toBe("Something went wrong while processing your request.");
    expect(empty.body!.data).toEqual({ clientId: { code: "validation_required", message: "Cannot be blank." } });

    expect((await subscribe({ clientId: "x".repeat(256) })).body!.data).toEqual({
      clientId: {
        code: "validation_length_out_of_range",
        message: "The length must be between 1 and 255.",
        params: { max: 255, min: 1 },
      },
    });
    expect(await subscribe("{bad json")).toEqual({
      status: 400,
      body: { data: {}, message: "Something went wrong while processing your request.", status: 400 } as never,
    });
    expect((await subscribe({ clientId: 1 })).status).toBe(400);
    expect((await subscribe({ clientId: "x", subscriptions: "abc" })).status).toBe(400);

    const s = await openStream();
    const id = await connectId(s);
    const tooMany = await subscribe({ clientId: id, subscriptions: Array.from({ length: 1001 }, (_, i) => String(i)) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body!.data).toEqual({
      subscriptions: {
        code: "validation_length_too_long",
        message: "The length must be no more than 1000.",
        params: { max: 1000, min: 0 },
      },
    });
    const tooLong = await subscribe({ clientId: id, subscriptions: ["abc", "a".repeat(2501)] });
    expect(tooLong.body!.data).toEqual({
      subscriptions: {
        "1": {
          code: "validation_length_too_long",
          message: "The length must be no more than 2500.",
          params: { max: 2500, min: 0 },
        },
      },
    });
    expect(
      (await subscribe({ clientId: id, subscriptions: Array.from({ length: 1000 }, (_, i) => String(i)) })).status,
    ).toBe(204);
    expect((await subscribe({ clientId: id, subscriptions: ["a".repeat(2500)] })).status).toBe(204);
    s.close();
  });

  test("the subscribing request must come from the connecting IP", async () => {
    const s = await openStream();
    const id = await connectId(s);
    expect(await subscribe({ clientId: id, subscriptions: ["test"] }, { "x-test-ip": "127.0.0.2" })).toEqual({
      status: 400,
      body: { data: {}, message: "Invalid realtime client.", status: 400 } as never,
    });
    s.close();

    // the connect IP is the resolved one too
    const fromProxy = await openStream({ "x-test-ip": "127.0.0.2" });
    const id2 = await connectId(fromProxy);
    expect((await subscribe({ clientId: id2, subscriptions: ["test"] })).status).toBe(400);
    expect((await subscribe({ clientId: id2, subscriptions: ["test"] }, { "x-test-ip": "127.0.0.2" })).status).toBe(
      204,
    );
    fromProxy.close();
  });

  test("auth: guest → auth upgrades only; the same auth may resubscribe", async () => {
    const s = await openStream();
    const id = await connectId(s);
    expect((await subscribe({ clientId: id, subscriptions: ["a"] })).status).toBe(204); // guest
    expect((await subscribe({ clientId: id, subscriptions: ["a"] }, { authorization: userToken })).status).toBe(204); // guest → u1
    expect((await subscribe({ clientId: id, subscriptions: ["b"] }, { authorization: userToken })).status).toBe(204); // same
    const mismatch = {
      status: 403,
      body: { data: {}, message: "The current and the previous request authorization don't match.", status: 403 },
    };
    expect(await subscribe({ clientId: id, subscriptions: ["b"] }, { authorization: otherUserToken })).toEqual(
      mismatch as never,
    );
    expect(await subscribe({ clientId: id, subscriptions: ["b"] })).toEqual(mismatch as never); // auth → guest
    expect(await subscribe({ clientId: id, subscriptions: ["b"] }, { authorization: su.authStore.token })).toEqual(
      mismatch as never,
    );
    s.close();
  });
});

describe("with the SDK", () => {
  test("subscribe, receive the client id, unsubscribe closes the connection", async () => {
    const pb = srv.sdk();
    let connects = 0;
    await pb.realtime.subscribe("PB_CONNECT", () => connects++);
    const unsub = await pb.realtime.subscribe("topic/one", () => {});
    await pb.realtime.subscribe(
      "topic/two?options=" + encodeURIComponent(JSON.stringify({ query: { a: 1 } })),
      () => {},
    );
    expect(pb.realtime.clientId).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(pb.realtime.isConnected).toBe(true);
    expect(connects).toBe(1);
    const id = pb.realtime.clientId;

    await unsub();
    expect(pb.realtime.isConnected).toBe(true);
    await pb.realtime.unsubscribe();
    expect(pb.realtime.isConnected).toBe(false);
    await waitFor(async () => (await subscribe({ clientId: id, subscriptions: [] })).status === 404);
  });

  test("an authenticated SDK sends its token with the subscription", async () => {
    const pb = srv.sdk();
    await pb.collection("users").authWithPassword("u1@example.com", "1234567890");
    await pb.realtime.subscribe("x", () => {});
    const id = pb.realtime.clientId;
    // the stored auth is u1 now: a guest may not take the client over
    expect((await subscribe({ clientId: id, subscriptions: ["y"] })).status).toBe(403);
    await pb.realtime.unsubscribe();
  });
});
