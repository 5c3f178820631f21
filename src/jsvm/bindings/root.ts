/**
 * The host namespace functions: `$http.send`, `$apis.*`, `$mails.*`, `$filesystem.*`, `unmarshal`.
 */
import { Collection } from "../../core/collection.ts";
import { ApiError, badRequest, forbidden, notFound, unauthorized } from "../../core/errors.ts";
import { Record } from "../../core/record.ts";
import { newUploadFile } from "../../core/record_files.ts";
import type { RequestEvent } from "../../core/request_event.ts";
import {
  sendRecordAuthAlert,
  sendRecordChangeEmail,
  sendRecordOTP,
  sendRecordPasswordReset,
  sendRecordVerification,
} from "../../core/mails/index.ts";
import { Filesystem, METADATA_ORIGINAL_NAME, UploadFile, type Attributes } from "../../tools/filesystem/index.ts";
import { detectContentType } from "../../core/record_files.ts";
import { Client } from "../../core/realtime/client.ts";
import { Broker } from "../../core/realtime/broker.ts";
import type { HandlerFunc } from "../../tools/hook.ts";
import { enrichRecords } from "../../api/record_helpers.ts";
import { authResponse } from "../../api/record_auth.ts";
import { sendFile, staticHandler } from "../../api/static.ts";
import { statSync } from "node:fs";
import { join } from "node:path";
import { bodyLimit } from "../../api/middlewares/body_limit.ts";
import { defineBinding, defineRoot, isDirFSSpec, isFormDataSpec, toPlain, type Cx } from "../host.ts";
import { goMap } from "../gojson.ts";
import { goMarshal } from "../../tools/json.ts";

/** A native middleware a script got from `$apis` (runs on the host, never in a worker). */
export class HostMiddleware {
  constructor(
    readonly id: string,
    readonly priority: number,
    readonly func: HandlerFunc<RequestEvent>,
  ) {}
}

/** A native route handler a script got from `$apis.static`. */
export class HostHandler {
  constructor(readonly func: HandlerFunc<RequestEvent>) {}
}

defineBinding<HostMiddleware>({
  name: "Handler",
  cls: HostMiddleware,
  props: {
    id: { get: (_cx, m) => m.id },
    priority: { get: (_cx, m) => m.priority },
  },
});

defineBinding<HostHandler>({ name: "HandlerFunc", cls: HostHandler });

defineBinding<UploadFile>({
  name: "File",
  cls: UploadFile,
  props: {
    name: { get: (_cx, f) => f.name },
    originalName: { get: (_cx, f) => f.originalName },
    size: { get: (_cx, f) => f.size },
  },
});

defineBinding<Client>({
  name: "SubscriptionsClient",
  cls: Client,
  methods: {
    id: (_cx, c) => c.id,
    channel: (_cx, c) => c.id,
    subscriptions: (_cx, c, ...prefixes: unknown[]) => Object.fromEntries(c.subscriptions(...prefixes.map(String))),
    subscribe: (_cx, c, ...subs: unknown[]) => c.subscribe(...subs.map(String)),
    unsubscribe: (_cx, c, ...subs: unknown[]) => c.unsubscribe(...subs.map(String)),
    hasSubscription: (_cx, c, sub: unknown) => c.hasSubscription(String(sub)),
    get: (_cx, c, k: unknown) => c.get(String(k)) ?? null,
    set: (_cx, c, k: unknown, v: unknown) => c.set(String(k), v),
    unset: (_cx, c, k: unknown) => c.unset(String(k)),
    discard: (_cx, c) => c.discard(),
    isDiscarded: (_cx, c) => c.isDiscarded,
    send: (_cx, c, m: unknown) => {
      const msg = (toPlain(m) ?? {}) as { name?: string; data?: unknown };
      const data = msg.data;
      c.send({
        name: String(msg.name ?? ""),
        data:
          typeof data === "string"
            ? data
            : Array.isArray(data) && data.every((x) => typeof x === "number")
              ? Buffer.from(data).toString("utf8")
              : JSON.stringify(data ?? null),
      } as never);
    },
  },
});

