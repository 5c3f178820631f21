/**
 * Auth collections end to end with the official SDK against a real server process, and a real SMTP
 * server capturing every email: verification, password reset, email change, OTP (and its attempt
 * limit), MFA, impersonation, login alerts, and the tokens each flow mints.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { App } from "../src/core/app.ts";
import { newAuthCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { TextField } from "../src/core/fields/index.ts";
import { Record } from "../src/core/record.ts";
import { saveRecord } from "../src/core/record_save.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { type TestServer, failure, startServer, tempDir, testAppConfig } from "./harness.ts";
import { type SmtpServer, linkToken, otpCode, sentTo, startSmtp } from "./support/smtp.ts";

/** Per-test budget: bcrypt checks and server processes are slow when the whole suite runs at once. */
const SLOW = 20_000;

let smtp: SmtpServer;
let srv: TestServer;
let su: PocketBase;

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
const PASSWORD = "1234567890";

async function post(path: string, body: unknown, headers: { [k: string]: string } = {}) {
  const res = await fetch(srv.url + path, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : null };
}

async function buildSchema(dataDir: string, smtpPort: number) {
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const settings = app.settings();
  settings.smtp = {
    ...settings.smtp,
    enabled: true,
    host: "127.0.0.1",
    port: smtpPort,
    username: "mailer",
    password: "secret",
  };
  settings.meta = {
    ...settings.meta,
    appName: "Acme Test",
    appURL: "https://app.example.com",
    senderName: "Acme Support",
    senderAddress: "support@acme.example.com",
  };
  await app.saveSettings(settings);

  const users = app.findCollection("users")!;
  users.fields.add(new TextField({ name: "username", max: 30 }));
  users.addIndex("idx_users_username", true, "`username` COLLATE NOCASE", "`username` != ''");
  users.passwordAuth.identityFields = ["email", "username"];
  users.otp.enabled = true;
  users.otp.length = 6;
  users.verificationTemplate = {
    subject: "Welcome {RECORD:name} to {APP_NAME}",
    body: `<p>Hi {RECORD:name} ({RECORD:verified})</p><a href="{APP_URL}/_/#/auth/confirm-verification/{TOKEN}">Verify</a>`,
  };
  await saveCollection(app, users);

  // both factors required, whatever the rule: password or OTP first, then the other one
  const staff = newAuthCollection("staff");
  staff.mfa.enabled = true;
  staff.otp.enabled = true;
  staff.authAlert.enabled = false;
  await saveCollection(app, staff);

  const add = async (collection: string, email: string, extra: { [k: string]: unknown } = {}) => {
    const r = new Record(app.findCollection(collection)!);
    r.load({ email, ...extra });
    await r.setPassword(PASSWORD);
    await saveRecord(app, r);
  };
  await add("users", "ann@example.com", { name: "Ann <Admin>", username: "ann" });
  await add("users", "bob@example.com", { name: "Bob" });
  await add("users", "carl@example.com", { name: "Carl", verified: true });
  await add("users", "dora@example.com", { name: "Dora" });
  await add("users", "eve@example.com", { name: "Eve", username: "eve" });
  await add("users", "fay@example.com", { name: "Fay" });
  await add("users", "gus@example.com", { name: "Gus", verified: true });
  await add("users", "hal@example.com", { name: "Hal" });
  await add("staff", "sam@example.com");
  await add("staff", "tim@example.com");
  await createSuperuser(app, "root@example.com", PASSWORD);
  await app.terminate();
}

beforeAll(async () => {
  smtp = await startSmtp();
  const work = tempDir();
  await buildSchema(join(work, "pb_data"), smtp.port);
  srv = await startServer({ workDir: work });
  su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", PASSWORD);
}, SLOW);

afterAll(async () => {
  await srv?.stop();
  await smtp?.stop();
});

describe("auth-methods", () => {
  test(
    "upstream's shape: password identity fields, oauth2, mfa and otp with durations, legacy keys",
    async () => {
      const res = await fetch(`${srv.url}/api/collections/users/auth-methods`);
      expect(await res.json()).toEqual({
        password: { identityFields: ["email", "username"], enabled: true },
        oauth2: { providers: [], enabled: false },
        mfa: { enabled: false, duration: 0 },
        otp: { enabled: true, duration: 180 },
        authProviders: null,
        usernamePassword: true,
        emailPassword: true,
      });
      const staff = await srv.sdk().collection("staff").listAuthMethods();
      expect(staff.mfa).toEqual({ enabled: true, duration: 600 });
    },
    SLOW,
  );
});

