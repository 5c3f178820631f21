// The JS side of the bindings, evaluated in every QuickJS context before any user code.
// Part 1: marshalling between the script and the host (see src/jsvm/protocol.ts), host classes,
// errors, the handler entry points, and the small helpers every context has.
//
// The files under prelude/ are concatenated into one function body (see prelude.ts): names
// declared here are visible to the later parts, and nothing leaks to the global scope unless set
// on G on purpose.

const G = globalThis;
const N = G.__pb;
delete G.__pb;
const INIT = JSON.parse(G.__pbInit);
delete G.__pbInit;
const KIND = INIT.kind;
const CTX = INIT.id;
const T = "\u0001t";
const TJ = "\\u0001t";
const EP = "\u0001E";
const REF = Symbol("pb.ref");
/** The host handle id of a wrapper (a symbol: never enumerated, never serialised). */
const H = Symbol("pb.h");
const SNAPRAW = Symbol("pb.snapshotText");
const SNAP = Symbol("pb.snapshot");

const defineHidden = (o, k, v) =>
  Object.defineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false });
const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

// ---- UTF-8 and base64 (QuickJS has neither TextEncoder nor atob) ------------------------------

function utf8Encode(s) {
  s = String(s);
  const out = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

function utf8Decode(b) {
  let out = "";
  const n = b.length;
  for (let i = 0; i < n;) {
    const c = b[i++] & 255;
    let cp;
    if (c < 0x80) cp = c;
    else if (c >= 0xc2 && c < 0xe0 && i < n && (b[i] & 0xc0) === 0x80) cp = ((c & 31) << 6) | (b[i++] & 63);
    else if (c >= 0xe0 && c < 0xf0 && i + 1 < n && (b[i] & 0xc0) === 0x80 && (b[i + 1] & 0xc0) === 0x80) {
      cp = ((c & 15) << 12) | ((b[i] & 63) << 6) | (b[i + 1] & 63);
      i += 2;
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) cp = 0xfffd;
    } else if (
      c >= 0xf0 &&
      c < 0xf5 &&
      i + 2 < n &&
      (b[i] & 0xc0) === 0x80 &&
      (b[i + 1] & 0xc0) === 0x80 &&
      (b[i + 2] & 0xc0) === 0x80
    ) {
      cp = ((c & 7) << 18) | ((b[i] & 63) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63);
      i += 3;
      if (cp < 0x10000 || cp > 0x10ffff) cp = 0xfffd;
    } else cp = 0xfffd;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023));
    } else out += String.fromCharCode(cp);
  }
  return out;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64R = (() => {
  const r = new Array(256).fill(-1);
  for (let i = 0; i < 64; i++) r[B64.charCodeAt(i)] = i;
  r["-".charCodeAt(0)] = 62;
  r["_".charCodeAt(0)] = 63;
  return r;
})();

function b64encode(b, url) {
  let out = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = ((b[i] & 255) << 16) | ((b[i + 1] & 255) << 8) | (b[i + 2] & 255);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < b.length) {
    const n = ((b[i] & 255) << 16) | (i + 1 < b.length ? (b[i + 1] & 255) << 8 : 0);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < b.length ? B64[(n >> 6) & 63] : "=") + "=";
  }
  return url ? out.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "") : out;
}

function b64decode(s, into) {
  const out = into || [];
  let buf = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const v = B64R[s.charCodeAt(i)];
    if (v === undefined || v < 0) continue;
    buf = (buf << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buf >> bits) & 255);
    }
  }
  return out;
}

// ---- Go value types ----------------------------------------------------------------------------

/** A Go []byte: an array of byte numbers. `toString(b)` decodes it as UTF-8. */
class GoBytes extends Array {}
/** types.JSONRaw: bytes whose JSON form is the raw JSON they hold. */
class JSONRaw extends GoBytes {
  toJSON() {
    const s = utf8Decode(this);
    if (s === "") return null;
    try {
      return JSON.parse(s);
    } catch (e) {
      return null;
    }
  }
}

