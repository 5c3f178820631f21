/**
 * Attack class: reaching superuser-only endpoints without being a superuser. Every route upstream
 * binds with RequireSuperuserAuth (apis/settings.go, collection.go, logs.go, backup.go, cron.go,
 * sql.go, record_auth.go impersonate) must answer a guest 401 and any non-superuser token 403, with
 * upstream's envelopes (apis/middlewares.go requireAuth), and change nothing. Also: the backup
 * download's superuser file token (apis/backup.go), the health endpoint's superuser-only data
 * (apis/health.go), the `_superusers` records behind null rules (apis/record_crud.go), the auth form
 * guards on `verified`/`email` and other users' records (forms/record_upsert.go), and a token from
 * an auth collection merely *named* like the system one.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { App } from "../../src/core/app.ts";
import { newAuthCollection, newBaseCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import { TextField } from "../../src/core/fields/index.ts";
import { createSuperuser } from "../../src/core/superusers.ts";
import { TEST_DB, type TestServer, testAppConfig } from "../harness.ts";
import { caller, login, PASSWORD, recordAdder, startBuilt } from "./support.ts";

let srv: TestServer;
const ids: { [k: string]: string } = {};
const tokens: { [k: string]: string } = {};

async function buildSchema(dataDir: string) {
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  // an auth collection that merely looks like the system one
  await saveCollection(app, newAuthCollection("superusers"));
  const notes = newBaseCollection("notes");
  notes.fields.add(new TextField({ name: "text" }));
  notes.listRule = notes.viewRule = "";
  await saveCollection(app, notes);

  const add = recordAdder(app);
  ids.alice = (await add("users", { email: "alice@example.com", name: "Alice" }, PASSWORD)).id;
  ids.bob = (await add("users", { email: "bob@example.com", name: "Bob" }, PASSWORD)).id;
  ids.fake = (await add("superusers", { email: "fake@example.com" }, PASSWORD)).id;
  ids.note = (await add("notes", { text: "keep me" })).id;
  ids.root = (await createSuperuser(app, "root@example.com", PASSWORD)).id;
  await app.terminate();
}

const call = caller(() => srv);

const GUEST_401 = { status: 401, message: "The request requires valid record authorization token.", data: {} };
const USER_403 = { status: 403, message: "The authorized record is not allowed to perform this action.", data: {} };
const RULE_403 = { status: 403, message: "Only superusers can perform this action.", data: {} };

/** Non-superuser callers: a guest, a regular user, the "superusers"-named collection's user and junk tokens. */
function callers(): [string, string, object][] {
  return [
    ["guest", "", GUEST_401],
    ["garbage token", "not-a-jwt", GUEST_401],
    ["user", tokens.alice!, USER_403],
    ["user with Bearer prefix", "Bearer " + tokens.alice!, USER_403],
    ["'superusers' collection user", tokens.fake!, USER_403],
  ];
}

/** Each route answers every non-superuser caller with the guard's envelope. */
async function expectGuarded(routes: [string, string, unknown?][]) {
  for (const [method, path, body] of routes) {
    for (const [who, token, envelope] of callers()) {
      const r = await call(method, path, token, typeof body === "function" ? body() : body);
      expect({ route: `${method} ${path}`, who, status: r.status, json: r.json }).toEqual({
        route: `${method} ${path}`,
        who,
        status: (envelope as any).status,
        json: envelope,
      });
    }
  }
}

beforeAll(async () => {
  srv = await startBuilt(buildSchema);
  tokens.alice = await login(srv.url, "users", "alice@example.com");
  tokens.bob = await login(srv.url, "users", "bob@example.com");
  tokens.fake = await login(srv.url, "superusers", "fake@example.com");
  tokens.su = await login(srv.url, "_superusers", "root@example.com");
}, 30_000);
afterAll(() => srv?.stop());

