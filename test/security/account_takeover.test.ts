/**
 * Attack class: account takeover through the auth flows — OAuth2 linking, OTP, password reset,
 * verification, email change, password-auth enumeration and a user's own record update.
 *
 * Expected behaviour is upstream's (apis/record_auth_with_oauth2.go, record_auth_with_otp.go,
 * record_auth_otp_request.go, record_auth_password_reset_*.go, record_auth_verification_*.go,
 * record_auth_email_change_*.go, record_auth_with_password.go, forms/record_upsert.go,
 * core/external_auth_model.go) and the published advisories that apply to v0.23+:
 *  - GHSA-m93w-4fxv-r35v (CVE-2024-38351): an account pre-registered with the victim's email and a
 *    password is linked when the victim later signs in with OAuth2 — the password must not survive.
 *  - GHSA-pq7p-mc74-g65w (CVE-2026-44166): OAuth2 pre-hijacking with `createData.email` set to the
 *    victim's address — the attacker's provider link must not survive the victim proving the email.
 * (GHSA-84vh-m24q-wjjx, a worker-goroutine panic, is an availability issue, not an account takeover.)
 *
 * Real SMTP (tokens and codes are read from the mails) and a real OIDC provider drive every flow.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import PocketBase from "pocketbase";
import { App } from "../../src/core/app.ts";
import { newAuthCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import { EmailField } from "../../src/core/fields/index.ts";
import { createSuperuser } from "../../src/core/superusers.ts";
import { type TestServer, failure, testAppConfig } from "../harness.ts";
import { loginHint, startOIDCProvider, type OIDCProvider } from "../support/oidc.ts";
import { type SmtpServer, linkToken, otpCode, sentTo, startSmtp } from "../support/smtp.ts";
import { caller, mailTo, PASSWORD, recordAdder, startBuilt } from "./support.ts";

const SLOW = 20_000;
const CLIENT_ID = "pb-sec-client";
const REDIRECT = "https://app.example.com/oauth2/callback";

let smtp: SmtpServer;
let idp: OIDCProvider;
let srv: TestServer;
let su: PocketBase;

// ---------------------------------------------------------------- helpers

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());

/** The same token with some claims replaced, keeping the original header and signature. */
function withClaims(token: string, patch: { [k: string]: unknown }): string {
  const [h, , s] = token.split(".");
  return `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(token), ...patch })).toString("base64url")}.${s}`;
}

const call = caller(() => srv);
const post = (path: string, body: unknown, token = "") => call("POST", path, token, body);

/** An auth token is still a live session iff auth-refresh accepts it. */
async function tokenWorks(collection: string, token: string): Promise<boolean> {
  const r = await post(`/api/collections/${collection}/auth-refresh`, {}, token);
  if (r.status !== 200 && r.status !== 401) throw new Error(`unexpected auth-refresh status ${r.status}: ${r.text}`);
  return r.status === 200;
}

async function canLogin(collection: string, email: string, password: string): Promise<boolean> {
  const r = await post(`/api/collections/${collection}/auth-with-password`, { identity: email, password });
  if (r.status !== 200 && r.status !== 400)
    throw new Error(`unexpected auth-with-password status ${r.status}: ${r.text}`);
  return r.status === 200;
}

const byEmail = (collection: string, email: string) =>
  su.collection(collection).getFirstListItem(su.filter("email = {:email}", { email }));
const countByEmail = async (collection: string, email: string) =>
  (await su.collection(collection).getList(1, 1, { filter: su.filter("email = {:email}", { email }) })).totalItems;
const linksOf = async (recordId: string) =>
  (
    await su
      .collection("_externalAuths")
      .getFullList({ filter: su.filter("recordRef = {:id}", { id: recordId }), sort: "created" })
  ).map((l) => [l.provider, l.providerId]);
const linksByProviderId = async (providerId: string) =>
  (await su.collection("_externalAuths").getList(1, 1, { filter: su.filter("providerId = {:id}", { id: providerId }) }))
    .totalItems;

/** The browser's part of the code flow: the provider signs in `claims` and redirects back with a code. */
async function codeFor(collection: string, provider: string, claims: { [k: string]: unknown }) {
  const methods = await srv.sdk().collection(collection).listAuthMethods();
  const p = methods.oauth2.providers.find((x) => x.name === provider)!;
  const res = await fetch(p.authURL + encodeURIComponent(REDIRECT) + "&login_hint=" + loginHint(claims), {
    redirect: "manual",
  });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get("location")!);
  expect(back.searchParams.get("state")).toBe(p.state);
  return { code: back.searchParams.get("code")!, verifier: p.codeVerifier };
}

