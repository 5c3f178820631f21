/**
 * Attack class: oversized, malformed and slow request bodies.
 *
 * Upstream defines the limits: apis/middlewares_body_limit.go (32 MiB, plus each file field's
 * maxSize × maxSelect on record create/update, checked on the declared Content-Length and while
 * reading a streamed body, 413 "Request entity too large."), tools/router's BindBody (JSON,
 * multipart and urlencoded only; anything else is a 400), and Go's http server (1 MiB of headers).
 * After every hostile request the server must still answer /api/health, and no record, file or
 * half-written row may exist (checked as superuser and on disk).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { App } from "../../src/core/app.ts";
import { newBaseCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import { FileField, JSONField, NumberField, TextField } from "../../src/core/fields/index.ts";
import { tempDir, type TestServer, testAppConfig } from "../harness.ts";
import { startWithSuperuser } from "./support.ts";

const TOO_LARGE = { data: {}, message: "Request entity too large.", status: 413 };

let srv: TestServer;
let work = "";
let suToken = "";
const ids: { [k: string]: string } = {};

beforeAll(async () => {
  work = tempDir();
  const dataDir = join(work, "pb_data");
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const items = newBaseCollection("items");
  items.fields.add(new TextField({ name: "title" }), new NumberField({ name: "n" }), new JSONField({ name: "data" }));
  items.listRule = items.viewRule = items.createRule = items.updateRule = "";
  await saveCollection(app, items);
  const uploads = newBaseCollection("uploads");
  uploads.fields.add(new TextField({ name: "title" }), new FileField({ name: "docs", maxSelect: 2, maxSize: 1 << 20 }));
  uploads.listRule = uploads.viewRule = uploads.createRule = "";
  await saveCollection(app, uploads);
  ids.items = items.id;
  ids.uploads = uploads.id;
  await app.terminate();
  const { srv: server, su } = await startWithSuperuser(work);
  srv = server;
  suToken = su.authStore.token;
});
afterAll(async () => {
  await srv?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** All records of a collection, as a superuser sees them. */
async function records(collection: string): Promise<{ [k: string]: any }[]> {
  const res = await fetch(`${srv.url}/api/collections/${collection}/records?perPage=1000&sort=@rowid`, {
    headers: { Authorization: suToken },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as any).items;
}

/** Every stored file of a collection (none may be left behind by a refused upload). */
function storedFiles(collection: string): string[] {
  const dir = join(srv.dataDir, "storage", ids[collection]!);
  return existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]) : [];
}

async function clear(collection: string) {
  for (const r of await records(collection)) {
    const res = await fetch(`${srv.url}/api/collections/${collection}/records/${r.id}`, {
      method: "DELETE",
      headers: { Authorization: suToken },
    });
    expect(res.status).toBe(204);
  }
}

async function assertHealthy() {
  const res = await fetch(`${srv.url}/api/health`);
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).message).toBe("API is healthy.");
}

async function expectEnvelope(res: Response, status: number, label: string) {
  const text = await res.text();
  expect([label, res.status]).toEqual([label, status]);
  const body = JSON.parse(text);
  expect(Object.keys(body).sort()).toEqual(["data", "message", "status"]);
  expect(body.status).toBe(status);
  return body;
}

const create = (collection: string, body: string | Uint8Array | FormData, type?: string) =>
  fetch(`${srv.url}/api/collections/${collection}/records`, {
    method: "POST",
    headers: type ? { "Content-Type": type } : {},
    body,
  });

/** Writes `head` on a raw socket and keeps it open; returns the socket and everything read back. */
async function openRaw(head: string | Uint8Array) {
  let received = "";
  let closed = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: srv.port,
    socket: {
      data(_s, d) {
        received += d.toString("latin1");
      },
      close() {
        closed = true;
      },
      error() {
        closed = true;
      },
    },
  });
  socket.write(head);
  return { socket, received: () => received, closed: () => closed };
}

async function rawExchange(request: string | Uint8Array, waitMs = 3000): Promise<string> {
  const conn = await openRaw(request);
  const until = Date.now() + waitMs;
  while (!conn.closed() && Date.now() < until && !/\r\n\r\n[\s\S]*\}\n?$/.test(conn.received())) await Bun.sleep(10);
  conn.socket.end();
  return conn.received();
}

