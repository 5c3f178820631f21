/**
 * The event every HTTP request runs as, shared by route handlers, middlewares and `*Request` hooks.
 * It holds only Web-standard types (Request, Headers, Response), so core stays free of the HTTP stack.
 */
import { HookEvent } from "../tools/hook.ts";
import { goEncode } from "../tools/json.ts";
import { pick } from "../tools/picker/pick.ts";
import { ApiError, badRequest, forbidden, notFound, unauthorized, type ErrorData } from "./errors.ts";
import type { App } from "./app.ts";
import type { Record as PbRecord } from "./record.ts";
import { RequestInfo } from "./request_info.ts";

/** Per-request state shared by a request event and every `*Request` event wrapping it. */
export interface RequestState {
  params: Record<string, string>;
  auth: PbRecord | null;
  readonly responseHeaders: Headers;
  response: Response | null;
  readonly store: Map<string, unknown>;
  bodyLimit: number;
  url: URL | null;
  bodyBytes: Promise<Uint8Array> | null;
  body: Promise<Record<string, unknown>> | null;
  /** The Bun server that accepted the request (per-request timeouts for long-lived streams). */
  server?: unknown;
  /** Files of a multipart body by field name. */
  files?: Map<string, File[]>;
  info?: RequestInfo;
}

export class RequestEvent extends HookEvent {
  /** The socket peer's IP (upstream's RemoteIP), kept apart from a proxy-supplied realIP. */
  readonly remoteIP: string;
  /** Shared with wrapping events (RecordRequestEvent…), so a response written through either is one. */
  /** @internal shared with wrapping events (RecordRequestEvent…), so a response written through either is one. */
  readonly state: RequestState;

  constructor(
    readonly app: App,
    readonly request: Request,
    /** The client IP resolved from the socket and any trusted proxy headers. */
    readonly realIP: string,
    state?: RequestState,
    /** The socket peer's IP, whatever the headers say ("" = same as realIP). */
    remoteIP = "",
  ) {
    super();
    this.remoteIP = remoteIP || realIP;
    this.state = state ?? {
      params: {},
      auth: null,
      responseHeaders: new Headers(),
      response: null,
      store: new Map(),
      bodyLimit: 32 << 20,
      url: null,
      bodyBytes: null,
      body: null,
    };
  }

  /** Path parameters by name (`{id}` → params.id). */
  get params(): Record<string, string> {
    return this.state.params;
  }
  set params(v: Record<string, string>) {
    this.state.params = v;
  }

  /** The authenticated record, if a valid auth token came with the request. */
  get auth(): PbRecord | null {
    return this.state.auth;
  }
  set auth(v: PbRecord | null) {
    this.state.auth = v;
  }

  /** Headers to send with whatever response is written (middlewares add to it before the handler). */
  get responseHeaders(): Headers {
    return this.state.responseHeaders;
  }

  /** The written response; the first write wins, as with an http.ResponseWriter. */
  get response(): Response | null {
    return this.state.response;
  }
  set response(v: Response | null) {
    this.state.response = v;
  }

  /** Per-request values shared between middlewares and handlers (`e.get`/`e.set` in JS hooks). */
  get store(): Map<string, unknown> {
    return this.state.store;
  }

  /** Maximum accepted body size in bytes for this request (set by the body-limit middleware). */
  get bodyLimit(): number {
    return this.state.bodyLimit;
  }
  set bodyLimit(v: number) {
    this.state.bodyLimit = v;
  }

  get url(): URL {
    return (this.state.url ??= new URL(this.request.url));
  }

  get method(): string {
    return this.request.method;
  }

  get written(): boolean {
    return this.response !== null;
  }

  hasSuperuserAuth(): boolean {
    return this.auth?.collection.name === "_superusers";
  }