/**
 * A filesystem.System as scripts hold it (`$app.newFilesystem()`, `$app.newBackupsFilesystem()`,
 * `$filesystem.local/s3`). `close()` only ends instances the script created: the app's storage is
 * shared with the server and stays open.
 */
export class JsFilesystem {
  constructor(
    readonly fs: Filesystem,
    private readonly owned: boolean,
  ) {}
  close(): void {
    if (this.owned) this.fs.close();
  }
}

/** A blob.Reader: read whole with `toString(reader)` / `toBytes(reader)`. */
export class JsBlobReader {
  constructor(
    readonly blob: Blob,
    readonly attrs: Attributes,
  ) {}
}

function attrsOf(a: Attributes): { [k: string]: unknown } {
  return {
    cacheControl: a.cacheControl,
    contentDisposition: a.contentDisposition,
    contentEncoding: a.contentEncoding,
    contentLanguage: a.contentLanguage,
    contentType: a.contentType,
    metadata: a.metadata,
    modTime: a.modTime.toISOString().replace("T", " "),
    size: a.size,
    md5: a.md5,
    eTag: a.etag,
  };
}

const fileBytes = (v: unknown): Uint8Array =>
  v instanceof Uint8Array ? v : new TextEncoder().encode(typeof v === "string" ? v : String(v ?? ""));

defineBinding<JsFilesystem>({
  name: "FilesystemSystem",
  cls: JsFilesystem,
  methods: {
    setContext: () => undefined,
    close: (_cx, f) => f.close(),
    exists: (_cx, f, key: unknown) => f.fs.exists(String(key ?? "")),
    attributes: async (_cx, f, key: unknown) => attrsOf(await f.fs.attributes(String(key ?? ""))),
    getReader: async (_cx, f, key: unknown) =>
      new JsBlobReader(f.fs.blob(String(key ?? "")), await f.fs.attributes(String(key ?? ""))),
    getFile: async (_cx, f, key: unknown) =>
      new JsBlobReader(f.fs.blob(String(key ?? "")), await f.fs.attributes(String(key ?? ""))),
    getReuploadableFile: async (_cx, f, key: unknown, preserveName: unknown) => {
      const k = String(key ?? "");
      const attrs = await f.fs.attributes(k);
      const base = k.slice(k.lastIndexOf("/") + 1);
      const original = attrs.metadata[METADATA_ORIGINAL_NAME] || base;
      const blob = new Blob([await f.fs.bytes(k)], { type: attrs.contentType });
      return preserveName ? new UploadFile(blob, base, original) : newUploadFile(blob, original);
    },
    copy: (_cx, f, src: unknown, dst: unknown) => f.fs.copy(String(src ?? ""), String(dst ?? "")),
    list: async (_cx, f, prefix: unknown) =>
      (await f.fs.list(String(prefix ?? ""))).map((o) => ({
        key: o.key,
        modTime: o.modTime.toISOString().replace("T", " "),
        size: o.size,
        md5: null,
        isDir: false,
      })),
    upload: (_cx, f, content: unknown, key: unknown) => f.fs.upload(fileBytes(content), String(key ?? "")),
    uploadFile: async (_cx, f, file: unknown, key: unknown) => {
      if (!(file instanceof File)) throw new Error("uploadFile expects a $filesystem.File");
      await f.fs.uploadFile(
        file instanceof UploadFile ? file : await newUploadFile(file, file.name),
        String(key ?? ""),
      );
    },
    uploadMultipart: async (_cx, f, file: unknown, key: unknown) => {
      if (!(file instanceof File)) throw new Error("uploadMultipart expects a multipart file");
      await f.fs.uploadFile(
        file instanceof UploadFile ? file : await newUploadFile(file, file.name),
        String(key ?? ""),
      );
    },
    delete: (_cx, f, key: unknown) => f.fs.delete(String(key ?? "")),
    deletePrefix: (_cx, f, prefix: unknown) => f.fs.deletePrefix(String(prefix ?? "")),
    isEmptyDir: (_cx, f, dir: unknown) => f.fs.isEmptyDir(String(dir ?? "")),
    createThumb: (_cx, f, original: unknown, thumb: unknown, size: unknown) =>
      f.fs.createThumb(String(original ?? ""), String(thumb ?? ""), String(size ?? "")),
    // the prelude passes the request event in place of Go's (res, req) pair
    serve: async (_cx, f, e: RequestEvent, key: unknown, name: unknown) => {
      const res = await f.fs.serve(e.request, String(key ?? ""), String(name ?? ""), { headers: e.responseHeaders });
      e.response = res;
      return res.status;
    },
  },
});