/** A complete OAuth2 sign-in; `pb` may carry an existing session. */
async function oauth2(
  provider: string,
  claims: { [k: string]: unknown },
  createData?: { [k: string]: unknown },
  pb = srv.sdk(),
  collection = "users",
) {
  const { code, verifier } = await codeFor(collection, provider, claims);
  return pb.collection(collection).authWithOAuth2Code(provider, code, verifier, REDIRECT, createData);
}

/** The raw answer of an OAuth2 sign-in (for the failing ones). */
async function oauth2Raw(
  provider: string,
  claims: { [k: string]: unknown },
  createData?: { [k: string]: unknown },
  collection = "users",
) {
  const { code, verifier } = await codeFor(collection, provider, claims);
  return post(`/api/collections/${collection}/auth-with-oauth2`, {
    provider,
    code,
    codeVerifier: verifier,
    redirectURL: REDIRECT,
    createData,
  });
}

/** No secrets in a response body. */
function expectNoSecrets(text: string) {
  expect(text).not.toContain("tokenKey");
  expect(text).not.toMatch(/"password"\s*:/);
  expect(text).not.toContain("$2a$");
  expect(text).not.toContain("$2b$");
}

// ---------------------------------------------------------------- setup

async function buildSchema(dataDir: string) {
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  await mailTo(app, smtp.port);

  const provider = (name: string) => ({
    name,
    clientId: CLIENT_ID,
    clientSecret: "s3cret",
    authURL: idp.authURL,
    tokenURL: idp.tokenURL,
    userInfoURL: idp.userInfoURL,
    displayName: "",
    pkce: null,
    extra: null,
  });

  const users = app.findCollection("users")!;
  users.listRule = "id = @request.auth.id";
  users.viewRule = "id = @request.auth.id";
  users.createRule = "";
  users.updateRule = "id = @request.auth.id";
  users.deleteRule = "id = @request.auth.id";
  // a provider that vouches for no email may still sign up (so an untrusted email gives a new, email-less user)
  (users.fields.getByName("email") as EmailField).required = false;
  users.otp.enabled = true;
  users.otp.length = 6;
  users.authAlert.enabled = false;
  users.oauth2.enabled = true;
  users.oauth2.providers = [provider("oidc"), provider("oidc2")];
  await saveCollection(app, users);

  const staff = newAuthCollection("staff");
  staff.otp.enabled = true;
  staff.otp.length = 6;
  staff.authAlert.enabled = false;
  await saveCollection(app, staff);

  const addRecord = recordAdder(app);
  const add = (collection: string, email: string, extra: { [k: string]: unknown } = {}, password = PASSWORD) =>
    addRecord(collection, { email, ...extra }, password);
  await add("users", "carl@example.com", { verified: true });
  for (const name of ["otp1", "otp2", "ann", "bea", "dora", "fay", "gus", "hal", "jay", "kim", "lea"])
    await add("users", `${name}@example.com`);
  await add("users", "ivy@example.com", {}, "ivy-own-password");
  await add("staff", "sam@example.com");
  await add("staff", "tim@example.com");
  await add("staff", "uma@example.com");
  await createSuperuser(app, "root@example.com", PASSWORD);
  await app.terminate();
}

beforeAll(async () => {
  [smtp, idp] = await Promise.all([startSmtp(), startOIDCProvider()]);
  srv = await startBuilt(buildSchema);
  su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", PASSWORD);
}, 30_000);

afterAll(async () => {
  await srv?.stop();
  await Promise.all([smtp?.stop(), idp?.stop()]);
});

// ---------------------------------------------------------------- OAuth2