function toGoBytes(list, json) {
  const b = json ? new JSONRaw() : new GoBytes();
  for (let i = 0; i < list.length; i++) b.push(list[i] & 255);
  return b;
}

const isBytes = (v) => v instanceof GoBytes || (typeof Uint8Array !== "undefined" && v instanceof Uint8Array);

// ---- host handles ------------------------------------------------------------------------------

/** Base of every host object seen from scripts (records, collections, events…). */
function HostObject() {
  throw new TypeError("Illegal constructor");
}
HostObject.prototype.toJSON = function () {
  return hcall(this[H], "toJSON", []);
};

const classes = Object.create(null);
const localProto = Object.create(null); // prelude overrides, applied after the schema classes exist

// One message's handles share one reference (its group, see HandleGroup on the host side).
let groupId = 0;
let groupRef = null;

function refFor(id, g) {
  if (!g) return N.ref(id);
  if (groupId !== g) {
    groupId = g;
    groupRef = N.ref(g);
  }
  return groupRef;
}

function wrap(id, cls, snap, sc, g) {
  if (sc) for (const k of Object.keys(sc)) INIT.schema[k] = sc[k];
  const C = classes[cls] || makeClass(cls);
  if (!C || C.__dynamic) return wrapDynamic(id, cls, snap, g);
  const o = Object.create(C.prototype);
  o[H] = id;
  o[REF] = refFor(id, g);
  if (snap !== undefined) o[SNAPRAW] = snap;
  return o;
}

/** The data sent along with a handle (request data of events), parsed on first use. */
function snapOf(o) {
  let s = o[SNAP];
  if (s === undefined) {
    const raw = o[SNAPRAW];
    s = o[SNAP] = raw === undefined ? null : JSON.parse(raw);
  }
  return s;
}

/** A host object without a fixed shape (settings sections, plain maps): every property is a host call. */
function wrapDynamic(id, cls, snap, g) {
  const target = Object.create(HostObject.prototype);
  target[H] = id;
  target[REF] = refFor(id, g);
  if (snap !== undefined) target[SNAPRAW] = snap;
  return new Proxy(target, {
    get(t, k) {
      if (typeof k === "symbol") return t[k];
      if (k === "toJSON") return () => hcall(id, "toJSON", []);
      if (k === "constructor") return Object;
      if (k === "then") return undefined;
      return hcall(id, "." + k, []);
    },
    set(t, k, v) {
      if (typeof k === "symbol") return false;
      hcall(id, "=" + k, [v]);
      return true;
    },
    has(t, k) {
      if (typeof k === "symbol") return k in t;
      return hcall(id, "keys", []).indexOf(k) >= 0;
    },
    ownKeys() {
      return hcall(id, "keys", []);
    },
    getOwnPropertyDescriptor(t, k) {
      if (typeof k === "symbol") return Object.getOwnPropertyDescriptor(t, k);
      const keys = hcall(id, "keys", []);
      if (keys.indexOf(k) < 0) return undefined;
      return { value: hcall(id, "." + k, []), writable: true, enumerable: true, configurable: true };
    },
    deleteProperty(t, k) {
      hcall(id, "delete", [k]);
      return true;
    },
  });
}

/** Builds a host class from its schema on first use (most contexts touch a handful of the ~60). */
function makeClass(name) {
  if (classes[name]) return classes[name];
  const s = INIT.schema[name];
  if (!s) return null;
  const Parent = (s.x && makeClass(s.x)) || HostObject;
  const C = function () {
    if (!new.target) throw new TypeError(`Class constructor ${name} cannot be invoked without 'new'`);
    const o = hcall(0, "new:" + name, Array.prototype.slice.call(arguments));
    if (o && typeof o === "object" && new.target !== C && !o.__dynamic) Object.setPrototypeOf(o, new.target.prototype);
    return o;
  };
  Object.defineProperty(C, "name", { value: name });
  C.prototype = Object.create(Parent.prototype, { constructor: { value: C, writable: true, configurable: true } });
  Object.setPrototypeOf(C, Parent);
  for (const m of s.m) {
    defineHidden(C.prototype, m, function () {
      return hcall(this[H], m, Array.prototype.slice.call(arguments));
    });
  }
  for (const p of s.p) {
    const writable = s.w.indexOf(p) >= 0;
    Object.defineProperty(C.prototype, p, {
      configurable: true,
      enumerable: true,
      get() {
        return hcall(this[H], "." + p, []);
      },
      set(v) {
        if (!writable) throw new TypeError(`Cannot assign to read only property '${p}'`);
        hcall(this[H], "=" + p, [v]);
      },
    });
  }
  if (s.d) C.__dynamic = true;
  classes[name] = C;
  if (s.arr) installArrayProps(name);
  for (const members of pendingExtensions[name] || []) applyExtension(C, members);
  delete pendingExtensions[name];
  return C;
}

