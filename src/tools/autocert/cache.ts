/**
 * The certificate cache folder, in the layout of Go's `autocert.DirCache` (upstream keeps it in
 * `pb_data/.autocert_cache`), so a pb_data moves between pb and PocketBase with its certificates:
 *
 * - `acme_account+key`: the ACME account's private key, PEM "EC PRIVATE KEY" (SEC1);
 * - `<domain>`: the certificate's private key (PEM "EC PRIVATE KEY") followed by its chain, leaf first
 *   (an RSA certificate would be `<domain>+rsa`; autocert only makes those for clients without ECDSA, and
 *   neither do we, so they are neither read nor written here).
 *
 * Files are written to a temp name and renamed into place (a crash never leaves half a key), readable by
 * the owner only, in a folder only the owner can enter.
 */
import { X509Certificate, createPrivateKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const ACCOUNT_KEY_NAME = "acme_account+key";

export interface CachedCertificate {
  /** The private key, PEM. */
  key: string;
  /** The chain, leaf first, PEM. */
  cert: string;
  notBefore: Date;
  notAfter: Date;
}

/** A new ECDSA P-256 private key (what autocert makes for accounts and certificates), PEM SEC1. */
export function newPrivateKey(): string {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return toSec1(privateKey);
}

function toSec1(key: KeyObject): string {
  // RSA keys (from another tool writing the folder) cannot be SEC1; PKCS#8 is read by autocert as well
  return String(
    key.asymmetricKeyType === "ec"
      ? key.export({ type: "sec1", format: "pem" })
      : key.export({ type: "pkcs8", format: "pem" }),
  );
}

/** The private key as PKCS#8 PEM (what acme-client and Bun's TLS take whatever the stored form). */
export function toPkcs8(pem: string): string {
  return String(createPrivateKey(pem).export({ type: "pkcs8", format: "pem" }));
}

export class CertificateCache {
  constructor(readonly dir: string) {}

  /** The stored account key, or a new one (stored) when there is none or it does not parse. */
  accountKey(): string {
    const stored = this.read(ACCOUNT_KEY_NAME);
    if (stored) {
      try {
        createPrivateKey(stored);
        return stored;
      } catch {}
    }
    const key = newPrivateKey();
    this.write(ACCOUNT_KEY_NAME, key);
    return key;
  }

  /**
   * The stored certificate for `domain`, when it parses, its key matches and it covers the name (as
   * autocert checks before using one). Expiry is the caller's to judge.
   */
  certificate(domain: string): CachedCertificate | null {
    const data = this.read(domain);
    if (!data) return null;
    const at = data.indexOf("-----BEGIN CERTIFICATE-----");
    if (at < 0) return null;
    const key = data.slice(0, at);
    const cert = data.slice(at);
    try {
      const leaf = new X509Certificate(cert);
      if (!leaf.checkPrivateKey(createPrivateKey(key))) return null;
      if (leaf.checkHost(domain) === undefined) return null;
      return { key: key.trim() + "\n", cert, notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo) };
    } catch {
      return null;
    }
  }

  /** Stores a certificate: its key (as SEC1 when ECDSA) and then the chain, as autocert does. */
  putCertificate(domain: string, keyPem: string, chainPem: string): CachedCertificate {
    const key = toSec1(createPrivateKey(keyPem));
    const cert = chainPem.trim() + "\n";
    this.write(domain, key + cert);
    const leaf = new X509Certificate(cert);
    return { key, cert, notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo) };
  }

  private read(name: string): string | null {
    try {
      return readFileSync(join(this.dir, name), "utf8");
    } catch {
      return null;
    }
  }

  private write(name: string, data: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, join(this.dir, name));
  }
}
