// Part 3: the request event as scripts see it. Request data (method, URL, headers, path values,
// IPs) comes with the event as a snapshot, so reading it costs no host call; response writes are
// posted without waiting and reach the host before its next call (or when the handler returns).

const WRITTEN = Symbol("pb.written");

/** Go's textproto.CanonicalMIMEHeaderKey. */
function canonicalKey(k) {
  k = String(k);
  if (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(k)) return k;
  return k.toLowerCase().replace(/(^|-)([a-z])/g, (m, d, c) => d + c.toUpperCase());
}

/** http.Header: canonical keys → string[]. */
class Header {
  constructor(pairs, onChange) {
    defineHidden(this, "_m", {});
    defineHidden(this, "_cb", onChange || null);
    for (const [k, v] of pairs || []) {
      const key = canonicalKey(k);
      (this._m[key] ??= []).push(v);
    }
    for (const k of Object.keys(this._m)) this[k] = this._m[k];
  }
  get(k) {
    const v = this._m[canonicalKey(k)];
    return v && v.length ? v[0] : "";
  }
  values(k) {
    return (this._m[canonicalKey(k)] || []).slice();
  }
  has(k) {
    return !!this._m[canonicalKey(k)];
  }
  set(k, v) {
    const key = canonicalKey(k);
    this._m[key] = [String(v)];
    this[key] = this._m[key];
    if (this._cb) this._cb("set", key, String(v));
  }
  add(k, v) {
    const key = canonicalKey(k);
    (this._m[key] ??= []).push(String(v));
    this[key] = this._m[key];
    if (this._cb) this._cb("add", key, String(v));
  }
  del(k) {
    const key = canonicalKey(k);
    delete this._m[key];
    delete this[key];
    if (this._cb) this._cb("del", key, "");
  }
  clone() {
    const h = new Header();
    for (const k of Object.keys(this._m)) for (const v of this._m[k]) h.add(k, v);
    return h;
  }
}

/** url.Values: key → string[]. */
class Values {
  constructor(query) {
    defineHidden(this, "_m", {});
    if (query) {
      for (const part of String(query).split("&")) {
        if (!part) continue;
        const i = part.indexOf("=");
        const k = decodeQuery(i < 0 ? part : part.slice(0, i));
        const v = i < 0 ? "" : decodeQuery(part.slice(i + 1));
        (this._m[k] ??= []).push(v);
      }
    }
    for (const k of Object.keys(this._m)) this[k] = this._m[k];
  }
  get(k) {
    const v = this._m[k];
    return v && v.length ? v[0] : "";
  }
  has(k) {
    return hasOwn(this._m, k);
  }
  set(k, v) {
    this._m[k] = [String(v)];
    this[k] = this._m[k];
  }
  add(k, v) {
    (this._m[k] ??= []).push(String(v));
    this[k] = this._m[k];
  }
  del(k) {
    delete this._m[k];
    delete this[k];
  }
  encode() {
    return Object.keys(this._m)
      .sort()
      .map((k) => this._m[k].map((v) => encodeQuery(k) + "=" + encodeQuery(v)).join("&"))
      .filter(Boolean)
      .join("&");
  }
}

function decodeQuery(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch (e) {
    return s;
  }
}

