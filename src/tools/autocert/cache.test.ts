import { afterAll, describe, expect, test } from "bun:test";
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { selfSignedCertificate } from "./default_certificate.ts";
import { ACCOUNT_KEY_NAME, CertificateCache, newPrivateKey } from "./cache.ts";

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), "pb-autocert-cache-"));
  dirs.push(d);
  return join(d, ".autocert_cache");
};
/** A cache folder that already exists (files are written into it by hand). */
const existingDir = () => {
  const dir = freshDir();
  mkdirSync(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A self-signed certificate for `domain` over `keyPem`, valid for `days`. */
const certFor = async (domain: string, keyPem: string, days = 90) =>
  (await selfSignedCertificate(domain, { keyPem, days })).cert;

describe("CertificateCache (autocert.DirCache's layout)", () => {
  test("the account key: made once as SEC1 PEM, owner-only, then reused", () => {
    const dir = freshDir();
    const cache = new CertificateCache(dir);
    const key = cache.accountKey();
    expect(key).toStartWith("-----BEGIN EC PRIVATE KEY-----");
    expect(readFileSync(join(dir, ACCOUNT_KEY_NAME), "utf8")).toBe(key);
    expect(statSync(join(dir, ACCOUNT_KEY_NAME)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(new CertificateCache(dir).accountKey()).toBe(key);
  });

  test("a broken account key file is replaced, not fatal", () => {
    const dir = freshDir();
    const cache = new CertificateCache(dir);
    cache.accountKey();
    writeFileSync(join(dir, ACCOUNT_KEY_NAME), "garbage");
    expect(cache.accountKey()).toStartWith("-----BEGIN EC PRIVATE KEY-----");
  });

  test("a certificate file is its key (SEC1) followed by the chain, and reads back", async () => {
    const dir = freshDir();
    const cache = new CertificateCache(dir);
    // acme-client hands keys over as PKCS#8; the file holds SEC1, as autocert writes it
    const key = String(createPrivateKey(newPrivateKey()).export({ type: "pkcs8", format: "pem" }));
    const cert = await certFor("example.com", key, 90);
    const stored = cache.putCertificate("example.com", key, cert + cert);
    const file = readFileSync(join(dir, "example.com"), "utf8");
    expect(file).toStartWith("-----BEGIN EC PRIVATE KEY-----");
    expect(file.match(/-----BEGIN CERTIFICATE-----/g)!.length).toBe(2);
    const read = cache.certificate("example.com")!;
    expect(read.cert).toBe(stored.cert);
    expect(read.key).toBe(stored.key);
    expect(read.notAfter.getTime() - Date.now()).toBeGreaterThan(89 * 86400_000);
  });

  test("what autocert would not use is a miss: another name, a key that does not match, garbage", async () => {
    const dir = existingDir();
    const cache = new CertificateCache(dir);
    const key = newPrivateKey();
    const other = newPrivateKey();
    writeFileSync(join(dir, "a.example.com"), key + (await certFor("b.example.com", key)));
    writeFileSync(join(dir, "c.example.com"), other + (await certFor("c.example.com", key)));
    writeFileSync(join(dir, "d.example.com"), "not a pem");
    for (const name of ["a.example.com", "c.example.com", "d.example.com", "missing.example.com"])
      expect(cache.certificate(name)).toBeNull();
  });

  test("keys in other PEM forms that autocert accepts (PKCS#8) are read", async () => {
    const dir = existingDir();
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const pkcs8 = String(privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "example.org"), pkcs8 + (await certFor("example.org", pkcs8)));
    expect(new CertificateCache(dir).certificate("example.org")).not.toBeNull();
  });
});