defineBinding<JsBlobReader>({
  name: "BlobReader",
  cls: JsBlobReader,
  methods: {
    readAll: async (_cx, r, max: unknown) => {
      const limit = Number(max) > 0 ? Number(max) : Number.MAX_SAFE_INTEGER;
      return new Uint8Array(await r.blob.slice(0, limit).arrayBuffer());
    },
    contentType: (_cx, r) => r.attrs.contentType,
    modTime: (_cx, r) => r.attrs.modTime.toISOString().replace("T", " "),
    size: (_cx, r) => r.attrs.size,
    close: () => undefined,
  },
});

/** `$app.subscriptionsBroker()` (upstream's subscriptions.Broker): the connected realtime clients. */
defineBinding<Broker>({
  name: "SubscriptionsBroker",
  cls: Broker,
  methods: {
    clients: (_cx, b) => Object.fromEntries(b.clients()),
    chunkedClients: (_cx, b, size: unknown) => b.chunkedClients(Number(size) || 0),
    totalClients: (_cx, b) => b.totalClients(),
    clientById: (_cx, b, id: unknown) => {
      const c = b.clientById(String(id ?? ""));
      if (!c) throw new Error(`no client associated with connection ID ${JSON.stringify(String(id ?? ""))}`);
      return c;
    },
    register: (_cx, b, c: unknown) => {
      if (!(c instanceof Client)) throw new Error("register expects a subscriptions client");
      b.register(c);
    },
    unregister: (_cx, b, id: unknown) => b.unregister(String(id ?? "")),
  },
});

function requireAuth(id: string, names: string[]): HostMiddleware {
  return new HostMiddleware(id, 0, (e) => {
    if (!e.auth) throw unauthorized("The request requires valid record authorization token.");
    if (names.length && !names.includes(e.auth.collection.name))
      throw forbidden("The authorized record is not allowed to perform this action.");
    return e.next();
  });
}

const CANONICAL = (k: string) =>
  k.toLowerCase().replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());

function parseSetCookie(line: string): { [k: string]: unknown } {
  const parts = line.split(";").map((p) => p.trim());
  const [nv = "", ...attrs] = parts;
  const i = nv.indexOf("=");
  const c: { [k: string]: unknown } = {
    name: nv.slice(0, i),
    value: nv.slice(i + 1),
    path: "",
    domain: "",
    raw: line,
    maxAge: 0,
    secure: false,
    httpOnly: false,
    sameSite: 0,
  };
  for (const a of attrs) {
    const j = a.indexOf("=");
    const k = (j < 0 ? a : a.slice(0, j)).toLowerCase();
    const v = j < 0 ? "" : a.slice(j + 1);
    if (k === "path") c.path = v;
    else if (k === "domain") c.domain = v;
    else if (k === "max-age") c.maxAge = Number(v) || 0;
    else if (k === "secure") c.secure = true;
    else if (k === "httponly") c.httpOnly = true;
    else if (k === "expires") c.rawExpires = v;
    else if (k === "samesite") c.sameSite = /^lax$/i.test(v) ? 2 : /^strict$/i.test(v) ? 3 : /^none$/i.test(v) ? 4 : 1;
  }
  return c;
}

/** Go's cast.ToString for the `body` of `$http.send`: maps and slices become "". */
function castString(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
  return "";
}

