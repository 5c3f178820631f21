/**
 * Attack class: smuggling requests through `POST /api/batch`. Expected behaviour is upstream's
 * apis/batch.go: only record create/update/upsert/delete URLs are valid actions (anything else is
 * "unknown batch request action"), each sub-request runs the same rules as the direct request with
 * the batch caller's auth (a sub-request's Authorization header is ignored), every method must be
 * one of GET/POST/PUT/PATCH/DELETE in upper case (core/event_request_batch.go), the whole batch is
 * one transaction (one failure rolls everything back), `settings.batch` gates the endpoint (403
 * while disabled), limits the number of requests (400) and the body size (413).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { App } from "../../src/core/app.ts";
import { newBaseCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import { BoolField, RelationField, TextField } from "../../src/core/fields/index.ts";
import { createSuperuser } from "../../src/core/superusers.ts";
import { type TestServer, testAppConfig } from "../harness.ts";
import { caller, login, PASSWORD, recordAdder, type Res, startBuilt } from "./support.ts";

const LOCKED_VALUE = "locked-value-never-shown";
let srv: TestServer;
const ids: { [k: string]: string } = {};
const tokens: { [k: string]: string } = {};

async function buildSchema(dataDir: string) {
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const users = app.findCollection("users")!;

  const locked = newBaseCollection("locked"); // null rules: superusers only
  locked.fields.add(new TextField({ name: "value" }));
  await saveCollection(app, locked);

  const open = newBaseCollection("open");
  open.fields.add(
    new TextField({ name: "text" }),
    new RelationField({ name: "vault", collectionId: locked.id, maxSelect: 1 }),
  );
  open.listRule = open.viewRule = open.createRule = open.updateRule = open.deleteRule = "";
  await saveCollection(app, open);

  const posts = newBaseCollection("posts");
  posts.fields.add(
    new TextField({ name: "title" }),
    new RelationField({ name: "owner", collectionId: users.id, maxSelect: 1 }),
    new BoolField({ name: "approved", hidden: true }),
  );
  posts.listRule = posts.viewRule = "";
  posts.createRule = "@request.auth.id != '' && owner = @request.auth.id";
  posts.updateRule = posts.deleteRule = "owner = @request.auth.id";
  await saveCollection(app, posts);

  const members = newBaseCollection("members");
  members.fields.add(new TextField({ name: "role" }));
  members.listRule = members.viewRule = "";
  members.createRule = "@request.auth.id != '' && @request.body.role != 'admin' && role != 'admin'";
  await saveCollection(app, members);

  const add = recordAdder(app);
  ids.alice = (await add("users", { email: "alice@example.com", name: "Alice" }, PASSWORD)).id;
  ids.bob = (await add("users", { email: "bob@example.com", name: "Bob" }, PASSWORD)).id;
  ids.locked = (await add("locked", { value: LOCKED_VALUE })).id;
  ids.alicePost = (await add("posts", { title: "alice original", owner: ids.alice })).id;
  ids.bobPost = (await add("posts", { title: "bob original", owner: ids.bob })).id;
  ids.root = (await createSuperuser(app, "root@example.com", PASSWORD)).id;
  await app.terminate();
}

const call = caller(() => srv);

type Sub = { method: string; url: string; body?: unknown; headers?: { [k: string]: string } };
const batch = (token: string, requests: Sub[] | unknown) => call("POST", "/api/batch", token, { requests });

/** Upstream's failed-batch envelope naming the failing sub-request and carrying its own error. */
function expectBatchFailed(r: Res, index: number, inner?: object) {
  expect(r.status).toBe(400);
  expect(r.json.status).toBe(400);
  expect(r.json.message).toBe("Batch transaction failed.");
  const item = r.json.data.requests[String(index)];
  expect(item.code).toBe("batch_request_failed");
  expect(item.message).toBe("Batch request failed.");
  if (inner) expect(item.response).toEqual(inner);
  return item.response;
}

const UNKNOWN_ACTION = { status: 400, message: "Something went wrong while processing your request.", data: {} };
const RULE_403 = { status: 403, message: "Only superusers can perform this action.", data: {} };
const NOT_FOUND = { status: 404, message: "The requested resource wasn't found.", data: {} };

