/**
 * Hook events as scripts see them. Every event has `next()`; each event class exposes its public
 * fields under their (upstream) names, read and written on the host (`e.record = other` replaces
 * it). Request events add the request/response API of upstream's core.RequestEvent: request data
 * travels with the event (see the prelude), response writes are applied on the host.
 */
import { badRequest } from "../../core/errors.ts";
import { JSONRaw } from "../../core/fields/index.ts";
import { BodyBindError, RequestEvent } from "../../core/request_event.ts";
import { RequestInfo } from "../../core/request_info.ts";
import { newUploadFile } from "../../core/record_files.ts";
import { HookEvent } from "../../tools/hook.ts";
import { RealtimeConnectRequestEvent, RealtimeMessageEvent } from "../../core/realtime/events.ts";
import { defineBinding, Live, toPlain, type Binding, type Prop } from "../host.ts";
import { goMap } from "../gojson.ts";

/** Instance fields that are internals, not event data. */
const HIDDEN_FIELDS = new Set(["_next", "state", "request", "realIP", "remoteIP"]);

function eventFields(sample: object): Pick<Binding, "props" | "methods"> {
  const props: { [k: string]: Prop<{ [k: string]: unknown }> } = {};
  for (const k of Object.keys(sample)) {
    if (HIDDEN_FIELDS.has(k) || k.startsWith("_")) continue;
    props[k] = {
      get: (_cx, e) => {
        const v = e[k];
        // plain data fields (a mail message, OAuth2 user data, meta) are edited in place
        return v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype ? new Live(v) : v;
      },
      set: (_cx, e, v) => {
        e[k] = v;
      },
    };
  }
  return { props };
}

defineBinding<HookEvent>({
  name: "HookEvent",
  cls: HookEvent,
  methods: {
    next: async (_cx, e) => {
      await e.next();
    },
  },
  autoSubclass: eventFields,
});

/** The request data a script reads without host calls (see prelude/request.js). */
function requestSnapshot(e: RequestEvent) {
  const headers: [string, string][] = [];
  for (const [k, v] of e.request.headers) headers.push([k, v]);
  const url = e.url;
  return {
    m: e.request.method,
    u: e.request.url,
    h: headers,
    p: { ...e.params },
    ip: e.realIP,
    ra: e.remoteIP,
    cl: Number(e.request.headers.get("content-length") ?? 0) || 0,
    host: url.host,
  };
}

const headerOp = (h: Headers, op: string, k: string, v: string) => {
  if (op === "set") h.set(k, v);
  else if (op === "add") h.append(k, v);
  else if (op === "del") h.delete(k);
};

/** Response writes accumulate on the event until the chain ends (Go writes go straight out). */
interface PendingWrite {
  status: number;
  chunks: Uint8Array[];
}
const PENDING = Symbol("pb.jsvm.pendingWrite");

function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof JSONRaw) return new TextEncoder().encode(v.raw);
  if (Array.isArray(v)) return new Uint8Array(v.map((n) => Number(n) & 255));
  return new TextEncoder().encode(v == null ? "" : String(v));
}

function cookieHeader(c: { [k: string]: unknown }): string {
  let s = `${c.name}=${c.value ?? ""}`;
  if (c.path) s += `; Path=${c.path}`;
  if (c.domain) s += `; Domain=${c.domain}`;
  if (c.expires) {
    const d = new Date(String(c.expires).replace(" ", "T"));
    if (!Number.isNaN(d.getTime()) && d.getTime() > 0) s += `; Expires=${d.toUTCString()}`;
  }
  const maxAge = Number(c.maxAge) || 0;
  if (maxAge > 0) s += `; Max-Age=${maxAge}`;
  else if (maxAge < 0) s += "; Max-Age=0";
  if (c.httpOnly) s += "; HttpOnly";
  if (c.secure) s += "; Secure";
  const same = Number(c.sameSite) || 0;
  if (same === 2) s += "; SameSite=Lax";
  else if (same === 3) s += "; SameSite=Strict";
  else if (same === 4) s += "; SameSite=None";
  if (c.partitioned) s += "; Partitioned";
  return s;
}

async function bodyData(e: RequestEvent): Promise<{ [k: string]: unknown }> {
  try {
    return await e.bindBody();
  } catch (err) {
    if (err instanceof BodyBindError) {
      if (err.message === "unsupported Content-Type") throw badRequest("Unsupported Content-Type.", {}, err);
      throw badRequest("Failed to load the submitted data due to invalid formatting.", {}, err);
    }
    throw err;
  }
}

