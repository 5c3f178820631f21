/**
 * Auth on upstream's own test pb_data (the conformance fixture): its accounts log in with the
 * bcrypt hashes Go wrote, its MFA-enabled `users` need a password and an emailed OTP, its `clients`
 * authRule and known login origins apply, and the corpus' fixed tokens are judged as upstream does.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { ClientResponseError } from "pocketbase";
import { App } from "../src/core/app.ts";
import { withDataDb } from "./support/db.ts";
import { FIXTURE, SHARED_MISSING, startServer, tempDir, type TestServer, testAppConfig, dbEnvFor } from "./harness.ts";
import { startSmtp, type SmtpServer } from "./support/smtp.ts";

/** Per-test budget: bcrypt checks and server processes are slow when the whole suite runs at once. */
const SLOW = 20_000;

// Fixed tokens from the conformance corpus, signed with the fixture's secrets.
const TOKENS = {
  /** users/4q1xlclmfloku33, auth, refreshable, valid until 2049. */
  usersAuth:
    "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoiX3BiX3VzZXJzX2F1dGhfIiwiZXhwIjoyNTI0NjA0NDYxLCJyZWZyZXNoYWJsZSI6dHJ1ZX0.ZT3F0Z3iM-xbGgSG3LEKiEzHrPHr8t8IuHLZGGNuxLo",
  /** The same record, expired in 2021. */
  usersAuthExpired:
    "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoiX3BiX3VzZXJzX2F1dGhfIiwiZXhwIjoxNjQwOTkxNjYxLCJyZWZyZXNoYWJsZSI6dHJ1ZX0.2D3tmqPn3vc5LoqqCz8V-iCDVXo9soYiH0d32G7FQT4",
  /** The same record, not refreshable. */
  usersAuthStatic:
    "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoiX3BiX3VzZXJzX2F1dGhfIiwiZXhwIjoyNTI0NjA0NDYxLCJyZWZyZXNoYWJsZSI6ZmFsc2V9.4IsO6YMsR19crhwl_YWzvRH8pfq2Ri4Gv2dzGyneLak",
  /** A verification token of the same record (valid, but not an auth token). */
  usersVerification:
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsImV4cCI6MjUyNDYwNDQ2MSwidHlwZSI6InZlcmlmaWNhdGlvbiIsImNvbGxlY3Rpb25JZCI6Il9wYl91c2Vyc19hdXRoXyIsImVtYWlsIjoidGVzdEBleGFtcGxlLmNvbSJ9.SetHpu2H-x-q4TIUz-xiQjwi7MNwLCLvSs4O0hUSp0E",
  /** A password reset token of the same record. */
  usersPasswordReset:
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6IjRxMXhsY2xtZmxva3UzMyIsImV4cCI6MjUyNDYwNDQ2MSwidHlwZSI6InBhc3N3b3JkUmVzZXQiLCJjb2xsZWN0aW9uSWQiOiJfcGJfdXNlcnNfYXV0aF8iLCJlbWFpbCI6InRlc3RAZXhhbXBsZS5jb20ifQ.xR-xq1oHDy0D8Q4NDOAEyYKGHWd_swzoiSoL8FLFBHY",
  /** The fixture superuser's file token. */
  superuserFile:
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6InN5d2JoZWNuaDQ2cmhtMCIsImV4cCI6MjUyNDYwNDQ2MSwidHlwZSI6ImZpbGUiLCJjb2xsZWN0aW9uSWQiOiJwYmNfMzE0MjYzNTgyMyJ9.Lupz541xRvrktwkrl55p5pPCF77T69ZRsohsIcb2dxc",
};

