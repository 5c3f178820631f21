/**
 * A JS worker thread: one QuickJS wasm instance whose contexts are the loader, the migration
 * contexts and the executors that run serialised handlers. It never returns to its event loop once
 * started: it blocks in `Atomics.wait` for the next message (see protocol.ts), so a script that
 * sleeps, waits for `$http.send` or spins blocks only this thread, never the server.
 *
 * Host calls (`$app.save`, `e.json`, …) are posted to the main thread and the thread waits for the
 * reply; while it waits, the main thread may ask it to run a nested handler (a hook fired by that
 * very save) in another executor, or a callback of the waiting script in the same context.
 *
 * Limits: each run gets `timeoutMs` of script time (time blocked in host calls is not counted),
 * enforced by the QuickJS interrupt handler; the wasm memory has a hard maximum (`memoryBytes`), so a
 * hoarding script gets "out of memory". A context that timed out is dropped; a worker whose heap
 * ran out (or grew past ¾ of the limit) asks to be replaced.
 */
import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
} from "quickjs-emscripten-core";
import RELEASE_SYNC from "@jitl/quickjs-wasmfile-release-sync";
import { receiveMessageOnPort } from "node:worker_threads";
import { quickjsWasmPath } from "./quickjs.ts";
import {
  ERR_PREFIX,
  type ContextKind,
  type ErrPayload,
  type FromWorker,
  type ToWorker,
  type WorkerInit,
} from "./protocol.ts";
import { localCall } from "./worker_local.ts";

declare const self: Worker;

interface Ctx {
  id: number;
  kind: ContextKind;
  /** Stopped mid-way by the time limit: dropped once no run uses it any more. */
  poisoned?: boolean;
  vm: QuickJSContext;
  /** The prelude's `__pbInvoke(fn, args, mode)`. */
  invoke: QuickJSHandle;
  /** The prelude's `__pbCallback(id, args)`. */
  callback: QuickJSHandle;
  /** The prelude's `__pbSettle(id)`: the outcome of an async handler once the job queue ran. */
  settle: QuickJSHandle;
  /** Compiled handlers by source id. */
  fns: Map<number, QuickJSHandle>;
  busy: boolean;
}

interface RunFrame {
  deadline: number;
  stopped: "timeout" | null;
}

let init: WorkerInit;
let port: MessagePort;
let sig: Int32Array;
let rt: QuickJSRuntime;
let memory: WebAssembly.Memory;
const contexts = new Map<number, Ctx>();
const executors: Ctx[] = [];
let nextExecutorId = -1;
const sources = new Map<number, string>();
/** Where a source sits in its hook file, to compile it so that errors name file:line:column. */
const origins = new Map<number, [string, number, number]>();
const runs: RunFrame[] = [];
/** Handles whose QuickJS objects died since the last message (piggybacked on the next one). */
let released: number[] = [];
/** Fire-and-forget host calls (response writes) waiting for the next message. */
let posted: string[] = [];
let outOfMemory = false;
/** A run was stopped inside the job queue: replace this worker once it is idle (see `settled`). */
let recycleAfterRun = false;

self.onmessage = (ev: MessageEvent) => {
  self.onmessage = null;
  start(ev.data as WorkerInit).catch((err) => {
    try {
      port?.postMessage({ t: "fatal", m: String((err as Error)?.stack ?? err) } satisfies FromWorker);
    } catch {}
  });
};