const pendingExtensions = Object.create(null);

/** Adds local (prelude) members to a host class: plain functions become methods, {get,set} accessors. */
function extend(name, members) {
  const C = classes[name];
  if (C) applyExtension(C, members);
  else (pendingExtensions[name] ??= []).push(members);
}

function applyExtension(C, members) {
  for (const k of Reflect.ownKeys(members)) {
    const m = members[k];
    if (m && typeof m === "object" && (m.get || m.set))
      Object.defineProperty(C.prototype, k, { configurable: true, enumerable: true, get: m.get, set: m.set });
    else defineHidden(C.prototype, k, m);
  }
}

// ---- callbacks: script functions handed to a host call ------------------------------------------

const callbacks = new Map();
let nextCallback = 1;
const tempCallbacks = [];

function registerCallback(fn, pinned) {
  const id = nextCallback++;
  callbacks.set(id, fn);
  if (!pinned) tempCallbacks.push(id);
  return id;
}

// ---- encoding (script → host) -------------------------------------------------------------------

function enc(v, depth) {
  depth = depth || 0;
  if (depth > 200) throw new Error("json: unsupported value: encountered a cycle or a too deeply nested value");
  switch (typeof v) {
    case "undefined":
      return null;
    case "number":
      return Number.isFinite(v) ? v : null;
    case "string":
    case "boolean":
      return v;
    case "bigint":
      return Number(v);
    case "symbol":
      return null;
    case "function":
      return { [T]: "f", i: registerCallback(v, false), x: CTX };
  }
  if (v === null) return null;
  if (v[H] !== undefined) return { [T]: "h", i: v[H] };
  if (v instanceof DateTime) return { [T]: "d", v: v.string() };
  if (v instanceof Date) return { [T]: "d", v: isNaN(v.getTime()) ? "" : v.toISOString().replace("T", " ") };
  if (v instanceof ApiError) return { [T]: "a", status: v.status, message: v.message, data: enc(v.data, depth + 1) };
  if (v instanceof GoBytes) return { [T]: "b", v: b64encode(v), j: v instanceof JSONRaw ? 1 : 0 };
  if (typeof Uint8Array !== "undefined" && v instanceof Uint8Array) return { [T]: "b", v: b64encode(v) };
  if (v instanceof ValidationError) return { [T]: "v", code: v.code, message: v.message };
  if (v instanceof DynamicModel) return dynamicModelData(v, depth);
  if (v instanceof Error) return { [T]: "e", m: String(v.message) };
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = enc(v[i], depth + 1);
    return out;
  }
  if (v instanceof Map) {
    const out = {};
    for (const [k, x] of v) out[String(k)] = enc(x, depth + 1);
    return out;
  }
  if (typeof v.__pbEncode === "function") return v.__pbEncode(depth);
  const out = {};
  for (const k of Object.keys(v)) {
    out[k] = enc(v[k], depth + 1);
  }
  return out;
}

// ---- decoding (host → script) -------------------------------------------------------------------

class OutResult {
  constructor(r, o) {
    this.r = r;
    this.o = o;
  }
}

