/**
 * OAuth2 with the API served in-process: the onRecordAuthWithOAuth2Request hook, Apple's
 * form_post redirect carrying the user's name, and the SDK's popup flow.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import PocketBase, { ClientResponseError } from "pocketbase";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import type { RecordAuthWithOAuth2RequestEvent } from "../src/core/events.ts";
import { authMethodsOAuth2Providers } from "../src/core/oauth2/auth_methods.ts";
import { AppleProvider } from "../src/core/oauth2/providers/apple.ts";
import { registerProvider } from "../src/core/oauth2/registry.ts";
import { tempDir, testAppConfig } from "./harness.ts";
import { loginHint, startOIDCProvider, type OIDCProvider } from "./support/oidc.ts";

let app: App;
let server: RunningServer;
let idp: OIDCProvider;
let appleStub: ReturnType<typeof Bun.serve>;
let appleKey: CryptoKey;
let restoreApple: () => void;
let nextAppleIdToken = "";
const seen: RecordAuthWithOAuth2RequestEvent[] = [];
const REDIRECT = "https://app.example.com/cb";

beforeAll(async () => {
  idp = await startOIDCProvider();

  // Apple's token and key endpoints, played locally (Apple's JWKS URL is not configurable)
  const kp = await generateKeyPair("ES256", { extractable: true });
  appleKey = kp.privateKey;
  const jwk = { ...(await exportJWK(kp.publicKey)), kid: "apple-k1", alg: "ES256" };
  appleStub = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req) =>
      new URL(req.url).pathname === "/keys"
        ? Response.json({ keys: [jwk] })
        : Response.json({ access_token: "apple-at", token_type: "Bearer", id_token: nextAppleIdToken }),
  });
  restoreApple = registerProvider("apple", () => {
    const p = new AppleProvider();
    p.jwksURL = `http://127.0.0.1:${appleStub.port}/keys`;
    return p;
  });

  app = new App(await testAppConfig({ dataDir: tempDir() }));
  await app.bootstrap();
  const users = app.findCollection("users")!;
  users.oauth2.enabled = true;
  users.oauth2.providers = [
    {
      name: "oidc",
      clientId: "cid",
      clientSecret: "cs",
      authURL: idp.authURL,
      tokenURL: idp.tokenURL,
      userInfoURL: idp.userInfoURL,
      displayName: "",
      pkce: null,
      extra: null,
    },
    {
      name: "apple",
      clientId: "com.example.web",
      clientSecret: "jwt",
      authURL: "",
      tokenURL: `http://127.0.0.1:${appleStub.port}/token`,
      userInfoURL: "",
      displayName: "",
      pkce: null,
      extra: null,
    },
  ];
  await saveCollection(app, users);

  app.onRecordAuthWithOAuth2Request("users").bindFunc(async (e) => {
    seen.push(e);
    if (e.oAuth2User.id === "blocked") throw e.forbiddenError("Blocked by a hook.");
    if (e.oAuth2User.id === "tx-error") {
      // a hook may wrap the default action in a transaction and still fail it afterwards
      await e.app.runInTransaction(async () => {
        await e.next();
        throw e.badRequestError("TX_ERROR");
      });
      return;
    }
    if (e.oAuth2User.id === "renamed") {
      e.oAuth2User.name = "Changed By Hook";
      e.createData = { ...e.createData, emailVisibility: true };
    }
    await e.next();
  });

  server = await startServer(app, { http: "127.0.0.1:0" });
});

afterAll(async () => {
  await server?.stop();
  await app?.terminate();
  restoreApple?.();
  appleStub?.stop(true);
  await idp?.stop();
});

/** The browser part of the code flow for the `oidc` provider. */
async function oidcCode(claims: { [k: string]: unknown }) {
  const p = authMethodsOAuth2Providers(app.findCollection("users")!).find((x) => x.name === "oidc")!;
  const res = await fetch(p.authURL + encodeURIComponent(REDIRECT) + "&login_hint=" + loginHint(claims), {
    redirect: "manual",
  });
  return { code: new URL(res.headers.get("location")!).searchParams.get("code")!, verifier: p.codeVerifier };
}

