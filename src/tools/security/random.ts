/** Random strings, as upstream's tools/security generates them. */
import {
  createCipheriv,
  createDecipheriv,
  randomBytes,
  randomInt,
  type CipherGCM,
  type DecipherGCM,
} from "node:crypto";

export const DEFAULT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A cryptographically secure random string (secrets, tokenKeys, passwords). */
export function randomString(length: number, alphabet = DEFAULT_ALPHABET): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A fast non-cryptographic random string (hook ids, record ids in hot paths). */
export function pseudorandomString(length: number, alphabet = DEFAULT_ALPHABET): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

/**
 * AES-GCM with a 12-byte random nonce prepended, base64-encoded: the format upstream uses for the
 * encrypted settings row. `key` must be 16, 24 or 32 bytes long.
 */
export function encrypt(data: Uint8Array | string, key: string): string {
  const keyBytes = Buffer.from(key);
  const nonce = randomBytes(12);
  const cipher = createCipheriv(`aes-${keyBytes.length * 8}-gcm`, keyBytes, nonce) as CipherGCM;
  const body = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
  return Buffer.concat([nonce, body]).toString("base64");
}

/** Reverses `encrypt`; throws on a wrong key or tampered text. */
export function decrypt(cipherText: string, key: string): Buffer {
  const keyBytes = Buffer.from(key);
  const raw = Buffer.from(cipherText, "base64");
  if (raw.length < 12 + 16) throw new Error("cipher text too short");
  const nonce = raw.subarray(0, 12);
  const tag = raw.subarray(raw.length - 16);
  const body = raw.subarray(12, raw.length - 16);
  const decipher = createDecipheriv(`aes-${keyBytes.length * 8}-gcm`, keyBytes, nonce) as DecipherGCM;
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]);
}
