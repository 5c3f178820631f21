// Part 2: value classes and global helpers every context has (DateTime, DynamicModel, errors,
// toString, sleep, console, process, require…).

// ---- DateTime (types.DateTime: UTC, millisecond text "2006-01-02 15:04:05.000Z") ----------------

const DT_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$/;
const NS_PER_MS = 1e6;

function fmtDate(ms) {
  const d = new Date(ms);
  const p = (n, w) => String(n).padStart(w || 2, "0");
  return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}Z`;
}

class DateTime {
  constructor(raw, tz) {
    let s;
    if (raw === undefined || raw === null || raw === "") s = fmtDate(N.now());
    else if (raw instanceof DateTime) s = raw._s;
    else if (raw instanceof Date) s = isNaN(raw.getTime()) ? "" : fmtDate(raw.getTime());
    else s = DT_RE.test(String(raw)) && !tz ? String(raw) : local("dt.parse", [String(raw), tz ? String(tz) : ""]);
    defineHidden(this, "_s", s);
  }
  static __fromString(s) {
    const d = Object.create(DateTime.prototype);
    defineHidden(d, "_s", s || "");
    return d;
  }
  _ms() {
    if (this._s === "") return -62135596800000;
    const m = DT_RE.exec(this._s);
    if (!m) return Date.parse(this._s.replace(" ", "T"));
    return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
  }
  string() {
    return this._s;
  }
  toString() {
    return this._s;
  }
  toJSON() {
    return this._s;
  }
  isZero() {
    return this._s === "";
  }
  unix() {
    return Math.floor(this._ms() / 1000);
  }
  time() {
    return new GoTime(this._ms());
  }
  add(ns) {
    return DateTime.__fromString(fmtDate(this._ms() + Math.trunc(Number(ns) / NS_PER_MS)));
  }
  addDate(y, m, d) {
    const t = new Date(this._ms());
    t.setUTCFullYear(
      t.getUTCFullYear() + (Number(y) | 0),
      t.getUTCMonth() + (Number(m) | 0),
      t.getUTCDate() + (Number(d) | 0),
    );
    return DateTime.__fromString(fmtDate(t.getTime()));
  }
  sub(other) {
    return (this._ms() - toDateTime(other)._ms()) * NS_PER_MS;
  }
  before(o) {
    return this._ms() < toDateTime(o)._ms();
  }
  after(o) {
    return this._ms() > toDateTime(o)._ms();
  }
  equal(o) {
    return this._ms() === toDateTime(o)._ms();
  }
  compare(o) {
    const a = this._ms();
    const b = toDateTime(o)._ms();
    return a < b ? -1 : a > b ? 1 : 0;
  }
  marshalJSON() {
    return JSON.stringify(this._s);
  }
}

function toDateTime(v) {
  if (v instanceof DateTime) return v;
  if (v instanceof GoTime) return DateTime.__fromString(fmtDate(v._ms));
  return new DateTime(v);
}

/** A Go time.Time (what DateTime.time() returns): the common read methods. */
class GoTime {
  constructor(ms) {
    defineHidden(this, "_ms", ms);
  }
  unix() {
    return Math.floor(this._ms / 1000);
  }
  unixMilli() {
    return this._ms;
  }
  unixNano() {
    return this._ms * NS_PER_MS;
  }
  year() {
    return new Date(this._ms).getUTCFullYear();
  }
  month() {
    return new Date(this._ms).getUTCMonth() + 1;
  }
  day() {
    return new Date(this._ms).getUTCDate();
  }
  hour() {
    return new Date(this._ms).getUTCHours();
  }
  minute() {
    return new Date(this._ms).getUTCMinutes();
  }
  second() {
    return new Date(this._ms).getUTCSeconds();
  }
  weekday() {
    return new Date(this._ms).getUTCDay();
  }
  isZero() {
    return this._ms === -62135596800000;
  }
  string() {
    return (
      new Date(this._ms)
        .toISOString()
        .replace("T", " ")
        .replace(/\.(\d+)Z$/, (_, f) => (/^0+$/.test(f) ? "" : "." + f.replace(/0+$/, ""))) + " +0000 UTC"
    );
  }
  format(layout) {
    return local("time.format", [this._ms, String(layout)]);
  }
  toJSON() {
    return new Date(this._ms).toISOString();
  }
}

// ---- DynamicModel ---------------------------------------------------------------------------------

class NullMarker {
  constructor(kind) {
    defineHidden(this, "kind", kind);
  }
}

/** Column type of a shape value: s string, i int64, f float64 (-0), b bool, a array, o object, n* nullable. */
function shapeType(v) {
  if (v instanceof NullMarker) return "n" + v.kind;
  if (typeof v === "string") return "s";
  if (typeof v === "boolean") return "b";
  if (typeof v === "number") return Object.is(v, -0) || !Number.isInteger(v) ? "f" : "i";
  if (Array.isArray(v)) return "a";
  if (v === null || v === undefined) return "ns";
  return "o";
}

function coerce(type, v) {
  const t = type[0] === "n" ? type.slice(1) : type;
  if ((v === null || v === undefined) && type[0] === "n") return null;
  switch (t) {
    case "s":
      return v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
    case "i": {
      const n = Number(v);
      return Number.isFinite(n) ? Math.trunc(n) : 0;
    }
    case "f": {
      const n = Number(v);
      return Number.isFinite(n) ? n : 0;
    }
    case "b":
      return (
        v === true || v === 1 || v === "1" || v === "true" || v === "t" || v === "T" || v === "TRUE" || v === "True"
      );
    case "a":
      if (Array.isArray(v)) return v;
      if (typeof v === "string") {
        try {
          const p = JSON.parse(v);
          return Array.isArray(p) ? p : [];
        } catch (e) {
          return [];
        }
      }
      return v === null || v === undefined ? [] : [v];
    case "o":
      if (v && typeof v === "object") return jsonMap(v);
      if (typeof v === "string") {
        try {
          const p = JSON.parse(v);
          return p && typeof p === "object" ? jsonMap(p) : jsonMap({});
        } catch (e) {
          return jsonMap({});
        }
      }
      return jsonMap({});
  }
  return v;
}

/** types.JSONMap: a plain object with get/set helpers. */
function jsonMap(obj) {
  const m = Object.assign({}, obj);
  defineHidden(m, "get", (k) => m[k]);
  defineHidden(m, "set", (k, v) => {
    m[k] = v;
  });
  return m;
}

class DynamicModel {
  constructor(shape) {
    if (!shape || typeof shape !== "object" || Object.keys(shape).length === 0)
      throw new Error("[DynamicModel] missing shape data");
    const info = [];
    for (const key of Object.keys(shape).sort()) {
      const type = shapeType(shape[key]);
      const prop = goFieldName(key.charAt(0).toUpperCase() + key.slice(1));
      info.push({ key, prop, type });
      const v = shape[key];
      this[prop] =
        type[0] === "n"
          ? null
          : type === "a"
            ? JSON.parse(JSON.stringify(v))
            : type === "o"
              ? jsonMap(JSON.parse(JSON.stringify(v)))
              : v;
    }
    defineHidden(this, "__shape", shape);
    defineHidden(this, "__info", info);
  }
}

function loadDynamicModel(m, data) {
  for (const f of m.__info) {
    if (hasOwn(data, f.key)) m[f.prop] = coerce(f.type, data[f.key]);
    else if (hasOwn(data, f.prop)) m[f.prop] = coerce(f.type, data[f.prop]);
  }
}

function dynamicModelData(m, depth) {
  const out = {};
  for (const f of m.__info) out[f.key] = enc(m[f.prop], depth + 1);
  return out;
}

G.DynamicModel = DynamicModel;
G.nullString = () => new NullMarker("s");
G.nullInt = () => new NullMarker("i");
G.nullFloat = () => new NullMarker("f");
G.nullBool = () => new NullMarker("b");
G.nullArray = () => new NullMarker("a");
G.nullObject = () => new NullMarker("o");

G.arrayOf = function (model) {
  const arr = [];
  defineHidden(arr, "__of", model);
  return arr;
};

G.unmarshal = function (data, dst) {
  if (dst && typeof dst === "object" && dst[H] !== undefined) {
    hcall(0, "unmarshal", [data, dst]);
    return;
  }
  const plain = JSON.parse(JSON.stringify(enc(data)));
  if (dst instanceof DynamicModel) loadDynamicModel(dst, plain || {});
  else if (Array.isArray(dst) && Array.isArray(plain)) fillOut(dst, plain);
  else if (dst && typeof dst === "object" && plain && typeof plain === "object") Object.assign(dst, plain);
};

// ---- errors --------------------------------------------------------------------------------------

const STATUS_TEXT = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** inflector.Sentenize: capitalised, with a trailing period. */
function sentenize(s) {
  s = String(s).trim();
  if (s === "") return s;
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?]$/.test(s) ? s : s + ".";
}

/** router.safeErrorsData: what of an error's data reaches clients. */
function safeErrorsData(data) {
  if (data instanceof ValidationErrors) return safeErrorsData(data.errors);
  if (!data || typeof data !== "object" || Array.isArray(data) || data instanceof Error || isBytes(data)) return {};
  if (data[H] !== undefined) return hcall(0, "safeErrorsData", [data]);
  const out = {};
  for (const k of Object.keys(data)) {
    const v = data[k];
    if (
      v &&
      typeof v === "object" &&
      !(v instanceof ValidationError) &&
      !(v instanceof Error) &&
      !Array.isArray(v) &&
      v[H] === undefined
    )
      out[k] = safeErrorsData(v);
    else if (v instanceof ValidationError)
      out[k] =
        v.params && Object.keys(v.params).length
          ? { code: v.code, message: sentenize(v.message), params: v.params }
          : { code: v.code, message: sentenize(v.message) };
    else out[k] = { code: "validation_invalid_value", message: "Invalid value." };
  }
  return out;
}

class ApiError extends Error {
  constructor(status, message, data) {
    status = Number(status) || 0;
    message = message === undefined || message === null ? "" : String(message);
    if (message === "") message = STATUS_TEXT[status] || "";
    message = sentenize(message);
    super(message);
    this.status = status;
    this.message = message;
    defineHidden(this, "_raw", data);
    this.data = safeErrorsData(data);
  }
  error() {
    return this.message;
  }
  rawData() {
    return this._raw;
  }
  is(err) {
    return err === this;
  }
  toJSON() {
    return { data: this.data, message: this.message, status: this.status };
  }
}
Object.defineProperty(ApiError.prototype, "name", { value: "ApiError", writable: true, configurable: true });

function apiErrorClass(name, status, defaultMessage) {
  const C = class extends ApiError {
    constructor(message, data) {
      super(status, message === undefined || message === null || message === "" ? defaultMessage : message, data);
    }
  };
  Object.defineProperty(C, "name", { value: name });
  return C;
}

const NotFoundError = apiErrorClass("NotFoundError", 404, "The requested resource wasn't found.");
const BadRequestError = apiErrorClass("BadRequestError", 400, "Something went wrong while processing your request.");
const ForbiddenError = apiErrorClass("ForbiddenError", 403, "You are not allowed to perform this request.");
const UnauthorizedError = apiErrorClass("UnauthorizedError", 401, "Missing or invalid authentication.");
const TooManyRequestsError = apiErrorClass("TooManyRequestsError", 429, "Too Many Requests.");
const InternalServerError = apiErrorClass(
  "InternalServerError",
  500,
  "Something went wrong while processing your request.",
);

/** An ozzo validation error (`new ValidationError(code, message)`). */
class ValidationError extends Error {
  constructor(code, message) {
    super(String(message === undefined ? "" : message));
    this.code = String(code === undefined ? "" : code);
    this.params = undefined;
  }
  error() {
    return this.message;
  }
  setParams(p) {
    this.params = p;
    return this;
  }
  setMessage(m) {
    this.message = String(m);
    return this;
  }
}

/** validation.Errors: field → error. */
class ValidationErrors extends Error {
  constructor(errors) {
    super(
      Object.keys(errors)
        .sort()
        .map((k) => `${k}: ${errors[k].message}`)
        .join("; ") + ".",
    );
    this.errors = errors;
  }
}

// ---- conversions ------------------------------------------------------------------------------------

const DEFAULT_MAX_BYTES = 16 << 20;

function readAll(v, max) {
  if (v && typeof v === "object" && typeof v.__read === "function") return v.__read(max || DEFAULT_MAX_BYTES);
  return null;
}

G.toString = function (v, maxBytes) {
  const r = readAll(v, maxBytes);
  if (r !== null) return utf8Decode(r);
  if (v === null || v === undefined) return "";
  if (isBytes(v)) return utf8Decode(v);
  switch (typeof v) {
    case "string":
      return v;
    case "number":
    case "boolean":
    case "bigint":
      return String(v);
  }
  if (v instanceof DateTime) return v.string();
  return JSON.stringify(enc(v));
};
G.readerToString = (r, maxBytes) => G.toString(r, maxBytes);

G.toBytes = function (v, maxBytes) {
  const r = readAll(v, maxBytes);
  if (r !== null) return toGoBytes(r);
  if (v === null || v === undefined) return new GoBytes();
  if (isBytes(v)) return toGoBytes(v);
  if (typeof v === "string") return toGoBytes(utf8Encode(v));
  if (typeof v === "number" || typeof v === "boolean") return toGoBytes(utf8Encode(String(v)));
  return toGoBytes(utf8Encode(JSON.stringify(enc(v))));
};

G.sleep = function (ms) {
  ms = Number(ms);
  if (ms > 0) N.sleep(ms);
};

// ---- console and process ----------------------------------------------------------------------------

function inspect(v, depth) {
  depth = depth || 0;
  if (typeof v === "string") return depth ? JSON.stringify(v) : v;
  if (v === undefined) return "undefined";
  if (v === null || typeof v !== "object")
    return typeof v === "function" ? `[Function: ${v.name || "anonymous"}]` : String(v);
  if (v instanceof Error) return v.stack ? `${v.name}: ${v.message}\n${v.stack}`.trim() : `${v.name}: ${v.message}`;
  if (v instanceof DateTime) return v.string();
  if (v[H] !== undefined) {
    try {
      return JSON.stringify(v);
    } catch (e) {
      return `[${v.constructor && v.constructor.name}]`;
    }
  }
  if (depth > 4) return Array.isArray(v) ? "[Array]" : "[Object]";
  if (Array.isArray(v)) return "[ " + v.map((x) => inspect(x, depth + 1)).join(", ") + " ]";
  const keys = Object.keys(v);
  if (!keys.length) return "{}";
  return (
    "{ " +
    keys.map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${inspect(v[k], depth + 1)}`).join(", ") +
    " }"
  );
}

