/**
 * Apple's OAuth2 client secret is an ES256 JWT signed with a key from the Apple developer account
 * (what `POST /api/settings/apple/generate-client-secret` returns). Apple accepts it for at most
 * six months, so it is generated on demand rather than configured once.
 */
import { importPKCS8, SignJWT } from "jose";
import { createPrivateKey } from "node:crypto";
import { APPLE_ISSUER } from "./providers/apple.ts";

export interface AppleClientSecretOptions {
  /** The Services ID (the OAuth2 client id). */
  clientId: string;
  /** The 10-character Apple team id. */
  teamId: string;
  /** The 10-character id of the signing key. */
  keyId: string;
  /** The signing key as PEM (PKCS#8 "PRIVATE KEY" or SEC1 "EC PRIVATE KEY"). */
  privateKey: string;
  /** Lifetime in seconds (Apple allows up to 15777000, about six months). */
  duration: number;
}

/** Signs the client secret JWT: `{iss: teamId, sub: clientId, aud: [appleid], exp, iat}`, header `kid`. */
export async function generateAppleClientSecret(o: AppleClientSecretOptions): Promise<string> {
  // accept SEC1 keys too (Go's ParseECPrivateKeyFromPEM reads both) by normalizing to PKCS#8
  const pkcs8 = createPrivateKey(o.privateKey.trim()).export({ type: "pkcs8", format: "pem" }).toString();
  const key = await importPKCS8(pkcs8, "ES256");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: o.teamId, sub: o.clientId, aud: [APPLE_ISSUER], exp: now + o.duration, iat: now })
    .setProtectedHeader({ alg: "ES256", kid: o.keyId, typ: "JWT" })
    .sign(key);
}