async function start(data: WorkerInit): Promise<void> {
  init = data;
  port = data.port;
  sig = new Int32Array(data.sab);
  const pages = Math.max(512, Math.ceil(data.memoryBytes / 65536));
  memory = new WebAssembly.Memory({ initial: 256, maximum: pages });
  // the main thread compiles the wasm once and shares the module (and its optimised code)
  const Q = await newQuickJSWASMModuleFromVariant(
    newVariant(
      RELEASE_SYNC,
      data.wasmModule
        ? { wasmModule: data.wasmModule, wasmMemory: memory }
        : { wasmBinary: () => Bun.file(quickjsWasmPath).arrayBuffer(), wasmMemory: memory },
    ),
  );
  rt = Q.newRuntime();
  rt.setMaxStackSize(1024 * 1024);
  rt.setInterruptHandler(() => {
    const f = runs[runs.length - 1];
    if (!f) return false;
    if (performance.now() > f.deadline) {
      f.stopped = "timeout";
      return true;
    }
    return false;
  });
  // Release the main-thread handle when the QuickJS object standing for it is freed.
  // `__pb.ref(id)` makes host refs whose id *is* the main-thread handle id (positive; the library's
  // own refs count up from INT32_MIN): when QuickJS frees one, the main thread is told
  const callbacks = (rt as unknown as { cToHostCallbacks: { freeHostRef(rt: unknown, id: number): void } })
    .cToHostCallbacks;
  const free = callbacks.freeHostRef.bind(callbacks);
  callbacks.freeHostRef = (p, id) => {
    if (id > 0) released.push(id);
    else free(p, id);
  };
  send({ t: "ready" });
  loop();
}

function send(m: FromWorker): void {
  port.postMessage(m);
}

let seen = 0;
/** Blocks until the main thread sends the next message. */
function next(): ToWorker {
  for (;;) {
    const m = receiveMessageOnPort(port);
    if (m) return m.message as ToWorker;
    const s = Atomics.load(sig, 0);
    if (s !== seen) {
      seen = s;
      continue;
    }
    Atomics.wait(sig, 0, s);
  }
}

function loop(): void {
  for (;;) handle(next());
}

/** Handles a message that is not a reply (at top level, or nested inside a host call). */
function handle(m: ToWorker): void {
  switch (m.t) {
    case "ctx": {
      let out = "";
      try {
        contexts.set(m.id, newContext(m.id, m.kind, m.app, m.file));
      } catch (err) {
        out =
          ERR_PREFIX +
          JSON.stringify({
            m: `failed to create a JS context: ${(err as Error)?.message ?? err}`,
          } satisfies ErrPayload);
      }
      done(out);
      return;
    }
    case "drop": {
      const c = contexts.get(m.ctx);
      contexts.delete(m.ctx);
      if (c) disposeContext(c);
      done("");
      return;
    }
    case "eval":
    case "run":
    case "cb":
      run(m);
      return;
    case "exit":
      process.exit(0);
    case "reply":
      // a reply nobody waits for: ignore
      return;
  }
}

function done(v: string): void {
  const msg: FromWorker = { t: "done", v };
  if (posted.length) {
    msg.pre = posted;
    posted = [];
  }
  if (released.length) {
    msg.rel = released;
    released = [];
  }
  if (outOfMemory || recycleAfterRun || memory.buffer.byteLength > init.memoryBytes * 0.75) msg.recycle = true;
  send(msg);
}

function run(m: Extract<ToWorker, { t: "eval" | "run" | "cb" }>): void {
  let ctx: Ctx | undefined;
  if (m.t === "run") {
    if (m.text !== undefined) sources.set(m.src, m.text);
    if (m.at) origins.set(m.src, m.at);
    // One executor per worker: a nested run (a hook fired by a host call of the running handler)
    // re-enters it synchronously, which QuickJS allows; only a stopped executor is replaced.
    ctx = executors.find((c) => !c.poisoned);
    if (!ctx) {
      try {
        ctx = newContext(nextExecutorId--, "executor", "");
      } catch (err) {
        done(
          errText({
            m: `failed to create a JS executor: ${(err as Error)?.message ?? err}`,
            limit: outOfMemory ? "memory" : undefined,
          }),
        );
        return;
      }
      executors.push(ctx);
    }
  } else {
    ctx = contexts.get(m.ctx) ?? executors.find((c) => c.id === m.ctx);
    if (!ctx) {
      done(errText({ m: `the JS context ${m.ctx} no longer exists` }));
      return;
    }
  }
  const wasBusy = ctx.busy;
  ctx.busy = true;
  const frame: RunFrame = { deadline: performance.now() + init.timeoutMs, stopped: null };
  runs.push(frame);
  let out: string;
  try {
    out = invoke(ctx, m, frame);
  } catch (err) {
    // a failure of ours (e.g. this thread's stack): the main thread still gets its answer
    out = errText({ m: `the JS worker failed: ${(err as Error)?.message ?? err}` });
  } finally {
    runs.pop();
    ctx.busy = wasBusy;
  }
  if (frame.stopped === "timeout" && ctx.kind === "executor") ctx.poisoned = true;
  if (ctx.poisoned && !wasBusy) {
    // the script was cut off mid-way: its module state may be inconsistent, start afresh
    const i = executors.indexOf(ctx);
    if (i >= 0) executors.splice(i, 1);
    disposeContext(ctx);
  }
  done(out);
}

