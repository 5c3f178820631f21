/**
 * Request logs keep the reason of a failure (upstream's activity logger, apis/middlewares.go
 * logRequest: `error` plus the API error's raw data as `details`), so an operator can tell a wrong
 * password from a missing account or a blocked IP — while the client still gets one generic answer
 * (the reason never reaches the response, so it is no oracle).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import PocketBase from "pocketbase";
import type { TestServer } from "../harness.ts";
import { startWithSuperuser } from "./support.ts";

let srv: TestServer;
let su: PocketBase;

beforeAll(async () => {
  ({ srv, su } = await startWithSuperuser());
  await su.collections.update("users", { listRule: "", viewRule: "" });
  await su
    .collection("users")
    .create({ email: "ann@example.com", password: "1234567890", passwordConfirm: "1234567890" });
});
afterAll(() => srv?.stop());

type LogData = { status: number; url: string; method: string; error?: string; details?: unknown };

/** Sends the request with a unique marker in its URL and returns the response and, once written, its log entry. */
async function requestAndLog(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: string; log: LogData }> {
  const marker = "m" + crypto.randomUUID().replaceAll("-", "");
  const url = `${srv.url}${path}${path.includes("?") ? "&" : "?"}${marker}=1`;
  const res = await fetch(url, init);
  const body = await res.text();
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const list = await su.logs.getList(1, 5, { filter: `data.url ~ '${marker}'` });
    if (list.items.length > 0) return { status: res.status, body, log: list.items[0]!.data as LogData };
    await Bun.sleep(100);
  }
  throw new Error("no log entry for " + path);
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

test("a failed password login logs why, the client only learns 'Failed to authenticate.'", async () => {
  const wrongPassword = await requestAndLog(
    "/api/collections/users/auth-with-password",
    json({ identity: "ann@example.com", password: "wrong-password" }),
  );
  const noSuchUser = await requestAndLog(
    "/api/collections/users/auth-with-password",
    json({ identity: "nobody@example.com", password: "wrong-password" }),
  );
  for (const r of [wrongPassword, noSuchUser]) {
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ data: {}, message: "Failed to authenticate.", status: 400 });
    expect(r.log.error).toBe("Failed to authenticate.");
    expect(r.log.details).toBe("invalid login credentials");
  }
});

test("a record that is missing or hidden by its rule logs the lookup failure behind the 404", async () => {
  const r = await requestAndLog("/api/collections/users/records/nosuchid123456");
  expect(r.status).toBe(404);
  expect(r.body).not.toContain("sql");
  expect(r.log.details).toBe("sql: no rows in result set");
  const missing = await requestAndLog("/api/collections/no_such_collection/records");
  expect(missing.status).toBe(404);
  expect(missing.log.error).toBe("Missing collection context.");
  expect(missing.log.details).toBe("sql: no rows in result set");
});

test("a validation failure logs each field's reason", async () => {
  const r = await requestAndLog("/api/collections/users/records", json({ email: "not-an-email" }));
  expect(r.status).toBe(400);
  expect(r.log.error).toBe("Failed to create record.");
  const fields = Object.keys(JSON.parse(r.body).data).sort();
  expect(fields).toContain("password");
  expect(Object.keys(r.log.details as object).sort()).toEqual(fields);
});

test("an invalid OTP logs which check failed, the client gets one generic answer", async () => {
  await su.collections.update("users", { otp: { enabled: true } });
  const r = await requestAndLog(
    "/api/collections/users/auth-with-otp",
    json({ otpId: "nosuchotp123456", password: "123456" }),
  );
  expect(r.status).toBe(400);
  expect(JSON.parse(r.body).message).toBe("Invalid or expired OTP.");
  expect(r.log.details).toBe("sql: no rows in result set");
});

test("a realtime subscription for an unknown client id logs the id it was given", async () => {
  const r = await requestAndLog("/api/realtime", json({ clientId: "forged-client-id", subscriptions: ["users/*"] }));
  expect(r.status).toBe(404);
  expect(r.log.details).toBe('no client associated with connection ID "forged-client-id"');
});

test("a rate-limited request logs the rule it triggered", async () => {
  await su.settings.update({
    rateLimits: { enabled: true, rules: [{ label: "/api/health", audience: "", duration: 60, maxRequests: 1 }] },
  });
  try {
    await fetch(srv.url + "/api/health");
    const r = await requestAndLog("/api/health");
    expect(r.status).toBe(429);
    expect(r.log.details).toBe(
      'triggered rate limit rule: {"label":"/api/health","audience":"","duration":60,"maxRequests":1}',
    );
  } finally {
    await su.settings.update({ rateLimits: { enabled: false } });
  }
});

test("a superuser request from an IP outside the whitelist logs why it was refused", async () => {
  // the test's own requests come from 127.0.0.1 (whitelisted); the refused one names another IP through a trusted
  // header
  await su.settings.update({
    superuserIPs: ["127.0.0.1"],
    trustedProxy: { headers: ["X-Real-IP"], useLeftmostIP: false },
  });
  try {
    const r = await requestAndLog("/api/settings", {
      headers: { authorization: su.authStore.token, "x-real-ip": "10.9.8.7" },
    });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).message).toBe("You are not allowed to perform this request.");
    expect(r.log.details).toBe("superuser IP is not whitelisted");
  } finally {
    await su.settings.update({ superuserIPs: [], trustedProxy: { headers: [], useLeftmostIP: false } });
  }
});
