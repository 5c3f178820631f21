/** Realtime clients and the broker, without HTTP. */
import { describe, expect, test } from "bun:test";
import { Broker } from "./broker.ts";
import { Client, formatSSE, parseSubscriptionOptions } from "./client.ts";

describe("Client", () => {
  test("subscriptions: the whole string is the key; prefixes match with a '?' appended", () => {
    const c = new Client();
    expect(c.id).toMatch(/^[A-Za-z0-9]{40}$/);
    c.subscribe("posts/*", "posts/*?options=%7B%7D", "posts/abc", "", "users");
    expect([...c.subscriptions().keys()]).toEqual(["posts/*", "posts/*?options=%7B%7D", "posts/abc", "users"]);
    expect([...c.subscriptions("posts/*?").keys()]).toEqual(["posts/*", "posts/*?options=%7B%7D"]);
    expect([...c.subscriptions("posts/").keys()]).toEqual(["posts/*", "posts/*?options=%7B%7D", "posts/abc"]);
    expect(c.hasSubscription("posts/*")).toBe(true);
    expect(c.hasSubscription("posts")).toBe(false);
    c.unsubscribe("posts/abc");
    expect(c.subscriptions().size).toBe(3);
    c.unsubscribe();
    expect(c.subscriptions().size).toBe(0);
  });

  test("options: values as strings, header names snake_cased, bad JSON ignored", () => {
    const opts = encodeURIComponent(
      JSON.stringify({
        query: { filter: "a=1", n: 5, b: true, o: { x: 1 } },
        headers: { "X-Token": "t", myHeader: 1 },
      }),
    );
    expect(parseSubscriptionOptions(`posts/*?options=${opts}`)).toEqual({
      query: { filter: "a=1", n: "5", b: "true", o: "" },
      headers: { x_token: "t", my_header: "1" },
    });
    expect(parseSubscriptionOptions("posts/*?options=%7Bbad")).toEqual({ query: {}, headers: {} });
    expect(parseSubscriptionOptions("posts/*")).toEqual({ query: {}, headers: {} });
  });

  test("the send channel: queued in order, drained by receive, closed by discard", async () => {
    const c = new Client();
    c.send({ name: "a", data: "1" });
    c.send({ name: "b", data: "2" });
    expect(await c.receive()).toEqual({ name: "a", data: "1" });
    expect(await c.receive()).toEqual({ name: "b", data: "2" });
    const waiting = c.receive();
    setTimeout(() => c.send({ name: "c", data: "3" }), 5);
    expect(await waiting).toEqual({ name: "c", data: "3" });
    const abort = new AbortController();
    const aborted = c.receive(abort.signal);
    abort.abort();
    expect(await aborted).toBeNull();
    const pending = c.receive();
    c.discard();
    expect(await pending).toBeNull();
    c.send({ name: "d", data: "4" });
    expect(await c.receive()).toBeNull();
    expect(c.isDiscarded).toBe(true);
  });

  test("SSE framing", () => {
    expect(formatSSE({ name: "posts/*", data: '{"a":1}' }, "cid")).toBe('id:cid\nevent:posts/*\ndata:{"a":1}\n\n');
  });
});

describe("Broker", () => {
  test("register, find, chunk, unregister (which discards)", () => {
    const b = new Broker();
    const clients = Array.from({ length: 5 }, () => new Client());
    for (const c of clients) b.register(c);
    expect(b.totalClients()).toBe(5);
    expect(b.clientById(clients[2]!.id)).toBe(clients[2]!);
    expect(b.clientById("missing")).toBeNull();
    expect(b.chunkedClients(2).map((c) => c.length)).toEqual([2, 2, 1]);
    b.unregister(clients[0]!.id);
    expect(clients[0]!.isDiscarded).toBe(true);
    expect(b.totalClients()).toBe(4);
    b.unregisterAll();
    expect(b.totalClients()).toBe(0);
    expect(clients.every((c) => c.isDiscarded)).toBe(true);
  });

  test("broadcast to exact subscribers, with an optional filter", async () => {
    const b = new Broker();
    const [x, y, z] = [new Client(), new Client(), new Client()];
    x.subscribe("t");
    y.subscribe("t", "u");
    z.subscribe("t?options=%7B%7D");
    for (const c of [x, y, z]) b.register(c);
    expect(await b.broadcast("t", { v: 1 })).toBe(2);
    expect(await b.broadcast("t", "raw", async (c) => c === y)).toBe(1);
    expect(await x.receive()).toEqual({ name: "t", data: '{"v":1}' });
    expect(await y.receive()).toEqual({ name: "t", data: '{"v":1}' });
    expect(await y.receive()).toEqual({ name: "t", data: "raw" });
    const matched = [...b.clientsWithSubscriptions("t?")].map(([c, subs]) => [
      c === z ? "z" : c === y ? "y" : "x",
      [...subs.keys()],
    ]);
    expect(matched).toEqual([
      ["x", ["t"]],
      ["y", ["t"]],
      ["z", ["t?options=%7B%7D"]],
    ]);
  });
});