function reviver(k, v) {
  if (v === null || typeof v !== "object" || v[T] === undefined) return v;
  switch (v[T]) {
    case "h":
      return wrap(v.i, v.c, v.s, v.sc, v.g);
    case "d":
      return DateTime.__fromString(v.v);
    case "b":
      return toGoBytes(b64decode(v.v), v.j);
    case "a": {
      const e = new ApiError(v.status, v.message, undefined);
      e.data = v.data || {};
      if (v.h) ((e[H] = v.h), (e[REF] = N.ref(v.h)));
      return e;
    }
    case "o":
      return new OutResult(v.r, v.o);
    case "u":
      return undefined;
  }
  return v;
}

function dec(text) {
  if (text === "" || text === undefined) return undefined;
  if (text.indexOf(TJ) < 0) return JSON.parse(text);
  try {
    return JSON.parse(text, reviver);
  } finally {
    groupId = 0;
    groupRef = null;
  }
}

// ---- errors --------------------------------------------------------------------------------------

function toJsError(p) {
  const e = new Error(p.m);
  if (p.n === "NotExist") e.notExist = true;
  if (p.api) {
    const v = new ApiError(p.api.status, p.api.message, undefined);
    v.data = p.api.data === undefined ? {} : dec(JSON.stringify(p.api.data));
    if (p.h) ((v[H] = p.h), (v[REF] = N.ref(p.h)));
    e.value = v;
  } else if (p.h) {
    e.value = wrap(p.h, "GoError");
  } else {
    e.value = { error: () => p.m, message: p.m };
  }
  return e;
}

/** What a thrown (or returned) script error becomes on the host side. */
function errPayload(e) {
  if (e instanceof ApiError) {
    const p = { m: e.message, api: { status: e.status, message: e.message, data: enc(e.data) } };
    if (e[H]) p.h = e[H];
    return p;
  }
  if (e && typeof e === "object") {
    const v = e.value;
    if (v instanceof ApiError) return errPayload(v);
    if (v && typeof v === "object" && v[H] !== undefined) return { m: String(e.message), h: v[H], stack: e.stack };
    if (e instanceof Error) return { m: String(e.message), n: e.name, stack: e.stack };
    if (e[H] !== undefined) return { m: "", h: e[H] };
  }
  return { m: String(e) };
}

const errText = (e) => EP + JSON.stringify(errPayload(e));

// ---- host calls ------------------------------------------------------------------------------------

/** Calls `m` on host object `h` (0 = the host namespace) and waits for the result. */
function hcall(h, m, args) {
  const mark = tempCallbacks.length;
  let res;
  try {
    const a = new Array(args.length);
    for (let i = 0; i < args.length; i++) a[i] = enc(args[i], 1);
    res = N.call(JSON.stringify([h, m, a]));
  } finally {
    if (tempCallbacks.length > mark) for (const id of tempCallbacks.splice(mark)) callbacks.delete(id);
  }
  if (res.charCodeAt(0) === 1 && res.charCodeAt(1) === 69) throw toJsError(JSON.parse(res.slice(2)));
  const v = dec(res);
  if (v instanceof OutResult) {
    for (const [i, x] of v.o) fillOut(args[i], x);
    return v.r;
  }
  return v;
}

/** A host call whose reply the script does not wait for (response writes); sent with the next message. */
function hpost(h, m, args) {
  const a = new Array(args.length);
  for (let i = 0; i < args.length; i++) a[i] = enc(args[i], 1);
  N.post(JSON.stringify([h, m, a]));
}

/** Calls a function the worker serves itself (hashing, files, console). */
function local(name, args) {
  const res = N.local(
    name,
    JSON.stringify(args, (k, v) => (v instanceof GoBytes ? { [T]: "b", v: b64encode(v) } : v)),
  );
  if (res.charCodeAt(0) === 1 && res.charCodeAt(1) === 69) throw toJsError(JSON.parse(res.slice(2)));
  return dec(res);
}