/** util.format: %s %d %i %f %j %o %O %%, then the remaining arguments inspected. */
function format(args) {
  if (!args.length) return "";
  let i = 0;
  let out = "";
  if (typeof args[0] === "string") {
    i = 1;
    out = args[0].replace(/%[sdifjoO%]/g, (m) => {
      if (m === "%%") return "%";
      if (i >= args.length) return m;
      const a = args[i++];
      switch (m) {
        case "%s":
          return typeof a === "string" ? a : inspect(a, 1);
        case "%d":
        case "%i":
          return String(m === "%i" ? Math.trunc(Number(a)) : Number(a));
        case "%f":
          return String(Number(a));
        case "%j":
          return JSON.stringify(a);
        default:
          return inspect(a, 1);
      }
    });
  }
  for (; i < args.length; i++) out += (out ? " " : "") + inspect(args[i], 0);
  return out;
}

function logTime() {
  const d = new Date(N.now());
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

const print = (level) =>
  function () {
    local("print", [level, logTime() + " " + format(Array.prototype.slice.call(arguments))]);
  };
const consoleObj = {
  log: print("log"),
  info: print("info"),
  debug: print("debug"),
  warn: print("warn"),
  error: print("error"),
  trace: print("error"),
};
G.console = consoleObj;

let envCache = null;
const processObj = {
  get env() {
    return (envCache ??= local("os.environ", []));
  },
  get argv() {
    return local("os.args", []);
  },
  platform: "linux",
};
G.process = processObj;

// ---- Buffer (goja_nodejs subset) ----------------------------------------------------------------------

class Buffer extends GoBytes {
  static from(v, encoding) {
    const b = new Buffer();
    let bytes;
    if (typeof v === "string") {
      const enc = (encoding || "utf8").toLowerCase();
      if (enc === "hex") {
        bytes = [];
        for (let i = 0; i + 1 < v.length; i += 2) bytes.push(parseInt(v.slice(i, i + 2), 16));
      } else if (enc === "base64" || enc === "base64url") bytes = b64decode(v);
      else if (enc === "latin1" || enc === "binary" || enc === "ascii")
        bytes = Array.from(v, (c) => c.charCodeAt(0) & 255);
      else bytes = utf8Encode(v);
    } else if (v && typeof v.length === "number") bytes = Array.from(v, (x) => Number(x) & 255);
    else
      throw new TypeError(
        "The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object.",
      );
    for (const x of bytes) b.push(x);
    return b;
  }
  static alloc(n, fill) {
    const b = new Buffer();
    for (let i = 0; i < n; i++) b.push(fill === undefined ? 0 : Number(fill) & 255);
    return b;
  }
  static concat(list) {
    const b = new Buffer();
    for (const x of list) for (const y of x) b.push(y);
    return b;
  }
  static isBuffer(v) {
    return v instanceof Buffer;
  }
  static byteLength(s) {
    return utf8Encode(String(s)).length;
  }
  toString(encoding) {
    const enc = (encoding || "utf8").toLowerCase();
    if (enc === "hex") return Array.from(this, (x) => x.toString(16).padStart(2, "0")).join("");
    if (enc === "base64") return b64encode(this);
    if (enc === "base64url") return b64encode(this, true);
    if (enc === "latin1" || enc === "binary" || enc === "ascii")
      return Array.from(this, (x) => String.fromCharCode(x)).join("");
    return utf8Decode(this);
  }
  equals(o) {
    if (!o || o.length !== this.length) return false;
    for (let i = 0; i < this.length; i++) if (this[i] !== o[i]) return false;
    return true;
  }
  write(s, offset) {
    const bytes = utf8Encode(s);
    offset = offset | 0;
    let n = 0;
    for (; n < bytes.length && offset + n < this.length; n++) this[offset + n] = bytes[n];
    return n;
  }
  readUInt8(o) {
    return this[o | 0];
  }
  writeUInt8(v, o) {
    this[o | 0] = v & 255;
    return (o | 0) + 1;
  }
}
G.Buffer = Buffer;

// ---- require (CommonJS, goja_nodejs resolution) -----------------------------------------------------

const moduleCache = Object.create(null);
const CORE = {
  console: () => consoleObj,
  process: () => processObj,
  buffer: () => ({ Buffer }),
  util: () => ({ format: (...a) => format(a), inspect: (v) => inspect(v, 1) }),
};

function makeRequire(baseDir, fallbackDir) {
  return function require(spec) {
    spec = String(spec);
    let r;
    try {
      r = local("require.resolve", [spec, baseDir, fallbackDir || ""]);
    } catch (e) {
      throw new Error(`Invalid module: "${spec}"`);
    }
    if (r.core) return CORE[r.core]();
    const cached = moduleCache[r.path];
    if (cached) return cached.exports;
    const src = local("require.read", [r.path]);
    const module = { exports: {}, id: r.path, filename: r.path, loaded: false };
    moduleCache[r.path] = module;
    try {
      if (r.json) module.exports = JSON.parse(src);
      else {
        const dir = r.path.slice(0, r.path.lastIndexOf("/")) || "/";
        const fn = (0, eval)(`(function (exports, require, module, __filename, __dirname) {${src}\n})`);
        fn.call(module.exports, module.exports, makeRequire(dir), module, r.path, dir);
      }
    } catch (e) {
      delete moduleCache[r.path];
      throw e;
    }
    module.loaded = true;
    return module.exports;
  };
}
// the base is the working directory, as upstream (its scripts run as `<cwd>/pb.js`); relative
// paths not found there are also tried against the hooks dir
G.require = makeRequire(INIT.cwd, INIT.hooksDir);
G.__hooks = INIT.hooksDir;

// ---- small constructors -----------------------------------------------------------------------------------

/** http.Cookie fields (Go names mapped): sameSite 1 default, 2 lax, 3 strict, 4 none. */
class Cookie {
  constructor(data) {
    Object.assign(
      this,
      {
        name: "",
        value: "",
        path: "",
        domain: "",
        expires: undefined,
        maxAge: 0,
        secure: false,
        httpOnly: false,
        sameSite: 0,
        partitioned: false,
      },
      data || {},
    );
  }
}

class MailerMessage {
  constructor(data) {
    Object.assign(
      this,
      {
        from: { address: "", name: "" },
        to: [],
        bcc: [],
        cc: [],
        subject: "",
        html: "",
        text: "",
        headers: {},
        attachments: {},
        inlineAttachments: {},
      },
      data || {},
    );
  }
}

class SubscriptionMessage {
  constructor(data) {
    Object.assign(this, { name: "", data: [] }, data || {});
  }
}

/** `new Middleware(fn, priority?, id?)`: a serialisable middleware with an explicit priority and id. */
class Middleware {
  constructor(fn, priority, id) {
    this.serializedFunc =
      typeof fn === "function" ? Function.prototype.toString.call(fn) : String(fn === undefined ? "" : fn);
    this.priority = Number(priority) || 0;
    this.id = id === undefined || id === null ? "" : String(id);
  }
  __pbEncode() {
    return { [T]: "m", src: this.serializedFunc, priority: this.priority, id: this.id };
  }
}

class Timezone {
  constructor(name) {
    this.name = String(name || "UTC");
  }
  string() {
    return this.name;
  }
}

class Context {
  constructor(parent, key, value) {
    defineHidden(this, "_values", Object.assign({}, parent && parent._values));
    if (key !== undefined) this._values[String(key)] = value;
  }
  value(key) {
    return this._values[String(key)];
  }
}

function notSupported(name) {
  return function () {
    throw new Error(`${name} is not supported by this server`);
  };
}

G.DateTime = DateTime;
G.ApiError = ApiError;
G.NotFoundError = NotFoundError;
G.BadRequestError = BadRequestError;
G.ForbiddenError = ForbiddenError;
G.UnauthorizedError = UnauthorizedError;
G.TooManyRequestsError = TooManyRequestsError;
G.InternalServerError = InternalServerError;
G.ValidationError = ValidationError;
G.Cookie = Cookie;
G.MailerMessage = MailerMessage;
G.SubscriptionMessage = SubscriptionMessage;
G.Middleware = Middleware;
G.Timezone = Timezone;
G.Context = Context;