test("settings: get, patch, test email, test s3 and the Apple client secret refuse non-superusers", async () => {
  await expectGuarded([
    ["GET", "/api/settings"],
    ["PATCH", "/api/settings", { meta: { appName: "pwned" }, batch: { enabled: true, maxRequests: 100, timeout: 3 } }],
    ["POST", "/api/settings/test/email", { email: "attacker@example.com", template: "verification" }],
    ["POST", "/api/settings/test/s3", { filesystem: "storage" }],
    [
      "POST",
      "/api/settings/apple/generate-client-secret",
      { clientId: "x", teamId: "1234567890", keyId: "1234567890", privateKey: "k", duration: 100 },
    ],
  ]);
  const s = await call("GET", "/api/settings", tokens.su);
  expect(s.status).toBe(200);
  expect(s.json.meta.appName).not.toBe("pwned");
  expect(s.json.batch.enabled).toBe(false);
});

test("collections: list, view, create, update, delete, truncate, import and meta routes refuse non-superusers", async () => {
  const before = await call("GET", "/api/collections/users", tokens.su);
  await expectGuarded([
    ["GET", "/api/collections"],
    ["GET", "/api/collections/users"],
    ["GET", "/api/collections/_superusers"],
    ["POST", "/api/collections", { name: "pwned", type: "base", listRule: "" }],
    ["PATCH", "/api/collections/users", { listRule: "", viewRule: "", updateRule: "" }],
    ["DELETE", "/api/collections/notes"],
    ["DELETE", "/api/collections/notes/truncate"],
    ["PUT", "/api/collections/import", { collections: [{ name: "pwned2", type: "base" }], deleteMissing: true }],
    ["GET", "/api/collections/meta/scaffolds"],
    ["GET", "/api/collections/meta/oauth2-providers"],
    ["POST", "/api/collections/meta/dry-run-view", { query: "select id, password as x from _superusers" }],
  ]);
  // nothing changed: no new collection, no rule edits, notes and its record still there
  const all = await call("GET", "/api/collections?perPage=200", tokens.su);
  const names = all.json.items.map((c: any) => c.name);
  expect(names).not.toContain("pwned");
  expect(names).not.toContain("pwned2");
  expect(names).toContain("notes");
  expect(names).toContain("_superusers");
  const after = await call("GET", "/api/collections/users", tokens.su);
  expect(after.json).toEqual(before.json);
  expect((await call("GET", `/api/collections/notes/records/${ids.note}`)).json.text).toBe("keep me");
});

test("logs: list, stats, view and truncate refuse non-superusers", async () => {
  // get one log entry id to aim at (the activity logger writes asynchronously)
  let logId = "";
  for (let i = 0; i < 50 && !logId; i++) {
    const r = await call("GET", "/api/logs?perPage=1", tokens.su);
    logId = r.json.items?.[0]?.id ?? "";
    if (!logId) await Bun.sleep(100);
  }
  expect(logId).not.toBe("");
  await expectGuarded([
    ["GET", "/api/logs"],
    ["GET", "/api/logs?filter=data.auth%20!%3D%20''"],
    ["GET", "/api/logs/stats"],
    ["GET", `/api/logs/${logId}`],
    ["DELETE", "/api/logs"],
  ]);
  expect((await call("GET", `/api/logs/${logId}`, tokens.su)).status).toBe(200);
});

// backups are SQLite-only (a PostgreSQL database is backed up with its own tools)
test.skipIf(TEST_DB === "postgres")(
  "backups: list, create, upload, restore and delete refuse non-superusers; download needs a superuser file token",
  async () => {
    const created = await call("POST", "/api/backups", tokens.su, { name: "seed.zip" });
    expect(created.status).toBe(204);
    const upload = () => {
      const fd = new FormData();
      fd.append(
        "file",
        new File([new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)])], "evil.zip", {
          type: "application/zip",
        }),
      );
      return fd;
    };
    await expectGuarded([
      ["GET", "/api/backups"],
      ["POST", "/api/backups", { name: "attacker.zip" }],
      ["POST", "/api/backups/upload", upload],
      ["POST", "/api/backups/seed.zip/restore"],
      ["DELETE", "/api/backups/seed.zip"],
    ]);
    const list = await call("GET", "/api/backups", tokens.su);
    expect(list.json.map((b: any) => b.key)).toEqual(["seed.zip"]);

    // download: no token, an auth token, a user's file token and a fake superuser's file token are all refused
    const userFileToken = (await call("POST", "/api/files/token", tokens.alice)).json.token;
    const fakeFileToken = (await call("POST", "/api/files/token", tokens.fake)).json.token;
    expect(userFileToken).toBeString();
    const refused = { status: 403, message: "Insufficient permissions to access the resource.", data: {} };
    for (const q of [
      "",
      `?token=${tokens.alice}`,
      `?token=${tokens.su}`,
      `?token=${userFileToken}`,
      `?token=${fakeFileToken}`,
    ]) {
      const r = await call("GET", `/api/backups/seed.zip${q}`, tokens.alice);
      expect({ q, json: r.json, status: r.status }).toEqual({ q, json: refused, status: 403 });
      expect((await call("GET", `/api/backups/seed.zip${q}`)).json).toEqual(refused);
    }
    // control: a superuser file token does download it
    const suFileToken = (await call("POST", "/api/files/token", tokens.su)).json.token;
    const ok = await fetch(`${srv.url}/api/backups/seed.zip?token=${suFileToken}`);
    expect(ok.status).toBe(200);
    expect((await ok.arrayBuffer()).byteLength).toBeGreaterThan(100);
  },
);