describe("OAuth2 linking", () => {
  test(
    "GHSA-m93w-4fxv-r35v: an account pre-registered with the victim's email and a password loses that password when the victim signs in with OAuth2",
    async () => {
      // the attacker registers the victim's address (unverified) and keeps a session
      const pre = await post("/api/collections/users/records", {
        email: "victim1@example.com",
        password: "attacker-pass-1",
        passwordConfirm: "attacker-pass-1",
      });
      expect(pre.status).toBe(200);
      expect(pre.json.verified).toBe(false);
      const attacker = await srv.sdk().collection("users").authWithPassword("victim1@example.com", "attacker-pass-1");

      // the real owner of the address signs in with a provider that vouches for it
      const victim = await oauth2("oidc", { sub: "victim-1", email: "victim1@example.com", email_verified: true });
      expect(victim.record.id).toBe(pre.json.id);
      expect(victim.record.verified).toBe(true);
      expect(victim.meta?.isNew).toBe(false);
      expectNoSecrets(JSON.stringify(victim));

      // the attacker's password and session are gone; the victim's link is the only one
      expect(await canLogin("users", "victim1@example.com", "attacker-pass-1")).toBe(false);
      expect(await tokenWorks("users", attacker.token)).toBe(false);
      expect(await tokenWorks("users", victim.token)).toBe(true);
      expect(await linksOf(victim.record.id)).toEqual([["oidc", "victim-1"]]);
    },
    SLOW,
  );

  test(
    "GHSA-pq7p-mc74-g65w: createData.email set to the victim's address — the victim's sign-in through another provider drops the attacker's link, password and session",
    async () => {
      const attacker = await oauth2(
        "oidc",
        { sub: "mallory-2", email: "mallory2@example.com", email_verified: true },
        { email: "victim2@example.com", password: "attacker-pass-2", passwordConfirm: "attacker-pass-2" },
      );
      // the submitted email is used, but it is not vouched for by the provider: unverified
      expect(attacker.meta?.isNew).toBe(true);
      expect(attacker.record.email).toBe("victim2@example.com");
      expect(attacker.record.verified).toBe(false);
      const hijacked = attacker.record.id;
      expect(await linksOf(hijacked)).toEqual([["oidc", "mallory-2"]]);

      const victim = await oauth2("oidc2", { sub: "victim-2", email: "victim2@example.com", email_verified: true });
      expect(victim.record.id).toBe(hijacked);
      expect(victim.record.verified).toBe(true);
      expect(await linksOf(hijacked)).toEqual([["oidc2", "victim-2"]]);

      expect(await tokenWorks("users", attacker.token)).toBe(false);
      expect(await canLogin("users", "victim2@example.com", "attacker-pass-2")).toBe(false);
      // signing in again with the attacker's provider account no longer reaches the victim's record
      const again = await oauth2("oidc", { sub: "mallory-2", email: "mallory2@example.com", email_verified: true });
      expect(again.record.id).not.toBe(hijacked);
      expect(again.record.email).toBe("mallory2@example.com");
      expect(again.meta?.isNew).toBe(true);
      expect(await linksOf(hijacked)).toEqual([["oidc2", "victim-2"]]);
    },
    SLOW,
  );

  test(
    "GHSA-pq7p-mc74-g65w (single provider): the pre-created record does not lock the victim out of the same provider",
    async () => {
      const attacker = await oauth2(
        "oidc",
        { sub: "mallory-3", email: "mallory3@example.com", email_verified: true },
        { email: "victim3@example.com" },
      );
      expect(attacker.record.verified).toBe(false);

      const victim = await oauth2("oidc", { sub: "victim-3", email: "victim3@example.com", email_verified: true });
      expect(victim.record.id).toBe(attacker.record.id);
      expect(victim.record.verified).toBe(true);
      expect(await linksOf(victim.record.id)).toEqual([["oidc", "victim-3"]]);
      expect(await linksByProviderId("mallory-3")).toBe(0);
      expect(await tokenWorks("users", attacker.token)).toBe(false);
    },
    SLOW,
  );

  test(
    "GHSA-pq7p-mc74-g65w (verification path): confirming the email by mail drops the attacker's OAuth2 link and session",
    async () => {
      const attacker = await oauth2(
        "oidc",
        { sub: "mallory-4", email: "mallory4@example.com", email_verified: true },
        { email: "victim4@example.com" },
      );
      const hijacked = attacker.record.id;
      expect(attacker.record.verified).toBe(false);

      expect(await srv.sdk().collection("users").requestVerification("victim4@example.com")).toBe(true);
      const token = linkToken(await smtp.waitFor(sentTo("victim4@example.com")), "confirm-verification");
      expect(await srv.sdk().collection("users").confirmVerification(token)).toBe(true);

      expect((await su.collection("users").getOne(hijacked)).verified).toBe(true);
      expect(await linksOf(hijacked)).toEqual([]);
      expect(await tokenWorks("users", attacker.token)).toBe(false);
      const again = await oauth2("oidc", { sub: "mallory-4", email: "mallory4@example.com", email_verified: true });
      expect(again.record.id).not.toBe(hijacked);
    },
    SLOW,
  );

  test(
    "an email the provider does not vouch for (email_verified: false) never signs in to the existing account with that email",
    async () => {
      const carl = await byEmail("users", "carl@example.com");
      const eve = await oauth2("oidc", { sub: "eve-5", email: "carl@example.com", email_verified: false });
      expect(eve.meta?.isNew).toBe(true);
      expect(eve.record.id).not.toBe(carl.id);
      expect(eve.record.email).toBe("");
      expect(await linksOf(carl.id)).toEqual([]);
      const after = await su.collection("users").getOne(carl.id);
      expect([after.email, after.verified, after.updated]).toEqual([carl.email, true, carl.updated]);
      expect(await canLogin("users", "carl@example.com", PASSWORD)).toBe(true);
    },
    SLOW,
  );

  test(
    "OAuth2 cannot create a second account with an email that is already taken (createData.email)",
    async () => {
      const carl = await byEmail("users", "carl@example.com");
      const r = await oauth2Raw(
        "oidc",
        { sub: "mallory-6", email: "mallory6@example.com", email_verified: true },
        { email: "carl@example.com" },
      );
      expect(r.status).toBe(400);
      expect(r.json.status).toBe(400);
      expect(r.json.data.email.code).toBe("validation_not_unique");
      expectNoSecrets(r.text);
      expect(await countByEmail("users", "mallory6@example.com")).toBe(0);
      expect(await countByEmail("users", "carl@example.com")).toBe(1);
      expect(await linksByProviderId("mallory-6")).toBe(0);
      expect(await linksOf(carl.id)).toEqual([]);
      expect((await su.collection("users").getOne(carl.id)).updated).toBe(carl.updated);
    },
    SLOW,
  );

  test(
    "OAuth2 can never be turned on for _superusers, so no sign-in can create or reach a superuser",
    async () => {
      const before = (await su.collection("_superusers").getList(1, 1)).totalItems;
      const provider = {
        name: "oidc",
        clientId: CLIENT_ID,
        clientSecret: "s3cret",
        authURL: idp.authURL,
        tokenURL: idp.tokenURL,
        userInfoURL: idp.userInfoURL,
      };
      const upd = await call("PATCH", "/api/collections/_superusers", su.authStore.token, {
        oauth2: { enabled: true, providers: [provider] },
      });
      expect(upd.status).toBe(200);
      expect(upd.json.oauth2.enabled).toBe(false);
      expect((await su.collections.getOne("_superusers")).oauth2.enabled).toBe(false);
      expect((await call("GET", "/api/collections/_superusers/auth-methods")).json.oauth2).toEqual({
        providers: [],
        enabled: false,
      });

      const r = await post("/api/collections/_superusers/auth-with-oauth2", {
        provider: "oidc",
        code: "any-code",
        codeVerifier: "x".repeat(43),
        redirectURL: REDIRECT,
      });
      expect(r.status).toBe(403);
      expect(r.json).toEqual({
        status: 403,
        message: "The collection is not configured to allow OAuth2 authentication.",
        data: {},
      });
      expect((await su.collection("_superusers").getList(1, 1)).totalItems).toBe(before);
    },
    SLOW,
  );
});

