/**
 * The certificate a TLS server presents for a name it has no certificate for. Bun's server picks
 * certificates by SNI from a list and gives any other name the first entry; autocert refuses such a
 * handshake instead. A fresh self-signed certificate for a name no one can own (`*.invalid`, RFC 2606) as
 * that first entry comes closest: no client trusts it, and it names none of the served domains.
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import * as x509 from "@peculiar/x509";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

export function selfSignedDefault(): Promise<{ key: string; cert: string }> {
  return selfSignedCertificate("unknown-name.invalid");
}

/**
 * A self-signed P-256 certificate naming `name` (its subject CN), valid from an hour ago for `days`, over
 * `keyPem` (any PEM form node:crypto reads) or a new key; the key comes back as PKCS#8 PEM.
 */
export async function selfSignedCertificate(
  name: string,
  opts: { keyPem?: string; days?: number } = {},
): Promise<{ key: string; cert: string }> {
  const keys = opts.keyPem
    ? {
        privateKey: await crypto.subtle.importKey(
          "pkcs8",
          createPrivateKey(opts.keyPem).export({ type: "pkcs8", format: "der" }),
          ALG,
          true,
          ["sign"],
        ),
        publicKey: await crypto.subtle.importKey(
          "spki",
          createPublicKey(opts.keyPem).export({ type: "spki", format: "der" }),
          ALG,
          true,
          ["verify"],
        ),
      }
    : await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01" + Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString("hex"), // positive
    name: `CN=${name}`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + (opts.days ?? 365) * 24 * 3600_000),
    keys,
    signingAlgorithm: ALG,
  });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join("\n")}\n-----END PRIVATE KEY-----\n`;
  return { key, cert: cert.toString("pem") + "\n" };
}