function invoke(ctx: Ctx, m: Extract<ToWorker, { t: "eval" | "run" | "cb" }>, frame: RunFrame): string {
  const vm = ctx.vm;
  let res: { error?: QuickJSHandle; value?: QuickJSHandle } | string | undefined;
  if (m.t === "eval") {
    const r = vm.evalCode(m.code, m.file);
    if (!r.error) {
      r.value.dispose();
      vm.runtime.executePendingJobs();
      return "";
    }
    res = r;
  } else if (m.t === "run") {
    let fn = ctx.fns.get(m.src);
    if (!fn) {
      const text = sources.get(m.src);
      if (text === undefined) return errText({ m: `unknown handler source ${m.src}` });
      const at = origins.get(m.src);
      const compiled = at ? vm.evalCode(placed(text, at[1], at[2]), at[0]) : vm.evalCode(`(${text}\n)`, "pb.js");
      if (compiled.error) {
        res = compiled;
      } else {
        fn = compiled.value;
        ctx.fns.set(m.src, fn);
      }
    }
    if (fn) res = settled(ctx, rawCall(vm, ctx.invoke, [fn], [m.args], m.mode));
  } else {
    res = settled(ctx, rawCall(vm, ctx.callback, [], [m.args], m.fn, true));
  }
  if (typeof res === "string") return checkOutOfMemory(res);
  if (!res) return errText({ m: "nothing to run" });
  if (!res.error) {
    const v = res.value && vm.typeof(res.value) === "string" ? vm.getString(res.value) : "";
    res.value?.dispose();
    return checkOutOfMemory(v);
  }
  // an uncatchable interrupt, an out-of-memory error, or a throw outside the prelude's guard
  let dumped: { name?: string; message?: string; stack?: string } | string;
  try {
    dumped = vm.dump(res.error);
  } catch {
    dumped = "unknown error";
  }
  res.error.dispose();
  const name = typeof dumped === "object" && dumped ? String(dumped.name ?? "Error") : "Error";
  const message = typeof dumped === "object" && dumped ? String(dumped.message ?? "") : String(dumped);
  if (frame.stopped === "timeout" || message === "interrupted") {
    return errText({
      m: `the script exceeded the ${init.timeoutMs} ms time limit`,
      n: "InternalError",
      limit: "timeout",
    });
  }
  if (message === "out of memory" || /out of memory/i.test(message)) {
    outOfMemory = true;
    return errText({
      m: `the script exceeded the ${init.memoryBytes >> 20} MiB memory limit`,
      n: "InternalError",
      limit: "memory",
    });
  }
  return errText({ m: message, n: name, stack: typeof dumped === "object" ? dumped?.stack : undefined });
}

/** `(text)` padded so that `text` starts at `line`:`col` of the compiled code, as in its file. */
function placed(text: string, line: number, col: number): string {
  if (line > 1) return "\n".repeat(line - 2) + "(\n" + " ".repeat(col - 1) + text + "\n)";
  return " ".repeat(Math.max(0, col - 2)) + "(" + text + "\n)";
}

/**
 * A handler that returned a promise (`\u0001A<id>` from the prelude) finishes here, as upstream's
 * goja does before a handler returns: QuickJS's job queue is run until empty, then the prelude
 * reports how the promise settled. Host calls block, so awaited host results are already there;
 * the time limit covers the jobs (they run inside this run's frame).
 */
