/**
 * The main-thread side of the bindings: which host objects scripts can reach and how (a registry of
 * bindings, one per class), the per-worker handle tables, and the JSON codec with its tagged values.
 *
 * A binding lists the methods and properties of one host class. Scripts see them through classes
 * the prelude builds from the same list (the "schema"), so adding a method here is all it takes.
 */
import { ApiError, FieldValidationError, ValidationErrors, toApiError } from "../core/errors.ts";
import { JSONRaw } from "../core/fields/index.ts";
import { ERR_PREFIX, TAG, TAG_IN_JSON, Tag, type ClassSchema, type ErrPayload } from "./protocol.ts";
import type { JsWorker } from "./pool.ts";

// ---- values that cross in tagged form ----------------------------------------------------------

/** A DateTime going to a script (scripts get a DateTime object, not a string). */
export class JsDateTime {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
  toJSON(): string {
    return this.value;
  }
}

/** Forces a plain host object to cross as a live handle (its properties read and written on the host). */
export class Live<T extends object = object> {
  constructor(readonly target: T) {}
}

/** A host-call result that also fills some of the script's arguments (arrayOf slices, models). */
export class OutValue {
  constructor(
    readonly result: unknown,
    readonly outs: [number, unknown][],
  ) {}
}

/** A middleware or handler as a script gave it: serialised source with priority and id. */
export interface ScriptHandlerSpec {
  src: string;
  priority: number;
  id: string;
}

/** A FormData body for `$http.send`. */
export interface FormDataSpec {
  formData: [string, unknown][];
}

/** An `os.DirFS` directory. */
export interface DirFSSpec {
  dirFS: string;
}

/** An error created in a script (`throw new Error("x")`, or a returned error) as the host sees it. */
export class JsError extends Error {
  constructor(
    message: string,
    readonly jsName = "Error",
    readonly jsStack = "",
  ) {
    super(message);
  }
}

/** A script stopped by one of our limits (time or memory). */
export class JsLimitError extends JsError {
  constructor(
    message: string,
    readonly limit: "timeout" | "memory",
  ) {
    super(message, "InternalError");
  }
}

/** Go's sql.ErrNoRows, whose text scripts match on; escapes from handlers as a 404. */
export class NoRowsError extends Error {
  constructor() {
    super("sql: no rows in result set");
  }
}

/** fs.ErrNotExist. */
export class NotExistError extends Error {}

// ---- handle tables -------------------------------------------------------------------------------

/**
 * Host objects one worker's scripts hold, by handle. A handle counts the references sent to the
 * worker; the worker reports each reference its QuickJS objects dropped, and at zero the entry goes.
 */
export class HandleTable {
  private byId = new Map<number, { obj: object; n: number }>();
  private ids = new Map<object, number>();
  private next = 1;
  /** Released ids, reused so ids stay small (they travel as int32 host-ref ids). */
  private free: number[] = [];

  ref(obj: object): number {
    let id = this.ids.get(obj);
    if (id === undefined) {
      id = this.free.pop() ?? this.next++;
      this.ids.set(obj, id);
      this.byId.set(id, { obj, n: 0 });
    }
    this.byId.get(id)!.n++;
    return id;
  }

  /** A handle that is never released (the app). */
  pin(obj: object): number {
    const id = this.ref(obj);
    this.byId.get(id)!.n = Number.POSITIVE_INFINITY;
    return id;
  }

  get(id: number): object {
    const e = this.byId.get(id);
    if (!e)
      throw new Error("the host object is no longer available (host objects cannot be kept between handler calls)");
    return e.obj;
  }

  /**
   * Handles sent in one message share one script-side reference (a group): `member(id)` counts a
   * member once per group, and releasing the group id releases every member.
   */
  newGroup(): HandleGroup {
    const g = new HandleGroup();
    g.id = this.ref(g);
    return g;
  }

  /** Adds `obj` to `group` (counted once per group); returns its handle id. */
  member(group: HandleGroup, obj: object): number {
    let id = this.ids.get(obj);
    if (id !== undefined && group.members.has(id)) return id;
    id = this.ref(obj);
    group.members.add(id);
    return id;
  }

  release(ids: readonly number[]): void {
    for (const id of ids) {
      const e = this.byId.get(id);
      if (!e) continue;
      if (--e.n <= 0) {
        this.byId.delete(id);
        this.ids.delete(e.obj);
        this.free.push(id);
        if (e.obj instanceof HandleGroup) this.release([...e.obj.members]);
      }
    }
  }

  get size(): number {
    return this.byId.size;
  }

  clear(): void {
    this.byId.clear();
    this.ids.clear();
    this.free = [];
  }
}