/** Everything a smuggled request could have changed, as a superuser sees it. */
async function snapshot() {
  const q = "?perPage=500&sort=id";
  const [open, posts, locked, members, su, settings, collections] = await Promise.all([
    call("GET", `/api/collections/open/records${q}`, tokens.su),
    call("GET", `/api/collections/posts/records${q}`, tokens.su),
    call("GET", `/api/collections/locked/records${q}`, tokens.su),
    call("GET", `/api/collections/members/records${q}`, tokens.su),
    call("GET", `/api/collections/_superusers/records${q}`, tokens.su),
    call("GET", "/api/settings", tokens.su),
    call("GET", "/api/collections?perPage=500&sort=name", tokens.su),
  ]);
  return {
    open: open.json.items,
    posts: posts.json.items,
    locked: locked.json.items,
    members: members.json.items,
    superusers: su.json.items,
    appName: settings.json.meta.appName,
    collections: collections.json.items.map((c: any) => [c.name, c.listRule, c.createRule]),
  };
}

const setBatch = async (cfg: { [k: string]: unknown }) => {
  const r = await call("PATCH", "/api/settings", tokens.su, {
    batch: { enabled: true, maxRequests: 5, timeout: 3, maxBodySize: 0, ...cfg },
  });
  expect(r.status).toBe(200);
};

beforeAll(async () => {
  srv = await startBuilt(buildSchema);
  tokens.alice = await login(srv.url, "users", "alice@example.com");
  tokens.bob = await login(srv.url, "users", "bob@example.com");
  tokens.su = await login(srv.url, "_superusers", "root@example.com");
}, 30_000);
afterAll(() => srv?.stop());

test("batch is refused while disabled in settings, for superusers too, and writes nothing", async () => {
  const before = await snapshot();
  const create: Sub[] = [{ method: "POST", url: "/api/collections/open/records", body: { text: "while disabled" } }];
  for (const token of ["", tokens.alice!, tokens.su!]) {
    const r = await batch(token, create);
    expect(r.json).toEqual({ status: 403, message: "Batch requests are not allowed.", data: {} });
  }
  expect(await snapshot()).toEqual(before);
  await setBatch({});
  const ok = await batch(tokens.su!, create);
  expect(ok.status).toBe(200);
  await call("DELETE", `/api/collections/open/records/${ok.json[0].body.id}`, tokens.su);
});

test("a guest cannot create, update or delete through batch what it cannot directly", async () => {
  const before = await snapshot();
  const cases: [Sub, string, string, unknown?][] = [
    [
      { method: "POST", url: "/api/collections/posts/records", body: { title: "guest post", owner: ids.alice } },
      "POST",
      "/api/collections/posts/records",
      { title: "guest post", owner: ids.alice },
    ],
    [
      { method: "PATCH", url: `/api/collections/posts/records/${ids.alicePost}`, body: { title: "guest edit" } },
      "PATCH",
      `/api/collections/posts/records/${ids.alicePost}`,
      { title: "guest edit" },
    ],
    [
      { method: "DELETE", url: `/api/collections/posts/records/${ids.alicePost}` },
      "DELETE",
      `/api/collections/posts/records/${ids.alicePost}`,
    ],
    [
      { method: "POST", url: "/api/collections/locked/records", body: { value: "guest" } },
      "POST",
      "/api/collections/locked/records",
      { value: "guest" },
    ],
    [
      { method: "DELETE", url: `/api/collections/locked/records/${ids.locked}` },
      "DELETE",
      `/api/collections/locked/records/${ids.locked}`,
    ],
    [
      { method: "PATCH", url: `/api/collections/users/records/${ids.alice}`, body: { name: "pwned" } },
      "PATCH",
      `/api/collections/users/records/${ids.alice}`,
      { name: "pwned" },
    ],
  ];
  for (const [sub, method, path, body] of cases) {
    const direct = await call(method, path, "", body);
    expect(direct.status).toBeGreaterThanOrEqual(400);
    expectBatchFailed(await batch("", [sub]), 0, direct.json);
  }
  // the upsert form: an existing id of a locked record, or of someone else's post
  expectBatchFailed(
    await batch("", [{ method: "PUT", url: "/api/collections/locked/records", body: { id: ids.locked, value: "x" } }]),
    0,
    RULE_403,
  );
  expectBatchFailed(
    await batch("", [
      { method: "PUT", url: "/api/collections/posts/records", body: { id: ids.alicePost, title: "x" } },
    ]),
    0,
    NOT_FOUND,
  );
  expect(await snapshot()).toEqual(before);
});