describe("verification", () => {
  test(
    "the email (template, placeholders, layout, sender) carries a token that verifies the record",
    async () => {
      const pb = srv.sdk();
      expect(await pb.collection("users").requestVerification("ann@example.com")).toBe(true);
      const mail = await smtp.waitFor(sentTo("ann@example.com"));
      expect(mail.subject).toBe("Welcome Ann &lt;Admin&gt; to Acme Test"); // {RECORD:…} values are HTML-escaped
      expect(mail.from).toBe("Acme Support <support@acme.example.com>");
      expect(mail.envelope).toEqual({ from: "support@acme.example.com", to: ["ann@example.com"] });
      expect(mail.user).toBe("mailer");
      expect(mail.headers["message-id"]).toMatch(/^<\w{15}@acme\.example\.com>$/);
      expect(mail.html).toContain("<!DOCTYPE html");
      expect(mail.html).toContain("<p>Hi Ann &lt;Admin&gt; (false)</p>");
      expect(mail.text).toContain("[Verify](https://app.example.com/_/#/auth/confirm-verification/");

      const token = linkToken(mail, "confirm-verification");
      const claims = claimsOf(token);
      expect(Object.keys(claims).sort()).toEqual(["collectionId", "email", "exp", "id", "type"]);
      expect(claims).toMatchObject({ type: "verification", email: "ann@example.com", collectionId: "_pb_users_auth_" });
      expect(Math.abs(claims.exp - (Date.now() / 1000 + 86400))).toBeLessThan(10);

      expect(await pb.collection("users").confirmVerification(token)).toBe(true);
      const ann = await su.collection("users").getFirstListItem('email="ann@example.com"');
      expect(ann.verified).toBe(true);
      // confirming again is fine; an auth token is not a verification token
      expect(await pb.collection("users").confirmVerification(token)).toBe(true);
      const auth = await pb.collection("users").authWithPassword("ann@example.com", PASSWORD);
      const wrongType = await failure(pb.collection("users").confirmVerification(auth.token));
      expect(wrongType.status).toBe(400);
      expect(wrongType.response.data.token.code).toBe("validation_invalid_token_claims"); // no email claim
    },
    SLOW,
  );

  test(
    "unknown, already verified and throttled requests all answer 204 without an email",
    async () => {
      const pb = srv.sdk();
      const since = Date.now();
      expect(await pb.collection("users").requestVerification("nobody@example.com")).toBe(true);
      expect(await pb.collection("users").requestVerification("carl@example.com")).toBe(true); // verified
      expect(await pb.collection("users").requestVerification("bob@example.com")).toBe(true);
      await smtp.waitFor(sentTo("bob@example.com"), { since });
      expect(await pb.collection("users").requestVerification("bob@example.com")).toBe(true); // within 2 minutes
      await Bun.sleep(300);
      const sent = (await smtp.messages()).filter((m) => m.receivedAt >= since).map((m) => m.to[0]);
      expect(sent).toEqual(["bob@example.com"]);
    },
    SLOW,
  );

  test(
    "superusers are always verified",
    async () => {
      const err = await failure(srv.sdk().collection("_superusers").requestVerification("root@example.com"));
      expect(err.status).toBe(400);
      expect(err.message).toBe("All superusers are verified by default.");
    },
    SLOW,
  );
});

