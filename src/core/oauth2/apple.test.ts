/**
 * Sign in with Apple against a local stand-in of Apple's token and key endpoints: the id_token is
 * the user, its claims are checked (with the leeway) and its signature verified against the JWKS.
 * Also the client-secret JWT and the redirect name store.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import {
  compactVerify,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importSPKI,
  SignJWT,
  type CryptoKey,
} from "jose";
import { App } from "../app.ts";
import { generateAppleClientSecret } from "./apple_client_secret.ts";
import { storeAppleRedirectName, takeAppleRedirectName } from "./apple_names.ts";
import { setIdTokenLeeway, validateClaims } from "./id_token.ts";
import { AppleProvider } from "./providers/apple.ts";

let server: ReturnType<typeof Bun.serve>;
let base = "";
let key: CryptoKey;
let otherKey: CryptoKey;
let nextIdToken = "";
const CLIENT_ID = "com.example.web";

beforeAll(async () => {
  ({ privateKey: otherKey } = await generateKeyPair("RS256"));
  const kp = await generateKeyPair("RS256", { extractable: true });
  key = kp.privateKey;
  const jwk = { ...(await exportJWK(kp.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === "/auth/keys")
        return Response.json({ keys: [{ kid: "no-alg", kty: "RSA", n: "x", e: "AQAB" }, jwk] });
      if (path === "/auth/token")
        return Response.json({
          access_token: "at",
          token_type: "Bearer",
          expires_in: 3600,
          refresh_token: "rt",
          id_token: nextIdToken,
        });
      return new Response("", { status: 404 });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(() => server.stop(true));

function apple(): AppleProvider {
  const p = new AppleProvider();
  p.clientId = CLIENT_ID;
  p.clientSecret = "secret-jwt";
  p.tokenURL = `${base}/auth/token`;
  p.jwksURL = `${base}/auth/keys`;
  return p;
}

async function idToken(claims: { [k: string]: unknown }, opts: { kid?: string; signWith?: CryptoKey } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: "https://appleid.apple.com", aud: CLIENT_ID, iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: opts.kid ?? "k1" })
    .sign(opts.signWith ?? key);
}

async function signIn(token: string) {
  nextIdToken = token;
  const p = apple();
  return p.fetchAuthUser(await p.fetchToken("code"));
}

describe("AppleProvider", () => {
  test("the verified id_token is the user", async () => {
    const user = await signIn(
      await idToken({ sub: "001.apple", email: "x@privaterelay.appleid.com", email_verified: "true" }),
    );
    expect(user).toMatchObject({
      id: "001.apple",
      email: "x@privaterelay.appleid.com",
      name: "",
      accessToken: "at",
      refreshToken: "rt",
    });
    expect(user.rawUser.sub).toBe("001.apple");
    expect((await signIn(await idToken({ sub: "u", email: "y@x.com", email_verified: false }))).email).toBe("");
  });

  test("claims and signature are checked", async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      await idToken({ sub: "u", iss: "https://evil.example.com" }),
      await idToken({ sub: "u", aud: "someone.else" }),
      await idToken({ sub: "u", exp: now - 3600 }),
      await idToken({ sub: "u", exp: undefined }),
      await idToken({ sub: "u", iat: now + 3600 }),
      await idToken({ sub: "u" }, { signWith: otherKey }),
      await idToken({ sub: "u" }, { kid: "unknown" }),
      await idToken({ sub: "u" }, { kid: "no-alg" }),
      "",
    ];
    for (const t of bad) await expect(signIn(t)).rejects.toThrow();
    // within the 5 minute leeway
    await signIn(await idToken({ sub: "u", exp: now - 60 }));
    await signIn(await idToken({ sub: "u", aud: ["other", CLIENT_ID] }));
  });

  test("the leeway is adjustable", () => {
    const now = Math.floor(Date.now() / 1000);
    setIdTokenLeeway(0);
    expect(() => validateClaims({ exp: now - 1 }, {})).toThrow("expired");
    setIdTokenLeeway(300);
    validateClaims({ exp: now - 1 }, {});
    expect(() => validateClaims({ exp: "soon" }, {})).toThrow("invalid type");
    expect(() => validateClaims({ nbf: now + 3600 }, {})).toThrow("not valid yet");
  });
});

describe("client secret", () => {
  test("an ES256 JWT for Apple, from a PKCS#8 or SEC1 key", async () => {
    for (const type of ["pkcs8", "sec1"] as const) {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const pem = privateKey.export({ type, format: "pem" }).toString();
      const secret = await generateAppleClientSecret({
        clientId: CLIENT_ID,
        teamId: "TEAM123456",
        keyId: "KEY1234567",
        privateKey: pem,
        duration: 3600,
      });
      expect(decodeProtectedHeader(secret)).toEqual({ alg: "ES256", kid: "KEY1234567", typ: "JWT" });
      const verified = await compactVerify(
        secret,
        await importSPKI(publicKey.export({ type: "spki", format: "pem" }).toString(), "ES256"),
      );
      const claims = JSON.parse(new TextDecoder().decode(verified.payload));
      expect(Object.keys(claims)).toEqual(["iss", "sub", "aud", "exp", "iat"]);
      expect(claims).toMatchObject({ iss: "TEAM123456", sub: CLIENT_ID, aud: ["https://appleid.apple.com"] });
      expect(claims.exp - claims.iat).toBe(3600);
    }
    await expect(
      generateAppleClientSecret({ clientId: "a", teamId: "b", keyId: "c", privateKey: "not a key", duration: 10 }),
    ).rejects.toThrow();
  });
});

describe("redirect names", () => {
  test("kept briefly under the code, taken once; bounded key and name", async () => {
    const app = new App({ dataDir: "/nonexistent" }); // only a key for the per-app store
    storeAppleRedirectName(app, "code1", JSON.stringify({ name: { firstName: "Ada", lastName: "Lovelace" } }));
    expect(takeAppleRedirectName(app, "code1")).toBe("Ada Lovelace");
    expect(takeAppleRedirectName(app, "code1")).toBeNull();

    storeAppleRedirectName(app, "code2", JSON.stringify({ name: { firstName: "aaa", lastName: "b".repeat(200) } }));
    expect(takeAppleRedirectName(app, "code2")).toBe("aaa " + "b".repeat(146));

    storeAppleRedirectName(app, "a".repeat(985), JSON.stringify({ name: { firstName: "x" } }));
    expect(takeAppleRedirectName(app, "a".repeat(985))).toBe("x");
    expect(() => storeAppleRedirectName(app, "a".repeat(986), JSON.stringify({ name: { firstName: "x" } }))).toThrow(
      "nameKey is too large",
    );
    expect(() => storeAppleRedirectName(app, "c", "{bad")).toThrow();
    storeAppleRedirectName(app, "blank", JSON.stringify({ name: { firstName: " ", lastName: "" } }));
    expect(takeAppleRedirectName(app, "blank")).toBeNull();
  });
});