// ---------------------------------------------------------------- OTP

describe("OTP", () => {
  const authWithOTP = (collection: string, otpId: string, password: string) =>
    post(`/api/collections/${collection}/auth-with-otp`, { otpId, password });
  const INVALID = { status: 400, message: "Invalid or expired OTP.", data: {} };

  test(
    "brute force: after 5 wrong codes even the right one is refused, and a fresh OTP does not reset the budget",
    async () => {
      const { otpId } = await srv.sdk().collection("users").requestOTP("otp1@example.com");
      const code = otpCode(await smtp.waitFor(sentTo("otp1@example.com")));
      const wrong = code === "000000" ? "111111" : "000000";
      for (let i = 0; i < 5; i++) expect((await authWithOTP("users", otpId, wrong)).json).toEqual(INVALID);
      const limited = await authWithOTP("users", otpId, code);
      expect(limited.status).toBe(429);
      expect(limited.json).toEqual({
        status: 429,
        message: "Too many attempts, please try again later with a new OTP.",
        data: {},
      });

      // the limit is per record: a new OTP with its right code is still refused within the window
      const since = Date.now();
      const fresh = await srv.sdk().collection("users").requestOTP("otp1@example.com");
      expect(fresh.otpId).not.toBe(otpId);
      const freshCode = otpCode(await smtp.waitFor(sentTo("otp1@example.com"), { since }));
      const still = await authWithOTP("users", fresh.otpId, freshCode);
      expect(still.status).toBe(429);
      expect(still.json.token).toBeUndefined();
    },
    SLOW,
  );

  test(
    "an OTP of another auth collection is refused (and stays usable where it belongs)",
    async () => {
      const { otpId } = await srv.sdk().collection("staff").requestOTP("sam@example.com");
      const code = otpCode(await smtp.waitFor(sentTo("sam@example.com")));
      const cross = await authWithOTP("users", otpId, code);
      expect(cross.json).toEqual(INVALID);
      expect(cross.json.token).toBeUndefined();

      const own = await authWithOTP("staff", otpId, code);
      expect(own.status).toBe(200);
      expect(own.json.record.email).toBe("sam@example.com");
      expect(claimsOf(own.json.token).collectionId).toBe(own.json.record.collectionId);
    },
    SLOW,
  );

  test(
    "one user's OTP id never signs in another user, whatever code is sent with it",
    async () => {
      const pb = srv.sdk();
      const ann = await pb.collection("users").requestOTP("ann@example.com");
      const annCode = otpCode(await smtp.waitFor(sentTo("ann@example.com")));
      const bea = await pb.collection("users").requestOTP("bea@example.com");
      const beaCode = otpCode(await smtp.waitFor(sentTo("bea@example.com")));

      if (beaCode !== annCode) expect((await authWithOTP("users", ann.otpId, beaCode)).json).toEqual(INVALID);
      const asBea = await authWithOTP("users", bea.otpId, beaCode);
      expect(asBea.status).toBe(200);
      expect(asBea.json.record.email).toBe("bea@example.com");
      expect(claimsOf(asBea.json.token).id).toBe(asBea.json.record.id);
      // bea's used OTP is gone; ann's is untouched and still works for ann only
      expect((await authWithOTP("users", bea.otpId, beaCode)).json).toEqual(INVALID);
      const asAnn = await authWithOTP("users", ann.otpId, annCode);
      expect(asAnn.json.record.email).toBe("ann@example.com");
    },
    SLOW,
  );

  test(
    "request-otp for an unknown email answers like a known one, sends nothing, and its fake id fails like a wrong code",
    async () => {
      const since = Date.now();
      const known = await post("/api/collections/users/request-otp", { email: "lea@example.com" });
      const unknown = await post("/api/collections/users/request-otp", { email: "nobody-here@example.com" });
      expect(known.status).toBe(200);
      expect(unknown.status).toBe(200);
      expect(Object.keys(unknown.json)).toEqual(Object.keys(known.json));
      expect(unknown.json.otpId).toMatch(/^[a-z0-9]{15}$/);
      expect(known.json.otpId).toMatch(/^[a-z0-9]{15}$/);

      await smtp.waitFor(sentTo("lea@example.com"), { since });
      await Bun.sleep(200);
      expect(
        (await smtp.messages()).filter((m) => m.receivedAt >= since && m.to.includes("nobody-here@example.com")),
      ).toEqual([]);

      // the fake id and a real id with a wrong code are indistinguishable
      const fake = await authWithOTP("users", unknown.json.otpId, "123456");
      expect(fake.json).toEqual(INVALID);
      const wrongCode = await authWithOTP("users", known.json.otpId, "12345");
      expect(wrongCode).toEqual(fake);
    },
    SLOW,
  );
});

