/**
 * OAuth2 sign-in end to end: a real OpenID Connect provider process (oauth2-mock-server), a real pb
 * server process and the official SDK. The browser's part (the consent page, its redirects) is
 * done with fetch, following redirects by hand.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import PocketBase, { ClientResponseError } from "pocketbase";
import { App } from "../src/core/app.ts";
import { newAuthCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { EmailField, TextField } from "../src/core/fields/index.ts";
import { s256Challenge, type AuthMethodsProviderInfo } from "../src/core/oauth2/auth_methods.ts";
import { runPb, startServer, tempDir, type TestServer, testAppConfig } from "./harness.ts";
import { loginHint, startOIDCProvider, type OIDCProvider } from "./support/oidc.ts";

let idp: OIDCProvider;
let srv: TestServer;
let su: PocketBase;
let hasAuthMethods = false;

const CLIENT_ID = "pb-test-client";
const REDIRECT = "https://app.example.com/oauth2/callback";

async function buildSchema(dir: string) {
  const app = new App(await testAppConfig({ dataDir: dir }));
  await app.bootstrap();
  const users = app.findCollection("users")!;
  users.fields.add(new TextField({ name: "username", max: 30, pattern: "^[a-z0-9_]+$" }));
  // providers that vouch for no email may still sign up
  (users.fields.getByName("email") as EmailField).required = false;
  users.addIndex("idx_users_username", true, "`username` COLLATE NOCASE", "`username` != ''");
  users.oauth2.enabled = true;
  users.oauth2.mappedFields.username = "username";
  users.oauth2.providers = [
    // user from the userinfo endpoint
    {
      name: "oidc",
      clientId: CLIENT_ID,
      clientSecret: "s3cret",
      authURL: idp.authURL,
      tokenURL: idp.tokenURL,
      userInfoURL: idp.userInfoURL,
      displayName: "Test IdP",
      pkce: null,
      extra: null,
    },
    // user from the id_token, signature checked against the JWKS, issuer pinned
    {
      name: "oidc2",
      clientId: CLIENT_ID,
      clientSecret: "s3cret",
      authURL: idp.authURL,
      tokenURL: idp.tokenURL,
      userInfoURL: "",
      displayName: "",
      pkce: null,
      extra: { jwksURL: idp.jwksURL, issuers: [idp.issuer] },
    },
    // id_token from an issuer that is not trusted
    {
      name: "oidc3",
      clientId: CLIENT_ID,
      clientSecret: "s3cret",
      authURL: idp.authURL,
      tokenURL: idp.tokenURL,
      userInfoURL: "",
      displayName: "",
      pkce: false,
      extra: { issuers: ["https://other.example.com"] },
    },
  ];
  await saveCollection(app, users);

  const staff = newAuthCollection("staff");
  staff.oauth2.enabled = false;
  await saveCollection(app, staff);
  await app.terminate();
}

/** The OAuth2 providers of auth-methods. */
async function providersOf(collection: string): Promise<AuthMethodsProviderInfo[]> {
  return (await srv.sdk().collection(collection).listAuthMethods()).oauth2
    .providers as unknown as AuthMethodsProviderInfo[];
}

/** The browser visiting the consent page: the provider auto-approves and redirects with `code`. */
async function authorize(authURL: string, redirectURL: string, claims: { [k: string]: unknown }): Promise<URL> {
  const res = await fetch(authURL + encodeURIComponent(redirectURL) + "&login_hint=" + loginHint(claims), {
    redirect: "manual",
  });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location")!);
}

/** Gets a code for `claims` from `provider` and returns it with the PKCE verifier to use. */
async function codeFor(provider: string, claims: { [k: string]: unknown }, collection = "users") {
  const p = (await providersOf(collection)).find((x) => x.name === provider)!;
  const back = await authorize(p.authURL, REDIRECT, claims);
  expect(back.origin + back.pathname).toBe(REDIRECT);
  expect(back.searchParams.get("state")).toBe(p.state);
  return { code: back.searchParams.get("code")!, verifier: p.codeVerifier };
}

async function externalAuthsOf(recordId: string) {
  return su.collection("_externalAuths").getFullList({ filter: su.filter("recordRef = {:id}", { id: recordId }) });
}