describe("password reset", () => {
  test(
    "the emailed token sets a new password, verifies the email and logs every session out",
    async () => {
      const pb = srv.sdk();
      const old = await pb.collection("users").authWithPassword("dora@example.com", PASSWORD);
      expect(await pb.collection("users").requestPasswordReset("dora@example.com")).toBe(true);
      const mail = await smtp.waitFor(sentTo("dora@example.com"));
      expect(mail.subject).toBe("Reset your Acme Test password");
      const token = linkToken(mail, "confirm-password-reset");
      expect(claimsOf(token)).toMatchObject({ type: "passwordReset", email: "dora@example.com" });

      const mismatch = await failure(pb.collection("users").confirmPasswordReset(token, "new-password-1", "other"));
      expect(mismatch.response.data.passwordConfirm.code).toBe("validation_values_mismatch");
      expect(await pb.collection("users").confirmPasswordReset(token, "new-password-1", "new-password-1")).toBe(true);

      // the old password and the old token are gone
      expect((await failure(srv.sdk().collection("users").authWithPassword("dora@example.com", PASSWORD))).status).toBe(
        400,
      );
      const refresh = await fetch(`${srv.url}/api/collections/users/auth-refresh`, {
        method: "POST",
        headers: { Authorization: old.token },
      });
      expect(refresh.status).toBe(401);
      const fresh = await srv.sdk().collection("users").authWithPassword("dora@example.com", "new-password-1");
      expect(fresh.record.verified).toBe(true);
      // the token was bound to the old tokenKey: it cannot be replayed
      const replay = await failure(
        pb.collection("users").confirmPasswordReset(token, "new-password-2", "new-password-2"),
      );
      expect(replay.response.data.token.code).toBe("validation_invalid_token");
    },
    SLOW,
  );

  test(
    "the answer is the same whether the email exists or not",
    async () => {
      const since = Date.now();
      const known = await post("/api/collections/users/request-password-reset", { email: "eve@example.com" });
      const unknown = await post("/api/collections/users/request-password-reset", { email: "nobody@example.com" });
      expect(known).toEqual({ status: 204, text: "", json: null });
      expect(unknown).toEqual(known);
      await smtp.waitFor(sentTo("eve@example.com"), { since });
      // a second request within 2 minutes is swallowed the same way
      expect(await post("/api/collections/users/request-password-reset", { email: "eve@example.com" })).toEqual(known);
      await Bun.sleep(300);
      expect((await smtp.messages()).filter((m) => m.receivedAt >= since).length).toBe(1);
    },
    SLOW,
  );

  test(
    "an invalid email is a 400",
    async () => {
      const r = await post("/api/collections/users/request-password-reset", { email: "not-an-email" });
      expect(r.status).toBe(400);
      expect(r.json.data.email.code).toBe("validation_is_email");
    },
    SLOW,
  );
});

describe("email change", () => {
  test(
    "the confirmation goes to the new address; confirming with the password switches and verifies it",
    async () => {
      const pb = srv.sdk();
      await pb.collection("users").authWithPassword("fay@example.com", PASSWORD);
      expect(await pb.collection("users").requestEmailChange("fay.new@example.com")).toBe(true);
      const mail = await smtp.waitFor(sentTo("fay.new@example.com"));
      expect(mail.subject).toBe("Confirm your Acme Test new email address");
      const token = linkToken(mail, "confirm-email-change");
      expect(claimsOf(token)).toMatchObject({
        type: "emailChange",
        email: "fay@example.com",
        newEmail: "fay.new@example.com",
      });

      const wrong = await failure(srv.sdk().collection("users").confirmEmailChange(token, "wrong-password"));
      expect(wrong.response.data.password.code).toBe("validation_invalid_password");
      expect(await pb.collection("users").confirmEmailChange(token, PASSWORD)).toBe(true);
      expect(pb.authStore.isValid).toBe(false); // the SDK drops its own, now invalid, session

      const auth = await srv.sdk().collection("users").authWithPassword("fay.new@example.com", PASSWORD);
      expect(auth.record).toMatchObject({ email: "fay.new@example.com", verified: true });
    },
    SLOW,
  );

  test(
    "taken or invalid addresses are refused; a failed send is a 400",
    async () => {
      const pb = srv.sdk();
      await pb.collection("users").authWithPassword("hal@example.com", PASSWORD);
      const taken = await failure(pb.collection("users").requestEmailChange("ann@example.com"));
      expect(taken.response.data.newEmail.code).toBe("validation_invalid_new_email");
      const same = await failure(pb.collection("users").requestEmailChange("hal@example.com"));
      expect(same.response.data.newEmail.code).toBe("validation_not_in_invalid");

      await smtp.failNext(1);
      const failed = await failure(pb.collection("users").requestEmailChange("hal.new@example.com"));
      expect(failed.status).toBe(400);
      expect(failed.message).toBe("Failed to request email change.");

      const guest = await post("/api/collections/users/request-email-change", { newEmail: "x@example.com" });
      expect(guest.status).toBe(401);
      const other = await post(
        "/api/collections/staff/request-email-change",
        { newEmail: "x@example.com" },
        { Authorization: pb.authStore.token },
      );
      expect(other.status).toBe(403);
      expect(other.json.message).toBe("The request requires auth record from users collection.");
    },
    SLOW,
  );
});