test("a JSON body over the limit with a declared Content-Length is a 413 envelope, nothing saved", async () => {
  const big = Buffer.alloc((32 << 20) + 64, "a");
  big.write('{"title":"', 0);
  big.write('"}', big.length - 2);
  const res = await create("items", big, "application/json");
  expect(res.status).toBe(413);
  expect(await res.json()).toEqual(TOO_LARGE);
  expect(await records("items")).toEqual([]);
  await assertHealthy();
});

test("a streamed (chunked) body without a length is cut off at the limit with a 413", async () => {
  const chunk = new Uint8Array(1 << 20).fill(0x61);
  let sent = 0;
  const stream = new ReadableStream({
    pull(c) {
      if (sent === 0) c.enqueue(new TextEncoder().encode('{"title":"'));
      if (sent++ >= 40) return c.close();
      c.enqueue(chunk);
    },
  });
  const res = await fetch(`${srv.url}/api/collections/items/records`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: stream,
  });
  expect(res.status).toBe(413);
  expect(await res.json()).toEqual(TOO_LARGE);
  // a multipart upload streamed past the per-collection limit (32 MiB + 2 × 1 MiB) as well
  let n = 0;
  const boundary = "xxStreamBoundary";
  const multipart = new ReadableStream({
    pull(c) {
      if (n === 0)
        c.enqueue(
          new TextEncoder().encode(
            `--${boundary}\r\nContent-Disposition: form-data; name="docs"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
          ),
        );
      if (n++ >= 36) return c.close();
      c.enqueue(chunk);
    },
  });
  const res2 = await fetch(`${srv.url}/api/collections/uploads/records`, {
    method: "POST",
    headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
    body: multipart,
  });
  expect(res2.status).toBe(413);
  expect(await res2.json()).toEqual(TOO_LARGE);
  expect(await records("items")).toEqual([]);
  expect(await records("uploads")).toEqual([]);
  expect(storedFiles("uploads")).toEqual([]);
  await assertHealthy();
});

test("deeply nested JSON (100k levels) never crashes the server or stores a broken record", async () => {
  const deepArr = "[".repeat(100_000) + "]".repeat(100_000);
  const deepObj = '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000);
  // as the whole body and as a JSON field value: refused
  for (const [label, body] of [
    ["array body", deepArr],
    ["json field array", `{"title":"deep","data":${deepArr}}`],
    ["json field object", `{"title":"deep","data":${deepObj}}`],
  ] as const) {
    await expectEnvelope(await create("items", body, "application/json"), 400, label);
    await assertHealthy();
  }
  expect(await records("items")).toEqual([]);
  // in fields that can't hold it: never a 5xx; if accepted, nothing of it is stored
  for (const [label, body] of [
    ["object body", deepObj],
    ["text field", `{"title":${deepObj}}`],
    ["number field", `{"n":${deepArr}}`],
    ["unknown key", `{"zzz":${deepObj},"title":"kept"}`],
  ] as const) {
    const res = await create("items", body, "application/json");
    expect([label, [200, 400].includes(res.status)]).toEqual([label, true]);
    const json = (await res.json()) as any;
    if (res.status === 200) {
      expect([label, json.title ?? "", json.n, json.data]).toEqual([
        label,
        label === "unknown key" ? "kept" : "",
        0,
        null,
      ]);
      expect(Object.keys(json).sort()).toEqual(["collectionId", "collectionName", "data", "id", "n", "title"]);
    }
    await assertHealthy();
  }
  // every stored record lists and serializes fine
  const res = await fetch(`${srv.url}/api/collections/items/records?perPage=1000`);
  expect(res.status).toBe(200);
  for (const r of await records("items")) expect(r.data).toBeNull();
  await clear("items");
});

test("huge strings, arrays and JSON values are refused by field limits, nothing stored", async () => {
  let body = await expectEnvelope(
    await create("items", JSON.stringify({ title: "x".repeat(5_000_000) }), "application/json"),
    400,
    "huge title",
  );
  expect(body.data.title.code).toBe("validation_max_text_constraint");
  body = await expectEnvelope(
    await create(
      "items",
      JSON.stringify({ title: "ok", data: Array.from({ length: 300_000 }, (_, i) => i) }),
      "application/json",
    ),
    400,
    "huge array",
  );
  expect(body.data.data.code).toBe("validation_json_size_limit");
  expect(await records("items")).toEqual([]);
  // values of the wrong shape are cast as upstream's cast.ToString/ToFloat64 do: to the zero value
  let res = await create(
    "items",
    JSON.stringify({ title: Array.from({ length: 100_000 }, () => "x") }),
    "application/json",
  );
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).title).toBe("");
  res = await create("items", JSON.stringify({ n: "1".repeat(400) }), "application/json");
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).n).toBe(0);
  for (const r of await records("items")) expect([r.title, r.n, r.data]).toEqual(["", 0, null]);
  await clear("items");
  await assertHealthy();
});

test("invalid UTF-8 in a JSON body becomes replacement characters, as Go's decoder does", async () => {
  const raw = Buffer.concat([Buffer.from('{"title":"a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('b","n":1}')]);
  const res = await create("items", raw, "application/json");
  expect(res.status).toBe(200);
  const id = ((await res.json()) as any).id;
  const stored = (await records("items")).find((r) => r.id === id)!;
  expect(stored.title).toBe("a\uFFFD\uFFFD\uFFFDb");
  expect(stored.n).toBe(1);
  // an overlong encoding of "/" and a lone surrogate don't sneak through as raw bytes either
  const raw2 = Buffer.concat([
    Buffer.from('{"title":"x'),
    Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]),
    Buffer.from('y"}'),
  ]);
  const res2 = await create("items", raw2, "application/json");
  expect(res2.status).toBe(200);
  const t = ((await res2.json()) as any).title as string;
  expect(t.startsWith("x") && t.endsWith("y")).toBe(true);
  expect(t).not.toContain("/");
  expect([...t.slice(1, -1)].every((c) => c === "\uFFFD")).toBe(true);
  await clear("items");
});

test("wrong or missing Content-Type is a 400 envelope, never a guessed parse", async () => {
  for (const type of [
    "text/plain",
    "application/xml",
    "text/html",
    "application/octet-stream",
    "application/x-json",
    "",
    "multipart/form-data",
    "multipart/mixed; boundary=x",
  ]) {
    const res = await fetch(`${srv.url}/api/collections/items/records`, {
      method: "POST",
      headers: type ? { "Content-Type": type } : { "Content-Type": "" },
      body: '{"title":"typed"}',
    });
    await expectEnvelope(res, 400, `type ${type || "(none)"}`);
  }
  expect(await records("items")).toEqual([]);
  await assertHealthy();
});

test("multipart with thousands of parts: files past maxSelect are refused and none is written", async () => {
  const boundary = "manyPartsBoundary";
  let parts = "";
  for (let i = 0; i < 3000; i++)
    parts += `--${boundary}\r\nContent-Disposition: form-data; name="docs"; filename="f${i}.txt"\r\nContent-Type: text/plain\r\n\r\nx${i}\r\n`;
  parts += `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nmany files\r\n--${boundary}--\r\n`;
  const body = await expectEnvelope(
    await create("uploads", parts, `multipart/form-data; boundary=${boundary}`),
    400,
    "3000 files",
  );
  expect(body.data.docs.code).toBe("validation_too_many_files");
  expect(await records("uploads")).toEqual([]);
  expect(storedFiles("uploads")).toEqual([]);
  // thousands of plain parts: no 5xx, and only the collection's own fields end up in a record
  let plain = "";
  for (let i = 0; i < 5000; i++) plain += `--${boundary}\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nv\r\n`;
  plain += `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nmany parts\r\n--${boundary}--\r\n`;
  const res = await create("items", plain, `multipart/form-data; boundary=${boundary}`);
  expect([200, 400]).toContain(res.status);
  const json = (await res.json()) as any;
  if (res.status === 200)
    expect(Object.keys(json).sort()).toEqual(["collectionId", "collectionName", "data", "id", "n", "title"]);
  else expect(json.status).toBe(400);
  await assertHealthy();
  await clear("items");
});

test("broken multipart bodies and garbage @jsonPayload are 400 envelopes with nothing saved", async () => {
  const b = "brokenBoundary";
  const file = `--${b}\r\nContent-Disposition: form-data; name="docs"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n`;
  const cases: [string, string, string][] = [
    [
      "never closed",
      `${file}--${b}\r\nContent-Disposition: form-data; name="title"\r\n\r\nunclosed`,
      `multipart/form-data; boundary=${b}`,
    ],
    ["no closing delimiter", file, `multipart/form-data; boundary=${b}`],
    ["no boundary param", `${file}--${b}--\r\n`, "multipart/form-data"],
    ["wrong boundary", `${file}--${b}--\r\n`, "multipart/form-data; boundary=other"],
    ["garbage", "\x00\x01\x02 not multipart at all", `multipart/form-data; boundary=${b}`],
  ];
  for (const [label, body, type] of cases) {
    await expectEnvelope(await create("uploads", body, type), 400, label);
  }
  for (const payload of ["{not json", "[1,2,3]", '"a string"', "12", '{"title":"x"', "\u0000"]) {
    const f = new FormData();
    f.append("@jsonPayload", payload);
    f.append("docs", new File(["hello"], "a.txt"));
    await expectEnvelope(await create("uploads", f), 400, `@jsonPayload ${payload}`);
  }
  expect(await records("uploads")).toEqual([]);
  expect(storedFiles("uploads")).toEqual([]);
  await assertHealthy();
});

test("a body on a GET is ignored; a list answers normally", async () => {
  const body = '{"garbage": [[[';
  const out = await rawExchange(
    `GET /api/collections/items/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
  );
  expect(out).toStartWith("HTTP/1.1 200");
  expect(out).toContain('"items":[]');
  const chunked = await rawExchange(
    `GET /api/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  );
  expect(chunked).toStartWith("HTTP/1.1 200");
  await assertHealthy();
});

test("very long URLs, huge headers and thousands of query params never yield a 5xx", async () => {
  let res = await fetch(`${srv.url}/api/collections/items/records?filter=${"a".repeat(200_000)}`);
  await expectEnvelope(res, 400, "200 KB filter");
  res = await fetch(
    `${srv.url}/api/collections/items/records?${Array.from({ length: 10_000 }, (_, i) => `p${i}=${i}`).join("&")}`,
  );
  expect(res.status).toBe(200);
  res = await fetch(`${srv.url}/api/collections/${"x".repeat(100_000)}/records`);
  await expectEnvelope(res, 404, "100 KB collection name");
  // over the 1 MiB header limit (Go's DefaultMaxHeaderBytes): refused before any handler
  const huge = await fetch(`${srv.url}/api/health`, { headers: { "X-Big": "a".repeat(2 << 20) } }).then(
    (r) => r.status,
    () => 0,
  );
  expect([0, 413, 431, 400]).toContain(huge);
  const hugeUrl = await fetch(`${srv.url}/api/health?x=${"a".repeat(2 << 20)}`).then(
    (r) => r.status,
    () => 0,
  );
  expect([0, 413, 414, 431, 400]).toContain(hugeUrl);
  // thousands of headers
  const many: { [k: string]: string } = {};
  for (let i = 0; i < 2000; i++) many[`X-H${i}`] = "v";
  const manyStatus = await fetch(`${srv.url}/api/health`, { headers: many }).then(
    (r) => r.status,
    () => 0,
  );
  expect([0, 200, 431, 400]).toContain(manyStatus);
  await assertHealthy();
});

test("slowloris: half-sent requests don't block other clients and leave nothing behind", async () => {
  const partial = '{"title":"slowloris';
  const conns = [];
  for (let i = 0; i < 40; i++) {
    // half of them stop inside the headers, the other half inside a declared body
    const head =
      i % 2 === 0
        ? `POST /api/collections/items/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow-${i}: `
        : `POST /api/collections/items/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n${partial}`;
    conns.push(await openRaw(head));
  }
  await Bun.sleep(200);
  // everyone else is still served, reads and writes
  await assertHealthy();
  const res = await create("items", JSON.stringify({ title: "served meanwhile" }), "application/json");
  expect(res.status).toBe(200);
  const list = await fetch(`${srv.url}/api/collections/items/records`);
  expect(list.status).toBe(200);
  // a few more bytes, then the attackers give up mid-request
  for (const c of conns) c.socket.write("x");
  await Bun.sleep(100);
  for (const c of conns) c.socket.end();
  await Bun.sleep(200);
  const titles = (await records("items")).map((r) => r.title);
  expect(titles).toEqual(["served meanwhile"]);
  expect(titles.some((t) => t.includes("slowloris"))).toBe(false);
  await assertHealthy();
});

test("after every hostile body the server is up and its output shows no crash", async () => {
  await assertHealthy();
  expect(srv.proc.exitCode).toBeNull();
  expect(srv.output()).not.toMatch(/RangeError|Maximum call stack|Unhandled|panic|SIGSEGV/);
});