test("a user cannot touch another user's records through batch, upsert ids included", async () => {
  const before = await snapshot();
  const subs: [Sub, object][] = [
    [
      { method: "PATCH", url: `/api/collections/posts/records/${ids.alicePost}`, body: { title: "bob was here" } },
      NOT_FOUND,
    ],
    [{ method: "DELETE", url: `/api/collections/posts/records/${ids.alicePost}` }, NOT_FOUND],
    [
      {
        method: "PUT",
        url: "/api/collections/posts/records",
        body: { id: ids.alicePost, title: "taken over", owner: ids.bob },
      },
      NOT_FOUND,
    ],
    [
      { method: "POST", url: "/api/collections/posts/records", body: { title: "in alice's name", owner: ids.alice } },
      { status: 400, message: "Failed to create record.", data: {} },
    ],
    [
      {
        method: "PATCH",
        url: `/api/collections/users/records/${ids.alice}`,
        body: { password: "newpass12345", passwordConfirm: "newpass12345" },
      },
      NOT_FOUND,
    ],
    [
      {
        method: "POST",
        url: "/api/collections/_superusers/records",
        body: { email: "evil@example.com", password: "evil123456", passwordConfirm: "evil123456" },
      },
      RULE_403,
    ],
    [{ method: "DELETE", url: `/api/collections/_superusers/records/${ids.root}` }, RULE_403],
  ];
  for (const [sub, inner] of subs) expectBatchFailed(await batch(tokens.bob!, [sub]), 0, inner);
  expect(await snapshot()).toEqual(before);
  await login(srv.url, "users", "alice@example.com");
});

test("one forbidden sub-request rolls the whole batch back", async () => {
  const before = await snapshot();
  const r = await batch(tokens.alice!, [
    { method: "POST", url: "/api/collections/open/records", body: { text: "rollback-1" } },
    { method: "PATCH", url: `/api/collections/posts/records/${ids.alicePost}`, body: { title: "rollback-2" } },
    { method: "POST", url: "/api/collections/posts/records", body: { title: "rollback-3", owner: ids.alice } },
    { method: "DELETE", url: `/api/collections/open/records/${"x".repeat(15)}` },
    { method: "DELETE", url: `/api/collections/posts/records/${ids.bobPost}` },
  ]);
  expectBatchFailed(r, 3, NOT_FOUND);
  expect(r.text).not.toContain("rollback-1");
  expect(await snapshot()).toEqual(before);
  // the last one alone (the forbidden one) fails too, the first ones alone succeed: it was all-or-nothing
  expectBatchFailed(
    await batch(tokens.alice!, [{ method: "DELETE", url: `/api/collections/posts/records/${ids.bobPost}` }]),
    0,
    NOT_FOUND,
  );
  const ok = await batch(tokens.alice!, [
    { method: "PATCH", url: `/api/collections/posts/records/${ids.alicePost}`, body: { title: "alice original" } },
  ]);
  expect(ok.json.map((x: any) => x.status)).toEqual([200]);
});