describe("onRecordAuthWithOAuth2Request", () => {
  test("fires before the record is resolved and created, with upstream's fields", async () => {
    seen.length = 0;
    const { code, verifier } = await oidcCode({
      sub: "renamed",
      email: "hook@example.com",
      email_verified: true,
      name: "Original",
    });
    const pb = new PocketBase(server.url);
    const auth = await pb.collection("users").authWithOAuth2Code("oidc", code, verifier, REDIRECT, { name: "" });
    expect(seen).toHaveLength(1);
    const e = seen[0]!;
    expect([e.collection.name, e.providerName, e.isNewRecord, e.oAuth2User.email]).toEqual([
      "users",
      "oidc",
      true,
      "hook@example.com",
    ]);
    expect(e.providerClient).toBeDefined();
    expect(e.record?.id).toBe(auth.record.id); // set by the default action
    // the hook's changes reach the created record and the meta
    expect(auth.record.emailVisibility).toBe(true);
    expect(auth.meta?.name).toBe("Changed By Hook");
    expect(auth.record.name).toBe(""); // createData's explicit name wins over the mapping

    const again = await oidcCode({ sub: "renamed", email: "hook@example.com", email_verified: true });
    await pb.collection("users").authWithOAuth2Code("oidc", again.code, again.verifier, REDIRECT);
    expect([seen[1]!.isNewRecord, seen[1]!.record?.id]).toEqual([false, auth.record.id]);
  });

  test("a hook error is the response; nothing is created", async () => {
    const { code, verifier } = await oidcCode({ sub: "blocked", email: "blocked@example.com", email_verified: true });
    const err = (await new PocketBase(server.url)
      .collection("users")
      .authWithOAuth2Code("oidc", code, verifier, REDIRECT)
      .catch((e) => e)) as ClientResponseError;
    expect(err.response).toEqual({ data: {}, message: "Blocked by a hook.", status: 403 });
    expect(await app.db.get("SELECT COUNT(*) AS n FROM users WHERE email = 'blocked@example.com'")).toEqual({ n: 0 });
  });

  test("a hook failing the transaction after the default action: its error is the response, nothing is kept", async () => {
    const { code, verifier } = await oidcCode({ sub: "tx-error", email: "tx@example.com", email_verified: true });
    const err = (await new PocketBase(server.url)
      .collection("users")
      .authWithOAuth2Code("oidc", code, verifier, REDIRECT)
      .catch((e) => e)) as ClientResponseError;
    expect(err.response).toEqual({ data: {}, message: "TX_ERROR.", status: 400 });
    expect(await app.db.get("SELECT COUNT(*) AS n FROM users WHERE email = 'tx@example.com'")).toEqual({ n: 0 });
    const q = app.db.dialect.quoteIdent;
    expect(
      await app.db.get(`SELECT COUNT(*) AS n FROM ${q("_externalAuths")} WHERE ${q("providerId")} = 'tx-error'`),
    ).toEqual({ n: 0 });
  });

  test("superusers cannot use OAuth2", async () => {
    const res = await fetch(`${server.url}/api/collections/_superusers/auth-with-oauth2`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ provider: "oidc", code: "x" }),
    });
    expect(res.status).toBe(403);
  });
});

describe("Apple", () => {
  test("the name posted with the first redirect is used for the new record", async () => {
    const pb = new PocketBase(server.url);
    let resolve!: (v: { code: string; state: string }) => void;
    const message = new Promise<{ code: string; state: string }>((r) => (resolve = r));
    await pb.realtime.subscribe("@oauth2", (e) => resolve(e as never));

    // Apple posts the redirect as a form, with the user's name as JSON
    const form = new URLSearchParams({
      state: pb.realtime.clientId,
      code: "apple-code-1",
      user: JSON.stringify({ name: { firstName: "Ada", lastName: "Lovelace" }, email: "ada@example.com" }),
    });
    const res = await fetch(`${server.url}/api/oauth2-redirect`, { method: "POST", body: form, redirect: "manual" });
    expect([res.status, res.headers.get("location")]).toEqual([303, "../_/#/auth/oauth2-redirect-success"]);
    const { code } = await message;
    await pb.realtime.unsubscribe();

    const now = Math.floor(Date.now() / 1000);
    nextAppleIdToken = await new SignJWT({
      iss: "https://appleid.apple.com",
      aud: "com.example.web",
      sub: "000.ada",
      email: "ada@example.com",
      email_verified: "true",
      iat: now,
      exp: now + 300,
    })
      .setProtectedHeader({ alg: "ES256", kid: "apple-k1" })
      .sign(appleKey);
    const auth = await pb
      .collection("users")
      .authWithOAuth2Code("apple", code, "v".repeat(43), `${server.url}/api/oauth2-redirect`);
    expect(auth.meta).toMatchObject({ id: "000.ada", name: "Ada Lovelace", email: "ada@example.com", isNew: true });
    expect(auth.record).toMatchObject({ name: "Ada Lovelace", email: "ada@example.com", verified: true });
  });
});

describe("the SDK's popup flow", () => {
  test("authWithOAuth2({provider, urlCallback}) signs in through realtime and /api/oauth2-redirect", async () => {
    const pb = new PocketBase(server.url);
    const visited: string[] = [];
    const auth = await pb.collection("users").authWithOAuth2({
      provider: "oidc",
      createData: { name: "Popup Person" },
      urlCallback: async (url) => {
        let next =
          url + "&login_hint=" + loginHint({ sub: "popup-2", email: "popup2@example.com", email_verified: true });
        for (let hop = 0; hop < 3; hop++) {
          const res = await fetch(next, { redirect: "manual" });
          visited.push(`${res.status} ${res.headers.get("location")}`);
          if (res.status < 300 || res.status > 399) break;
          next = new URL(res.headers.get("location")!, next).toString();
          if (!next.startsWith(server.url + "/api/")) break; // the dashboard page is the browser's business
        }
      },
    });
    expect(auth.record).toMatchObject({ email: "popup2@example.com", name: "Popup Person", verified: true });
    expect(pb.authStore.record?.id).toBe(auth.record.id);
    expect(visited[0]).toStartWith(`302 ${server.url}/api/oauth2-redirect?code=`);
    expect(visited[1]).toBe("307 ../_/#/auth/oauth2-redirect-success");
    expect(pb.realtime.isConnected).toBe(false); // the one-off realtime connection is closed again
  });
});