describe("OTP", () => {
  test(
    "request-otp mails a code that authenticates once, and verifies the address it was sent to",
    async () => {
      const pb = srv.sdk();
      const { otpId } = await pb.collection("users").requestOTP("eve@example.com");
      const mail = await smtp.waitFor((m) => sentTo("eve@example.com")(m) && m.subject === "OTP for Acme Test");
      const code = otpCode(mail);
      expect(code).toMatch(/^\d{6}$/);
      const otpRow = await su.collection("_otps").getOne(otpId);
      expect(otpRow.recordRef).toBe((await su.collection("users").getFirstListItem('email="eve@example.com"')).id);

      const auth = await pb.collection("users").authWithOTP(otpId, code);
      expect(auth.record).toMatchObject({ email: "eve@example.com", verified: true });
      expect(claimsOf(auth.token)).toMatchObject({ type: "auth", refreshable: true });
      // used up
      const again = await failure(srv.sdk().collection("users").authWithOTP(otpId, code));
      expect(again.status).toBe(400);
      expect(again.message).toBe("Invalid or expired OTP.");
      // used on its own, the OTP login also replaced the password (nobody else can know it)
      expect((await failure(srv.sdk().collection("users").authWithPassword("eve@example.com", PASSWORD))).status).toBe(
        400,
      );
    },
    SLOW,
  );

  test(
    "unknown emails get a fake otpId and no email",
    async () => {
      const since = Date.now();
      const { otpId } = await srv.sdk().collection("users").requestOTP("ghost@example.com");
      expect(otpId).toMatch(/^[a-z0-9]{15}$/);
      await Bun.sleep(300);
      expect(
        (await smtp.messages()).filter((m) => m.receivedAt >= since && m.to.includes("ghost@example.com")),
      ).toEqual([]);
      expect((await failure(srv.sdk().collection("users").authWithOTP(otpId, "123456"))).status).toBe(400);
    },
    SLOW,
  );

  test(
    "5 tries per OTP record and IP, then 429 even with the right code (rate limits being off)",
    async () => {
      const pb = srv.sdk();
      const { otpId } = await pb.collection("users").requestOTP("carl@example.com");
      const code = otpCode(await smtp.waitFor(sentTo("carl@example.com")));
      const wrong = code === "000000" ? "111111" : "000000";
      for (let i = 0; i < 5; i++)
        expect((await failure(pb.collection("users").authWithOTP(otpId, wrong))).status).toBe(400);
      const limited = await failure(pb.collection("users").authWithOTP(otpId, code));
      expect(limited.status).toBe(429);
      expect(limited.message).toBe("Too many attempts, please try again later with a new OTP.");
    },
    SLOW,
  );

  test(
    "a failed OTP email deletes the OTP",
    async () => {
      await smtp.failNext(1);
      const { otpId } = await srv.sdk().collection("users").requestOTP("bob@example.com");
      for (let i = 0; i < 50; i++) {
        const exists = await su
          .collection("_otps")
          .getOne(otpId)
          .then(
            () => true,
            () => false,
          );
        if (!exists) break;
        await Bun.sleep(20);
      }
      expect(
        await su
          .collection("_otps")
          .getOne(otpId)
          .then(
            () => true,
            () => false,
          ),
      ).toBe(false);
    },
    SLOW,
  );
});

describe("MFA", () => {
  test(
    "the first factor answers 401 {mfaId}; another method completes it",
    async () => {
      const first = await post("/api/collections/staff/auth-with-password", {
        identity: "sam@example.com",
        password: PASSWORD,
      });
      expect(first.status).toBe(401);
      expect(Object.keys(first.json)).toEqual(["mfaId"]); // no error envelope
      const mfaId = first.json.mfaId as string;

      const pb = srv.sdk();
      // the same method again
      const same = await failure(pb.collection("staff").authWithPassword("sam@example.com", PASSWORD, { mfaId }));
      expect(same.message).toBe("A different authentication method is required.");
      // an unknown session
      const unknown = await failure(
        pb.collection("staff").authWithPassword("sam@example.com", PASSWORD, { mfaId: "missing" }),
      );
      expect(unknown.message).toBe("Invalid or expired MFA session.");

      const { otpId } = await pb.collection("staff").requestOTP("sam@example.com");
      const code = otpCode(await smtp.waitFor(sentTo("sam@example.com")));
      const auth = await pb.collection("staff").authWithOTP(otpId, code, { mfaId });
      expect(auth.record.email).toBe("sam@example.com");
      expect(pb.authStore.isValid).toBe(true);
      // the session is used up
      const reused = await failure(
        srv.sdk().collection("staff").authWithPassword("sam@example.com", PASSWORD, { mfaId }),
      );
      expect(reused.message).toBe("Invalid or expired MFA session.");
    },
    SLOW,
  );

  test(
    "an MFA session of another record is refused; collections without MFA ignore mfaId",
    async () => {
      const sam = await post("/api/collections/staff/auth-with-password", {
        identity: "sam@example.com",
        password: PASSWORD,
      });
      const tim = await post(`/api/collections/staff/auth-with-password?mfaId=${sam.json.mfaId}`, {
        identity: "tim@example.com",
        password: PASSWORD,
      });
      expect(tim.status).toBe(400);
      expect(tim.json.message).toBe("Invalid MFA session.");
      const users = await post(`/api/collections/users/auth-with-password?mfaId=${sam.json.mfaId}`, {
        identity: "carl@example.com",
        password: PASSWORD,
      });
      expect(users.status).toBe(200);
    },
    SLOW,
  );
});