test("crons and the SQL console refuse non-superusers and run nothing", async () => {
  await expectGuarded([
    ["GET", "/api/crons"],
    ["POST", "/api/crons/__pbLogsCleanup__"],
    ["POST", "/api/crons/__pbDBOptimize__"],
    ["POST", "/api/sql", { query: "SELECT email, password, tokenKey FROM _superusers" }],
    ["POST", "/api/sql", { query: "DELETE FROM notes" }],
    ["POST", "/api/sql", { query: `UPDATE users SET verified = 1 WHERE id = '${ids.alice}'` }],
  ]);
  expect((await call("GET", `/api/collections/notes/records/${ids.note}`)).status).toBe(200);
  const alice = await call("GET", `/api/collections/users/records/${ids.alice}`, tokens.su);
  expect(alice.json.verified).toBe(false);
  // control: the console itself works for superusers
  const sql = await call("POST", "/api/sql", tokens.su, { query: "SELECT count(*) AS n FROM notes" });
  expect(sql.status).toBe(200);
  expect(sql.json.rows).toEqual([["1"]]);
});

test("impersonate refuses guests and non-superusers, even for their own record", async () => {
  for (const target of [ids.alice, ids.bob]) {
    await expectGuarded([
      ["POST", `/api/collections/users/impersonate/${target}`, { duration: 3600 }],
      ["POST", `/api/collections/_superusers/impersonate/${ids.root}`, {}],
    ]);
  }
  const ok = await call("POST", `/api/collections/users/impersonate/${ids.bob}`, tokens.su, {});
  expect(ok.status).toBe(200);
  expect(ok.json.record.id).toBe(ids.bob);
});

test("health data is superuser-only; others get an empty object", async () => {
  for (const token of ["", tokens.alice!, tokens.fake!]) {
    const r = await call("GET", "/api/health", token, undefined, { "CF-Connecting-IP": "1.2.3.4" });
    expect(r.json).toEqual({ message: "API is healthy.", code: 200, data: {} });
  }
  const su = await call("GET", "/api/health", tokens.su);
  // on PostgreSQL the health data also names the engine, and the cluster node that answered
  const pgKeys = TEST_DB === "postgres" ? ["dbDialect", "leader", "node"] : [];
  const keys = ["canBackup", ...pgKeys, "possibleProxyHeader", "realIP"];
  expect(Object.keys(su.json.data).sort()).toEqual(keys);
});

test("_superusers records cannot be listed, viewed, created, updated or deleted through the records API", async () => {
  const routes: [string, string, unknown?][] = [
    ["GET", "/api/collections/_superusers/records"],
    ["GET", `/api/collections/_superusers/records/${ids.root}`],
    [
      "POST",
      "/api/collections/_superusers/records",
      { email: "evil@example.com", password: "evil123456", passwordConfirm: "evil123456" },
    ],
    [
      "PATCH",
      `/api/collections/_superusers/records/${ids.root}`,
      { password: "evil123456", passwordConfirm: "evil123456", email: "evil@example.com" },
    ],
    ["DELETE", `/api/collections/_superusers/records/${ids.root}`],
    // by collection id as well as by name
    ["GET", "/api/collections/pbc_3142635823/records"],
  ];
  for (const [method, path, body] of routes) {
    for (const token of ["", tokens.alice!, tokens.fake!]) {
      const r = await call(method, path, token, body);
      expect({ route: `${method} ${path}`, json: r.json }).toEqual({ route: `${method} ${path}`, json: RULE_403 });
    }
  }
  const list = await call("GET", "/api/collections/_superusers/records", tokens.su);
  expect(list.json.items.map((u: any) => u.email)).toEqual(["root@example.com"]);
  await login(srv.url, "_superusers", "root@example.com"); // password unchanged
});

