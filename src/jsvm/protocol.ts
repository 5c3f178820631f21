/**
 * The wire between the main thread (the app) and a JS worker (QuickJS executors).
 *
 * Main → worker messages travel on a MessagePort and are picked up synchronously by the worker
 * (`receiveMessageOnPort`) after an `Atomics.notify` on a shared counter: the worker is either idle or
 * blocked inside a host call, and in both cases waits with `Atomics.wait`, never in its event loop.
 * Worker → main messages are ordinary `postMessage`s that the main thread handles in its event loop.
 *
 * Values cross as JSON text. Host objects (records, collections, events…) never cross: they stay on
 * the main thread and are referenced by numeric handles; a few value types are tagged (see TAG).
 */

/** The key that marks a tagged value inside JSON: `{"\u0001t": kind, ...}`. */
export const TAG = "\u0001t";
/** How TAG appears in JSON text (JSON.stringify escapes U+0001); a cheap "has tags?" probe. */
export const TAG_IN_JSON = "\\u0001t";

/** Tagged value kinds. */
export const enum Tag {
  /** A host object: `{i: handle, c: class name, s?: snapshot}`. */
  Handle = "h",
  /** A DateTime: `{v: "2006-01-02 15:04:05.000Z"}` ("" for the zero time). */
  DateTime = "d",
  /** A Go byte slice: `{v: base64}`; scripts see an array of numbers. */
  Bytes = "b",
  /** A script function passed to a host call: `{i: callback id}`; callable during that call only. */
  Callback = "f",
  /** `undefined` inside an array or argument list. */
  Undefined = "u",
  /** An ApiError built in the script: `{status, message, data}`. */
  ApiError = "a",
  /** A host-call result with values to write back into the arguments: `{r: result, o: [[index, value]]}`. */
  Out = "o",
}

/** Marks a host error in a native's return value: the text after it is an ErrPayload. */
export const ERR_PREFIX = "\u0001E";

/** An error as it crosses the boundary (either way). */
export interface ErrPayload {
  /** Message (err.Error() upstream). */
  m: string;
  /** Error name on the script side (e.g. "InternalError"). */
  n?: string;
  /** A handle to the original host error, when the script rethrew one it received. */
  h?: number;
  /** ApiError fields when the error is (or wraps) one. */
  api?: { status: number; message: string; data: unknown };
  /** Why a script was stopped by us: "timeout" (--hooksTimeout) or "memory" (--hooksMemory). */
  limit?: "timeout" | "memory";
  /** Script stack, for logs. */
  stack?: string;
}

export type ContextKind = "loader" | "executor" | "migration";

/** Everything a worker needs to build contexts; sent once with the first message. */
export interface WorkerInit {
  t: "init";
  sab: SharedArrayBuffer;
  port: MessagePort;
  /** The prelude source (the JS side of the bindings). */
  prelude: string;
  /** Host classes: name → {m: methods, p: readable props, w: writable props, x: base class}. */
  schema: Record<string, ClassSchema>;
  /** Absolute hooks dir (`__hooks`). */
  hooksDir: string;
  /** Process working directory: the base of `require` and relative `$os` paths. */
  cwd: string;
  /** A JS handler may run this long (ms of script time, host calls excluded) before it is stopped. */
  timeoutMs: number;
  /** The worker's QuickJS heap may grow to this many bytes; past it allocations fail. */
  memoryBytes: number;
  /** The worker number, for logs. */
  index: number;
  /** The JS names of the hook registrars. */
  hooks: string[];
  /** Environment variables and command line scripts see (`$os.getenv`, `process.env`, `$os.args`). */
  env: { [k: string]: string };
  args: string[];
  /** `$app` as a handle marker (pinned for the worker's life). */
  app: string;
  /** The compiled QuickJS wasm, shared by all workers (falls back to compiling the embedded file). */
  wasmModule?: WebAssembly.Module;
}

export interface ClassSchema {
  /** Methods. */
  m: string[];
  /** Readable properties. */
  p: string[];
  /** Writable properties (a subset of p). */
  w: string[];
  /** Local overrides in the prelude exist for this class (informational). */
  x?: string;
  /** Constructible from scripts with `new`. */
  n?: boolean;
}

export type ToWorker =
  | { t: "ctx"; id: number; kind: ContextKind; app: string; file?: string }
  | { t: "eval"; ctx: number; code: string; file: string }
  | {
      t: "run";
      src: number;
      text?: string;
      args: string;
      mode: RunMode;
      /** where `text` sits in its hook file: [file, line, column] */ at?: [string, number, number];
    }
  | { t: "cb"; ctx: number; fn: number; args: string }
  | { t: "fn"; ctx: number; name: string; args: string }
  | { t: "reply"; v: string }
  | { t: "drop"; ctx: number }
  | { t: "exit" };

/** 0: a hook/route/middleware handler (the result matters only if it is an error). 1: keep the result. */
export type RunMode = 0 | 1;

export type FromWorker =
  | { t: "ready" }
  | { t: "call"; d: string; pre?: string[]; rel?: number[] }
  | { t: "done"; v: string; pre?: string[]; rel?: number[]; recycle?: boolean }
  | { t: "fatal"; m: string };