defineBinding<RequestEvent>({
  name: "RequestEvent",
  cls: RequestEvent,
  parent: "HookEvent",
  snapshot: (_cx, e) => requestSnapshot(e),
  autoSubclass: eventFields,
  props: {
    app: { get: (_cx, e) => e.app },
    auth: { get: (_cx, e) => e.auth, set: (_cx, e, v) => void (e.auth = v ?? null) },
  },
  methods: {
    hasSuperuserAuth: (_cx, e) => e.hasSuperuserAuth(),
    get: (_cx, e, k: string) => e.store.get(String(k)) ?? null,
    set: (_cx, e, k: string, v: unknown) => void e.store.set(String(k), v),
    getAll: (_cx, e) => Object.fromEntries(e.store),
    setAll: (_cx, e, m: unknown) => {
      for (const [k, v] of Object.entries((m ?? {}) as object)) e.store.set(k, v);
    },
    requestInfo: async (_cx, e) => e.requestInfo(),
    bodyData: async (_cx, e) => bodyData(e),
    bodyBytes: async (_cx, e) => e.bodyBuffer(),
    formValue: async (_cx, e, k: string) => {
      const url = e.url.searchParams.get(String(k));
      let data: { [k: string]: unknown } = {};
      try {
        data = await e.bindBody();
      } catch {}
      const v = data[String(k)];
      if (v !== undefined) return Array.isArray(v) ? String(v[0] ?? "") : String(v);
      return url ?? "";
    },
    findUploadedFiles: async (_cx, e, k: string) => {
      await bodyData(e);
      // filesystem.File values, their names normalised as upstream's FindUploadedFiles does
      return Promise.all((await e.findUploadedFiles(String(k))).map((f) => newUploadFile(f, f.name)));
    },
    multipartForm: async (_cx, e) => {
      const data = await bodyData(e);
      return { value: data, file: {} };
    },
    written: (_cx, e) => e.written,
    status: (_cx, e) => e.response?.status ?? (e as unknown as { [PENDING]?: PendingWrite })[PENDING]?.status ?? 0,
    responseHeaders: (_cx, e) => [...e.responseHeaders],
    responseHeader: (_cx, e, op: string, k: string, v: string) =>
      headerOp(e.responseHeaders, String(op), String(k), String(v)),
    requestHeader: (_cx, e, op: string, k: string, v: string) => {
      try {
        headerOp(e.request.headers, String(op), String(k), String(v));
      } catch {
        // Request headers are immutable once received; upstream's mutable copy is not kept
      }
    },
    setPathValue: (_cx, e, k: string, v: string) => {
      e.params = { ...e.params, [String(k)]: String(v) };
    },
    json: (_cx, e, status: number, data: unknown) => void e.json(Number(status) | 0, goMap(data)),
    string: (_cx, e, status: number, s: unknown) =>
      void e.send(Number(status) | 0, String(s ?? ""), "text/plain; charset=utf-8"),
    html: (_cx, e, status: number, s: unknown) =>
      void e.send(Number(status) | 0, String(s ?? ""), "text/html; charset=utf-8"),
    xml: (_cx, e, status: number, v: unknown) => {
      // Go's encoding/xml cannot marshal maps: only text (already XML) goes out
      if (typeof v !== "string")
        throw new Error(`xml: unsupported type: ${Array.isArray(v) ? "[]interface {}" : "map[string]interface {}"}`);
      e.send(Number(status) | 0, `<?xml version="1.0" encoding="UTF-8"?>\n${v}`, "application/xml; charset=utf-8");
    },
    blob: (_cx, e, status: number, contentType: string, data: unknown) =>
      void e.send(Number(status) | 0, toBytes(data), String(contentType ?? "")),
    noContent: (_cx, e, status: number) => void e.noContent(Number(status) | 0),
    redirect: (_cx, e, status: number, url: string) => {
      e.responseHeaders.set("Location", String(url));
      e.send(Number(status) | 0, null);
    },
    setCookie: (_cx, e, c: unknown) => {
      e.responseHeaders.append("Set-Cookie", cookieHeader((toPlain(c) ?? {}) as { [k: string]: unknown }));
    },
    writeHeader: (_cx, e, status: number) => {
      const self = e as unknown as { [PENDING]?: PendingWrite };
      self[PENDING] ??= { status: Number(status) | 0, chunks: [] };
      if (!e.written && self[PENDING].chunks.length === 0) self[PENDING].status = Number(status) | 0;
    },
    write: (_cx, e, data: unknown) => {
      const self = e as unknown as { [PENDING]?: PendingWrite };
      const p = (self[PENDING] ??= { status: 200, chunks: [] });
      p.chunks.push(toBytes(data));
      // the response so far (a later write replaces it with the longer body)
      const body = Buffer.concat(p.chunks);
      const headers = new Headers(e.responseHeaders);
      e.response = new Response(e.request.method === "HEAD" ? null : body, { status: p.status, headers });
    },
  },
});