function settled(ctx: Ctx, r: ReturnType<typeof rawCall>): ReturnType<typeof rawCall> {
  const async = typeof r === "string" && r.charCodeAt(0) === 1 && r.charCodeAt(1) === 65;
  // a sync handler may have queued jobs too (a `.then` it did not wait for): goja runs them before
  // returning as well, rather than leaving them to run inside some later handler
  if (!async) {
    if (typeof r !== "string" && r.error) return r;
    if (!rt.hasPendingJob()) return r;
  }
  const jobs = rt.executePendingJobs(-1);
  // Stopped by the time limit inside a job: an async function turns even that into a rejection, so
  // the frame says it. Jobs still queued behind it belong to the stopped script: this worker is
  // replaced rather than run them later.
  if (jobs.error || runs[runs.length - 1]?.stopped) {
    recycleAfterRun = true;
    if (typeof r !== "string") r.value?.dispose();
    const error = jobs.error as unknown as QuickJSHandle | undefined;
    if (error && (jobs.error as unknown as { context: QuickJSContext }).context === ctx.vm)
      return { error, value: undefined as unknown as QuickJSHandle };
    error?.dispose();
    return { error: ctx.vm.newError("interrupted"), value: undefined as unknown as QuickJSHandle };
  }
  if (!async) return r;
  return rawCall(ctx.vm, ctx.settle, [], [], Number((r as string).slice(2)));
}

/** The prelude caught QuickJS's allocation failure as an ordinary error: report it as the limit. */
function checkOutOfMemory(v: string): string {
  if (v.startsWith(ERR_PREFIX) && v.includes("out of memory")) {
    const p = JSON.parse(v.slice(ERR_PREFIX.length)) as ErrPayload;
    if (p.m === "out of memory" && !p.h && !p.api) {
      outOfMemory = true;
      return errText({
        m: `the script exceeded the ${init.memoryBytes >> 20} MiB memory limit`,
        n: "InternalError",
        limit: "memory",
      });
    }
  }
  return v;
}

interface RawFfi extends Ffi {
  QTS_Call(ctx: number, fn: number, self: number, argc: number, argv: number): number;
  QTS_ResolveException(ctx: number, v: number): number;
  QTS_FreeValuePointer(ctx: number, v: number): void;
  QTS_GetUndefined(): number;
  QTS_Typeof(ctx: number, v: number): number;
}

/**
 * `fn(...handles, ...strings, num)` through the FFI (the per-run entry call, kept off
 * quickjs-emscripten's handle machinery). Returns the string result, or, on an exception or a
 * non-string result, a result object as `vm.callFunction` gives (the caller inspects the error).
 */
function rawCall(
  vm: QuickJSContext,
  fn: QuickJSHandle,
  handles: QuickJSHandle[],
  strings: string[],
  num: number,
  numFirst = false,
): string | { error?: QuickJSHandle; value: QuickJSHandle } {
  const {
    ffi,
    module: mod,
    ctx,
  } = vm as unknown as { ffi: RawFfi; module: EmModule & { HEAPU8: Uint8Array }; ctx: { value: number } };
  const c = ctx.value;
  const owned: number[] = [];
  const ptrs: number[] = handles.map((h) => (h as unknown as { value: number }).value);
  const numPtr = ffi.QTS_NewFloat64(c, num);
  owned.push(numPtr);
  if (numFirst) ptrs.push(numPtr);
  for (const s of strings) {
    const n = mod.lengthBytesUTF8(s) + 1;
    const buf = mod._malloc(n);
    mod.stringToUTF8(s, buf, n);
    const v = ffi.QTS_NewString(c, buf);
    mod._free(buf);
    owned.push(v);
    ptrs.push(v);
  }
  if (!numFirst) ptrs.push(numPtr);
  const argv = mod._malloc(ptrs.length * 4);
  new Int32Array(mod.HEAPU8.buffer, argv, ptrs.length).set(ptrs);
  let result: number;
  try {
    result = ffi.QTS_Call(c, (fn as unknown as { value: number }).value, ffi.QTS_GetUndefined(), ptrs.length, argv);
  } finally {
    mod._free(argv);
    for (const v of owned) ffi.QTS_FreeValuePointer(c, v);
  }
  const errPtr = ffi.QTS_ResolveException(c, result);
  const mem = (vm as unknown as { memory: { heapValueHandle(p: number): QuickJSHandle } }).memory;
  if (errPtr) {
    ffi.QTS_FreeValuePointer(c, result);
    return { error: mem.heapValueHandle(errPtr), value: undefined as unknown as QuickJSHandle };
  }
  const tp = ffi.QTS_Typeof(c, result);
  const type = mod.UTF8ToString(tp);
  mod._free(tp);
  if (type !== "string") return { value: mem.heapValueHandle(result) };
  const sp = ffi.QTS_GetString(c, result);
  const out = mod.UTF8ToString(sp);
  ffi.QTS_FreeCString(c, sp);
  ffi.QTS_FreeValuePointer(c, result);
  return out;
}