describe.skipIf(!!SHARED_MISSING)("upstream fixture", () => {
  if (SHARED_MISSING) test.skip(SHARED_MISSING, () => {});
  let smtp: SmtpServer;
  let srv: TestServer;

  /** Waits until the OTP's sentTo is stored (the mailer sets it once the mail is out). */
  const sentToRecorded = async (otpId: string) => {
    const q = (name: string) => `"${name}"`;
    for (let i = 0; i < 200; i++) {
      const row = await withDataDb(srv.dataDir, (d) =>
        d.get<{ sentTo: string }>(`SELECT ${q("sentTo")} FROM ${q("_otps")} WHERE id = ?`, [otpId]),
      );
      if (row?.sentTo) return;
      await Bun.sleep(50);
    }
    throw new Error(`OTP ${otpId}: sentTo never recorded`);
  };

  const refresh = (collection: string, token: string) =>
    fetch(`${srv.url}/api/collections/${collection}/auth-refresh`, {
      method: "POST",
      headers: { Authorization: token },
    });

  beforeAll(async () => {
    smtp = await startSmtp();
    const work = tempDir();
    const dataDir = join(work, "pb_data");
    cpSync(FIXTURE, dataDir, { recursive: true });
    await dbEnvFor(dataDir, dataDir); // on PostgreSQL: the fixture copied into this pb_data's database
    const app = new App(await testAppConfig({ dataDir }));
    await app.bootstrap();
    const s = app.settings();
    s.smtp = { ...s.smtp, enabled: true, host: "127.0.0.1", port: smtp.port };
    await app.saveSettings(s);
    await app.terminate();
    srv = await startServer({ workDir: work });
  }, SLOW);
  afterAll(async () => {
    await srv?.stop();
    await smtp?.stop();
  });

  test(
    "corpus tokens: valid ones authenticate; expired, wrong-type and foreign ones do not",
    async () => {
      expect((await refresh("users", TOKENS.usersAuth)).status).toBe(200);
      // a non-refreshable token comes back unchanged
      const same = (await (await refresh("users", TOKENS.usersAuthStatic)).json()) as { token: string };
      expect(same.token).toBe(TOKENS.usersAuthStatic);
      for (const token of [
        TOKENS.usersAuthExpired,
        TOKENS.usersVerification,
        TOKENS.usersPasswordReset,
        TOKENS.superuserFile,
      ]) {
        const r = await refresh("users", token);
        expect(r.status).toBe(401);
      }
      // another collection's route
      const foreign = await refresh("clients", TOKENS.usersAuth);
      expect(foreign.status).toBe(403);
      // a users password reset token at clients
      const mismatch = await fetch(`${srv.url}/api/collections/clients/confirm-password-reset`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          token: TOKENS.usersPasswordReset,
          password: "1234567890",
          passwordConfirm: "1234567890",
        }),
      });
      expect(((await mismatch.json()) as { data: { token: { code: string } } }).data.token.code).toBe(
        "validation_token_collection_mismatch",
      );
    },
    SLOW,
  );

  test(
    "users (MFA on): the password answers 401 {mfaId}; an emailed OTP with that mfaId logs in",
    async () => {
      const pb = srv.sdk();
      let mfaId = "";
      try {
        await pb.collection("users").authWithPassword("test@example.com", "1234567890");
      } catch (err) {
        expect(err).toBeInstanceOf(ClientResponseError);
        expect((err as ClientResponseError).status).toBe(401);
        mfaId = (err as ClientResponseError).response.mfaId;
      }
      expect(mfaId).toMatch(/^[a-z0-9]{15}$/);
      const { otpId } = await pb.collection("users").requestOTP("test@example.com");
      const mail = await smtp.waitFor((m) => m.to.includes("test@example.com") && m.subject === "OTP for acme_test");
      const code = /<strong>(\d+)<\/strong>/.exec(mail.html)![1]!;
      // the OTP records where it was sent after the mail went out (as upstream): wait for that before
      // using it, or the login would not count as proof of the address
      await sentToRecorded(otpId);
      expect(code).toHaveLength(8);
      const auth = await pb.collection("users").authWithOTP(otpId, code, { mfaId });
      expect(auth.record).toMatchObject({ id: "4q1xlclmfloku33", email: "test@example.com", username: "users75657" });
      // the username works as identity too (identityFields: email, username)
      const byUsername = await fetch(`${srv.url}/api/collections/users/auth-with-password`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ identity: "users75657", password: "1234567890" }),
      });
      expect(byUsername.status).toBe(401);
      // becoming verified dropped the record's external auths and rotated its tokenKey: old tokens are void
      expect((await refresh("users", TOKENS.usersAuth)).status).toBe(401);
    },
    SLOW,
  );

  test(
    "clients: the authRule (verified=true) applies; a login from a new place alerts the owner",
    async () => {
      const pb = srv.sdk();
      const since = Date.now();
      const auth = await pb.collection("clients").authWithPassword("test@example.com", "1234567890");
      expect(auth.record.id).toBe("gk390qegs4y47wn");
      const alert = await smtp.waitFor(
        (m) => m.to.includes("test@example.com") && m.subject === "Login from a new location",
        { since },
      );
      expect(alert.html).toContain("We noticed a login to your acme_test account from a new location:");

      const unverified = await srv
        .sdk()
        .collection("clients")
        .authWithPassword("test2@example.com", "1234567890")
        .catch((e) => e);
      expect(unverified.status).toBe(403);
      expect(unverified.message).toBe("The request doesn't satisfy the collection requirements to authenticate.");
    },
    SLOW,
  );

  test(
    "the fixture superuser logs in; nologin refuses password auth",
    async () => {
      const auth = await srv.sdk().collection("_superusers").authWithPassword("test@example.com", "1234567890");
      expect(auth.record.id).toBe("sywbhecnh46rhm0");
      const nologin = await srv
        .sdk()
        .collection("nologin")
        .authWithPassword("test@example.com", "1234567890")
        .catch((e) => e);
      expect(nologin.status).toBe(403);
      expect(nologin.message).toBe("The collection is not configured to allow password authentication.");
    },
    SLOW,
  );
});