describe("login alerts", () => {
  test(
    "no alert on the first login; a new place alerts; a known one does not; at most 5 origins",
    async () => {
      const pb = srv.sdk();
      const login = (ua: string) =>
        pb.collection("users").authWithPassword("gus@example.com", PASSWORD, { headers: { "User-Agent": ua } });
      const since = Date.now();
      await login("Agent/1");
      await login("Agent/2");
      const alert = await smtp.waitFor(sentTo("gus@example.com"), { since });
      expect(alert.subject).toBe("Login from a new location");
      expect(alert.html).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z - 127\.0\.0\.1 Agent\/2/);
      await login("Agent/2");
      for (let i = 3; i <= 7; i++) await login(`Agent/${i}`);
      await Bun.sleep(300);
      const alerts = (await smtp.messages()).filter((m) => m.receivedAt >= since && m.to.includes("gus@example.com"));
      expect(alerts.length).toBe(6); // Agent/2..7, once each
      const gus = await su.collection("users").getFirstListItem('email="gus@example.com"');
      const origins = await su.collection("_authOrigins").getFullList({ filter: `recordRef="${gus.id}"` });
      expect(origins.length).toBe(5);
    },
    SLOW,
  );
});

describe("impersonate and tokens", () => {
  test(
    "a superuser gets a non-refreshable token with a custom duration; refresh hands it back",
    async () => {
      const bob = await su.collection("users").getFirstListItem('email="bob@example.com"');
      const client = await su.collection("users").impersonate(bob.id, 100);
      const claims = claimsOf(client.authStore.token);
      expect(claims).toMatchObject({ id: bob.id, type: "auth", refreshable: false });
      expect(Math.abs(claims.exp - (Date.now() / 1000 + 100))).toBeLessThan(5);
      const refreshed = await client.collection("users").authRefresh();
      expect(refreshed.token).toBe(client.authStore.token);

      const asUser = await post(
        `/api/collections/users/impersonate/${bob.id}`,
        {},
        { Authorization: client.authStore.token },
      );
      expect(asUser.status).toBe(403);
      expect(
        (await post(`/api/collections/users/impersonate/missing`, {}, { Authorization: su.authStore.token })).status,
      ).toBe(404);
    },
    SLOW,
  );

  test(
    "tampered, badly signed and malformed tokens make the request a guest; another collection's token is refused",
    async () => {
      const pb = srv.sdk();
      const auth = await pb.collection("users").authWithPassword("carl@example.com", PASSWORD);
      const [h, p, s] = auth.token.split(".") as [string, string, string];
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(auth.token), id: "x" })).toString("base64url")}.${s}`;
      const badSig = `${h}.${p}.${s.slice(0, -2)}xx`;
      for (const token of [tampered, badSig, "garbage"]) {
        const r = await fetch(`${srv.url}/api/collections/users/auth-refresh`, {
          method: "POST",
          headers: { Authorization: token },
        });
        expect(r.status).toBe(401);
      }
      // a users token on another auth collection's route
      const other = await fetch(`${srv.url}/api/collections/staff/auth-refresh`, {
        method: "POST",
        headers: { Authorization: auth.token },
      });
      expect(other.status).toBe(403);
      // a "Bearer " prefix is accepted
      const bearer = await fetch(`${srv.url}/api/collections/users/auth-refresh`, {
        method: "POST",
        headers: { Authorization: `Bearer ${auth.token}` },
      });
      expect(bearer.status).toBe(200);
      expect(claimsOf(((await bearer.json()) as { token: string }).token).refreshable).toBe(true);
    },
    SLOW,
  );

  test(
    "changing the password through the records API ends existing sessions",
    async () => {
      const pb = srv.sdk();
      const auth = await pb.collection("users").authWithPassword("bob@example.com", PASSWORD);
      await pb
        .collection("users")
        .update(auth.record.id, { oldPassword: PASSWORD, password: "bob-new-pass", passwordConfirm: "bob-new-pass" });
      const r = await fetch(`${srv.url}/api/collections/users/auth-refresh`, {
        method: "POST",
        headers: { Authorization: auth.token },
      });
      expect(r.status).toBe(401);
      expect(
        (await srv.sdk().collection("users").authWithPassword("bob@example.com", "bob-new-pass")).record.email,
      ).toBe("bob@example.com");
    },
    SLOW,
  );
});