function errText(p: ErrPayload): string {
  return ERR_PREFIX + JSON.stringify(p);
}

/** The host side of `__pb.call`: posts the call, then serves nested work until the reply comes. */
function hostCall(d: string): string {
  const t0 = performance.now();
  const msg: FromWorker = { t: "call", d };
  if (posted.length) {
    msg.pre = posted;
    posted = [];
  }
  if (released.length) {
    msg.rel = released;
    released = [];
  }
  send(msg);
  for (;;) {
    const m = next();
    if (m.t === "reply") {
      const f = runs[runs.length - 1];
      if (f) f.deadline += performance.now() - t0;
      return m.v;
    }
    handle(m);
  }
}

/**
 * The natives every context gets (`__pb.call`, `post`, `ref`, `local`, `sleep`, `now`). They are
 * called on every host call, so they bypass quickjs-emscripten's generic C→JS trampoline (a
 * generator-based scope with a handle object per argument): a fast path reads the arguments and
 * builds the result straight through the FFI. Each takes and returns raw JSValue pointers (the
 * returned one is owned by the caller; 0 means `undefined`).
 */
type FastNative = (argc: number, argv: number) => number;

interface Ffi {
  QTS_ArgvGetJSValueConstPointer(argv: number, i: number): number;
  QTS_GetString(ctx: number, v: number): number;
  QTS_FreeCString(ctx: number, p: number): void;
  QTS_NewString(ctx: number, p: number): number;
  QTS_GetFloat64(ctx: number, v: number): number;
  QTS_NewFloat64(ctx: number, n: number): number;
  QTS_NewHostRef(ctx: number, id: number): number;
}

interface EmModule {
  UTF8ToString(p: number): string;
  stringToUTF8(s: string, p: number, max: number): void;
  lengthBytesUTF8(s: string): number;
  _malloc(n: number): number;
  _free(p: number): void;
}

function fastNatives(vm: QuickJSContext): { [name: string]: FastNative } {
  const internals = vm as unknown as { ffi: Ffi; module: EmModule; ctx: { value: number } };
  const ffi = internals.ffi;
  const mod = internals.module;
  const ctx = internals.ctx.value;
  const arg = (argv: number, i: number) => ffi.QTS_ArgvGetJSValueConstPointer(argv, i);
  const str = (argv: number, i: number, argc: number): string => {
    if (i >= argc) return "";
    const p = ffi.QTS_GetString(ctx, arg(argv, i));
    const s = mod.UTF8ToString(p);
    ffi.QTS_FreeCString(ctx, p);
    return s;
  };
  const num = (argv: number, i: number, argc: number): number =>
    i < argc ? ffi.QTS_GetFloat64(ctx, arg(argv, i)) : NaN;
  const newStr = (s: string): number => {
    const n = mod.lengthBytesUTF8(s) + 1;
    const buf = mod._malloc(n);
    mod.stringToUTF8(s, buf, n);
    const v = ffi.QTS_NewString(ctx, buf);
    mod._free(buf);
    return v;
  };
  return {
    call: (argc, argv) => newStr(hostCall(str(argv, 0, argc))),
    post: (argc, argv) => {
      posted.push(str(argv, 0, argc));
      return 0;
    },
    // a QuickJS object whose finalizer reports the main-thread handle id (see freeHostRef above)
    ref: (argc, argv) => ffi.QTS_NewHostRef(ctx, num(argv, 0, argc)),
    local: (argc, argv) => newStr(localCall(str(argv, 0, argc), str(argv, 1, argc), localEnv)),
    sleep: (argc, argv) => {
      const ms = num(argv, 0, argc);
      if (ms > 0) {
        const f = runs[runs.length - 1];
        const t0 = performance.now();
        Atomics.wait(sleeper, 0, 0, ms);
        if (f) f.deadline += performance.now() - t0;
      }
      return 0;
    },
    now: () => ffi.QTS_NewFloat64(ctx, Date.now()),
  };
}