beforeAll(async () => {
  idp = await startOIDCProvider();
  const work = tempDir();
  const dataDir = join(work, "pb_data");
  await buildSchema(dataDir);
  expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dataDir}`])).code).toBe(0);
  srv = await startServer({ workDir: work });
  su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", "1234567890");
  const probe = await fetch(`${srv.url}/api/collections/users/auth-methods`);
  hasAuthMethods = probe.status === 200 && (probe.headers.get("content-type") ?? "").includes("json");
});

afterAll(async () => {
  await srv?.stop();
  await idp?.stop();
});

describe("auth-methods providers", () => {
  test("lists the configured providers with state, PKCE and an authURL ending in redirect_uri=", async () => {
    const providers = await providersOf("users");
    expect(providers.map((p) => p.name)).toEqual(["oidc", "oidc2", "oidc3"]);
    const [oidc, oidc2, oidc3] = providers as [
      AuthMethodsProviderInfo,
      AuthMethodsProviderInfo,
      AuthMethodsProviderInfo,
    ];
    expect(oidc.displayName).toBe("Test IdP");
    expect(oidc2.displayName).toBe("OIDC");
    expect(oidc.logo.startsWith("<svg")).toBe(true);
    expect(oidc.state).toMatch(/^[A-Za-z0-9]{30}$/);
    expect(oidc.codeVerifier).toMatch(/^[A-Za-z0-9]{43}$/);
    expect(oidc.codeChallenge).toBe(s256Challenge(oidc.codeVerifier));
    expect(oidc.codeChallengeMethod).toBe("S256");
    expect(oidc.authUrl).toBe(oidc.authURL);
    expect(oidc.authURL).toBe(
      `${idp.authURL}?client_id=${CLIENT_ID}&code_challenge=${oidc.codeChallenge}&code_challenge_method=S256` +
        `&response_type=code&scope=openid+email+profile&state=${oidc.state}&redirect_uri=`,
    );
    // pkce: false → no challenge and empty PKCE fields
    expect(oidc3.codeVerifier).toBe("");
    expect(oidc3.codeChallengeMethod).toBe("");
    expect(oidc3.authURL).not.toContain("code_challenge");
  });
});

describe("auth-with-oauth2 (code flow)", () => {
  let aliceId = "";

  test("a new provider account creates a verified user with the mapped fields and a link", async () => {
    const { code, verifier } = await codeFor("oidc", {
      sub: "alice-1",
      email: "alice@example.com",
      email_verified: true,
      name: "Alice Doe",
      preferred_username: "alice",
      picture: "http://127.0.0.1:9/avatar.png", // loopback: never downloaded
    });
    const pb = srv.sdk();
    const auth = await pb
      .collection("users")
      .authWithOAuth2Code("oidc", code, verifier, REDIRECT, { emailVisibility: true });
    aliceId = auth.record.id;
    expect(auth.token).toBeTruthy();
    expect(pb.authStore.isValid).toBe(true);
    expect(auth.record).toMatchObject({
      email: "alice@example.com",
      verified: true,
      name: "Alice Doe",
      username: "alice",
      emailVisibility: true,
      avatar: "",
    });
    expect(auth.record.password).toBeUndefined();
    expect(auth.record.tokenKey).toBeUndefined();
    const meta = auth.meta!;
    expect(meta).toMatchObject({
      id: "alice-1",
      name: "Alice Doe",
      username: "alice",
      email: "alice@example.com",
      isNew: true,
    });
    expect(meta.avatarURL).toBe("http://127.0.0.1:9/avatar.png");
    expect(meta.avatarUrl).toBe(meta.avatarURL);
    expect(typeof meta.accessToken).toBe("string");
    expect(meta.refreshToken).toBeTruthy();
    expect(meta.expiry).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(meta.rawUser).toEqual({
      sub: "alice-1",
      email: "alice@example.com",
      email_verified: true,
      name: "Alice Doe",
      preferred_username: "alice",
      picture: "http://127.0.0.1:9/avatar.png",
    });
    // meta keys are sorted, as Go writes a map
    expect(Object.keys(meta)).toEqual([...Object.keys(meta)].sort());

    const links = await externalAuthsOf(aliceId);
    expect(links.map((l) => [l.provider, l.providerId, l.collectionRef])).toEqual([
      ["oidc", "alice-1", "_pb_users_auth_"],
    ]);

    // the token is a normal auth token
    await pb.collection("users").authRefresh();
    expect(pb.authStore.record?.id).toBe(aliceId);
  });

  test("signing in again reuses the linked record", async () => {
    const { code, verifier } = await codeFor("oidc", {
      sub: "alice-1",
      email: "alice@example.com",
      email_verified: true,
      name: "Renamed",
    });
    const auth = await srv.sdk().collection("users").authWithOAuth2Code("oidc", code, verifier, REDIRECT);
    expect(auth.record.id).toBe(aliceId);
    expect(auth.meta?.isNew).toBe(false);
    expect(auth.record.name).toBe("Alice Doe"); // mapped fields are only used on create
    expect(await externalAuthsOf(aliceId)).toHaveLength(1);
  });

  test("the legacy redirectUrl body key is accepted", async () => {
    const { code, verifier } = await codeFor("oidc", { sub: "alice-1" });
    const res = await fetch(`${srv.url}/api/collections/users/auth-with-oauth2`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ provider: "oidc", code, codeVerifier: verifier, redirectUrl: REDIRECT }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { record: { id: string } }).record.id).toBe(aliceId);
  });

  test("a wrong PKCE verifier fails the token exchange", async () => {
    const { code } = await codeFor("oidc", { sub: "mallory-1", email: "mallory@example.com", email_verified: true });
    const err = await srv
      .sdk()
      .collection("users")
      .authWithOAuth2Code("oidc", code, "x".repeat(43), REDIRECT)
      .catch((e: ClientResponseError) => e);
    expect(err).toBeInstanceOf(ClientResponseError);
    expect((err as ClientResponseError).status).toBe(400);
    expect((err as ClientResponseError).response).toEqual({
      data: {},
      message: "Failed to fetch OAuth2 token.",
      status: 400,
    });
    const found = await su.collection("users").getList(1, 1, { filter: 'email = "mallory@example.com"' });
    expect(found.totalItems).toBe(0);
  });

  test("a verified provider email links an existing unverified user and resets its password", async () => {
    const bob = await su
      .collection("users")
      .create({ email: "bob@example.com", password: "bobpassword1", passwordConfirm: "bobpassword1" });
    expect(bob.verified).toBe(false);
    const { code, verifier } = await codeFor("oidc", {
      sub: "bob-1",
      email: "bob@example.com",
      email_verified: true,
      name: "Bob",
    });
    const auth = await srv.sdk().collection("users").authWithOAuth2Code("oidc", code, verifier, REDIRECT);
    expect(auth.record.id).toBe(bob.id);
    expect(auth.record.verified).toBe(true);
    expect(auth.meta?.isNew).toBe(false);
    expect((await externalAuthsOf(bob.id)).map((l) => l.providerId)).toEqual(["bob-1"]);
    // whoever pre-created the account with a password cannot use it any more
    const err = await srv
      .sdk()
      .collection("users")
      .authWithPassword("bob@example.com", "bobpassword1")
      .catch((e) => e);
    expect((err as ClientResponseError).status).toBe(400);
  });

  test("a verified provider email links an existing verified user and keeps its password", async () => {
    const vera = await su
      .collection("users")
      .create({ email: "vera@example.com", password: "verapassword", passwordConfirm: "verapassword", verified: true });
    const { code, verifier } = await codeFor("oidc", {
      sub: "vera-1",
      email: "vera@example.com",
      email_verified: true,
    });
    const auth = await srv.sdk().collection("users").authWithOAuth2Code("oidc", code, verifier, REDIRECT);
    expect([auth.record.id, auth.record.verified, auth.meta?.isNew]).toEqual([vera.id, true, false]);
    await srv.sdk().collection("users").authWithPassword("vera@example.com", "verapassword");
  });

  test("an existing link to an unverified user: its password is reset, other links dropped, the link recreated", async () => {
    const ursula = await su
      .collection("users")
      .create({ email: "ursula@example.com", password: "ursulapassword", passwordConfirm: "ursulapassword" });
    const old = await su
      .collection("_externalAuths")
      .create({ collectionRef: ursula.collectionId, recordRef: ursula.id, provider: "oidc", providerId: "ursula-1" });
    await su.collection("_externalAuths").create({
      collectionRef: ursula.collectionId,
      recordRef: ursula.id,
      provider: "github",
      providerId: "gh-ursula",
    });
    // signed in as someone else of the same collection: the existing link wins
    const other = srv.sdk();
    await other.collection("users").authWithPassword("vera@example.com", "verapassword");
    const { code, verifier } = await codeFor("oidc", { sub: "ursula-1" }); // no email from the provider
    const auth = await other
      .collection("users")
      .authWithOAuth2Code("oidc", code, verifier, REDIRECT, { name: "ignored" });
    expect([auth.record.id, auth.record.email, auth.record.verified, auth.meta?.isNew]).toEqual([
      ursula.id,
      "ursula@example.com",
      false,
      false,
    ]);
    const links = await externalAuthsOf(ursula.id);
    expect(links.map((l) => [l.provider, l.providerId])).toEqual([["oidc", "ursula-1"]]);
    expect(links[0]!.id).not.toBe(old.id);
    const err = await srv
      .sdk()
      .collection("users")
      .authWithPassword("ursula@example.com", "ursulapassword")
      .catch((e) => e);
    expect((err as ClientResponseError).status).toBe(400);
  });

  test("a signed-in user without email gets the provider's verified email", async () => {
    const noMail = await su
      .collection("users")
      .create({ password: "nomailpassword", passwordConfirm: "nomailpassword" });
    expect(noMail.email).toBe("");
    const pb = await su.collection("users").impersonate(noMail.id, 0);
    const { code, verifier } = await codeFor("oidc", {
      sub: "nomail-1",
      email: "found@example.com",
      email_verified: true,
    });
    const auth = await pb.collection("users").authWithOAuth2Code("oidc", code, verifier, REDIRECT);
    expect([auth.record.id, auth.record.email, auth.record.verified, auth.meta?.isNew]).toEqual([
      noMail.id,
      "found@example.com",
      true,
      false,
    ]);
  });

  test("a signed-in user links another provider account to itself", async () => {
    await su.collection("users").create({
      email: "carol@example.com",
      password: "carolpassword",
      passwordConfirm: "carolpassword",
      verified: true,
    });
    const pb = srv.sdk();
    const carol = (await pb.collection("users").authWithPassword("carol@example.com", "carolpassword")).record;
    const { code, verifier } = await codeFor("oidc", {
      sub: "carol-elsewhere",
      email: "carol.other@example.com",
      email_verified: true,
    });
    const auth = await pb.collection("users").authWithOAuth2Code("oidc", code, verifier, REDIRECT);
    expect(auth.record.id).toBe(carol.id);
    expect(auth.record.email).toBe("carol@example.com");
    expect(auth.meta?.isNew).toBe(false);
    expect((await externalAuthsOf(carol.id)).map((l) => l.providerId)).toEqual(["carol-elsewhere"]);
    // and password sign-in still works: a verified account keeps its password
    await srv.sdk().collection("users").authWithPassword("carol@example.com", "carolpassword");
  });

  test("an unverified provider email is not trusted: a new user without email", async () => {
    const { code, verifier } = await codeFor("oidc", {
      sub: "eve-1",
      email: "carol@example.com",
      email_verified: false,
      preferred_username: "carol",
    });
    const auth = await srv.sdk().collection("users").authWithOAuth2Code("oidc", code, verifier, REDIRECT);
    expect(auth.meta?.isNew).toBe(true);
    expect(auth.meta?.email).toBe("");
    expect(auth.record.email).toBe("");
    expect(auth.record.verified).toBe(true); // "" matches the (empty) OAuth2 email
    expect(auth.record.username).toBe("carol");
  });

  test("a taken username is not mapped; createData wins over mapped fields", async () => {
    const { code, verifier } = await codeFor("oidc", {
      sub: "alice-2",
      email: "alice2@example.com",
      email_verified: true,
      name: "Mapped",
      preferred_username: "ALICE",
    });
    const auth = await srv
      .sdk()
      .collection("users")
      .authWithOAuth2Code("oidc", code, verifier, REDIRECT, { name: "From createData" });
    expect(auth.meta?.isNew).toBe(true);
    expect(auth.record.name).toBe("From createData");
    expect(auth.record.username).toBe(""); // "ALICE" clashes case-insensitively with "alice"
  });

  test("createData goes through the create form: a guest cannot set verified", async () => {
    const { code, verifier } = await codeFor("oidc", {
      sub: "dave-1",
      email: "dave@example.com",
      email_verified: true,
    });
    const err = (await srv
      .sdk()
      .collection("users")
      .authWithOAuth2Code("oidc", code, verifier, REDIRECT, { verified: true })
      .catch((e) => e)) as ClientResponseError;
    expect(err.status).toBe(400);
    expect(err.response.data.verified?.code).toBe("validation_values_mismatch");
  });

  test("an id_token provider: claims checked, signature verified with the JWKS", async () => {
    const { code, verifier } = await codeFor("oidc2", {
      sub: "frank-1",
      email: "frank@example.com",
      email_verified: "true",
      name: "Frank",
    });
    const auth = await srv.sdk().collection("users").authWithOAuth2Code("oidc2", code, verifier, REDIRECT);
    expect(auth.meta).toMatchObject({ id: "frank-1", email: "frank@example.com", name: "Frank", isNew: true });
    expect((auth.meta?.rawUser as { aud: string }).aud).toBe(CLIENT_ID);
    expect(auth.record.verified).toBe(true);
    expect((await externalAuthsOf(auth.record.id)).map((l) => l.provider)).toEqual(["oidc2"]);
  });

  test("an id_token from an untrusted issuer fails the user fetch", async () => {
    const { code, verifier } = await codeFor("oidc3", { sub: "grace-1" });
    expect(verifier).toBe("");
    const err = (await srv
      .sdk()
      .collection("users")
      .authWithOAuth2Code("oidc3", code, verifier, REDIRECT)
      .catch((e) => e)) as ClientResponseError;
    expect(err.response).toEqual({ data: {}, message: "Failed to fetch OAuth2 user.", status: 400 });
  });

  test("request errors", async () => {
    const post = (collection: string, body: unknown, raw = false) =>
      fetch(`${srv.url}/api/collections/${collection}/auth-with-oauth2`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: raw ? (body as string) : JSON.stringify(body),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { message: string; data: { [k: string]: { code: string; message: string } } },
      }));

    expect(await post("staff", { provider: "oidc", code: "x" })).toEqual({
      status: 403,
      body: {
        data: {},
        message: "The collection is not configured to allow OAuth2 authentication.",
        status: 403,
      } as never,
    });
    expect((await post("missing", { provider: "oidc", code: "x" })).status).toBe(404);
    expect((await post("users", '{"provider"', true)).body.message).toBe(
      "An error occurred while loading the submitted data.",
    );
    expect((await post("users", { provider: 1, code: "x" })).status).toBe(400);

    const invalid = await post("users", { provider: "google" });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toBe("An error occurred while loading the submitted data.");
    expect(invalid.body.data.provider).toEqual({
      code: "validation_invalid_provider",
      message: "Provider with name google is missing or is not enabled.",
      params: { name: "google" },
    } as never);
    expect(invalid.body.data.code?.code).toBe("validation_required");

    const badCode = await post("users", {
      provider: "oidc",
      code: "not-a-code",
      codeVerifier: "x".repeat(43),
      redirectURL: REDIRECT,
    });
    expect(badCode).toEqual({
      status: 400,
      body: { data: {}, message: "Failed to fetch OAuth2 token.", status: 400 } as never,
    });
  });
});

describe("popup flow (realtime + /api/oauth2-redirect)", () => {
  test("authWithOAuth2({provider, urlCallback}) completes through the redirect page", async () => {
    expect(hasAuthMethods).toBe(true); // the SDK's popup flow starts with auth-methods
    const pb = srv.sdk();
    const hops: { status: number; location: string }[] = [];
    const auth = await pb.collection("users").authWithOAuth2({
      provider: "oidc",
      urlCallback: async (url) => {
        // the browser: consent page → provider redirect → /api/oauth2-redirect → dashboard page
        const consent = new URL(url);
        // the state is the id of the SDK's one-off realtime client
        expect(consent.searchParams.get("state")).toMatch(/^[A-Za-z0-9]{40}$/);
        expect(consent.searchParams.get("redirect_uri")).toBe(`${srv.url}/api/oauth2-redirect`);
        let next =
          url +
          "&login_hint=" +
          loginHint({ sub: "popup-1", email: "popup@example.com", email_verified: true, name: "Pop" });
        for (let i = 0; i < 3; i++) {
          const res = await fetch(next, { redirect: "manual" });
          hops.push({ status: res.status, location: res.headers.get("location") ?? "" });
          if (res.status < 300 || res.status > 399) break;
          next = new URL(res.headers.get("location")!, next).toString();
          if (!next.startsWith(srv.url + "/api/")) break;
        }
      },
    });
    expect(auth.record.email).toBe("popup@example.com");
    expect(auth.meta?.isNew).toBe(true);
    expect(hops[0]!.status).toBe(302);
    expect(hops[0]!.location.startsWith(`${srv.url}/api/oauth2-redirect?`)).toBe(true);
    expect(hops[1]).toEqual({ status: 307, location: "../_/#/auth/oauth2-redirect-success" });
    expect(pb.authStore.record?.id).toBe(auth.record.id);
  });
});

describe("/api/oauth2-redirect", () => {
  const redirect = (query: string, init: RequestInit = {}) =>
    fetch(`${srv.url}/api/oauth2-redirect${query}`, { redirect: "manual", ...init }).then((r) => ({
      status: r.status,
      location: r.headers.get("location"),
    }));

  test("failures redirect to the dashboard's failure page", async () => {
    const failure = "../_/#/auth/oauth2-redirect-failure";
    expect(await redirect("")).toEqual({ status: 307, location: failure });
    expect(await redirect("?state=unknown&code=123")).toEqual({ status: 307, location: failure });
    const form = {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "state=unknown&code=123",
    };
    expect(await redirect("", form)).toEqual({ status: 303, location: failure });
  });

  test("forwards the code to the realtime client named by state (GET and form POST)", async () => {
    for (const method of ["GET", "POST"]) {
      const pb = srv.sdk();
      const got = (await oauth2Message(pb)).next;
      const state = pb.realtime.clientId;
      const res =
        method === "GET"
          ? await redirect(`?state=${state}&code=abc`)
          : await redirect("", {
              method: "POST",
              headers: { "content-type": "application/x-www-form-urlencoded" },
              body: `state=${state}&code=123&user=%7B%7D`,
            });
      expect(res).toEqual({ status: method === "GET" ? 307 : 303, location: "../_/#/auth/oauth2-redirect-success" });
      expect(await got).toEqual({ state, code: method === "GET" ? "abc" : "123" });
      // the topic is dropped after one use
      expect((await redirect(`?state=${state}&code=again`)).location).toBe("../_/#/auth/oauth2-redirect-failure");
      await pb.realtime.unsubscribe();
    }
  });

  test("an error from the provider is forwarded and ends on the failure page", async () => {
    const pb = srv.sdk();
    const got = (await oauth2Message(pb)).next;
    const state = pb.realtime.clientId;
    expect((await redirect(`?state=${state}&error=access_denied`)).location).toBe(
      "../_/#/auth/oauth2-redirect-failure",
    );
    expect(await got).toEqual({ state, code: "", error: "access_denied" });
    await pb.realtime.unsubscribe();
  });
});

/** Subscribes `pb` to `@oauth2` (resolved once the subscription is stored) and returns the next message. */
async function oauth2Message(
  pb: PocketBase,
): Promise<{ next: Promise<{ state: string; code: string; error?: string }> }> {
  let resolve!: (v: { state: string; code: string; error?: string }) => void;
  const next = new Promise<{ state: string; code: string; error?: string }>((r) => (resolve = r));
  await pb.realtime.subscribe("@oauth2", (e) => resolve(e as never));
  return { next }; // wrapped: an async function returning a promise would wait for it
}