/** Writes a host result into a script-side out argument (arrayOf(...) slices, DynamicModels). */
function fillOut(target, value) {
  if (target === null || target === undefined) return;
  if (Array.isArray(target)) {
    const model = target.__of;
    target.length = 0;
    for (const item of value || []) target.push(materialize(model, item));
    return;
  }
  if (target instanceof DynamicModel) {
    loadDynamicModel(target, value || {});
    return;
  }
  if (typeof target === "object" && target[H] === undefined && value && typeof value === "object") {
    for (const k of Object.keys(value)) target[k] = value[k];
  }
}

function materialize(model, item) {
  if (model instanceof DynamicModel) {
    const m = new DynamicModel(model.__shape);
    loadDynamicModel(m, item || {});
    return m;
  }
  return item;
}

// ---- handler entry points (called by the worker) -----------------------------------------------------

/** A run's arguments: JSON, or the compact `\u0002id\u0002class\u0002snapshot` form of one event. */
function runArgs(text) {
  if (!text) return [];
  if (text.charCodeAt(0) !== 2) return dec(text);
  const a = text.indexOf("\u0002", 1);
  const b = text.indexOf("\u0002", a + 1);
  const snap = text.slice(b + 1);
  return [wrap(Number(text.slice(1, a)), text.slice(a + 1, b), snap === "" ? undefined : snap)];
}

G.__pbInvoke = function (fn, argsJson, mode) {
  let r;
  try {
    const args = runArgs(argsJson);
    r = fn.apply(undefined, args);
  } catch (e) {
    return errText(e);
  }
  return result(r, mode);
};

G.__pbCallback = function (id, argsJson) {
  const fn = callbacks.get(id);
  if (!fn)
    return errText(
      new Error("the callback is no longer available (it was passed to a host call that already returned)"),
    );
  let r;
  try {
    r = fn.apply(undefined, argsJson ? dec(argsJson) : []);
  } catch (e) {
    return errText(e);
  }
  return result(r, 1);
};

/**
 * An async handler (or one returning a promise) as upstream runs it: the promise is recorded and
 * the worker is told with `\u0001A<id>`; it then runs QuickJS's pending jobs (host calls block, so
 * every `await` of a host result is settled once they have run) and asks `__pbSettle(id)` for the
 * outcome: a resolved value counts as a returned one, a rejection as a thrown error.
 */
const asyncRuns = new Map();
let nextAsyncRun = 1;

function result(r, mode) {
  if (r instanceof Promise) {
    const id = nextAsyncRun++;
    const st = { state: 0, v: undefined, mode };
    asyncRuns.set(id, st);
    r.then(
      (v) => {
        st.state = 1;
        st.v = v;
      },
      (e) => {
        st.state = 2;
        st.v = e;
      },
    );
    return "\u0001A" + id;
  }
  if (mode === 0) return r instanceof Error || r instanceof ApiError ? errText(r) : "";
  if (r instanceof Error) return errText(r);
  return JSON.stringify(enc(r));
}

G.__pbSettle = function (id) {
  const st = asyncRuns.get(id);
  asyncRuns.delete(id);
  if (!st) return errText(new Error("the async handler's state was lost"));
  try {
    if (st.state === 1) return result(st.v, st.mode);
    if (st.state === 2) return errText(st.v);
  } catch (e) {
    return errText(e);
  }
  // nothing left to run can settle it (there are no timers or I/O events in this runtime)
  return errText(new Error("the async handler did not finish: it waits on a promise that nothing resolves"));
};

// ---- go-style naming (the field mapper) ----------------------------------------------------------------

/**
 * Go's exported name → JS name, as upstream's FieldMapper: `JSONField`→`jsonField`, `ID`→`id`, `OAuth2`→`oauth2`.
 */
function goFieldName(name) {
  if (name === "OAuth2") return "oauth2";
  let i = 0;
  while (i < name.length && /[A-Z0-9_]/.test(name[i])) i++;
  if (i === name.length) return name.toLowerCase();
  if (i > 1) return name.slice(0, i - 1).toLowerCase() + name.slice(i - 1);
  if (i === 1) return name[0].toLowerCase() + name.slice(1);
  return name;
}