/** Routes C→JS calls of the fast natives past quickjs-emscripten's generic trampoline. */
function installFastPath(vm: QuickJSContext): void {
  const callbacks = (vm as unknown as { cToHostCallbacks: { callFunction(...a: number[]): number } }).cToHostCallbacks;
  const generic = callbacks.callFunction.bind(callbacks);
  const refs = (rt as unknown as { hostRefs: { get(id: number): unknown } }).hostRefs;
  callbacks.callFunction = (c, thisPtr, argc, argv, fnId) => {
    let fast: FastNative | undefined;
    try {
      fast = (refs.get(fnId) as { fast?: FastNative }).fast;
    } catch {}
    if (!fast) return generic(c, thisPtr, argc, argv, fnId);
    try {
      return fast(argc, argv);
    } catch (err) {
      // an internal failure of ours: hand QuickJS an Error value rather than crash the thread
      return newErrorValue(vm, err);
    }
  };
}

/** An `Error` QuickJS value (owned pointer) for a host-side failure of a fast native. */
function newErrorValue(vm: QuickJSContext, err: unknown): number {
  const h = vm.newError((err as Error)?.message ?? String(err));
  const p = (
    vm as unknown as { ffi: { QTS_DupValuePointer(c: number, v: number): number }; ctx: { value: number } }
  ).ffi.QTS_DupValuePointer(
    (vm as unknown as { ctx: { value: number } }).ctx.value,
    (h as unknown as { value: number }).value,
  );
  h.dispose();
  return p;
}

function newContext(id: number, kind: ContextKind, app: string, file?: string): Ctx {
  const vm = rt.newContext();
  try {
    installFastPath(vm);
    const pb = vm.newObject();
    for (const [name, fast] of Object.entries(fastNatives(vm))) {
      const stub = Object.assign(() => vm.undefined, { fast });
      const f = vm.newFunction(name, stub);
      vm.setProp(pb, name, f);
      f.dispose();
    }
    vm.setProp(vm.global, "__pb", pb);
    pb.dispose();
    const cfg = vm.newString(
      JSON.stringify({
        kind,
        id,
        app: kind === "migration" ? "null" : app || init.app,
        file: file ?? "",
        schema: init.schema,
        hooks: init.hooks,
        hooksDir: init.hooksDir,
        cwd: init.cwd,
        worker: init.index,
      }),
    );
    vm.setProp(vm.global, "__pbInit", cfg);
    cfg.dispose();
    const frame: RunFrame = { deadline: performance.now() + Math.max(init.timeoutMs, 10_000), stopped: null };
    runs.push(frame);
    try {
      vm.unwrapResult(vm.evalCode(init.prelude, "prelude.js")).dispose();
    } finally {
      runs.pop();
    }
    const invoke = vm.getProp(vm.global, "__pbInvoke");
    const callback = vm.getProp(vm.global, "__pbCallback");
    const settle = vm.getProp(vm.global, "__pbSettle");
    return { id, kind, vm, invoke, callback, settle, fns: new Map(), busy: false };
  } catch (err) {
    try {
      vm.dispose();
    } catch {}
    throw err;
  }
}

function disposeContext(c: Ctx): void {
  try {
    for (const f of c.fns.values()) f.dispose();
    c.invoke.dispose();
    c.callback.dispose();
    c.settle.dispose();
    c.vm.dispose();
  } catch {
    // a context that hit the memory limit may fail to free cleanly; the worker is replaced anyway
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const localEnv = {
  get cwd() {
    return init.cwd;
  },
  get hooksDir() {
    return init.hooksDir;
  },
  get vars() {
    return init.env;
  },
  get args() {
    return init.args;
  },
};