function encodeQuery(s) {
  return encodeURIComponent(s)
    .replace(/%20/g, "+")
    .replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** A parsed url.URL. */
class GoURL {
  constructor(raw) {
    const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/i.exec(String(raw));
    this.scheme = m ? m[1] : "";
    this.host = m ? m[2] : "";
    this.rawPath = m ? m[3] || "" : String(raw);
    this.path = decodeQuery(this.rawPath.replace(/\+/g, "%2B"));
    this.rawQuery = m ? m[4] || "" : "";
    this.fragment = m ? m[5] || "" : "";
    this.user = null;
    this.opaque = "";
  }
  query() {
    return new Values(this.rawQuery);
  }
  string() {
    return (
      (this.scheme ? this.scheme + "://" + this.host : "") +
      (this.rawPath || "/") +
      (this.rawQuery ? "?" + this.rawQuery : "") +
      (this.fragment ? "#" + this.fragment : "")
    );
  }
  hostname() {
    return this.host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  }
  port() {
    const m = /:(\d+)$/.exec(this.host);
    return m ? m[1] : "";
  }
  isAbs() {
    return this.scheme !== "";
  }
  requestURI() {
    return (this.rawPath || "/") + (this.rawQuery ? "?" + this.rawQuery : "");
  }
  toString() {
    return this.string();
  }
}

/** The request body as an io.Reader: read through `toString(e.request.body)` / `toBytes`. */
class BodyReader {
  constructor(ev) {
    defineHidden(this, "_ev", ev);
  }
  __read(max) {
    return hcall(this._ev[H], "bodyBytes", [max]);
  }
}

/** *http.Request (fields built on first access from the event's request snapshot). */
class GoRequest {
  constructor(ev) {
    defineHidden(this, "_ev", ev);
  }
  get method() {
    return snapOf(this._ev).m;
  }
  get url() {
    const u = new GoURL(snapOf(this._ev).u);
    Object.defineProperty(this, "url", { value: u, writable: true, enumerable: true, configurable: true });
    return u;
  }
  set url(v) {
    Object.defineProperty(this, "url", { value: v, writable: true, enumerable: true, configurable: true });
  }
  get header() {
    const ev = this._ev;
    const h = new Header(snapOf(ev).h, (op, k, v) => hpost(ev[H], "requestHeader", [op, k, v]));
    Object.defineProperty(this, "header", { value: h, writable: true, enumerable: true, configurable: true });
    return h;
  }
  get host() {
    return snapOf(this._ev).host || this.url.host;
  }
  get remoteAddr() {
    return snapOf(this._ev).ra;
  }
  get requestURI() {
    return this.url.requestURI();
  }
  get contentLength() {
    return snapOf(this._ev).cl;
  }
  get proto() {
    return "HTTP/1.1";
  }
  get protoMajor() {
    return 1;
  }
  get protoMinor() {
    return 1;
  }
  get pattern() {
    return snapOf(this._ev).pat || "";
  }
  get tls() {
    return /^https:/i.test(snapOf(this._ev).u) ? {} : null;
  }
  get body() {
    return new BodyReader(this._ev);
  }
  pathValue(name) {
    const p = snapOf(this._ev).p;
    return hasOwn(p, name) ? p[name] : "";
  }
  setPathValue(name, value) {
    snapOf(this._ev).p[name] = String(value);
    hpost(this._ev[H], "setPathValue", [String(name), String(value)]);
  }
  formValue(k) {
    return hcall(this._ev[H], "formValue", [String(k)]);
  }
  postFormValue(k) {
    return hcall(this._ev[H], "formValue", [String(k)]);
  }
  cookies() {
    const out = [];
    for (const line of this.header.values("Cookie")) {
      for (const part of line.split(";")) {
        const i = part.indexOf("=");
        if (i <= 0) continue;
        out.push(
          new Cookie({
            name: part.slice(0, i).trim(),
            value: part
              .slice(i + 1)
              .trim()
              .replace(/^"(.*)"$/, "$1"),
          }),
        );
      }
    }
    return out;
  }
  cookie(name) {
    const c = this.cookies().find((c) => c.name === name);
    if (!c) throw new Error("http: named cookie not present");
    return c;
  }
  userAgent() {
    return this.header.get("User-Agent");
  }
  referer() {
    return this.header.get("Referer");
  }
  basicAuth() {
    const h = this.header.get("Authorization");
    if (!/^basic /i.test(h)) return ["", "", false];
    const raw = utf8Decode(b64decode(h.slice(6).trim()));
    const i = raw.indexOf(":");
    return i < 0 ? ["", "", false] : [raw.slice(0, i), raw.slice(i + 1), true];
  }
  context() {
    return new Context();
  }
  parseForm() {}
  parseMultipartForm() {}
  get multipartForm() {
    return hcall(this._ev[H], "multipartForm", []);
  }
  formFile(key) {
    const files = hcall(this._ev[H], "findUploadedFiles", [String(key)]);
    if (!files || !files.length) throw new Error("http: no such file");
    return [files[0], files[0]];
  }
}

/** http.ResponseWriter: header changes and writes are posted to the host. */
class GoResponse {
  constructor(ev) {
    defineHidden(this, "_ev", ev);
    defineHidden(this, "_h", null);
  }
  header() {
    const ev = this._ev;
    return (this._h ??= new Header(hcall(ev[H], "responseHeaders", []), (op, k, v) =>
      hpost(ev[H], "responseHeader", [op, k, v]),
    ));
  }
  writeHeader(status) {
    hpost(this._ev[H], "writeHeader", [Number(status) | 0]);
  }
  write(data) {
    this._ev[WRITTEN] ??= 200;
    hpost(this._ev[H], "write", [typeof data === "string" ? toGoBytes(utf8Encode(data)) : data]);
    return data ? data.length : 0;
  }
  flush() {}
}

function responseWriter(name, statusArg) {
  return function () {
    const args = Array.prototype.slice.call(arguments);
    this[WRITTEN] ??= statusArg ? Number(args[0]) | 0 : 204;
    hpost(this[H], name, args);
  };
}

extend("RequestEvent", {
  request: {
    get() {
      return (this.__req ??= new GoRequest(this));
    },
  },
  response: {
    get() {
      return (this.__res ??= new GoResponse(this));
    },
  },
  json: responseWriter("json", true),
  string: responseWriter("string", true),
  html: responseWriter("html", true),
  xml: responseWriter("xml", true),
  blob: responseWriter("blob", true),
  noContent: responseWriter("noContent", true),
  redirect(status, url) {
    status = Number(status) | 0;
    if (status < 300 || status > 399) throw new ApiError(500, "Invalid redirect status code.");
    this[WRITTEN] ??= status;
    hpost(this[H], "redirect", [status, String(url)]);
  },
  setCookie(cookie) {
    hpost(this[H], "setCookie", [cookie]);
  },
  written() {
    return this[WRITTEN] !== undefined || hcall(this[H], "written", []);
  },
  status() {
    return this[WRITTEN] !== undefined ? this[WRITTEN] : hcall(this[H], "status", []);
  },
  realIP() {
    return snapOf(this).ip;
  },
  remoteIP() {
    return snapOf(this)
      .ra.replace(/:\d+$/, "")
      .replace(/^\[|\]$/g, "");
  },
  isTLS() {
    return /^https:/i.test(snapOf(this).u);
  },
  flush() {},
  stream(status, contentType, reader) {
    const bytes = readAll(reader);
    hpost(this[H], "blob", [status, contentType, bytes === null ? toBytes(reader) : toGoBytes(bytes)]);
    this[WRITTEN] ??= Number(status) | 0;
  },
  fileFS(fsys, filename) {
    // waits for the host: a missing file throws (404) like upstream's returned error
    const status = hcall(0, "request.fileFS", [this, fsys, String(filename === undefined ? "" : filename)]);
    this[WRITTEN] ??= status;
  },
  bindBody(dst) {
    const data = hcall(this[H], "bodyData", []);
    if (dst instanceof DynamicModel) loadDynamicModel(dst, data || {});
    else if (dst && dst[H] !== undefined) hcall(0, "unmarshal", [data, dst]);
    else if (dst && typeof dst === "object") Object.assign(dst, data);
  },
  error(status, message, data) {
    return new ApiError(status, message, data);
  },
  badRequestError(message, data) {
    return new BadRequestError(message, data);
  },
  notFoundError(message, data) {
    return new NotFoundError(message, data);
  },
  forbiddenError(message, data) {
    return new ForbiddenError(message, data);
  },
  unauthorizedError(message, data) {
    return new UnauthorizedError(message, data);
  },
  tooManyRequestsError(message, data) {
    return new TooManyRequestsError(message, data);
  },
  internalServerError(message, data) {
    return new InternalServerError(message, data);
  },
});

extend("RequestInfo", {
  query: {
    get() {
      return snapOf(this) ? snapOf(this).query : hcall(this[H], ".query", []);
    },
  },
  headers: {
    get() {
      return snapOf(this) ? snapOf(this).headers : hcall(this[H], ".headers", []);
    },
  },
  body: {
    get() {
      return snapOf(this) ? snapOf(this).body : hcall(this[H], ".body", []);
    },
  },
  method: {
    get() {
      return snapOf(this) ? snapOf(this).method : hcall(this[H], ".method", []);
    },
  },
  context: {
    get() {
      return snapOf(this) ? snapOf(this).context : hcall(this[H], ".context", []);
    },
  },
});