  /**
   * Writes a JSON response with Go's encoding. A 2xx response honours `?fields=` (upstream's picker);
   * a picker error leaves the status with an empty body, as upstream's late error does.
   */
  json(status: number, data: unknown): Response {
    const rawFields = status >= 200 && status <= 299 ? this.url.searchParams.get("fields") : null;
    if (!rawFields) return this.send(status, goEncode(withItemsExported(data)), "application/json");
    let body: string;
    try {
      body = goEncode(pick(data, rawFields, isSearchResult(data)));
    } catch {
      body = "";
    }
    return this.send(status, body, "application/json");
  }

  /** Writes a response with no body. */
  noContent(status = 204): Response {
    return this.send(status, null);
  }

  /** Writes a raw body with the given content type. */
  send(status: number, body: ConstructorParameters<typeof Response>[0], contentType?: string): Response {
    if (this.response) return this.response;
    // the pending headers themselves: Response copies them, and once written they are done with
    const headers = this.responseHeaders;
    if (contentType && !headers.has("Content-Type")) headers.set("Content-Type", contentType);
    const isHead = this.request.method === "HEAD";
    this.response = new Response(isHead ? null : body, { status, headers });
    return this.response;
  }

  /** Writes an already built Response, adding the pending response headers. */
  write(res: Response): Response {
    if (this.response) return this.response;
    for (const [k, v] of this.responseHeaders) if (!res.headers.has(k)) res.headers.set(k, v);
    this.response = res;
    return res;
  }

  /** Writes the `{data, message, status}` envelope for `err`. */
  error(err: ApiError): Response {
    return this.json(err.status, err.toJSON());
  }

  /** `cause` is the raw reason: logged as the request's `details`, never sent to the client. */
  badRequestError(message = "", data?: ErrorData, cause?: unknown) {
    return badRequest(message, data, cause);
  }
  unauthorizedError(message = "", data?: ErrorData, cause?: unknown) {
    return unauthorized(message, data, cause);
  }
  forbiddenError(message = "", data?: ErrorData, cause?: unknown) {
    return forbidden(message, data, cause);
  }
  notFoundError(message = "", data?: ErrorData, cause?: unknown) {
    return notFound(message, data, cause);
  }

  /** The raw body, read once and bounded by `bodyLimit` (413 past it, even without Content-Length). */
  bodyBuffer(): Promise<Uint8Array> {
    return (this.state.bodyBytes ??= readLimited(this.request, this.state.bodyLimit));
  }

  /**
   * The body parsed from JSON or form data, as upstream's BindBody: an empty body gives `{}`.
   * Parsed once per request; callers get the same object (and may normalize it in place).
   */
  bindBody(): Promise<Record<string, unknown>> {
    return (this.state.body ??= this.parseBody());
  }

  private async parseBody(): Promise<Record<string, unknown>> {
    const type = this.request.headers.get("content-type") ?? "";
    const raw = await this.bodyBuffer();
    if (raw.length === 0) return {};
    if (type.startsWith("application/json")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(raw));
      } catch (err) {
        throw new BodyBindError("invalid JSON body", err);
      }
      if (parsed === null) return {};
      if (typeof parsed !== "object" || Array.isArray(parsed))
        throw new BodyBindError("the JSON body must be an object");
      return parsed as Record<string, unknown>;
    }
    if (type.startsWith("application/x-www-form-urlencoded")) {
      return formValuesToBody(new URLSearchParams(new TextDecoder().decode(raw)));
    }
    if (type.startsWith("multipart/form-data")) {
      let form: FormData;
      try {
        form = (await new Response(raw, { headers: { "content-type": type } }).formData()) as unknown as FormData;
      } catch (err) {
        throw new BodyBindError("invalid multipart body", err);
      }
      const values: [string, string][] = [];
      const files = new Map<string, File[]>();
      for (const [k, v] of form as unknown as Iterable<[string, string | File]>) {
        if (typeof v === "string") values.push([k, v]);
        else files.set(k, [...(files.get(k) ?? []), v]);
      }
      this.state.files = files;
      return formValuesToBody(values);
    }
    throw new BodyBindError("unsupported Content-Type");
  }

  /** The files uploaded under `key` in a multipart body (empty otherwise). */
  async findUploadedFiles(key: string): Promise<File[]> {
    await this.bindBody();
    return this.state.files?.get(key) ?? [];
  }

  /**
   * What rules and hooks know of this request. Cached; `auth` and `context` are refreshed on each
   * call, as upstream. The body is read (and must be readable) on first use.
   */
  async requestInfo(): Promise<RequestInfo> {
    const context = (this.store.get(REQUEST_INFO_CONTEXT_KEY) as string | undefined) || "default";
    if (!this.state.info) {
      const body = await this.bindBody();
      this.state.info = RequestInfo.fromRequest(this.request, this.url, this.auth, body);
    }
    this.state.info.auth = this.auth;
    this.state.info.context = context;
    return this.state.info;
  }
}