defineBinding<RequestInfo>({
  name: "RequestInfo",
  cls: RequestInfo,
  ctor: (_cx, data: unknown) => new RequestInfo({ context: "default", ...((data ?? {}) as object) }),
  snapshot: (_cx, info) => ({
    query: info.query,
    headers: info.headers,
    body: toPlain(info.body),
    method: info.method,
    context: info.context,
  }),
  props: {
    query: { get: (_cx, i) => i.query, set: (_cx, i, v) => void (i.query = v ?? {}) },
    headers: { get: (_cx, i) => i.headers, set: (_cx, i, v) => void (i.headers = v ?? {}) },
    body: { get: (_cx, i) => i.body, set: (_cx, i, v) => void (i.body = v ?? {}) },
    auth: { get: (_cx, i) => i.auth, set: (_cx, i, v) => void (i.auth = v ?? null) },
    method: { get: (_cx, i) => i.method, set: (_cx, i, v) => void (i.method = String(v ?? "")) },
    context: { get: (_cx, i) => i.context, set: (_cx, i, v) => void (i.context = String(v ?? "")) },
  },
  methods: {
    hasSuperuserAuth: (_cx, i) => i.hasSuperuserAuth(),
    clone: (_cx, i) => i.clone(),
  },
});

// --- realtime events

/** A realtime message's data as Go's []byte would hold it: text as is, bytes as UTF-8, anything else as JSON. */
function messageData(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "";
  if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
  if (Array.isArray(v) && v.every((x) => typeof x === "number"))
    return Buffer.from(v.map((n) => n & 255)).toString("utf8");
  return JSON.stringify(v);
}

/**
 * `e.message` of onRealtimeMessageSend: reads and writes the event's message (data reads as bytes, as upstream's
 * []byte).
 */
class RealtimeMessageRef {
  constructor(readonly event: RealtimeMessageEvent) {}
}

defineBinding<RealtimeMessageRef>({
  name: "RealtimeMessage",
  cls: RealtimeMessageRef,
  props: {
    name: {
      get: (_cx, m) => m.event.message.name,
      set: (_cx, m, v) => void (m.event.message = { ...m.event.message, name: String(v ?? "") }),
    },
    data: {
      get: (_cx, m) => new Uint8Array(Buffer.from(m.event.message.data, "utf8")),
      set: (_cx, m, v) => void (m.event.message = { ...m.event.message, data: messageData(v) }),
    },
  },
  methods: {
    toJSON: (_cx, m) => ({ name: m.event.message.name, data: [...Buffer.from(m.event.message.data, "utf8")] }),
  },
});

defineBinding<RealtimeMessageEvent>({
  name: "RealtimeMessageEvent",
  cls: RealtimeMessageEvent,
  parent: "RequestEvent",
  props: {
    client: { get: (_cx, e) => e.client },
    message: {
      get: (_cx, e) => new RealtimeMessageRef(e),
      set: (_cx, e, v) => {
        const m = (v instanceof RealtimeMessageRef ? v.event.message : (toPlain(v) ?? {})) as {
          name?: unknown;
          data?: unknown;
        };
        e.message = { name: String(m.name ?? ""), data: messageData(m.data) };
      },
    },
  },
});

/** Upstream's IdleTimeout is a time.Duration: scripts read and write nanoseconds (the host keeps ms). */
defineBinding<RealtimeConnectRequestEvent>({
  name: "RealtimeConnectRequestEvent",
  cls: RealtimeConnectRequestEvent,
  parent: "RequestEvent",
  props: {
    client: { get: (_cx, e) => e.client, set: (_cx, e, v) => void (e.client = v as never) },
    idleTimeout: {
      get: (_cx, e) => e.idleTimeout * 1e6,
      set: (_cx, e, v) => void (e.idleTimeout = Math.max(0, Number(v) || 0) / 1e6),
    },
    maxTimeout: {
      get: (_cx, e) => e.maxTimeout,
      set: (_cx, e, v) => void (e.maxTimeout = Math.max(0, Number(v) || 0)),
    },
  },
});