// ---------------------------------------------------------------- password reset

describe("password reset", () => {
  const confirm = (collection: string, token: string, password: string) =>
    post(`/api/collections/${collection}/confirm-password-reset`, { token, password, passwordConfirm: password });

  async function resetToken(collection: string, email: string): Promise<string> {
    const since = Date.now();
    expect((await post(`/api/collections/${collection}/request-password-reset`, { email })).status).toBe(204);
    return linkToken(await smtp.waitFor(sentTo(email), { since }), "confirm-password-reset");
  }

  test(
    "a used reset token cannot be replayed",
    async () => {
      const token = await resetToken("users", "dora@example.com");
      expect((await confirm("users", token, "dora-new-pass-1")).status).toBe(204);
      const replay = await confirm("users", token, "attacker-pass-x");
      expect(replay.status).toBe(400);
      expect(replay.json.data.token.code).toBe("validation_invalid_token");
      expect(await canLogin("users", "dora@example.com", "dora-new-pass-1")).toBe(true);
      expect(await canLogin("users", "dora@example.com", "attacker-pass-x")).toBe(false);
    },
    SLOW,
  );

  test(
    "a reset token dies when the password is changed another way",
    async () => {
      const token = await resetToken("users", "fay@example.com");
      const pb = srv.sdk();
      const auth = await pb.collection("users").authWithPassword("fay@example.com", PASSWORD);
      await pb.collection("users").update(auth.record.id, {
        oldPassword: PASSWORD,
        password: "fay-chosen-pass",
        passwordConfirm: "fay-chosen-pass",
      });

      const late = await confirm("users", token, "attacker-pass-y");
      expect(late.status).toBe(400);
      expect(late.json.data.token.code).toBe("validation_invalid_token");
      expect(await canLogin("users", "fay@example.com", "fay-chosen-pass")).toBe(true);
      expect(await canLogin("users", "fay@example.com", "attacker-pass-y")).toBe(false);
    },
    SLOW,
  );

  test(
    "request-password-reset does not reveal whether an email exists",
    async () => {
      const since = Date.now();
      const known = await post("/api/collections/users/request-password-reset", { email: "gus@example.com" });
      const unknown = await post("/api/collections/users/request-password-reset", { email: "nobody-here@example.com" });
      const otherCollection = await post("/api/collections/users/request-password-reset", { email: "sam@example.com" });
      expect(known).toEqual({ status: 204, text: "", json: null });
      expect(unknown).toEqual(known);
      expect(otherCollection).toEqual(known);
      await smtp.waitFor(sentTo("gus@example.com"), { since });
      await Bun.sleep(200);
      const sent = (await smtp.messages()).filter((m) => m.receivedAt >= since).map((m) => m.to[0]);
      expect(sent).toEqual(["gus@example.com"]);
    },
    SLOW,
  );

  test(
    "a reset token of another auth collection is refused",
    async () => {
      const token = await resetToken("staff", "tim@example.com");
      const r = await confirm("users", token, "attacker-pass-z");
      expect(r.status).toBe(400);
      expect(r.json.data.token.code).toBe("validation_token_collection_mismatch");
      expect(await canLogin("staff", "tim@example.com", PASSWORD)).toBe(true);
      expect(await canLogin("staff", "tim@example.com", "attacker-pass-z")).toBe(false);
    },
    SLOW,
  );

  test(
    "a reset token re-pointed at another user (id claim changed) is refused",
    async () => {
      const token = await resetToken("users", "hal@example.com");
      const carl = await byEmail("users", "carl@example.com");
      const forged = withClaims(token, { id: carl.id, email: "carl@example.com" });
      const r = await confirm("users", forged, "attacker-pass-w");
      expect(r.status).toBe(400);
      expect(r.json.data.token.code).toBe("validation_invalid_token");
      expect(await canLogin("users", "carl@example.com", PASSWORD)).toBe(true);
      expect((await su.collection("users").getOne(carl.id)).updated).toBe(carl.updated);
      // the genuine token still works for its own user only
      expect((await confirm("users", token, "hal-new-pass-1")).status).toBe(204);
      expect(await canLogin("users", "hal@example.com", "hal-new-pass-1")).toBe(true);
    },
    SLOW,
  );
});

