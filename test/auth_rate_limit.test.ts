/**
 * Rate limits (settings.rateLimits) against a real server: collection-aware labels on the auth
 * routes, global path labels, audiences, per-IP fixed windows with the client IP taken from a
 * trusted proxy header, excluded IPs and superusers, and a reset when the settings change.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { App } from "../src/core/app.ts";
import { newAuthCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { Record } from "../src/core/record.ts";
import { saveRecord } from "../src/core/record_save.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { startServer, tempDir, type TestServer, testAppConfig } from "./harness.ts";

/** Per-test budget: bcrypt checks and server processes are slow when the whole suite runs at once. */
const SLOW = 20_000;

let srv: TestServer;
let dataDir: string;
let suToken = "";
let userToken = "";
let ipSeq = 0;
/** A fresh client IP (the server trusts X-Forwarded-For), so each test has its own counters. */
const newIP = () => `198.51.100.${++ipSeq}`;

async function call(method: string, path: string, ip: string, body?: unknown, token = "") {
  const headers: { [k: string]: string } = { "X-Forwarded-For": ip };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = token;
  const res = await fetch(srv.url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.text() };
}

const login = (collection: string, ip: string, password = "wrong-password") =>
  call("POST", `/api/collections/${collection}/auth-with-password`, ip, { identity: "ann@example.com", password });

beforeAll(async () => {
  const work = tempDir();
  dataDir = join(work, "pb_data");
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const s = app.settings();
  s.trustedProxy = { headers: ["X-Forwarded-For"], useLeftmostIP: false };
  s.rateLimits = {
    enabled: true,
    excludedIPs: ["203.0.113.0/24"],
    rules: [
      { label: "*:auth", audience: "", duration: 60, maxRequests: 3 },
      { label: "users:listAuthMethods", audience: "@guest", duration: 60, maxRequests: 2 },
      { label: "/api/health", audience: "", duration: 60, maxRequests: 2 },
      { label: "GET /api/collections/", audience: "@auth", duration: 60, maxRequests: 1 },
    ],
  };
  await app.saveSettings(s);
  await saveCollection(app, newAuthCollection("staff"));
  for (const c of ["users", "staff"]) {
    const r = new Record(app.findCollection(c)!);
    r.set("email", "ann@example.com");
    await r.setPassword("1234567890");
    await saveRecord(app, r);
  }
  await createSuperuser(app, "root@example.com", "1234567890");
  await app.terminate();
  srv = await startServer({ workDir: work });
  const su = await call("POST", "/api/collections/_superusers/auth-with-password", newIP(), {
    identity: "root@example.com",
    password: "1234567890",
  });
  suToken = JSON.parse(su.body).token;
}, SLOW);

afterAll(() => srv?.stop());

describe("collection-aware labels on auth routes", () => {
  test(
    "repeated wrong passwords reach 429 at the configured limit, per IP and per collection",
    async () => {
      const ip = newIP();
      for (let i = 0; i < 3; i++) expect((await login("users", ip)).status).toBe(400);
      const limited = await login("users", ip);
      expect(limited.status).toBe(429);
      expect(limited.body).toBe('{"data":{},"message":"Too Many Requests.","status":429}\n');
      expect((await login("users", ip, "1234567890")).status).toBe(429); // even the right password now
      expect((await login("users", newIP())).status).toBe(400); // another client
      expect((await login("staff", ip)).status).toBe(400); // another collection has its own counter
    },
    SLOW,
  );

  test(
    "audience: a @guest rule leaves authenticated requests alone",
    async () => {
      const ip = newIP();
      const ok = await call("POST", "/api/collections/users/auth-with-password", newIP(), {
        identity: "ann@example.com",
        password: "1234567890",
      });
      userToken = JSON.parse(ok.body).token;
      const methods = (token = "") =>
        call("GET", "/api/collections/users/auth-methods", ip, undefined, token).then((r) => r.status);
      expect([await methods(), await methods(), await methods()]).toEqual([200, 200, 429]);
      expect(await methods(userToken)).toBe(200);
    },
    SLOW,
  );

  test(
    "a missing collection is a 404 before any counting",
    async () => {
      const r = await call("POST", "/api/collections/missing/auth-with-password", newIP(), {});
      expect(r.status).toBe(404);
      expect(JSON.parse(r.body).message).toBe("Missing or invalid collection context.");
    },
    SLOW,
  );
});

describe("global labels", () => {
  test(
    "an exact path label",
    async () => {
      const ip = newIP();
      const health = () => call("GET", "/api/health", ip).then((r) => r.status);
      expect([await health(), await health(), await health()]).toEqual([200, 200, 429]);
    },
    SLOW,
  );

  test(
    "a METHOD + prefix label for authenticated requests only",
    async () => {
      const ip = newIP();
      const list = (token: string) =>
        call("GET", "/api/collections/users/records", ip, undefined, token).then((r) => r.status);
      expect(await list(userToken)).toBe(200);
      expect(await list(userToken)).toBe(429);
      expect(await list("")).toBe(200); // guests: no rule
    },
    SLOW,
  );

  test(
    "excluded IPs and superusers are never limited",
    async () => {
      const health = (ip: string, token = "") => call("GET", "/api/health", ip, undefined, token).then((r) => r.status);
      const excluded = "203.0.113.7";
      const su = newIP();
      for (let i = 0; i < 4; i++) {
        expect(await health(excluded)).toBe(200);
        expect(await health(su, suToken)).toBe(200);
      }
    },
    SLOW,
  );
});

test(
  "changing the settings starts the counters over (and disabling them lifts every limit)",
  async () => {
    const ip = newIP();
    const health = () => call("GET", "/api/health", ip).then((r) => r.status);
    expect([await health(), await health(), await health()]).toEqual([200, 200, 429]);
    const app = new App(await testAppConfig({ dataDir }));
    await app.bootstrap();
    const s = app.settings();
    s.rateLimits.enabled = false;
    await app.saveSettings(s); // the server reloads through pb_data/.notify
    await app.terminate();
    let status = 429;
    for (let i = 0; i < 100 && status === 429; i++) {
      await Bun.sleep(50);
      status = await health();
    }
    expect(status).toBe(200);
  },
  SLOW,
);
