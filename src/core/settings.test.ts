import { afterAll, describe, expect, test } from "bun:test";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "./app.ts";
import { Settings, decodeSettingsValue, loadSettings, saveSettings } from "./settings.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const newDir = () => {
  const d = mkdtempSync(join(tmpdir(), "pb-settings-"));
  dirs.push(d);
  return d;
};

const KEY = "0123456789abcdef0123456789abcdef"; // 32 chars → AES-256, as --encryptionEnv expects

/** Go's security.Decrypt: base64(nonce(12) ‖ ciphertext ‖ tag(16)) with AES-GCM. */
function goDecrypt(text: string, key: string): string {
  const raw = Buffer.from(text, "base64");
  const nonce = raw.subarray(0, 12);
  const sealed = raw.subarray(12);
  const d = createDecipheriv("aes-256-gcm", Buffer.from(key), nonce);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]).toString("utf8");
}

/** Go's security.Encrypt, written independently of ours. */
function goEncrypt(plain: string, key: string): string {
  const nonce = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", Buffer.from(key), nonce);
  const body = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]).toString("base64");
}

describe("settings model", () => {
  test("API JSON leaves the secrets out, in upstream's key order", () => {
    const s = new Settings();
    s.smtp.password = "smtp-pass";
    s.s3.secret = "s3-secret";
    s.backups.s3.secret = "backup-secret";
    const json = s.toJSON() as any;
    expect(Object.keys(json)).toEqual([
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
    expect(Object.keys(json.smtp)).toEqual(["enabled", "port", "host", "username", "authMethod", "tls", "localName"]);
    expect(json.s3.secret).toBeUndefined();
    expect(json.backups.s3.secret).toBeUndefined();
    expect(JSON.stringify(json)).not.toMatch(/smtp-pass|s3-secret|backup-secret/);

    const stored = JSON.parse(s.toStoredJSON());
    expect(stored.smtp.password).toBe("smtp-pass");
    expect(stored.s3.secret).toBe("s3-secret");
    expect(stored.backups.s3.secret).toBe("backup-secret");
    expect(Object.keys(stored.s3)).toEqual([
      "enabled",
      "bucket",
      "region",
      "endpoint",
      "accessKey",
      "secret",
      "forcePathStyle",
    ]);
  });

  test("stored JSON escapes HTML like Go and omits empty S3 secrets", () => {
    const s = new Settings();
    s.meta.appName = "A&B <x>";
    const stored = s.toStoredJSON();
    expect(stored).toContain('"appName":"A\\u0026B \\u003cx\\u003e"');
    expect(stored).not.toContain('"secret"');
    expect(stored).toContain('"password":""');
  });

  test("merge follows Go's unmarshal: objects merge, lists replace, list items merge by index", () => {
    const s = new Settings();
    s.merge({
      meta: { appName: "Mine" },
      smtp: { port: "25", enabled: true }, // a wrong type is ignored
      superuserIPs: ["127.0.0.1"],
      trustedProxy: { headers: null },
      rateLimits: { rules: [{ label: "x" }], enabled: true },
      LOGS: { maxDays: 7.9 },
      unknown: 1,
    });
    expect(s.meta).toEqual({ ...new Settings().meta, appName: "Mine" });
    expect(s.smtp.port).toBe(587);
    expect(s.smtp.enabled).toBe(true);
    expect(s.superuserIPs).toEqual(["127.0.0.1"]);
    expect(s.trustedProxy.headers).toEqual([]);
    expect(s.rateLimits.rules).toEqual([{ label: "x", audience: "", duration: 3, maxRequests: 2 }]);
    expect(s.rateLimits.enabled).toBe(true);
    expect(s.logs.maxDays).toBe(7);
  });

  test("clone is deep", () => {
    const s = new Settings();
    s.smtp.password = "p";
    const c = s.clone();
    c.rateLimits.rules[0]!.maxRequests = 99;
    c.meta.appName = "Other";
    expect(s.rateLimits.rules[0]!.maxRequests).toBe(2);
    expect(s.meta.appName).toBe("Acme");
    expect(c.smtp.password).toBe("p");
  });
});

describe("settings storage", () => {
  test("plain: inserted on first run as a BLOB and read back", async () => {
    const app = new App({ dataDir: newDir() });
    await app.bootstrap();
    const s = app.settings();
    s.meta.appName = "Changed";
    s.smtp.password = "secret-pass";
    await app.saveSettings(s);
    const row = (await app.db.get(
      "SELECT typeof(value) AS t, created, updated FROM _params WHERE id = 'settings'",
    )) as any;
    expect(row.t).toBe("blob");
    expect(row.updated >= row.created).toBe(true);
    const loaded = await loadSettings(app);
    expect(loaded.meta.appName).toBe("Changed");
    expect(loaded.smtp.password).toBe("secret-pass");
    await app.terminate();
  });

  test("plain JSON stored as TEXT loads too", async () => {
    const app = new App({ dataDir: newDir() });
    await app.bootstrap();
    await app.db.run(`UPDATE _params SET value = '{"meta":{"appName":"Text"}}' WHERE id = 'settings'`);
    const loaded = await loadSettings(app);
    expect(loaded.meta.appName).toBe("Text");
    expect(loaded.logs.maxDays).toBe(5); // defaults fill the rest
    await app.terminate();
  });

  test("encrypted: base64 AES-GCM text that Go's scheme decrypts, and round trip", async () => {
    const dir = newDir();
    const app = new App({ dataDir: dir, encryptionKey: KEY });
    await app.bootstrap();
    const s = app.settings();
    s.smtp.password = "encrypted-pass";
    await app.saveSettings(s);

    const row = (await app.db.get("SELECT typeof(value) AS t, value FROM _params WHERE id = 'settings'")) as {
      t: string;
      value: string;
    };
    expect(row.t).toBe("text");
    expect(row.value).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(row.value).not.toContain("encrypted-pass");
    expect(goDecrypt(row.value, KEY)).toBe(s.toStoredJSON());
    await app.terminate();

    // reopening with the key reads it; without the key it cannot
    const again = new App({ dataDir: dir, encryptionKey: KEY });
    await again.bootstrap();
    expect(again.settings().smtp.password).toBe("encrypted-pass");
    await again.terminate();
    const noKey = new App({ dataDir: dir });
    await expect(noKey.bootstrap()).rejects.toThrow("missing encryption key");
    await noKey.close();
    const wrongKey = new App({ dataDir: dir, encryptionKey: "fedcba9876543210fedcba9876543210" });
    await expect(wrongKey.bootstrap()).rejects.toThrow();
    await wrongKey.close();
  });

  test("a row encrypted the way upstream does it loads", async () => {
    const app = new App({ dataDir: newDir(), encryptionKey: KEY });
    await app.bootstrap();
    const value = goEncrypt('{"meta":{"appName":"FromGo"},"batch":{"enabled":true}}', KEY);
    await app.db.run("UPDATE _params SET value = ? WHERE id = 'settings'", [value]);
    const loaded = await loadSettings(app);
    expect(loaded.meta.appName).toBe("FromGo");
    expect(loaded.batch.enabled).toBe(true);
    await app.terminate();
  });

  test("plain rows are still read when a key is set (plain JSON is tried first)", async () => {
    const dir = newDir();
    const plain = new App({ dataDir: dir });
    await plain.bootstrap();
    await plain.terminate();
    const keyed = new App({ dataDir: dir, encryptionKey: KEY });
    await keyed.bootstrap();
    expect(keyed.settings().meta.appName).toBe("Acme");
    // the next save encrypts
    await saveSettings(keyed, keyed.settings());
    expect(((await keyed.db.get("SELECT typeof(value) AS t FROM _params")) as { t: string }).t).toBe("text");
    await keyed.terminate();
  });

  test("decodeSettingsValue accepts bytes, text and JSON null", () => {
    expect(decodeSettingsValue(new TextEncoder().encode('{"a":1}'), "")).toEqual({ a: 1 });
    expect(decodeSettingsValue("null", "")).toBeNull();
    expect(() => decodeSettingsValue("not json", "")).toThrow("missing encryption key");
  });
});