async function httpSend(_cx: Cx, config: unknown): Promise<unknown> {
  const c = (config ?? {}) as { [k: string]: unknown };
  const method = String(c.method ?? "GET").toUpperCase() || "GET";
  let timeout = Number(c.timeout) || 0;
  if (timeout <= 0) timeout = 120;
  const headers = new Headers();
  for (const [k, v] of Object.entries((c.headers ?? {}) as object)) headers.append(k, String(v));
  let body: string | Uint8Array | undefined;
  const data = c.data && typeof c.data === "object" && Object.keys(c.data as object).length ? c.data : null;
  if (data) body = goMarshal(goMap(data));
  else if (isFormDataSpec(c.body)) {
    const fd = new FormData();
    for (const [k, v] of c.body.formData) {
      // upstream sends a file part under the name it was created with, not the normalized storage name
      if (v instanceof File) fd.append(k, v, v instanceof UploadFile ? v.originalName : v.name);
      else fd.append(k, String(v ?? ""));
    }
    const res = new Response(fd);
    headers.set("content-type", res.headers.get("content-type") ?? "multipart/form-data");
    body = new Uint8Array(await res.arrayBuffer());
  } else body = c.body instanceof Uint8Array ? c.body : castString(c.body);
  let res: Response;
  try {
    res = await fetch(String(c.url ?? ""), {
      method,
      headers,
      body:
        method === "GET" || method === "HEAD"
          ? body && (body as string | Uint8Array).length
            ? body
            : undefined
          : body,
      redirect: "follow",
      signal: AbortSignal.timeout(timeout * 1000),
    });
  } catch (err) {
    const reason =
      (err as Error)?.name === "TimeoutError" ? "context deadline exceeded" : ((err as Error)?.message ?? String(err));
    throw new Error(`${method[0] + method.slice(1).toLowerCase()} "${c.url}": ${reason}`);
  }
  const raw = new Uint8Array(await res.arrayBuffer());
  const text = Buffer.from(raw).toString("utf8");
  const outHeaders: { [k: string]: string[] } = {};
  for (const [k, v] of res.headers) {
    if (k.toLowerCase() === "set-cookie") continue;
    (outHeaders[CANONICAL(k)] ??= []).push(v);
  }
  const setCookies = res.headers.getSetCookie();
  if (setCookies.length) outHeaders["Set-Cookie"] = setCookies;
  const cookies: { [k: string]: unknown } = {};
  for (const line of setCookies) {
    const ck = parseSetCookie(line);
    cookies[String(ck.name)] = ck;
  }
  let json: unknown = null;
  if (raw.length > 0) {
    try {
      const parsed = JSON.parse(text);
      json = parsed !== null && typeof parsed === "object" ? parsed : null;
    } catch {
      json = null;
    }
  }
  return { statusCode: res.status, headers: outHeaders, cookies, raw: text, body: raw, json };
}

/** Go's fs.ValidPath: slash-separated, unrooted, no "." / ".." / empty elements (except "." itself). */
function validFSPath(name: string): boolean {
  if (name === ".") return true;
  return name !== "" && name.split("/").every((p) => p !== "" && p !== "." && p !== "..") && !name.includes("\\");
}

/** `e.fileFS(fsys, name)` (upstream's router Event.FileFS): one file of an `$os.dirFS`, a directory's index.html. */
function fileFS(e: RequestEvent, fsys: unknown, filename: unknown): number {
  if (!isDirFSSpec(fsys)) throw new Error("fileFS expects an fs.FS value as its first argument (e.g. $os.dirFS(dir))");
  const fileNotFound = () => notFound("File not found");
  let name = String(filename ?? "");
  if (!validFSPath(name)) throw fileNotFound();
  const stat = (n: string) => {
    try {
      return statSync(join(fsys.dirFS, n));
    } catch {
      return null;
    }
  };
  let st = stat(name);
  if (st?.isDirectory()) {
    name = name === "." ? "index.html" : name + "/index.html";
    st = stat(name);
  }
  if (!st || !st.isFile()) throw fileNotFound();
  sendFile(e, join(fsys.dirFS, name), st);
  return e.response?.status ?? 200;
}

