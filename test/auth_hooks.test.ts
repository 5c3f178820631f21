/**
 * The auth request and mailer hooks fire at upstream's points, with the API served in-process and a
 * real SMTP server: handlers can find records their own way, replace tokens and meta, choose the
 * OTP, rewrite or cancel emails, and a failing transaction around a handler writes no success.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import PocketBase from "pocketbase";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { badRequest } from "../src/core/errors.ts";
import { Record } from "../src/core/record.ts";
import { findAuthRecordByEmail } from "../src/core/record_query.ts";
import { saveRecord } from "../src/core/record_save.ts";
import { tempDir, testAppConfig } from "./harness.ts";
import { startSmtp, type SmtpServer } from "./support/smtp.ts";

/** Per-test budget: bcrypt checks and server processes are slow when the whole suite runs at once. */
const SLOW = 20_000;

let app: App;
let server: RunningServer;
let smtp: SmtpServer;
let dir: string;
let pb: PocketBase;
const seen: string[] = [];

beforeAll(async () => {
  smtp = await startSmtp();
  dir = tempDir();
  app = new App(await testAppConfig({ dataDir: dir }));
  await app.bootstrap();
  const s = app.settings();
  s.smtp = { ...s.smtp, enabled: true, host: "127.0.0.1", port: smtp.port };
  await app.saveSettings(s);
  const users = app.findCollection("users")!;
  users.otp.enabled = true;
  users.authAlert.enabled = false;
  await saveCollection(app, users);
  for (const email of ["ann@example.com", "bob@example.com", "cy@example.com"]) {
    const r = new Record(users);
    r.set("email", email);
    await r.setPassword("1234567890");
    await saveRecord(app, r);
  }

  // a custom lookup: "alias:<name>" logs in as <name>@example.com
  app.onRecordAuthWithPasswordRequest("users").bindFunc(async (e) => {
    seen.push(`password:${e.identity}:${e.identityField}:${e.record ? "found" : "none"}`);
    if (e.identity.startsWith("alias:"))
      e.record = await findAuthRecordByEmail(e.app, e.collection, e.identity.slice(6) + "@example.com");
    await e.next();
  });
  app.onRecordAuthRequest("users").bindFunc(async (e) => {
    seen.push(`auth:${e.authMethod || "-"}:${e.record?.email()}`);
    e.meta = { via: e.authMethod || "none" };
    await e.next();
  });
  app.onRecordAuthRefreshRequest().bindFunc(async (e) => {
    seen.push(`refresh:${e.record?.email()}`);
    await e.next();
  });
  app.onRecordRequestOTPRequest("users").bindFunc(async (e) => {
    e.password = "424242";
    await e.next();
  });
  app.onMailerSend.bindFunc(async (e) => {
    e.message.subject = "[hooked] " + e.message.subject;
    await e.next();
  });
  app.onMailerRecordPasswordResetSend("users").bindFunc(async (e) => {
    seen.push(`resetMail:${e.record.email()}:${typeof e.meta.token}`);
    if (e.record.email() === "cy@example.com") return; // cancelled: not sent
    await e.next();
  });
  app.onRecordRequestVerificationRequest("users").bindFunc(async (e) => {
    // the response must wait for the transaction, which fails: a 400, not a 204
    await e.app.runInTransaction(async () => {
      await e.next();
      throw badRequest("TX_ERROR");
    });
  });
  server = await startServer(app, { http: "127.0.0.1:0" });
  pb = new PocketBase(server.url);
}, SLOW);

afterAll(async () => {
  await server?.stop();
  await app?.terminate();
  await smtp?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test(
  "auth-with-password and auth hooks: custom record lookup, method, meta; refresh has no method",
  async () => {
    const auth = await pb.collection("users").authWithPassword("alias:bob", "1234567890");
    expect(auth.record.email).toBe("bob@example.com");
    expect(auth.meta).toEqual({ via: "password" });
    expect(seen).toContain("password:alias:bob::none");
    expect(seen).toContain("auth:password:bob@example.com");
    const refreshed = await pb.collection("users").authRefresh();
    expect(refreshed.meta).toEqual({ via: "none" });
    expect(seen).toContain("refresh:bob@example.com");
    expect(seen).toContain("auth:-:bob@example.com");
  },
  SLOW,
);

test(
  "request-otp: a hook chooses the code; onMailerSend rewrites the subject",
  async () => {
    const { otpId } = await pb.collection("users").requestOTP("ann@example.com");
    const mail = await smtp.waitFor((m) => m.to.includes("ann@example.com"));
    expect(mail.subject).toBe("[hooked] OTP for Acme");
    expect(mail.html).toContain("<strong>424242</strong>");
    const auth = await pb.collection("users").authWithOTP(otpId, "424242");
    expect(auth.meta).toEqual({ via: "otp" });
  },
  SLOW,
);

test(
  "a mailer record hook sees the token and can cancel the email",
  async () => {
    const since = Date.now();
    await pb.collection("users").requestPasswordReset("cy@example.com");
    await pb.collection("users").requestPasswordReset("ann@example.com");
    await smtp.waitFor((m) => m.to.includes("ann@example.com") && m.subject.includes("Reset"), { since });
    expect(seen).toContain("resetMail:cy@example.com:string");
    expect((await smtp.messages()).some((m) => m.receivedAt >= since && m.to.includes("cy@example.com"))).toBe(false);
  },
  SLOW,
);

test(
  "a transaction failing around the handler answers its error, not the handler's 204",
  async () => {
    const res = await fetch(`${server.url}/api/collections/users/request-verification`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "bob@example.com" }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe("TX_ERROR.");
    // as upstream, the email had already been handed to the background
    await smtp.waitFor((m) => m.to.includes("bob@example.com") && m.subject.includes("Verify"), { since: 0 });
  },
  SLOW,
);