/** The handles of one message, kept alive on the script side by one shared reference. */
export class HandleGroup {
  id = 0;
  readonly members = new Set<number>();
}

// ---- bindings ---------------------------------------------------------------------------------------

/** What a host call runs with: the worker (for handles and callbacks) and the plugin. */
export interface Cx {
  readonly worker: JsWorker;
  /** The JS context that made the call (for callbacks it passes). */
  readonly plugin: HostPlugin;
}

/** What bindings need from the plugin (kept abstract so bindings do not import it). */
export interface HostPlugin {
  readonly app: import("../core/app.ts").App;
  /** Runs a script callback (a function the script passed to this host call). */
  callback(worker: JsWorker, ctx: number, id: number, args: unknown[]): Promise<unknown>;
  /** Restarts the app (`$app.restart()`). */
  restart(): Promise<void>;
  /** The scheduler behind `$app.cron()`. */
  cronHandle(): unknown;
}

export type Method<T> = (cx: Cx, self: T, ...args: any[]) => unknown;
export interface Prop<T> {
  get?: (cx: Cx, self: T) => unknown;
  set?: (cx: Cx, self: T, value: any) => unknown;
  /** The value is a Go slice: scripts may edit it in place (`collection.indexes.push(...)`). */
  arr?: boolean;
}

export interface Binding<T = any> {
  /** The class name scripts see. */
  name: string;
  /** The host class instances of which use this binding. */
  cls?: abstract new (...a: any[]) => T;
  /** Another binding whose members this one inherits. */
  parent?: string;
  methods?: { [name: string]: Method<T> };
  props?: { [name: string]: Prop<T> };
  /** `new Name(...)` in scripts; also makes the name a global. */
  ctor?: (cx: Cx, ...args: any[]) => unknown;
  /** Data sent along with each handle (read by the prelude without host calls). */
  snapshot?: (cx: Cx, self: T) => unknown;
  /** Every property is resolved on the host (plain data objects). */
  dynamic?: boolean;
  /**
   * Subclasses without their own binding get one made from their instances' own fields (events:
   * every `*Event` class exposes its public fields under their names).
   */
  autoSubclass?: (sample: object) => Pick<Binding, "props" | "methods">;
}

const bindings = new Map<string, Binding>();
const byProto = new Map<object, Binding>();
const ROOT: { [name: string]: (cx: Cx, ...args: any[]) => unknown } = {};

/** Registers a binding (later definitions of the same name replace earlier ones). */
export function defineBinding<T>(b: Binding<T>): void {
  bindings.set(b.name, b as Binding);
  if (b.cls) byProto.set(b.cls.prototype as object, b as Binding);
  protoCache.clear();
}

/** Registers functions of the host namespace (`$http.send`, `$apis.*`, registrars…). */
export function defineRoot(fns: { [name: string]: (cx: Cx, ...args: any[]) => unknown }): void {
  Object.assign(ROOT, fns);
}

const protoCache = new Map<object, Binding | null>();

/** The binding of a host object (by its class, nearest first), if any. */
export function bindingOf(obj: object): Binding | undefined {
  const proto = Object.getPrototypeOf(obj);
  if (proto === null || proto === Object.prototype) return undefined;
  let cached = protoCache.get(proto);
  if (cached === undefined) {
    cached = null;
    for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      const b = byProto.get(p);
      if (b) {
        cached = b;
        if (p !== proto && b.autoSubclass) cached = autoBinding(obj, proto, b);
        break;
      }
    }
    protoCache.set(proto, cached);
  }
  return cached ?? undefined;
}

let autoSeq = 0;

/** A binding for a subclass of an auto-binding class, made from a sample instance. */
function autoBinding(sample: object, proto: object, base: Binding): Binding {
  // the chain between proto and base may hold other auto classes: bind the parent first
  const parentProto = Object.getPrototypeOf(proto);
  const parent =
    byProto.get(parentProto) ??
    (parentProto && parentProto !== base.cls?.prototype ? autoBinding(sample, parentProto, base) : base);
  const display = (proto as { constructor?: { name?: string } }).constructor?.name || "Event";
  const own = base.autoSubclass!(sample);
  const b: Binding = {
    name: `${display}#${++autoSeq}`,
    parent: parent.name,
    props: own.props,
    methods: own.methods,
    autoSubclass: base.autoSubclass,
  };
  bindings.set(b.name, b);
  byProto.set(proto, b);
  return b;
}

export function bindingNamed(name: string): Binding | undefined {
  return bindings.get(name);
}