function fileNameFromURL(url: string): string {
  try {
    const p = new URL(url).pathname;
    return decodeURIComponent(p.slice(p.lastIndexOf("/") + 1)) || "file";
  } catch {
    return "file";
  }
}

defineRoot({
  "http.send": httpSend,
  "request.fileFS": (_cx, e: RequestEvent, fsys: unknown, filename: unknown) => fileFS(e, fsys, filename),

  "apis.requireAuth": (_cx, ...names: unknown[]) => requireAuth("pbRequireAuth", names.map(String)),
  "apis.requireSuperuserAuth": () => requireAuth("pbRequireSuperuserAuth", ["_superusers"]),
  "apis.requireSuperuserOrOwnerAuth": (_cx, param?: unknown) =>
    new HostMiddleware("pbRequireSuperuserOrOwnerAuth", 0, (e) => {
      if (!e.auth) throw unauthorized("The request requires superuser or record authorization token.");
      if (e.auth.collection.name === "_superusers") return e.next();
      const owner = e.params[String(param || "id")] ?? "";
      if (e.auth.id !== owner) throw forbidden("You are not allowed to perform this request.");
      return e.next();
    }),
  "apis.requireSuperuserAuthOnlyIfAny": () =>
    new HostMiddleware("pbRequireSuperuserAuthOnlyIfAny", 0, (e) => {
      if (e.auth?.collection.name === "_superusers") return e.next();
      throw unauthorized("The request requires valid superuser authorization token.");
    }),
  "apis.requireGuestOnly": () =>
    new HostMiddleware("pbRequireGuestOnly", 0, (e) => {
      if (e.auth) throw badRequest("The request can be accessed only by guests.");
      return e.next();
    }),
  "apis.bodyLimit": (_cx, limit: unknown) => {
    const m = bodyLimit(Number(limit) > 0 ? Number(limit) : Number.MAX_SAFE_INTEGER);
    return new HostMiddleware(m.id ?? "pbBodyLimit", m.priority ?? 0, m.func);
  },
  "apis.gzip": () =>
    new HostMiddleware("pbGzip", 0, async (e) => {
      await e.next();
      const res = e.response;
      if (
        !res ||
        res.headers.has("Content-Encoding") ||
        !/\bgzip\b/.test(e.request.headers.get("accept-encoding") ?? "")
      )
        return;
      const body = new Uint8Array(await res.arrayBuffer());
      const headers = new Headers(res.headers);
      headers.set("Content-Encoding", "gzip");
      headers.delete("Content-Length");
      headers.append("Vary", "Accept-Encoding");
      e.response = new Response(Bun.gzipSync(body), { status: res.status, headers });
    }),
  "apis.skipSuccessActivityLog": () =>
    new HostMiddleware("pbSkipSuccessActivityLog", 0, (e) => {
      e.store.set("__skipSuccessActivityLogger", true);
      return e.next();
    }),
  "apis.static": (_cx, dir: unknown, indexFallback: unknown) => {
    const root = isDirFSSpec(dir) ? dir.dirFS : String(dir ?? "");
    return new HostHandler((e) => {
      const rest = e.params.path ?? "";
      let full = e.url.pathname;
      try {
        full = decodeURIComponent(full);
      } catch {}
      const prefix =
        rest && full.endsWith(rest) ? full.slice(0, full.length - rest.length) : full.endsWith("/") ? full : full + "/";
      return staticHandler(root, !!indexFallback, prefix.replace(/\/$/, ""))(e);
    });
  },
  "apis.recordAuthResponse": async (_cx, e: RequestEvent, record: Record, authMethod: unknown, meta: unknown) => {
    await authResponse(
      e,
      record,
      undefined,
      meta === undefined || meta === null ? undefined : toPlain(meta),
      String(authMethod ?? ""),
    );
  },
  "apis.enrichRecord": async (_cx, e: RequestEvent, record: Record, ...expands: unknown[]) =>
    enrichRecords(e, [record], ...expands.map(String)),
  "apis.enrichRecords": async (_cx, e: RequestEvent, records: Record[], ...expands: unknown[]) =>
    enrichRecords(e, Array.isArray(records) ? records : [], ...expands.map(String)),

  "mails.sendRecordPasswordReset": (cx, _app: unknown, record: Record) =>
    sendRecordPasswordReset(cx.plugin.app, record),
  "mails.sendRecordVerification": (cx, _app: unknown, record: Record) => sendRecordVerification(cx.plugin.app, record),
  "mails.sendRecordChangeEmail": (cx, _app: unknown, record: Record, newEmail: unknown) =>
    sendRecordChangeEmail(cx.plugin.app, record, String(newEmail ?? "")),
  "mails.sendRecordOTP": (cx, _app: unknown, record: Record, otpId: unknown, pass: unknown) =>
    sendRecordOTP(cx.plugin.app, record, String(otpId ?? ""), String(pass ?? "")),
  "mails.sendRecordAuthAlert": (cx, _app: unknown, record: Record, info: unknown) =>
    sendRecordAuthAlert(cx.plugin.app, record, String(info ?? "")),

  "filesystem.fileFromPath": async (_cx, path: unknown) => {
    const p = String(path ?? "");
    const f = Bun.file(p);
    if (!(await f.exists())) throw new Error(`open ${p}: no such file or directory`);
    return newUploadFile(new Blob([await f.arrayBuffer()], { type: f.type }), p.slice(p.lastIndexOf("/") + 1));
  },
  "filesystem.fileFromBytes": async (_cx, bytes: unknown, name: unknown) => {
    const data = bytes instanceof Uint8Array ? bytes : new TextEncoder().encode(String(bytes ?? ""));
    if (data.length === 0) throw new Error("cannot create an empty file");
    return newUploadFile(new Blob([data]), String(name ?? ""));
  },
  "filesystem.fileFromURL": async (_cx, url: unknown, secs: unknown) => {
    const u = String(url ?? "");
    const res = await fetch(u, { signal: AbortSignal.timeout((Number(secs) > 0 ? Number(secs) : 120) * 1000) });
    if (res.status < 200 || res.status > 399) throw new Error(`failed to download url ${u} (${res.status})`);
    return newUploadFile(new Blob([await res.arrayBuffer()]), fileNameFromURL(u));
  },
  "filesystem.fileFromMultipart": (_cx, f: unknown) => {
    if (f instanceof File) return f;
    throw new Error("fileFromMultipart expects a multipart file header");
  },
  "filesystem.s3": (
    _cx,
    bucket: unknown,
    region: unknown,
    endpoint: unknown,
    accessKey: unknown,
    secret: unknown,
    forcePathStyle: unknown,
  ) =>
    new JsFilesystem(
      Filesystem.s3(
        {
          bucket: String(bucket ?? ""),
          region: String(region ?? ""),
          endpoint: String(endpoint ?? ""),
          accessKey: String(accessKey ?? ""),
          secret: String(secret ?? ""),
          forcePathStyle: !!forcePathStyle,
        },
        { detectContentType },
      ),
      true,
    ),
  "filesystem.local": (_cx, dir: unknown) =>
    new JsFilesystem(Filesystem.local(String(dir ?? ""), { detectContentType }), true),

  // upstream's os.Exit: the whole process ends at once, no terminate hooks
  "os.exit": (_cx, code: unknown) => process.exit(Number(code) | 0),
  unmarshal: (_cx, data: unknown, dst: unknown) => {
    const plain = toPlain(data);
    if (dst instanceof Collection) dst.mergeJSON((plain ?? {}) as { [k: string]: unknown });
    else if (dst instanceof Record) dst.load((plain ?? {}) as { [k: string]: unknown });
    else if (dst && typeof dst === "object" && plain && typeof plain === "object") Object.assign(dst, plain);
  },
  safeErrorsData: (_cx, data: unknown) => (data instanceof ApiError ? data.data : {}),
});