// ---------------------------------------------------------------- verification

describe("verification", () => {
  async function verificationToken(collection: string, email: string): Promise<string> {
    const since = Date.now();
    expect((await post(`/api/collections/${collection}/request-verification`, { email })).status).toBe(204);
    return linkToken(await smtp.waitFor(sentTo(email), { since }), "confirm-verification");
  }

  test(
    "a verification token of another auth collection verifies nothing",
    async () => {
      const token = await verificationToken("staff", "uma@example.com");
      const r = await post("/api/collections/users/confirm-verification", { token });
      expect(r.status).toBe(400);
      expect(r.json.data.token.code).toBe("validation_token_collection_mismatch");
      expect((await byEmail("staff", "uma@example.com")).verified).toBe(false);
    },
    SLOW,
  );

  test(
    "a verification token issued for the old email does not verify the new one",
    async () => {
      const token = await verificationToken("users", "jay@example.com");
      const jay = await byEmail("users", "jay@example.com");
      // the address changes (e.g. a superuser fixes a typo) before the link is clicked
      await su.collection("users").update(jay.id, { email: "jay.other@example.com" });
      const r = await post("/api/collections/users/confirm-verification", { token });
      expect(r.status).toBe(400);
      expect(r.json.data.token.code).toBe("validation_invalid_token");
      expect((await su.collection("users").getOne(jay.id)).verified).toBe(false);
    },
    SLOW,
  );
});

