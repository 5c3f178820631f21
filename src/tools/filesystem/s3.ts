/**
 * S3 (or any S3-compatible service) storage with the same keys as local storage. Reads, lists and
 * deletes go through Bun's native S3 client; uploads and attribute reads are signed here, because
 * they carry the `x-amz-meta-original-filename` metadata upstream writes and Bun's client can't.
 */
import { defaultAttributes, type Attributes, type Driver, type ListObject, type WriteOptions } from "./driver.ts";
import { NotFoundError } from "./errors.ts";
import { escapeS3Key, hexEscape, hexUnescape } from "./keys.ts";
import { signRequest, uriEncodePath } from "./sigv4.ts";

/** The S3 settings upstream keeps (settings.s3 / settings.backups.s3). */
export interface S3Config {
  bucket: string;
  region: string;
  /** With or without the scheme (https when omitted). */
  endpoint: string;
  accessKey: string;
  secret: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key`. */
  forcePathStyle: boolean;
}

/** Go's url.PathEscape (upstream escapes metadata values with it). */
export function goPathEscape(s: string): string {
  let out = "";
  for (const byte of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~$&+:=@]/.test(c)) out += c;
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

function goPathUnescape(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export class S3Driver implements Driver {
  private readonly client: Bun.S3Client;
  private readonly scheme: string;
  private readonly host: string;

  constructor(readonly config: S3Config) {
    let endpoint = config.endpoint.replace(/\/+$/, "");
    let scheme = "https";
    if (endpoint.startsWith("https://")) endpoint = endpoint.slice(8);
    else if (endpoint.startsWith("http://")) {
      endpoint = endpoint.slice(7);
      scheme = "http";
    }
    this.scheme = scheme;
    this.host = endpoint;
    this.client = new Bun.S3Client({
      accessKeyId: config.accessKey,
      secretAccessKey: config.secret,
      region: config.region || undefined,
      ...(config.forcePathStyle
        ? { endpoint: `${scheme}://${endpoint}`, bucket: config.bucket }
        : { endpoint: `${scheme}://${config.bucket}.${endpoint}`, virtualHostedStyle: true }),
    });
  }

  /** The object URL of an (escaped) key, as upstream builds it. */
  url(escapedKey: string): URL {
    const path = uriEncodePath(escapedKey.replace(/^\/+/, ""));
    return this.config.forcePathStyle
      ? new URL(`${this.scheme}://${this.host}/${uriEncodePath(this.config.bucket)}/${path}`)
      : new URL(`${this.scheme}://${this.config.bucket}.${this.host}/${path}`);
  }

  private async signedFetch(method: string, key: string, headers: Headers, body: Uint8Array | null): Promise<Response> {
    const url = this.url(escapeS3Key(key));
    signRequest(method, url, headers, body, {
      accessKey: this.config.accessKey,
      secretKey: this.config.secret,
      region: this.config.region,
    });
    return fetch(url, { method, headers, body: body as Uint8Array<ArrayBuffer> | null, redirect: "manual" });
  }

  async attributes(key: string): Promise<Attributes> {
    const res = await this.signedFetch("HEAD", key, new Headers(), null);
    if (res.status === 404) throw new NotFoundError(key);
    if (!res.ok) throw new Error(`S3 HEAD ${key}: ${res.status} ${res.statusText}`);
    const metadata: { [k: string]: string } = {};
    for (const [k, v] of res.headers) {
      if (k.toLowerCase().startsWith("x-amz-meta-")) {
        metadata[hexUnescape(goPathUnescape(k.slice(11))).toLowerCase()] = goPathUnescape(v);
      }
    }
    const etag = res.headers.get("etag") ?? "";
    const hex = etag.replace(/"/g, "");
    return defaultAttributes({
      cacheControl: res.headers.get("cache-control") ?? "",
      contentDisposition: res.headers.get("content-disposition") ?? "",
      contentEncoding: res.headers.get("content-encoding") ?? "",
      contentLanguage: res.headers.get("content-language") ?? "",
      contentType: res.headers.get("content-type") ?? "",
      metadata,
      modTime: new Date(res.headers.get("last-modified") ?? 0),
      size: Number(res.headers.get("content-length") ?? 0),
      md5: /^[0-9a-f]{32}$/i.test(hex) ? Buffer.from(hex, "hex").toString("base64") : "",
      etag,
    });
  }

  blob(key: string): Blob {
    return this.client.file(escapeS3Key(key));
  }

  async write(key: string, content: Uint8Array | Blob, opts: WriteOptions): Promise<void> {
    const body = content instanceof Uint8Array ? content : new Uint8Array(await content.arrayBuffer());
    const headers = new Headers({ "content-type": opts.contentType });
    if (opts.cacheControl) headers.set("cache-control", opts.cacheControl);
    if (opts.contentDisposition) headers.set("content-disposition", opts.contentDisposition);
    if (opts.contentEncoding) headers.set("content-encoding", opts.contentEncoding);
    if (opts.contentLanguage) headers.set("content-language", opts.contentLanguage);
    for (const [k, v] of Object.entries(opts.metadata ?? {})) {
      const name = hexEscape(goPathEscape(k), (r, i) => r[i] === "@" || r[i] === ":" || r[i] === "=");
      headers.set("x-amz-meta-" + name, goPathEscape(v));
    }
    const res = await this.signedFetch("PUT", key, headers, body);
    if (!res.ok) throw new Error(`S3 PUT ${key}: ${res.status} ${(await res.text()).slice(0, 500)}`);
    await res.arrayBuffer();
  }

  async delete(key: string): Promise<void> {
    await this.client.delete(escapeS3Key(key));
  }

  async list(prefix: string): Promise<ListObject[]> {
    const out: ListObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.list({ prefix: escapeS3Key(prefix), continuationToken: token, maxKeys: 1000 });
      for (const o of page.contents ?? []) {
        out.push({ key: hexUnescape(o.key), size: o.size ?? 0, modTime: new Date(o.lastModified ?? 0) });
      }
      token = page.isTruncated ? page.nextContinuationToken : undefined;
    } while (token);
    return out;
  }
}