function findMember<K extends "methods" | "props">(
  b: Binding | undefined,
  kind: K,
  name: string,
): NonNullable<Binding[K]>[string] | undefined {
  for (let cur = b; cur; cur = cur.parent ? bindings.get(cur.parent) : undefined) {
    const m = cur[kind]?.[name];
    if (m) return m as NonNullable<Binding[K]>[string];
  }
  return undefined;
}

export type SchemaEntry = ClassSchema & { d?: boolean; arr?: string[] };

function classSchema(b: Binding): SchemaEntry {
  const props = Object.entries(b.props ?? {});
  return {
    m: Object.keys(b.methods ?? {}),
    p: props.filter(([, p]) => !p.arr).map(([k]) => k),
    w: props.filter(([, p]) => p.set).map(([k]) => k),
    ...(b.parent ? { x: b.parent } : {}),
    ...(b.ctor ? { n: true } : {}),
    ...(b.dynamic ? { d: true } : {}),
    ...(props.some(([, p]) => p.arr) ? { arr: props.filter(([, p]) => p.arr).map(([k]) => k) } : {}),
  };
}

/** The class list the prelude builds its host classes from. */
export function schema(): Record<string, SchemaEntry> {
  const out: Record<string, SchemaEntry> = {};
  for (const b of bindings.values()) out[b.name] = classSchema(b);
  return out;
}

/** Schemas of `b` and its ancestors that the worker was not sent yet (classes bound after it started). */
function missingSchemas(b: Binding, known: Set<string>): Record<string, SchemaEntry> | undefined {
  let out: Record<string, SchemaEntry> | undefined;
  for (
    let cur: Binding | undefined = b;
    cur && !known.has(cur.name);
    cur = cur.parent ? bindings.get(cur.parent) : undefined
  ) {
    (out ??= {})[cur.name] = classSchema(cur);
    known.add(cur.name);
  }
  return out;
}

/** Runs one host call `[h, m, args]` from a script. */
export async function dispatch(cx: Cx, h: number, m: string, args: unknown[]): Promise<unknown> {
  if (h === 0) {
    if (m.startsWith("new:")) {
      const b = bindings.get(m.slice(4));
      if (!b?.ctor) throw new Error(`${m.slice(4)} cannot be constructed`);
      return b.ctor(cx, ...args);
    }
    const fn = ROOT[m];
    if (!fn) throw new Error(`${m} is not supported by this server`);
    return fn(cx, ...args);
  }
  const self = cx.worker.handles.get(h);
  const b = bindingOf(self);
  if (!b || b.dynamic) return dynamicCall(self as { [k: string]: unknown }, m, args, b, cx);
  const c = m.charCodeAt(0);
  if (c === 46 /* . */ || c === 61 /* = */) {
    const name = m.slice(1);
    const p = findMember(b, "props", name);
    if (c === 46) {
      if (!p?.get) throw new Error(`${b.name}.${name} cannot be read`);
      return p.get(cx, self);
    }
    if (!p?.set) throw new Error(`${b.name}.${name} is read-only`);
    await p.set(cx, self, args[0]);
    return undefined;
  }
  const fn = findMember(b, "methods", m);
  if (fn) return fn(cx, self, ...args);
  if (m === "toJSON") return toPlain(self);
  throw new Error(`${b.name}.${m} is not a function`);
}

/** Plain host data objects (settings sections, mail messages): properties read and written directly. */
function dynamicCall(
  self: { [k: string]: unknown },
  m: string,
  args: unknown[],
  b: Binding | undefined,
  cx: Cx,
): unknown {
  const c = m.charCodeAt(0);
  if (c === 46) {
    const p = b ? findMember(b, "props", m.slice(1)) : undefined;
    if (p?.get) return p.get(cx, self);
    const v = self[m.slice(1)];
    return v !== null && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
      ? new Live(v)
      : v;
  }
  if (c === 61) {
    const p = b ? findMember(b, "props", m.slice(1)) : undefined;
    if (p?.set) return p.set(cx, self, args[0]);
    self[m.slice(1)] = args[0];
    return undefined;
  }
  if (b) {
    const fn = findMember(b, "methods", m);
    if (fn) return fn(cx, self, ...args);
  }
  if (m === "keys") return Object.keys(self);
  if (m === "delete") {
    delete self[String(args[0])];
    return undefined;
  }
  if (m === "toJSON") return toPlain(self);
  const f = self[m];
  if (typeof f === "function") return (f as (...a: unknown[]) => unknown).apply(self, args);
  throw new Error(`${m} is not a function`);
}

