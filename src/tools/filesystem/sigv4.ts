/**
 * AWS Signature Version 4 for the few S3 requests Bun's S3 client can't make (object metadata:
 * `x-amz-meta-*` on upload, and reading it back). Header-based signing with a hashed payload.
 */
import { createHash, createHmac } from "node:crypto";

export interface SigV4Credentials {
  accessKey: string;
  secretKey: string;
  region: string;
  service?: string;
}

function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

/** RFC 3986 encoding of one path segment or query part (unreserved characters stay). */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Encodes a path, keeping its slashes. */
export function uriEncodePath(path: string): string {
  return path.split("/").map(uriEncode).join("/");
}

/**
 * Signs a request in place: adds `x-amz-date`, `x-amz-content-sha256` and `authorization`.
 * Signed headers: host, content-type and every `x-amz-*` header present.
 */
export function signRequest(
  method: string,
  url: URL,
  headers: Headers,
  body: Uint8Array | null,
  cred: SigV4Credentials,
  now = new Date(),
): void {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const date = amzDate.slice(0, 8);
  const payloadHash = sha256Hex(body ?? new Uint8Array(0));
  headers.set("x-amz-date", amzDate);
  headers.set("x-amz-content-sha256", payloadHash);

  const canon = new Map<string, string>();
  canon.set("host", url.host);
  for (const [k, v] of headers) {
    const key = k.toLowerCase();
    if (key === "content-type" || key.startsWith("x-amz-")) canon.set(key, v.trim().replace(/\s+/g, " "));
  }
  const names = [...canon.keys()].sort();
  const signedHeaders = names.join(";");
  const canonicalHeaders = names.map((n) => `${n}:${canon.get(n)}\n`).join("");
  const query = [...url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonicalRequest = [method, url.pathname, query, canonicalHeaders, signedHeaders, payloadHash].join("\n");

  const service = cred.service ?? "s3";
  const scope = `${date}/${cred.region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");
  let key = hmac("AWS4" + cred.secretKey, date);
  key = hmac(key, cred.region);
  key = hmac(key, service);
  key = hmac(key, "aws4_request");
  const signature = createHmac("sha256", key).update(stringToSign).digest("hex");
  headers.set(
    "authorization",
    `AWS4-HMAC-SHA256 Credential=${cred.accessKey}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  );
}