test("a user token cannot be refreshed or exchanged into a superuser token", async () => {
  for (const token of [tokens.alice!, tokens.fake!]) {
    const r = await call("POST", "/api/collections/_superusers/auth-refresh", token);
    expect(r.status).toBe(403);
    expect(r.json.message).toMatch(/^The request requires auth record from (users|superusers) collection\.$/);
    expect(r.text).not.toContain('"token"');
  }
  // the look-alike collection's own refresh works and stays a plain auth record
  const fake = await call("POST", "/api/collections/superusers/auth-refresh", tokens.fake);
  expect(fake.status).toBe(200);
  expect(fake.json.record.collectionName).toBe("superusers");
  expect((await call("GET", "/api/settings", fake.json.token)).json).toEqual(USER_403);
});

test("an auth collection cannot take the superusers' name in another case or its id", async () => {
  for (const name of ["_SUPERUSERS", "_Superusers", "pbc_3142635823"]) {
    const r = await call("POST", "/api/collections", tokens.su, { name, type: "auth" });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe("Failed to create collection.");
    expect(["validation_collection_name_exists", "validation_collection_name_id_duplicate"]).toContain(
      r.json.data.name.code,
    );
  }
  const renamed = await call("PATCH", "/api/collections/superusers", tokens.su, { name: "_superUsers" });
  expect(renamed.status).toBe(400);
  expect(renamed.json.data.name.code).toBe("validation_collection_name_exists");
});

test("a guest cannot sign up pre-verified and a user cannot verify itself or edit another user", async () => {
  const signup = await call("POST", "/api/collections/users/records", "", {
    email: "mallory@example.com",
    password: PASSWORD,
    passwordConfirm: PASSWORD,
    verified: true,
  });
  expect(signup.status).toBe(400);
  expect(signup.json.message).toBe("Failed to create record.");
  expect(signup.json.data.verified.code).toBe("validation_values_mismatch");
  const found = await call(
    "GET",
    `/api/collections/users/records?filter=${encodeURIComponent("email = 'mallory@example.com'")}`,
    tokens.su,
  );
  expect(found.json.totalItems).toBe(0);

  const selfVerify = await call("PATCH", `/api/collections/users/records/${ids.alice}`, tokens.alice, {
    verified: true,
  });
  expect(selfVerify.status).toBe(400);
  expect(selfVerify.json.data.verified.code).toBe("validation_values_mismatch");
  const selfEmail = await call("PATCH", `/api/collections/users/records/${ids.alice}`, tokens.alice, {
    email: "other@example.com",
  });
  expect(selfEmail.status).toBe(400);
  expect(selfEmail.json.data.email.code).toBe("validation_values_mismatch");

  const bobBefore = (await call("GET", `/api/collections/users/records/${ids.bob}`, tokens.su)).json;
  const notFound = { status: 404, message: "The requested resource wasn't found.", data: {} };
  for (const [method, body] of [
    ["PATCH", { name: "hacked" }],
    ["PATCH", { password: "newpass12345", passwordConfirm: "newpass12345" }],
    ["PATCH", { verified: true }],
    ["DELETE", undefined],
  ] as const) {
    const r = await call(method, `/api/collections/users/records/${ids.bob}`, tokens.alice, body);
    expect(r.json).toEqual(notFound);
  }
  expect((await call("GET", `/api/collections/users/records/${ids.bob}`, tokens.su)).json).toEqual(bobBefore);
  await login(srv.url, "users", "bob@example.com"); // password unchanged
  const aliceNow = (await call("GET", `/api/collections/users/records/${ids.alice}`, tokens.su)).json;
  expect([aliceNow.verified, aliceNow.email]).toEqual([false, "alice@example.com"]);
  expect((await call("GET", "/api/health")).status).toBe(200);
});