/** A host value as plain JSON data (what `JSON.stringify(hostObject)` gives in scripts). */
export function toPlain(v: unknown): unknown {
  const text = JSON.stringify(v, (_k, x) =>
    x instanceof Uint8Array ? Array.from(x) : typeof x === "bigint" ? Number(x) : x,
  );
  return text === undefined ? null : JSON.parse(text);
}

// ---- codec -------------------------------------------------------------------------------------------

function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Encodes a host value for a script: host objects become handles, dates and bytes tagged values. */
export function encodeValue(v: unknown, cx: Cx): string {
  const st: EncState = { cx, group: null };
  const e = enc(v, st, 0);
  return e === undefined ? "null" : JSON.stringify(e);
}

interface EncState {
  cx: Cx;
  /** The message's handle group, made at its first handle. */
  group: HandleGroup | null;
}

/** A handle marker for `o`: its id, in the message's group. */
function handleId(st: EncState, o: object): { i: number; g: number } {
  const h = st.cx.worker.handles;
  st.group ??= h.newGroup();
  return { i: h.member(st.group, o), g: st.group.id };
}

function enc(v: unknown, st: EncState, depth: number): unknown {
  const cx = st.cx;
  switch (typeof v) {
    case "undefined":
      return null;
    case "string":
    case "boolean":
      return v;
    case "number":
      return Number.isFinite(v) ? v : null;
    case "bigint":
      return Number(v);
    case "function":
    case "symbol":
      return null;
  }
  if (v === null) return null;
  const o = v as object;
  if (depth > 100) throw new Error("the value is too deeply nested");
  if (o instanceof JsDateTime) return { [TAG]: Tag.DateTime, v: o.value };
  if (o instanceof Uint8Array)
    return { [TAG]: Tag.Bytes, v: Buffer.from(o.buffer, o.byteOffset, o.byteLength).toString("base64") };
  if (o instanceof JSONRaw) return { [TAG]: Tag.Bytes, v: Buffer.from(o.raw, "utf8").toString("base64"), j: 1 };
  if (o instanceof OutValue)
    return { [TAG]: Tag.Out, r: enc(o.result, st, depth + 1), o: o.outs.map(([i, x]) => [i, enc(x, st, depth + 1)]) };
  if (o instanceof Live)
    return { [TAG]: Tag.Handle, ...handleId(st, o.target), c: bindingOf(o.target)?.name ?? "Object" };
  if (Array.isArray(o) && (Object.getPrototypeOf(o) === Array.prototype || !bindingOf(o))) {
    const out = new Array(o.length);
    for (let i = 0; i < o.length; i++) out[i] = enc(o[i], st, depth + 1);
    return out;
  }
  if (isPlain(o)) {
    const out: { [k: string]: unknown } = {};
    for (const k of Object.keys(o)) out[k] = enc((o as { [k: string]: unknown })[k], st, depth + 1);
    return out;
  }
  const b = bindingOf(o);
  if (b) {
    const m: { [k: string]: unknown } = { [TAG]: Tag.Handle, ...handleId(st, o), c: b.name };
    if (b.snapshot) m.s = JSON.stringify(b.snapshot(cx, o));
    const sc = missingSchemas(b, cx.worker.knownClasses);
    if (sc) m.sc = sc;
    return m;
  }
  if (o instanceof Map) {
    const out: { [k: string]: unknown } = {};
    for (const [k, x] of o) out[String(k)] = enc(x, st, depth + 1);
    return out;
  }
  if (o instanceof Date)
    return { [TAG]: Tag.DateTime, v: Number.isNaN(o.getTime()) ? "" : o.toISOString().replace("T", " ") };
  if (o instanceof Error) return { [TAG]: Tag.Handle, ...handleId(st, o), c: "GoError" };
  const toJSON = (o as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === "function") return enc(toJSON.call(o), st, depth + 1);
  const out: { [k: string]: unknown } = {};
  for (const k of Object.keys(o)) out[k] = enc((o as { [k: string]: unknown })[k], st, depth + 1);
  return out;
}

/** Marks the compact form of a run's arguments: one host object (an event), see encodeArgs. */
export const SINGLE_HANDLE = "\u0002";

/**
 * A run's argument list as text. The common case, a single event whose class the worker knows,
 * uses a compact `\u0002id\u0002class\u0002snapshot` form the prelude splits without parsing JSON.
 */
