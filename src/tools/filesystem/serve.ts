/**
 * Serving a stored blob over HTTP the way upstream does (filesystem.Serve on top of Go's
 * http.ServeContent): inline only for media and PDF, a CSP sandbox, a long Cache-Control,
 * Last-Modified with If-Modified-Since/If-Unmodified-Since, ETag preconditions when a hook set one,
 * and byte ranges (one range → 206, several → multipart/byteranges, none overlapping → 416).
 */
import type { Attributes } from "./driver.ts";

/** Types served inline; everything else is an attachment. */
export const INLINE_CONTENT_TYPES = new Set([
  "image/png",
  "image/jpg",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "image/x-icon",
  "image/bmp",
  "video/webm",
  "video/mp4",
  "video/3gpp",
  "video/quicktime",
  "video/x-ms-wmv",
  "audio/basic",
  "audio/aiff",
  "audio/mpeg",
  "audio/midi",
  "audio/mp3",
  "audio/wave",
  "audio/wav",
  "audio/x-wav",
  "audio/x-mpeg",
  "audio/x-m4a",
  "audio/aac",
  "application/pdf",
  "application/x-pdf",
]);

/** Extensions whose content type is forced (sniffing can't tell them apart from plain text or zip). */
export const EXTENSION_CONTENT_TYPES: { [ext: string]: string } = {
  ".svg": "image/svg+xml",
  ".css": "text/css",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

export const FILE_CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox";
export const FILE_CACHE_CONTROL = "max-age=2592000, stale-while-revalidate=86400";

export interface ServeOptions {
  /** Response headers set so far (middlewares, hooks); those win over the defaults. Mutated. */
  headers?: Headers;
}

/** Go's strconv.ParseBool. */
export function parseBool(s: string): boolean | null {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return null;
}

/** Go's filepath.Ext: from the last dot of the last path element. */
function ext(key: string): string {
  const base = key.slice(key.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot >= 0 ? base.slice(dot) : "";
}

/** A header-safe value: UTF-8 bytes as Latin-1 (sent raw, as Go does), line breaks as spaces. */
export function headerValue(s: string): string {
  return Buffer.from(s.replace(/[\r\n\0]/g, " "), "utf8").toString("latin1");
}

function setIfMissing(h: Headers, key: string, value: string) {
  if (!h.has(key)) h.set(key, value);
}

/** Go's http.TimeFormat date of a time, cut to the second. */
function httpDate(d: Date): string {
  return d.toUTCString();
}

function isZeroTime(d: Date): boolean {
  return Number.isNaN(d.getTime()) || d.getTime() <= 0;
}

function truncSeconds(d: Date): number {
  return Math.floor(d.getTime() / 1000) * 1000;
}

type Cond = "none" | "true" | "false";

/** Entity tags in an If-Match/If-None-Match list ("*" included). */
function etagList(header: string): string[] {
  return header
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function strongMatch(a: string, b: string): boolean {
  return a !== "" && a === b && !a.startsWith("W/");
}

function weakMatch(a: string, b: string): boolean {
  return a.replace(/^W\//, "") === b.replace(/^W\//, "") && a !== "";
}

interface ByteRange {
  start: number;
  length: number;
}

/** Go's parseRange; "no-overlap" when every range starts past the end. */
export function parseRange(header: string, size: number): ByteRange[] | "invalid" | "no-overlap" {
  if (!header) return [];
  if (!header.startsWith("bytes=")) return "invalid";
  const out: ByteRange[] = [];
  let noOverlap = false;
  for (const raw of header.slice(6).split(",")) {
    const ra = raw.trim();
    if (!ra) continue;
    const i = ra.indexOf("-");
    if (i < 0) return "invalid";
    const start = ra.slice(0, i).trim();
    const end = ra.slice(i + 1).trim();
    if (start === "") {
      if (end === "" || end[0] === "-" || !/^\d+$/.test(end)) return "invalid";
      let n = Number(end);
      if (n > size) n = size;
      out.push({ start: size - n, length: n });
      continue;
    }
    if (!/^\d+$/.test(start)) return "invalid";
    const s = Number(start);
    if (s >= size) {
      noOverlap = true;
      continue;
    }
    if (end === "") {
      out.push({ start: s, length: size - s });
      continue;
    }
    if (!/^\d+$/.test(end)) return "invalid";
    let e = Number(end);
    if (s > e) return "invalid";
    if (e >= size) e = size - 1;
    out.push({ start: s, length: e - s + 1 });
  }
  if (noOverlap && out.length === 0) return "no-overlap";
  return out;
}

/** The response for a stored blob (`key` gives the extension, `name` the download name). */
export async function serveBlob(
  request: Request,
  body: Blob,
  attrs: Attributes,
  key: string,
  name: string,
  opts: ServeOptions = {},
): Promise<Response> {
  const h = opts.headers ?? new Headers();
  const method = request.method.toUpperCase();
  const isGetOrHead = method === "GET" || method === "HEAD";
  const url = new URL(request.url);

  const rawDownload = url.searchParams.get("download") ?? "";
  const forceAttachment = rawDownload !== "" && parseBool(rawDownload) === true;
  const realType = attrs.contentType;
  const disposition = !forceAttachment && INLINE_CONTENT_TYPES.has(realType) ? "inline" : "attachment";
  const contentType = EXTENSION_CONTENT_TYPES[ext(key)] ?? realType;

  setIfMissing(h, "Content-Disposition", headerValue(`${disposition}; filename=${name}`));
  setIfMissing(h, "Content-Type", headerValue(contentType || "application/octet-stream"));
  setIfMissing(h, "Content-Security-Policy", FILE_CSP);
  setIfMissing(h, "Cache-Control", FILE_CACHE_CONTROL);

  const modTime = attrs.modTime;
  if (!isZeroTime(modTime)) h.set("Last-Modified", httpDate(modTime));

  const etag = h.get("ETag") ?? "";
  const reqH = request.headers;

  // preconditions, in Go's order
  let cond: Cond = "none";
  const ifMatch = reqH.get("If-Match") ?? "";
  if (ifMatch) cond = etagList(ifMatch).some((t) => t === "*" || strongMatch(t, etag)) ? "true" : "false";
  if (cond === "none") {
    const ius = Date.parse(reqH.get("If-Unmodified-Since") ?? "");
    if (!Number.isNaN(ius) && !isZeroTime(modTime)) cond = truncSeconds(modTime) <= ius ? "true" : "false";
  }
  if (cond === "false") return respond(412, h, null, method);

  const ifNoneMatch = reqH.get("If-None-Match") ?? "";
  if (ifNoneMatch) {
    if (etagList(ifNoneMatch).some((t) => t === "*" || weakMatch(t, etag))) {
      return isGetOrHead ? notModified(h, etag, method) : respond(412, h, null, method);
    }
  } else if (isGetOrHead) {
    const ims = Date.parse(reqH.get("If-Modified-Since") ?? "");
    if (!Number.isNaN(ims) && !isZeroTime(modTime) && truncSeconds(modTime) <= ims) return notModified(h, etag, method);
  }

  let rangeHeader = reqH.get("Range") ?? "";
  const ifRange = reqH.get("If-Range") ?? "";
  if (rangeHeader && ifRange && isGetOrHead) {
    let ok: boolean;
    if (ifRange.startsWith('"') || ifRange.startsWith("W/")) ok = strongMatch(ifRange, etag);
    else {
      const t = Date.parse(ifRange);
      ok = !isZeroTime(modTime) && !Number.isNaN(t) && t === truncSeconds(modTime);
    }
    if (!ok) rangeHeader = "";
  }

  const size = attrs.size;
  h.set("Accept-Ranges", "bytes");
  const ranges = parseRange(rangeHeader, size);
  if (ranges === "invalid" || ranges === "no-overlap") {
    if (ranges === "no-overlap") h.set("Content-Range", `bytes */${size}`);
    h.set("Content-Type", "text/plain; charset=utf-8");
    h.set("X-Content-Type-Options", "nosniff");
    h.delete("Content-Length");
    return respond(416, h, ranges === "no-overlap" ? "invalid range: failed to overlap\n" : "invalid range\n", method);
  }
  const total = ranges.reduce((n, r) => n + r.length, 0);
  if (ranges.length === 0 || total > size) {
    h.set("Content-Length", String(size));
    return respond(200, h, body, method);
  }
  if (ranges.length === 1) {
    const r = ranges[0]!;
    h.set("Content-Range", `bytes ${r.start}-${r.start + r.length - 1}/${size}`);
    h.set("Content-Length", String(r.length));
    return respond(206, h, body.slice(r.start, r.start + r.length), method);
  }
  // several ranges: multipart/byteranges
  const boundary = crypto.randomUUID().replaceAll("-", "");
  const partType = h.get("Content-Type") ?? "application/octet-stream";
  const parts: (string | Blob)[] = [];
  for (const r of ranges) {
    parts.push(
      `\r\n--${boundary}\r\nContent-Range: bytes ${r.start}-${r.start + r.length - 1}/${size}\r\nContent-Type: ${partType}\r\n\r\n`,
    );
    parts.push(new Blob([await body.slice(r.start, r.start + r.length).arrayBuffer()]));
  }
  parts.push(`\r\n--${boundary}--\r\n`);
  const multipart = new Blob(parts);
  h.set("Content-Type", `multipart/byteranges; boundary=${boundary}`);
  h.set("Content-Length", String(multipart.size));
  return respond(206, h, multipart, method);
}

function notModified(h: Headers, etag: string, method: string): Response {
  h.delete("Content-Type");
  h.delete("Content-Length");
  h.delete("Content-Encoding");
  if (etag) h.delete("Last-Modified");
  return respond(304, h, null, method);
}

function respond(status: number, h: Headers, body: string | Blob | null, method: string): Response {
  if (method === "HEAD" || status === 304) body = null;
  // a remote (S3) blob can't be a Response body with init options; stream it instead
  const streamed =
    body instanceof Blob && typeof (body as { presign?: unknown }).presign === "function" ? body.stream() : body;
  return new Response(streamed, { status, headers: h });
}
