/**
 * Throwaway certificates for TLS tests that need no CA: self-signed, P-256, for one DNS name, over a given
 * key (PEM, any form node:crypto reads) or a new one.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto";
import * as x509 from "@peculiar/x509";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

/** A self-signed certificate for `domain`, valid from a second ago for `days`; returns its PEM and key. */
export async function selfSignedFor(
  domain: string,
  opts: { keyPem?: string; days?: number } = {},
): Promise<{ cert: string; key: string }> {
  const key =
    opts.keyPem ??
    String(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }));
  const pkcs8 = createPrivateKey(key).export({ type: "pkcs8", format: "der" });
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  const keys = {
    privateKey: await crypto.subtle.importKey("pkcs8", pkcs8, ALG, true, ["sign"]),
    publicKey: await crypto.subtle.importKey("spki", spki, ALG, true, ["verify"]),
  };
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01" + Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString("hex"),
    name: `CN=${domain}`,
    notBefore: new Date(Date.now() - 1000),
    notAfter: new Date(Date.now() + (opts.days ?? 90) * 86400_000),
    keys,
    signingAlgorithm: ALG,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: domain }])],
  });
  return { cert: cert.toString("pem") + "\n", key };
}