test("batch reaches only record routes: settings, collections, auth, sql, backups and path tricks are unknown actions", async () => {
  const before = await snapshot();
  const subs: Sub[] = [
    { method: "PATCH", url: "/api/settings", body: { meta: { appName: "pwned" } } },
    { method: "POST", url: "/api/collections", body: { name: "pwned", type: "base", listRule: "" } },
    { method: "PATCH", url: "/api/collections/locked", body: { listRule: "", createRule: "" } },
    { method: "PUT", url: "/api/collections/import", body: { collections: [] } },
    { method: "DELETE", url: "/api/collections/open" },
    { method: "DELETE", url: "/api/collections/open/truncate" },
    {
      method: "POST",
      url: "/api/collections/_superusers/auth-with-password",
      body: { identity: "root@example.com", password: PASSWORD },
    },
    { method: "POST", url: `/api/collections/users/impersonate/${ids.bob}`, body: {} },
    { method: "POST", url: "/api/sql", body: { query: "DELETE FROM open" } },
    { method: "POST", url: "/api/backups", body: { name: "smuggled.zip" } },
    { method: "GET", url: "/api/collections/locked/records" },
    { method: "GET", url: `/api/collections/locked/records/${ids.locked}` },
    { method: "POST", url: "/api/collections/open/records/../../../settings", body: { meta: { appName: "pwned" } } },
    {
      method: "PATCH",
      url: "/api/collections/open/records/x/../../../../api/settings",
      body: { meta: { appName: "pwned" } },
    },
    { method: "POST", url: "/api/collections/open/records/", body: { text: "trailing slash" } },
    { method: "POST", url: "http://evil.example/api/collections/open/records", body: { text: "absolute" } },
    {
      method: "POST",
      url: `http://127.0.0.1:${new URL(srv.url).port}/api/collections/open/records`,
      body: { text: "absolute self" },
    },
    { method: "POST", url: "//evil.example/api/collections/open/records", body: { text: "protocol-relative" } },
    { method: "POST", url: " /api/collections/open/records", body: { text: "leading space" } },
    { method: "POST", url: "/api/collections/open/records#frag", body: { text: "fragment" } },
    { method: "POST", url: "/api/collections/open/records\n", body: { text: "newline" } },
    { method: "POST", url: "/api/collections/open/records?x=1\r\nAuthorization: x", body: { text: "crlf" } },
    { method: "POST", url: "/api/collections/open/records\\..\\..\\settings", body: { text: "backslashes" } },
    { method: "POST", url: "/API/collections/open/records", body: { text: "upper path" } },
  ];
  // even a superuser's batch cannot reach them
  for (const token of [tokens.alice!, tokens.su!]) {
    for (const sub of subs) {
      const r = await batch(token, [sub]);
      expect({ url: sub.url, inner: expectBatchFailed(r, 0) }).toEqual({ url: sub.url, inner: UNKNOWN_ACTION });
    }
  }
  // a `..` collection segment is just an unknown collection
  expectBatchFailed(await batch(tokens.su!, [{ method: "POST", url: "/api/collections/../records", body: {} }]), 0, {
    status: 404,
    message: "Missing collection context.",
    data: {},
  });
  expect(await snapshot()).toEqual(before);
});

test("method smuggling: lower-case, padded or unsupported methods fail validation before anything runs", async () => {
  const before = await snapshot();
  const url = "/api/collections/open/records";
  for (const method of [
    "post",
    "Post",
    "HEAD",
    "OPTIONS",
    "CONNECT",
    "TRACE",
    "POST ",
    " POST",
    "PATCH\r\n",
    "POST\u0000",
  ]) {
    const r = await batch(tokens.su!, [{ method, url, body: { text: `method ${method}` } }]);
    expect({ method, json: r.json }).toEqual({
      method,
      json: {
        status: 400,
        message: "Invalid batch request data.",
        data: { requests: { "0": { method: { code: "validation_in_invalid", message: "Must be a valid value." } } } },
      },
    });
  }
  const blank = await batch(tokens.su!, [{ method: "", url: "" }]);
  expect(blank.json.data.requests["0"].method.code).toBe("validation_required");
  expect(blank.json.data.requests["0"].url.code).toBe("validation_required");
  const long = await batch(tokens.su!, [{ method: "POST", url: url + "?x=" + "a".repeat(2000), body: {} }]);
  expect(long.json.data.requests["0"].url.code).toBe("validation_length_too_long");
  // a valid first request does not run when a later one is invalid
  const mixed = await batch(tokens.su!, [
    { method: "POST", url, body: { text: "valid first" } },
    { method: "delete", url: `${url}/${ids.alicePost}` },
  ]);
  expect(mixed.json.data.requests["1"].method.code).toBe("validation_in_invalid");
  // method-override headers are plain headers: the PATCH stays a PATCH
  const override = await batch(tokens.alice!, [
    {
      method: "PATCH",
      url: `/api/collections/posts/records/${ids.alicePost}`,
      body: {},
      headers: { "X-HTTP-Method-Override": "DELETE", "X-Method-Override": "DELETE" },
    },
  ]);
  expect(override.json.map((x: any) => x.status)).toEqual([200]);
  expect(await snapshot()).toEqual(before);
});