/** The store key whose value becomes `@request.context` (e.g. "oauth2", "batch"). */
export const REQUEST_INFO_CONTEXT_KEY = "pbRequestInfoContext";

const NUMBER_CHARS = /^[\-.\d]+$/;

/** A form value as upstream infers it: "", true, false, a number whose shortest form is the text, else the text. */
export function inferFormValue(raw: string): unknown {
  if (raw === "") return raw;
  if (raw === "true") return true;
  if (raw === "false") return false;
  if ((raw[0] === "-" || (raw[0]! >= "0" && raw[0]! <= "9")) && NUMBER_CHARS.test(raw)) {
    const n = Number(raw);
    if (Number.isFinite(n) && formatPlain(n) === raw) return n;
  }
  return raw;
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): no exponent. */
function formatPlain(n: number): string {
  const s = String(n);
  if (!s.includes("e")) return s;
  return Number.isInteger(n) ? BigInt(n).toString() : n.toFixed(20).replace(/\.?0+$/, "");
}

/** Form values to a body map: single values as is, repeated keys as arrays; `@jsonPayload` merged last. */
function formValuesToBody(entries: Iterable<[string, string]>): Record<string, unknown> {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of entries) grouped.set(k, [...(grouped.get(k) ?? []), v]);
  const out: Record<string, unknown> = {};
  for (const [k, values] of grouped) {
    if (k === JSON_PAYLOAD_KEY) continue;
    out[k] = values.length === 1 ? inferFormValue(values[0]!) : values.map(inferFormValue);
  }
  for (const payload of grouped.get(JSON_PAYLOAD_KEY) ?? []) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch (err) {
      throw new BodyBindError("invalid @jsonPayload", err);
    }
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) Object.assign(out, parsed);
    else if (parsed !== null) throw new BodyBindError("@jsonPayload must be a JSON object");
  }
  return out;
}

/** The multipart field whose JSON value is merged into the body (lets clients send typed JSON with files). */
export const JSON_PAYLOAD_KEY = "@jsonPayload";

/** Raised when a body cannot be read in its declared format; handlers turn it into their own 400. */
export class BodyBindError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw new ApiError(413, "Request entity too large");
  if (!request.body) return new Uint8Array(0);
  // A declared length within the limit (Bun enforces it) can be read in one go, cheaper than a stream.
  if (Number.isFinite(declared)) return new Uint8Array(await request.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw new ApiError(413, "Request entity too large");
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

/**
 * `data` with the `toJSON()` of its top-level items (a list, a search result's items, one model)
 * already taken: JavaScriptCore's stringify goes a slow way for every object with a toJSON, which
 * made encoding a page of records three times slower than the records' own export.
 */
function withItemsExported(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(exported);
  if (isSearchResult(data)) {
    const r = data as { items: unknown[] };
    return { ...r, items: r.items.map(exported) };
  }
  return exported(data);
}

function exported(v: unknown): unknown {
  return v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function"
    ? (v as { toJSON(): unknown }).toJSON()
    : v;
}

/** A list result (`{page, perPage, totalItems, totalPages, items}`): the picker applies to its items. */
function isSearchResult(data: unknown): boolean {
  if (!data || typeof data !== "object") return false;
  const d = data as Record<string, unknown>;
  return Array.isArray(d.items) && "page" in d && "perPage" in d && "totalItems" in d && "totalPages" in d;
}