// ---------------------------------------------------------------- email change

describe("email change", () => {
  test(
    "an email-change token changes only the record it was issued to, and only with that record's password",
    async () => {
      const ivyClient = srv.sdk();
      const ivyAuth = await ivyClient.collection("users").authWithPassword("ivy@example.com", "ivy-own-password");
      const carl = await byEmail("users", "carl@example.com");
      expect(await ivyClient.collection("users").requestEmailChange("ivy.new@example.com")).toBe(true);
      const token = linkToken(await smtp.waitFor(sentTo("ivy.new@example.com")), "confirm-email-change");

      // re-pointed at carl: the signature no longer matches
      const forged = await post("/api/collections/users/confirm-email-change", {
        token: withClaims(token, { id: carl.id, email: carl.email }),
        password: PASSWORD,
      });
      expect(forged.status).toBe(400);
      expect(forged.json.data.token.code).toBe("validation_invalid_token");
      // someone else's password (carl's) does not confirm ivy's token
      const otherPassword = await post("/api/collections/users/confirm-email-change", { token, password: PASSWORD });
      expect(otherPassword.status).toBe(400);
      expect(otherPassword.json.data.password.code).toBe("validation_invalid_password");
      expect((await su.collection("users").getOne(ivyAuth.record.id)).email).toBe("ivy@example.com");

      expect(
        (await post("/api/collections/users/confirm-email-change", { token, password: "ivy-own-password" })).status,
      ).toBe(204);
      expect((await su.collection("users").getOne(ivyAuth.record.id)).email).toBe("ivy.new@example.com");
      const carlAfter = await su.collection("users").getOne(carl.id);
      expect([carlAfter.email, carlAfter.updated]).toEqual([carl.email, carl.updated]);

      // the old sessions and the token itself are spent
      expect(await tokenWorks("users", ivyAuth.token)).toBe(false);
      const replay = await post("/api/collections/users/confirm-email-change", { token, password: "ivy-own-password" });
      expect(replay.status).toBe(400);
      expect(replay.json.data.token.code).toBe("validation_invalid_token");
    },
    SLOW,
  );

  test(
    "changing to an address in use is refused at request time and at confirm time",
    async () => {
      const pb = srv.sdk();
      const kim = await pb.collection("users").authWithPassword("kim@example.com", PASSWORD);
      const taken = await failure(pb.collection("users").requestEmailChange("carl@example.com"));
      expect(taken.status).toBe(400);
      expect(taken.response.data.newEmail.code).toBe("validation_invalid_new_email");

      expect(await pb.collection("users").requestEmailChange("kim.new@example.com")).toBe(true);
      const token = linkToken(await smtp.waitFor(sentTo("kim.new@example.com")), "confirm-email-change");
      // someone registers the new address before kim confirms
      const squatter = await post("/api/collections/users/records", {
        email: "kim.new@example.com",
        password: "squatter-pass",
        passwordConfirm: "squatter-pass",
      });
      expect(squatter.status).toBe(200);
      const r = await post("/api/collections/users/confirm-email-change", { token, password: PASSWORD });
      expect(r.status).toBe(400);
      expect(r.json.data.token.code).toBe("validation_invalid_token_email");
      expect((await su.collection("users").getOne(kim.record.id)).email).toBe("kim@example.com");
      expect(await countByEmail("users", "kim.new@example.com")).toBe(1);
    },
    SLOW,
  );
});

// ---------------------------------------------------------------- password auth enumeration

describe("auth-with-password enumeration", () => {
  test(
    "an unknown identity, a wrong password and another collection's account all get the same answer",
    async () => {
      const login = (collection: string, identity: string, password: string) =>
        post(`/api/collections/${collection}/auth-with-password`, { identity, password });
      const wrongPassword = await login("users", "carl@example.com", "not-the-password");
      const unknown = await login("users", "nobody-here@example.com", "not-the-password");
      const otherCollection = await login("users", "sam@example.com", PASSWORD);
      const superuser = await login("users", "root@example.com", PASSWORD);
      for (const r of [wrongPassword, unknown, otherCollection, superuser]) {
        expect(r.status).toBe(400);
        expect(r.json).toEqual({ status: 400, message: "Failed to authenticate.", data: {} });
      }
      expect(unknown.text).toBe(wrongPassword.text);
    },
    SLOW,
  );
});