test("query and encoding tricks in a sub-request url stay under the record rules", async () => {
  const before = await snapshot();
  // an encoded system collection name is still that collection, behind its null rules
  for (const url of [
    "/api/collections/%5Fsuperusers/records",
    "/api/collections/_superusers/records?@request.auth.id=x",
  ]) {
    const r = await batch(tokens.alice!, [
      {
        method: "POST",
        url,
        body: { email: "evil2@example.com", password: "evil123456", passwordConfirm: "evil123456" },
      },
    ]);
    const inner = expectBatchFailed(r, 0);
    expect([403, 404]).toContain(inner.status);
  }
  // an encoded slash in the id only names a missing record
  expectBatchFailed(
    await batch(tokens.bob!, [
      { method: "DELETE", url: `/api/collections/posts/records/${ids.bobPost}%2F..%2F${ids.alicePost}` },
    ]),
    0,
    NOT_FOUND,
  );
  expectBatchFailed(
    await batch(tokens.bob!, [
      {
        method: "PATCH",
        url: `/api/collections/posts/records/${ids.alicePost}?filter=owner%3D'${ids.bob}'`,
        body: { title: "x" },
      },
    ]),
    0,
    NOT_FOUND,
  );
  expect(await snapshot()).toEqual(before);

  // ?expand= and ?fields= on a sub-request respect the related collection's view rule
  const r = await batch(tokens.alice!, [
    {
      method: "POST",
      url: "/api/collections/open/records?expand=vault&fields=*,expand.vault.value",
      body: { text: "expand probe", vault: ids.locked },
    },
  ]);
  expect(r.status).toBe(200);
  expect(r.json[0].status).toBe(200);
  expect(r.json[0].body.vault).toBe(ids.locked);
  expect(r.json[0].body.expand).toBeUndefined();
  expect(r.text).not.toContain(LOCKED_VALUE);
  await call("DELETE", `/api/collections/open/records/${r.json[0].body.id}`, tokens.su);
});

test("a sub-request's Authorization header cannot change who the batch runs as", async () => {
  const before = await snapshot();
  for (const name of ["Authorization", "authorization", "AUTHORIZATION"]) {
    // a guest batch carrying a superuser token per request stays a guest
    expectBatchFailed(
      await batch("", [
        {
          method: "POST",
          url: "/api/collections/locked/records",
          body: { value: "via header" },
          headers: { [name]: tokens.su! },
        },
      ]),
      0,
      RULE_403,
    );
    // a user's batch carrying a superuser token per request stays that user
    expectBatchFailed(
      await batch(tokens.alice!, [
        { method: "DELETE", url: `/api/collections/locked/records/${ids.locked}`, headers: { [name]: tokens.su! } },
      ]),
      0,
      RULE_403,
    );
    // and cannot borrow another user's identity either
    expectBatchFailed(
      await batch(tokens.bob!, [
        {
          method: "PATCH",
          url: `/api/collections/posts/records/${ids.alicePost}`,
          body: { title: "borrowed" },
          headers: { [name]: tokens.alice! },
        },
      ]),
      0,
      NOT_FOUND,
    );
  }
  expect(await snapshot()).toEqual(before);
});