export function encodeArgs(args: unknown[], cx: Cx): string {
  if (args.length === 1) {
    const a = args[0];
    if (a !== null && typeof a === "object" && Object.getPrototypeOf(a) !== Object.prototype && !Array.isArray(a)) {
      const b = bindingOf(a);
      if (b && !b.dynamic && cx.worker.knownClasses.has(b.name)) {
        let known = true;
        for (let cur: Binding | undefined = b; cur; cur = cur.parent ? bindings.get(cur.parent) : undefined)
          if (!cx.worker.knownClasses.has(cur.name)) known = false;
        if (known) {
          const id = cx.worker.handles.ref(a);
          return (
            SINGLE_HANDLE +
            id +
            SINGLE_HANDLE +
            b.name +
            SINGLE_HANDLE +
            (b.snapshot ? JSON.stringify(b.snapshot(cx, a)) : "")
          );
        }
      }
    }
  }
  return encodeValue(args, cx);
}

/** Decodes a script value (JSON text with tags) into host values. */
export function decodeValue(text: string, cx: Cx): unknown {
  if (text === "") return undefined;
  if (!text.includes(TAG_IN_JSON)) return JSON.parse(text);
  return JSON.parse(text, (_k, v) => {
    if (v === null || typeof v !== "object" || v[TAG] === undefined) return v;
    switch (v[TAG]) {
      case Tag.Handle:
        return cx.worker.handles.get(v.i);
      case Tag.DateTime:
        return v.v;
      case Tag.Bytes:
        return v.j
          ? new JSONRaw(Buffer.from(v.v, "base64").toString("utf8"))
          : new Uint8Array(Buffer.from(v.v, "base64"));
      case Tag.Callback: {
        const ctx = v.x as number;
        const id = v.i as number;
        const worker = cx.worker;
        return Object.assign((...args: unknown[]) => cx.plugin.callback(worker, ctx, id, args), {
          jsCallback: { ctx, id },
        });
      }
      case Tag.ApiError:
        return new ApiError(Number(v.status) || 0, String(v.message ?? ""), (v.data ?? {}) as Record<string, unknown>);
      case "e":
        return new JsError(String(v.m ?? ""));
      case "v":
        return new FieldValidationError(String(v.code ?? ""), String(v.message ?? ""));
      case "m":
        return {
          src: String(v.src),
          priority: Number(v.priority) || 0,
          id: String(v.id ?? ""),
        } satisfies ScriptHandlerSpec;
      case "fd":
        return { formData: v.e } satisfies FormDataSpec;
      case "fs":
        return { dirFS: String(v.dir) } satisfies DirFSSpec;
      case Tag.Undefined:
        return undefined;
    }
    return v;
  });
}

export function isScriptHandlerSpec(v: unknown): v is ScriptHandlerSpec {
  return (
    !!v &&
    typeof v === "object" &&
    typeof (v as ScriptHandlerSpec).src === "string" &&
    "priority" in v &&
    Object.getPrototypeOf(v) === Object.prototype
  );
}

export function isFormDataSpec(v: unknown): v is FormDataSpec {
  return !!v && typeof v === "object" && Array.isArray((v as FormDataSpec).formData);
}

export function isDirFSSpec(v: unknown): v is DirFSSpec {
  return !!v && typeof v === "object" && typeof (v as DirFSSpec).dirFS === "string";
}

// ---- errors across the boundary ----------------------------------------------------------------------

/** A host error as a script receives it (its `value` keeps the host error for rethrowing). */
export function errorPayload(err: unknown, cx: Cx): string {
  const e = err as Error;
  const p: ErrPayload = { m: e?.message ?? String(err) };
  if (err && typeof err === "object") p.h = cx.worker.handles.ref(err);
  if (err instanceof ApiError) p.api = { status: err.status, message: err.message, data: toPlain(err.data) };
  else if (err instanceof ValidationErrors) p.api = { status: 400, message: err.message, data: err.toJSON() };
  if (err instanceof NotExistError) p.n = "NotExist";
  return ERR_PREFIX + JSON.stringify(p);
}

/** A script error (thrown, or returned from a handler) as a host error. */
export function errorFromPayload(p: ErrPayload, cx: Cx | null): Error {
  if (p.h && cx) {
    try {
      const orig = cx.worker.handles.get(p.h);
      if (orig instanceof Error) return orig;
    } catch {}
  }
  if (p.api) return new ApiError(p.api.status, p.api.message, (p.api.data ?? {}) as Record<string, unknown>);
  if (p.limit) return new JsLimitError(p.m, p.limit);
  if (p.m === "sql: no rows in result set") return new NoRowsError();
  return new JsError(p.m, p.n ?? "Error", p.stack ?? "");
}

/**
 * What an HTTP client sees for an error that escaped a JS handler (upstream's normalizeException
 * plus router.ToApiError): ApiErrors as they are, "no rows" and "not exist" as 404, anything else 400.
 */
export function normalizeScriptError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof NoRowsError || err instanceof NotExistError) return new ApiError(404, "", {}, err);
  return toApiError(err);
}
