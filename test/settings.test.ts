/**
 * The settings API end to end: the masked shape, PATCH merging and validation, encrypted storage
 * with --encryptionEnv, the cross-process notice, and the S3, email and Apple-secret helpers against
 * real peers (s3rver, an SMTP server).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, watch } from "node:fs";
import { join } from "node:path";
import { decodeProtectedHeader, decodeJwt, importSPKI, jwtVerify } from "jose";
import type PocketBase from "pocketbase";
import { App } from "../src/core/app.ts";
import { decodeSettingsValue } from "../src/core/settings.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { startServer, tempDir, type TestServer, testAppConfig } from "./harness.ts";
import { withDataDb } from "./support/db.ts";
import { startS3rver, type S3Server } from "./support/s3rver.ts";
import { startSmtp, type SmtpServer } from "./support/smtp.ts";

setDefaultTimeout(20_000);

const PASSWORD = "1234567890";
const KEY = "0123456789abcdef0123456789abcdef";

let srv: TestServer;
let su: PocketBase;
let s3: S3Server;
let smtp: SmtpServer;

async function prepare(dataDir: string) {
  const app = new App(await testAppConfig({ dataDir, encryptionKey: KEY }));
  await app.bootstrap();
  await createSuperuser(app, "root@example.com", PASSWORD);
  await app.terminate();
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(srv.url + path, {
    method,
    headers: { Authorization: su.authStore.token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  [s3, smtp] = await Promise.all([startS3rver("pb-settings"), startSmtp()]);
  const work = tempDir();
  await prepare(join(work, "pb_data"));
  srv = await startServer({ workDir: work, args: ["--encryptionEnv=PB_TEST_KEY"], env: { PB_TEST_KEY: KEY } });
  su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", PASSWORD);
});

afterAll(async () => {
  await srv?.stop();
  await Promise.all([s3?.stop(), smtp?.stop()]);
});

describe("GET/PATCH /api/settings", () => {
  test("guests get 401, records 403; superusers get every section in upstream's order without secrets", async () => {
    expect((await fetch(srv.url + "/api/settings")).status).toBe(401);
    const s = await api("GET", "/api/settings");
    expect(s.status).toBe(200);
    expect(Object.keys(s.json)).toEqual([
      "superuserIPs",
      "smtp",
      "backups",
      "s3",
      "meta",
      "rateLimits",
      "trustedProxy",
      "batch",
      "logs",
    ]);
    expect(Object.keys(s.json.smtp)).toEqual(["enabled", "port", "host", "username", "authMethod", "tls", "localName"]);
    expect(s.json.s3).not.toHaveProperty("secret");
    expect(s.json.backups.s3).not.toHaveProperty("secret");
    expect(s.json.logs).toEqual({ maxDays: 5, minLevel: 0, logIP: true, logAuthId: false });
  });

  test('PATCH merges into the current settings: omitted secrets survive, "" clears, arrays are replaced', async () => {
    let r = await api("PATCH", "/api/settings", {
      meta: { appName: "Ops Test" },
      smtp: { password: "smtp-secret", username: "mailer" },
      s3: { secret: "s3-secret", accessKey: "AK" },
      trustedProxy: { headers: ["X-Real-IP"] },
    });
    expect(r.status).toBe(200);
    expect(r.json.meta.appName).toBe("Ops Test");
    expect(r.json.meta.senderName).toBe("Support"); // untouched keys kept
    expect(r.text).not.toContain("smtp-secret");
    expect(r.text).not.toContain("s3-secret");

    // the secrets are stored: a PATCH without them keeps them (checked on disk below)
    r = await api("PATCH", "/api/settings", { meta: { appName: "Ops Test 2" }, trustedProxy: { headers: [] } });
    expect(r.status).toBe(200);
    expect(r.json.trustedProxy.headers).toEqual([]);

    // an empty body is a no-op save
    expect((await api("PATCH", "/api/settings", "")).status).toBe(200);
  });

  test('settings are stored AES-GCM encrypted with --encryptionEnv, secrets included; "" clears a secret', async () => {
    const stored = async () => {
      const row = (await withDataDb(srv.dataDir, (db) =>
        db.get<{ value: unknown }>("SELECT value FROM _params WHERE id = 'settings'"),
      ))!;
      const raw = typeof row.value === "string" ? row.value : new TextDecoder().decode(row.value as Uint8Array);
      expect(raw.startsWith("{")).toBe(false);
      return decodeSettingsValue(raw, KEY) as {
        smtp: { password: string };
        s3: { secret?: string };
        meta: { appName: string };
      };
    };
    let decoded = await stored();
    expect(decoded.smtp.password).toBe("smtp-secret");
    expect(decoded.s3.secret).toBe("s3-secret");
    expect(decoded.meta.appName).toBe("Ops Test 2");
    expect((await api("PATCH", "/api/settings", { s3: { secret: "" } })).status).toBe(200);
    decoded = await stored();
    expect(decoded.s3.secret).toBeUndefined(); // omitted when empty, as upstream stores it
    expect(decoded.smtp.password).toBe("smtp-secret");
  });

  test("a save touches .notify so other processes reload", async () => {
    const dir = join(srv.dataDir, ".notify");
    expect(existsSync(dir)).toBe(true);
    const seen: string[] = [];
    const w = watch(dir, (_e, name) => name && seen.push(String(name)));
    await api("PATCH", "/api/settings", { meta: { appName: "Ops Test 3" } });
    await Bun.sleep(150);
    w.close();
    expect(seen.some((n) => n.startsWith("settings@"))).toBe(true);
  });

  test("invalid data: 400 with upstream's nested error map, nothing saved", async () => {
    const r = await api("PATCH", "/api/settings", {
      meta: { appName: "", appURL: "not a url", senderAddress: "nope", accentColor: "#12" },
      smtp: { enabled: true, host: "", authMethod: "CRAM" },
      s3: { enabled: true, endpoint: "" },
      backups: { cron: "61 * * * *", cronMaxKeep: 0 },
      logs: { maxDays: -1 },
      batch: { maxBodySize: -5 },
      superuserIPs: ["10.0.0.1", "not-an-ip", "10.0.0.0/8"],
      rateLimits: {
        rules: [
          { label: "/api/", maxRequests: 1, duration: 1 },
          { label: "/api/", maxRequests: 2, duration: 1 },
        ],
      },
    });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe("An error occurred while saving the new settings.");
    const d = r.json.data;
    expect(d.meta.appName.code).toBe("validation_required");
    expect(d.meta.appURL.code).toBe("validation_is_url");
    expect(d.meta.senderAddress.code).toBe("validation_is_email");
    expect(d.meta.accentColor.code).toBe("validation_length_invalid");
    expect(d.smtp.host.code).toBe("validation_required");
    expect(d.smtp.authMethod.code).toBe("validation_in_invalid");
    expect(d.s3.endpoint.code).toBe("validation_required");
    expect(d.s3.bucket.code).toBe("validation_required");
    expect(d.backups.cron).toEqual({
      code: "validation_invalid_cron",
      message: "Invalid segment value - must be between the min and max of the segment.",
    });
    expect(d.backups.cronMaxKeep.code).toBe("validation_required");
    expect(d.logs.maxDays.code).toBe("validation_min_greater_equal_than_required");
    expect(d.batch.maxBodySize.code).toBe("validation_min_greater_equal_than_required");
    expect(d.superuserIPs).toEqual({
      "1": { code: "validation_invlaid_ip_or_subnet", message: "Invalid IP or CIDR subnet." },
    });
    expect(d.rateLimits.rules["1"].label.code).toBe("validation_conflicting_rate_limit_rule");
    expect((await api("GET", "/api/settings")).json.meta.appName).toBe("Ops Test 3");
  });

  test("rate limit rules are checked one by one; a wrong JSON type is a loading error", async () => {
    const r = await api("PATCH", "/api/settings", {
      rateLimits: { rules: [{ label: "bad label!", maxRequests: 0, duration: 1, audience: "@x" }] },
    });
    expect(r.status).toBe(400);
    expect(Object.keys(r.json.data.rateLimits.rules["0"]).sort()).toEqual(["audience", "label", "maxRequests"]);
    const t = await api("PATCH", "/api/settings", { meta: "not an object" });
    expect(t.status).toBe(400);
    expect(t.json.message).toBe("An error occurred while loading the submitted data.");
    expect((await api("PATCH", "/api/settings", "{")).status).toBe(400);
  });

  test("?fields= applies to the settings", async () => {
    const r = await api("GET", "/api/settings?fields=meta.appName,logs");
    expect(r.json).toEqual({
      meta: { appName: "Ops Test 3" },
      logs: { maxDays: 5, minLevel: 0, logIP: true, logAuthId: false },
    });
  });
});

describe("POST /api/settings/test/s3", () => {
  test("validation, a disabled config, then a real round trip on s3rver", async () => {
    let r = await api("POST", "/api/settings/test/s3", {});
    expect(r.status).toBe(400);
    expect(r.json.data.filesystem.code).toBe("validation_required");
    r = await api("POST", "/api/settings/test/s3", { filesystem: "invalid" });
    expect(r.json.data.filesystem.code).toBe("validation_in_invalid");
    r = await api("POST", "/api/settings/test/s3", { filesystem: "backups" });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe("Failed to test the S3 filesystem. Raw error: \nS3 storage filesystem is not enabled.");

    expect((await api("PATCH", "/api/settings", { backups: { s3: { ...s3.config, enabled: true } } })).status).toBe(
      200,
    );
    r = await api("POST", "/api/settings/test/s3", { filesystem: "backups" });
    expect(r.status).toBe(204);
    // the test file is gone again
    const list = await fetch(`${s3.endpoint}/${s3.config.bucket}?list-type=2`).then((x) => x.text());
    expect(list).not.toContain("pb_settings_test_");

    expect(
      (
        await api("PATCH", "/api/settings", {
          backups: { s3: { ...s3.config, enabled: true, bucket: "missing-bucket" } },
        })
      ).status,
    ).toBe(200);
    r = await api("POST", "/api/settings/test/s3", { filesystem: "backups" });
    expect(r.status).toBe(400);
    expect(r.json.message).toStartWith("Failed to test the S3 filesystem. Raw error: \nfailed to upload a test file");
    expect((await api("PATCH", "/api/settings", { backups: { s3: { enabled: false } } })).status).toBe(200);
  });
});

describe("POST /api/settings/test/email", () => {
  test("validation errors", async () => {
    let r = await api("POST", "/api/settings/test/email", {});
    expect(r.status).toBe(400);
    expect(r.json.data.email.code).toBe("validation_required");
    expect(r.json.data.template.code).toBe("validation_required");
    r = await api("POST", "/api/settings/test/email", {
      email: "a@example.com",
      template: "verification",
      collection: "missing",
    });
    expect(r.json.data.collection.code).toBe("validation_invalid_auth_collection");
    r = await api("POST", "/api/settings/test/email", "{");
    expect(r.status).toBe(400);
    expect(r.json.data).toEqual({});
  });

  test("each template is sent through the configured SMTP server", async () => {
    expect(
      (
        await api("PATCH", "/api/settings", {
          smtp: { enabled: true, host: "127.0.0.1", port: smtp.port, username: "", password: "" },
        })
      ).status,
    ).toBe(200);
    const since = Date.now();
    for (const template of ["verification", "password-reset", "email-change", "otp", "login-alert"]) {
      const r = await api("POST", "/api/settings/test/email", {
        email: `${template}@example.com`,
        template,
        collection: "users",
      });
      expect(r.status).toBe(204);
      const mail = await smtp.waitFor((m) => m.to.includes(`${template}@example.com`), { since });
      expect(mail.subject.length).toBeGreaterThan(0);
      if (template === "otp") expect(mail.html).toContain("123456");
    }
    const su = await smtp.waitFor((m) => m.to.includes("verification@example.com"), { since });
    expect(su.html).toContain("/_/#/auth/confirm-verification/");
  });

  test("a send failure is a 400 with the raw error", async () => {
    await smtp.failNext(1);
    const r = await api("POST", "/api/settings/test/email", { email: "fail@example.com", template: "verification" });
    expect(r.status).toBe(400);
    expect(r.json.message).toStartWith("Failed to send the test email. Raw error: \n");
  });
});

describe("POST /api/settings/apple/generate-client-secret", () => {
  test("validation as upstream", async () => {
    const r = await api("POST", "/api/settings/apple/generate-client-secret", {
      clientId: "",
      teamId: "123456789",
      keyId: "123456789",
      privateKey: "invalid",
      duration: -1,
    });
    expect(r.status).toBe(400);
    expect(r.json.message).toBe("Invalid client secret data.");
    expect(Object.fromEntries(Object.entries(r.json.data).map(([k, v]) => [k, (v as { code: string }).code]))).toEqual({
      clientId: "validation_required",
      duration: "validation_min_greater_equal_than_required",
      keyId: "validation_length_invalid",
      privateKey: "validation_match_invalid",
      teamId: "validation_length_invalid",
    });
    const big = await api("POST", "/api/settings/apple/generate-client-secret", {
      clientId: "c",
      teamId: "1234567890",
      keyId: "1234567890",
      privateKey: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
      duration: 15777001,
    });
    expect(big.json.data.duration.code).toBe("validation_max_less_equal_than_required");
  });

  test("an ES256 JWT with Apple's claims, verifiable with the public key", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const r = await api("POST", "/api/settings/apple/generate-client-secret", {
      clientId: "com.example.app",
      teamId: "TEAM123456",
      keyId: "KEY1234567",
      privateKey: pem,
      duration: 3600,
    });
    expect(r.status).toBe(200);
    const secret = r.json.secret as string;
    expect(decodeProtectedHeader(secret)).toEqual({ alg: "ES256", kid: "KEY1234567", typ: "JWT" });
    const { payload } = await jwtVerify(
      secret,
      await importSPKI(publicKey.export({ type: "spki", format: "pem" }).toString(), "ES256"),
    );
    expect(payload.iss).toBe("TEAM123456");
    expect(payload.sub).toBe("com.example.app");
    expect(payload.aud).toEqual(["https://appleid.apple.com"]);
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(decodeJwt(secret).iat).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));

    const bad = await api("POST", "/api/settings/apple/generate-client-secret", {
      clientId: "c",
      teamId: "1234567890",
      keyId: "1234567890",
      duration: 10,
      privateKey: "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----",
    });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toStartWith("Failed to generate client secret. Raw error: \n");
  });
});