test("a sub-request's body cannot elevate: hidden fields are dropped and @request.body is its own body", async () => {
  const created = await batch(tokens.alice!, [
    {
      method: "POST",
      url: "/api/collections/posts/records",
      body: { title: "hidden-create", owner: ids.alice, approved: true },
    },
    {
      method: "POST",
      url: "/api/collections/posts/records",
      body: { title: "payload-create", owner: ids.alice, "@jsonPayload": JSON.stringify({ approved: true }) },
    },
    { method: "PATCH", url: `/api/collections/posts/records/${ids.alicePost}`, body: { approved: true } },
  ]);
  expect(created.json.map((x: any) => x.status)).toEqual([200, 200, 200]);
  expect(created.text).not.toContain("approved");
  for (const id of [created.json[0].body.id, created.json[1].body.id, ids.alicePost]) {
    const r = await call("GET", `/api/collections/posts/records/${id}`, tokens.su);
    expect(r.json.approved).toBe(false);
  }
  for (const x of created.json.slice(0, 2))
    await call("DELETE", `/api/collections/posts/records/${x.body.id}`, tokens.su);

  // the rule reads the sub-request's body, not the envelope around it
  const before = await snapshot();
  const admin = await call("POST", "/api/batch", tokens.alice, {
    role: "member",
    body: { role: "member" },
    requests: [{ method: "POST", url: "/api/collections/members/records", body: { role: "admin" } }],
  });
  expectBatchFailed(admin, 0, { status: 400, message: "Failed to create record.", data: {} });
  // multipart: a file under requests.0.role cannot smuggle the value past the rule either
  const fd = new FormData();
  fd.append(
    "@jsonPayload",
    JSON.stringify({ requests: [{ method: "POST", url: "/api/collections/members/records", body: {} }] }),
  );
  fd.append("requests.0.role", new File(["admin"], "admin", { type: "text/plain" }));
  fd.append("requests[0].role", "admin");
  const multi = await call("POST", "/api/batch", tokens.alice, fd);
  if (multi.status === 200) {
    const role = (await call("GET", `/api/collections/members/records/${multi.json[0].body.id}`, tokens.su)).json.role;
    expect(role).not.toBe("admin");
    await call("DELETE", `/api/collections/members/records/${multi.json[0].body.id}`, tokens.su);
  } else {
    expectBatchFailed(multi, 0);
  }
  expect(await snapshot()).toEqual(before);
  // control: a permitted role goes through
  const member = await batch(tokens.alice!, [
    { method: "POST", url: "/api/collections/members/records", body: { role: "member" } },
  ]);
  expect(member.json[0].body.role).toBe("member");
  await call("DELETE", `/api/collections/members/records/${member.json[0].body.id}`, tokens.su);
});

test("maxRequests and the request list shape are checked before anything runs", async () => {
  const before = await snapshot();
  const six = Array.from({ length: 6 }, (_, i) => ({
    method: "POST",
    url: "/api/collections/open/records",
    body: { text: `over-${i}` },
  }));
  const over = await batch(tokens.su!, six);
  expect(over.json).toEqual({
    status: 400,
    message: "Invalid batch request data.",
    data: {
      requests: {
        code: "validation_length_too_long",
        message: "The length must be no more than 5.",
        params: { max: 5, min: 0 },
      },
    },
  });
  expect((await batch(tokens.su!, [])).json.data.requests.code).toBe("validation_required");
  expect((await call("POST", "/api/batch", tokens.su, {})).json.data.requests.code).toBe("validation_required");
  for (const bad of [
    '{"requests": "x"}',
    '{"requests": {"0": {"method": "POST"}}}',
    "not json",
    '{"requests": [1, 2]',
  ]) {
    const r = await call("POST", "/api/batch", tokens.su, bad, { "Content-Type": "application/json" });
    expect(r.status).toBe(400);
    expect(r.json.status).toBe(400);
    expect(typeof r.json.message).toBe("string");
  }
  expect(await snapshot()).toEqual(before);
});

test("an oversized batch body gets the 413 envelope and writes nothing", async () => {
  await setBatch({ maxBodySize: 4096 });
  try {
    const before = await snapshot();
    const big = [{ method: "POST", url: "/api/collections/open/records", body: { text: "x".repeat(10_000) } }];
    const r = await batch(tokens.su!, big);
    expect(r.json).toEqual({ status: 413, message: "Request entity too large.", data: {} });
    // the same without a Content-Length (streamed): still refused with an envelope, never a 500
    const payload = new TextEncoder().encode(JSON.stringify({ requests: big }));
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < payload.length; i += 1024) c.enqueue(payload.slice(i, i + 1024));
        c.close();
      },
    });
    const streamed = await call("POST", "/api/batch", tokens.su, stream, { "Content-Type": "application/json" });
    expect([400, 413]).toContain(streamed.status);
    expect(streamed.json.status).toBe(streamed.status);
    expect(await snapshot()).toEqual(before);
    // a batch under the limit still runs
    const small = await batch(tokens.su!, [
      { method: "POST", url: "/api/collections/open/records", body: { text: "small" } },
    ]);
    expect(small.json.map((x: any) => x.status)).toEqual([200]);
    await call("DELETE", `/api/collections/open/records/${small.json[0].body.id}`, tokens.su);
  } finally {
    await setBatch({});
  }
  expect((await call("GET", "/api/health")).status).toBe(200);
});