// ---------------------------------------------------------------- own record update

describe("a user's own record update", () => {
  test(
    "cannot set verified (neither on update nor on sign-up)",
    async () => {
      const pb = srv.sdk();
      const lea = await pb.collection("users").authWithPassword("lea@example.com", PASSWORD);
      expect(lea.record.verified).toBe(false);
      const err = await failure(pb.collection("users").update(lea.record.id, { verified: true }));
      expect(err.status).toBe(400);
      expect(err.response.data.verified.code).toBe("validation_values_mismatch");
      expect((await su.collection("users").getOne(lea.record.id)).verified).toBe(false);

      const signUp = await post("/api/collections/users/records", {
        email: "selfverified@example.com",
        password: "selfverified1",
        passwordConfirm: "selfverified1",
        verified: true,
      });
      expect(signUp.status).toBe(400);
      expect(signUp.json.data.verified.code).toBe("validation_values_mismatch");
      expect(await countByEmail("users", "selfverified@example.com")).toBe(0);
    },
    SLOW,
  );

  test(
    "cannot change its email directly",
    async () => {
      const pb = srv.sdk();
      const lea = await pb.collection("users").authWithPassword("lea@example.com", PASSWORD);
      for (const email of ["lea.other@example.com", "carl@example.com"]) {
        const err = await failure(pb.collection("users").update(lea.record.id, { email }));
        expect(err.status).toBe(400);
        expect(err.response.data.email.code).toBe("validation_values_mismatch");
      }
      expect((await su.collection("users").getOne(lea.record.id)).email).toBe("lea@example.com");
      expect(await countByEmail("users", "carl@example.com")).toBe(1);
    },
    SLOW,
  );

  test(
    "cannot change its password without the right oldPassword (a stolen session is not enough)",
    async () => {
      const pb = srv.sdk();
      const lea = await pb.collection("users").authWithPassword("lea@example.com", PASSWORD);
      const missing = await failure(
        pb.collection("users").update(lea.record.id, { password: "stolen-pass-1", passwordConfirm: "stolen-pass-1" }),
      );
      expect(missing.status).toBe(400);
      expect(missing.response.data.oldPassword.code).toBe("validation_required");
      const wrong = await failure(
        pb.collection("users").update(lea.record.id, {
          oldPassword: "guess-guess",
          password: "stolen-pass-1",
          passwordConfirm: "stolen-pass-1",
        }),
      );
      expect(wrong.status).toBe(400);
      expect(wrong.response.data.oldPassword.code).toBe("validation_invalid_old_password");
      expectNoSecrets(JSON.stringify(wrong.response));
      expect(await canLogin("users", "lea@example.com", PASSWORD)).toBe(true);
      expect(await canLogin("users", "lea@example.com", "stolen-pass-1")).toBe(false);
      expect(await tokenWorks("users", lea.token)).toBe(true);
    },
    SLOW,
  );

  test(
    "cannot update or delete another user's record",
    async () => {
      const pb = srv.sdk();
      await pb.collection("users").authWithPassword("lea@example.com", PASSWORD);
      const carl = await byEmail("users", "carl@example.com");
      const upd = await call("PATCH", `/api/collections/users/records/${carl.id}`, pb.authStore.token, {
        password: "x-takeover-1",
        passwordConfirm: "x-takeover-1",
        name: "owned",
      });
      expect(upd.status).toBe(404);
      expect(upd.json).toEqual({ status: 404, message: "The requested resource wasn't found.", data: {} });
      const del = await call("DELETE", `/api/collections/users/records/${carl.id}`, pb.authStore.token);
      expect(del.status).toBe(404);
      const after = await su.collection("users").getOne(carl.id);
      expect([after.name, after.updated]).toEqual([carl.name, carl.updated]);
      expect(await canLogin("users", "carl@example.com", PASSWORD)).toBe(true);
    },
    SLOW,
  );
});

test("the server is still healthy after the hostile requests", async () => {
  const r = await call("GET", "/api/health");
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ message: "API is healthy.", code: 200 });
});
