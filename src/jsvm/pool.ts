/**
 * The JS worker pool. Each worker thread hosts one QuickJS instance; handlers run there while the
 * main thread keeps serving. A worker runs one chain of calls at a time: a handler, the host calls
 * it makes, and the handlers those host calls fire (`$app.save` → `onRecordCreate`), which run in
 * another executor *of the same worker* because that worker is blocked waiting for the host call.
 *
 * The main thread serves a worker's host calls inside a "frame" that remembers the async context
 * of whoever started the run, so a save made by a hook that runs inside a transaction joins that
 * transaction, and a hook fired by it is routed back to the waiting worker.
 *
 * Idle workers are reused; when all are busy another is started (up to `size`), and a call that
 * still waits gets a throw-away overflow worker (upstream makes a throw-away runtime), a few at a
 * time, so a handler that calls back into this server over HTTP does not deadlock it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import {
  ERR_PREFIX,
  type ContextKind,
  type ErrPayload,
  type FromWorker,
  type RunMode,
  type ToWorker,
  type WorkerInit,
} from "./protocol.ts";
import {
  HandleTable,
  decodeValue,
  dispatch,
  encodeArgs,
  encodeValue,
  errorFromPayload,
  errorPayload,
  schema,
  type Cx,
  type HostPlugin,
} from "./host.ts";
import { PRELUDE } from "./prelude.ts";
import { quickjsWasmPath } from "./quickjs.ts";

/** In the compiled binary a worker is addressed by its path below src/ (see build.ts). */
const WORKER_SPEC = Bun.isStandaloneExecutable ? "./jsvm/worker.ts" : new URL("./worker.ts", import.meta.url).href;

export interface PoolOptions {
  /** Pre-warmed executor workers (`--hooksPool`); more are started on demand up to this count. */
  size: number;
  /** Script time per handler run, ms (`--hooksTimeout`). */
  timeoutMs: number;
  /** Heap limit of one worker's QuickJS, bytes (`--hooksMemory`). */
  memoryBytes: number;
  hooksDir: string;
  cwd: string;
  /** The JS names of the hook registrars (`onRecordCreate`…). */
  hooks: string[];
  /** Environment and command line scripts see. */
  env: { [k: string]: string };
  args: string[];
  plugin: HostPlugin;
  /** Called with an error line when a worker dies or a script is stopped by a limit. */
  log?: (msg: string) => void;
}

class Frame {
  private queue: FromWorker[] = [];
  private waiter: ((m: FromWorker) => void) | null = null;
  /** True while the main thread serves one of this frame's host calls (the worker is waiting). */
  inHostCall = false;
  done = false;

  constructor(readonly worker: JsWorker) {}

  push(m: FromWorker): void {
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w(m);
    } else this.queue.push(m);
  }

  next(): Promise<FromWorker> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

const frameStore = new AsyncLocalStorage<Frame>();

/** `file:line:column` of the script code that raised an error (see `scriptLocation`). */
const locations = new WeakMap<object, string>();

/** Where in a hook file the script error `err` was raised (`main.pb.js:3:11`), if known. */
export function scriptLocation(err: unknown): string | undefined {
  return err && typeof err === "object" ? locations.get(err) : undefined;
}

/** The first `file:line:column` of a QuickJS stack that is a hook file's code. */
export function stackLocation(stack: string): string {
  for (const line of stack.split("\n")) {
    const m = /at (?:.*\()?([^()]+):(\d+):(\d+)\)?\s*$/.exec(line);
    // eval'd code (a require()d module) is `<input>`: the hook file's frame that called it is more use
    if (m && m[1] !== "prelude.js" && !m[1]!.startsWith("<")) return `${m[1]}:${m[2]}:${m[3]}`;
  }
  return "";
}

/** The line and column (1-based) where `text` first appears in a hook file's `code`. */
function originIn(file: string, code: string, text: string): [string, number, number] | undefined {
  const i = code.indexOf(text);
  if (i < 0) return undefined;
  let line = 1;
  let start = 0;
  for (let j = code.indexOf("\n"); j >= 0 && j < i; j = code.indexOf("\n", j + 1)) {
    line++;
    start = j + 1;
  }
  return [file, line, i - start + 1];
}

/**
 * Nested calls a worker takes on its own stack (a hook fired by a host call of a running handler
 * re-enters the worker). Each level costs thread stack, so past this depth a nested call goes to
 * another worker (chains this deep come from onRecordEnrich on long lists: one level per record).
 */
const MAX_NESTING = 96;

/** How long a call waits for a busy pool before it gets a throw-away worker. */
const OVERFLOW_AFTER_MS = 200;

/**
 * Throw-away workers alive at once for waiting calls. Each is a thread with its own QuickJS
 * memory (tens of MB), so under a flood of slow calls they must not grow without bound (500
 * concurrent DB-bound JS routes once took 2.7 GB); past this many, calls wait for a worker.
 * A few are enough to keep progress for handlers that call this server over HTTP.
 */
const MAX_OVERFLOW_WORKERS = 4;

interface Waiter {
  resolve(w: JsWorker): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout> | null;
}

let wasmModule: Promise<WebAssembly.Module | undefined> | null = null;

/** The QuickJS wasm compiled once per process and shared by every worker (with its optimised code). */
function sharedWasmModule(): Promise<WebAssembly.Module | undefined> {
  wasmModule ??= Bun.file(quickjsWasmPath)
    .arrayBuffer()
    .then((b) => WebAssembly.compile(b))
    .catch(() => undefined);
  return wasmModule;
}

let workerSeq = 0;

/** One worker thread and what the main thread keeps for it. */
export class JsWorker {
  readonly handles = new HandleTable();
  /** Handler sources this worker has been sent (by id). */
  readonly sources = new Set<number>();
  readonly frames: Frame[] = [];
  /** Host classes whose schema this worker has (later ones travel with their first handle). */
  readonly knownClasses: Set<string>;
  readonly index = workerSeq++;
  /** Hosts the loader and migration contexts. */
  home = false;
  readonly ready: Promise<void>;
  dead = false;
  /** Asked to be replaced (memory high-water mark); retired when its frames end. */
  recycle = false;
  /** Calls about to start on this worker (chosen, frame not pushed yet). */
  reserved = 0;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly sig: Int32Array;
  private readyResolve!: () => void;
  private readyReject!: (e: Error) => void;
  idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    opts: PoolOptions,
    readonly overflow: boolean,
    private readonly onDeath: (w: JsWorker) => void,
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.readyResolve = resolve;
      this.readyReject = reject;
    });
    this.ready.catch(() => {});
    const sab = new SharedArrayBuffer(8);
    this.sig = new Int32Array(sab);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SPEC);
    port1.onmessage = (ev) => this.onMessage((ev as { data: unknown }).data as FromWorker);
    this.worker.addEventListener("error", (ev) =>
      this.die(`the JS worker crashed: ${(ev as ErrorEvent).message ?? ev}`),
    );
    this.worker.addEventListener("close", () => this.die("the JS worker exited"));
    const app = opts.plugin.app as object | undefined;
    const appMarker = app ? JSON.stringify({ "\u0001t": "h", i: this.handles.pin(app), c: "App" }) : "null";
    const classes = schema();
    this.knownClasses = new Set(Object.keys(classes));
    const init: WorkerInit = {
      t: "init",
      sab,
      port: port2,
      prelude: PRELUDE,
      schema: classes,
      hooksDir: opts.hooksDir,
      cwd: opts.cwd,
      timeoutMs: opts.timeoutMs,
      memoryBytes: opts.memoryBytes,
      index: this.index,
      hooks: opts.hooks,
      env: opts.env,
      args: opts.args,
      app: appMarker,
    };
    sharedWasmModule().then((wasmModule) => {
      if (this.dead) return;
      this.worker.postMessage({ ...init, wasmModule }, [port2]);
    });
    // neither the thread nor its port may keep the process alive
    (this.worker as unknown as { unref?: () => void }).unref?.();
    (port1 as unknown as { unref?: () => void }).unref?.();
  }

  send(m: ToWorker): void {
    this.port.postMessage(m);
    Atomics.add(this.sig, 0, 1);
    Atomics.notify(this.sig, 0);
  }

  private onMessage(m: FromWorker): void {
    if (m.t === "ready") {
      this.readyResolve();
      return;
    }
    if (m.t === "fatal") {
      this.readyReject(new Error(m.m));
      this.die(`the JS worker failed: ${m.m}`);
      return;
    }
    const top = this.frames[this.frames.length - 1];
    if (top) top.push(m);
    else if (m.rel) this.handles.release(m.rel);
  }

  die(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    this.readyReject(new Error(reason));
    for (const f of this.frames) f.push({ t: "fatal", m: reason });
    this.handles.clear();
    this.onDeath(this);
  }

  get idle(): boolean {
    return this.frames.length === 0 && this.reserved === 0 && !this.dead && !this.recycle;
  }

  terminate(): void {
    if (this.dead) return;
    this.dead = true;
    try {
      this.send({ t: "exit" });
    } catch {}
    this.worker.terminate();
    this.handles.clear();
  }
}

/** The pool of executor workers plus the loader's home worker. */
export class JsPool {
  private readonly workers: JsWorker[] = [];
  /** Throw-away workers started past the pool size (ended after a few idle seconds). */
  private readonly spare: JsWorker[] = [];
  private home: JsWorker | null = null;
  private readonly sources: string[] = [""];
  private readonly sourceIds = new Map<string, number>();
  /** Where each source was found in its hook file (so errors in handlers name file:line:column). */
  private readonly origins: ([string, number, number] | undefined)[] = [];
  /** The hook file the loader is evaluating (set by the plugin around each file). */
  loading: { file: string; code: string } | null = null;
  private nextCtx = 1;
  private closed = false;
  private spawning = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly opts: PoolOptions) {}

  /**
   * Starts `n` executor workers and builds their executor contexts in the background, so the first
   * requests do not pay for it (a call arriving meanwhile waits for the first free one).
   */
  prewarm(n: number): Promise<void> {
    const warming: Promise<void>[] = [];
    while (this.workers.length < Math.min(n, this.opts.size)) this.spawn(false);
    const noop = this.source("() => {}");
    for (const w of this.workers.slice(0, n)) {
      if (w.dead) continue;
      w.reserved++;
      const build = (cx: Cx): ToWorker => {
        const known = w.sources.has(noop);
        w.sources.add(noop);
        return { t: "run", src: noop, text: known ? undefined : this.sources[noop], args: encodeArgs([], cx), mode: 0 };
      };
      warming.push(
        w.ready.then(
          () =>
            this.inFrame(w, build).then(
              () => {},
              () => {},
            ),
          () => void w.reserved--,
        ),
      );
    }
    return Promise.all(warming).then(() => {});
  }

  /** The id of a handler source (sources are sent to each worker once). */
  source(text: string): number {
    let id = this.sourceIds.get(text);
    if (id === undefined) {
      id = this.sources.length;
      this.sources.push(text);
      this.origins[id] = this.loading ? originIn(this.loading.file, this.loading.code, text) : undefined;
      this.sourceIds.set(text, id);
    }
    return id;
  }

  private spawn(overflow: boolean): JsWorker {
    const w = new JsWorker(this.opts, overflow, (dead) => this.forget(dead));
    (overflow ? this.spare : this.workers).push(w);
    return w;
  }

  private forget(w: JsWorker): void {
    for (const list of [this.workers, this.spare]) {
      const i = list.indexOf(w);
      if (i >= 0) list.splice(i, 1);
    }
    if (this.home === w) this.home = null;
  }

  /**
   * The worker that runs a new call, reserved for it (its `reserved` count taken until the frame
   * starts): the waiting worker for a nested call; else an idle worker; else the call waits for one
   * to free up while the pool grows by one worker at a time up to `size`. A call that waited
   * OVERFLOW_AFTER_MS gets a throw-away worker (upstream makes a throw-away runtime whenever the pool
   * is busy; starting a thread costs far more here, so only calls that really wait get one — which
   * still guarantees progress, e.g. for a handler calling this very server over HTTP).
   */
  private async acquire(): Promise<JsWorker> {
    if (this.closed) throw new Error("the JS runtime is shut down");
    const f = frameStore.getStore();
    let w: JsWorker | undefined;
    const nested =
      !!f && !f.done && f.inHostCall && !f.worker.dead && f.worker.frames[f.worker.frames.length - 1] === f;
    if (nested && f.worker.frames.length < MAX_NESTING) w = f.worker;
    w ??= this.workers.find((x) => x.idle) ?? this.spare.find((x) => x.idle);
    // a nested call too deep for its worker must not wait: the workers it could wait for may all be
    // blocked in this very chain
    if (!w && nested) w = this.spawn(this.workers.length >= Math.max(1, this.opts.size));
    if (w) {
      w.reserved++;
      try {
        await w.ready;
      } catch (err) {
        w.reserved--;
        throw err;
      }
      return w;
    }
    if (this.workers.length < Math.max(1, this.opts.size) && this.spawning === 0) {
      this.spawning++;
      const nw = this.spawn(false);
      nw.ready.then(
        () => {
          this.spawning--;
          this.offer(nw);
        },
        () => void this.spawning--,
      );
    }
    return new Promise<JsWorker>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: null };
      waiter.timer = setTimeout(() => {
        waiter.timer = null;
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return;
        // enough throw-away workers already: wait in line for the next free one
        if (this.spare.filter((x) => !x.dead).length >= MAX_OVERFLOW_WORKERS) return;
        this.waiters.splice(i, 1);
        const ow = this.spawn(true);
        ow.reserved++;
        ow.ready.then(
          () => resolve(ow),
          (err) => {
            ow.reserved--;
            reject(err);
          },
        );
      }, OVERFLOW_AFTER_MS);
      this.waiters.push(waiter);
    });
  }

  /** Hands an idle worker to the longest-waiting call, if any. */
  private offer(w: JsWorker): void {
    if (!w.idle || this.waiters.length === 0) return;
    const waiter = this.waiters.shift()!;
    if (waiter.timer) clearTimeout(waiter.timer);
    w.reserved++;
    waiter.resolve(w);
  }

  /** Runs a serialised handler with `args` and returns its decoded result (mode 1) or nothing. */
  async run(src: number, args: unknown[], mode: RunMode = 0): Promise<unknown> {
    const w = await this.acquire();
    return this.inFrame(w, (cx) => {
      const known = w.sources.has(src);
      w.sources.add(src);
      return known
        ? { t: "run", src, args: encodeArgs(args, cx), mode }
        : { t: "run", src, text: this.sources[src], at: this.origins[src], args: encodeArgs(args, cx), mode };
    });
  }

  /**
   * `run` outside any running handler's chain: for work that is started by a host call but not part
   * of it (a cron job fired by `/api/crons/{id}` under a JS middleware). Taken as a nested call, it
   * would be sent to a worker whose host call may be answered while the job still runs there.
   */
  runDetached(src: number, args: unknown[], mode: RunMode = 0): Promise<unknown> {
    return frameStore.exit(() => this.run(src, args, mode));
  }

  /**
   * Runs a script callback (a function a script passed to a host call, or a migration's up/down) in
   * its own context on its worker, which must be waiting on a host call or idle.
   */
  async callback(w: JsWorker, ctx: number, id: number, args: unknown[]): Promise<unknown> {
    if (w.dead) throw new Error("the JS worker of this callback is gone");
    const top = w.frames[w.frames.length - 1];
    if (top && !top.inHostCall)
      throw new Error(
        "the callback is no longer available (it can only be called while the host call it was passed to runs)",
      );
    w.reserved++;
    return this.inFrame(w, (cx) => ({ t: "cb", ctx, fn: id, args: encodeValue(args, cx) }));
  }

  /** The worker that hosts the loader and migration contexts (the first pooled worker). */
  async homeWorker(): Promise<JsWorker> {
    if (!this.home || this.home.dead) {
      this.home = this.workers.find((w) => !w.dead && !w.recycle) ?? this.spawn(false);
      this.home.home = true;
    }
    await this.home.ready;
    return this.home;
  }

  /** Creates a loader or migration context on the home worker (`$app` is the worker's pinned app); returns its id. */
  async createContext(kind: ContextKind, file?: string): Promise<{ worker: JsWorker; id: number }> {
    const w = await this.homeWorker();
    const id = this.nextCtx++;
    w.reserved++;
    await this.inFrame(w, () => ({ t: "ctx", id, kind, app: "", file }));
    return { worker: w, id };
  }

  /** Evaluates a script in a context (top-level hook code, a migration file). */
  async evaluate(w: JsWorker, ctx: number, code: string, file: string): Promise<void> {
    w.reserved++;
    await this.inFrame(w, () => ({ t: "eval", ctx, code, file }));
  }

  async dropContext(w: JsWorker, ctx: number): Promise<void> {
    if (w.dead) return;
    w.reserved++;
    await this.inFrame(w, () => ({ t: "drop", ctx }));
  }

  /** Runs one message on `w` (which the caller reserved) and serves it until it is done. */
  private async inFrame(w: JsWorker, build: (cx: Cx) => ToWorker): Promise<unknown> {
    const frame = new Frame(w);
    const cx: Cx = { worker: w, plugin: this.opts.plugin };
    w.frames.push(frame);
    w.reserved--;
    if (w.idleTimer) {
      clearTimeout(w.idleTimer);
      w.idleTimer = null;
    }
    try {
      w.send(build(cx));
      const text = await this.serve(frame, cx);
      if (text.startsWith(ERR_PREFIX)) {
        const p = JSON.parse(text.slice(ERR_PREFIX.length)) as ErrPayload;
        const err = errorFromPayload(p, cx);
        const at = p.stack ? stackLocation(p.stack) : "";
        // the innermost script frame wins (an error may cross several nested runs)
        if (at && err && typeof err === "object" && !locations.has(err)) locations.set(err, at);
        if (p.limit) this.opts.log?.(`[jsvm] ${p.m}; the request failed and the JS runtime was recycled`);
        throw err;
      }
      return text === "" ? undefined : decodeValue(text, cx);
    } finally {
      frame.done = true;
      const i = w.frames.lastIndexOf(frame);
      if (i >= 0) w.frames.splice(i, 1);
      if (w.frames.length === 0) this.afterIdle(w);
    }
  }

  private async serve(frame: Frame, cx: Cx): Promise<string> {
    const w = frame.worker;
    for (;;) {
      const m = await frame.next();
      if (m.t === "fatal") throw new Error(m.m);
      if (m.t === "ready") continue;
      // posted writes first: they may name objects whose script references died since (in `rel`)
      if (m.pre) {
        for (const op of m.pre) {
          const r = await this.exec(op, cx);
          if (r.startsWith(ERR_PREFIX))
            this.opts.log?.(`[jsvm] ${(JSON.parse(r.slice(ERR_PREFIX.length)) as ErrPayload).m}`);
        }
      }
      if (m.rel) w.handles.release(m.rel);
      if (m.t === "done") {
        if (m.recycle) w.recycle = true;
        return m.v;
      }
      frame.inHostCall = true;
      let reply: string;
      try {
        reply = await frameStore.run(frame, () => this.exec(m.d, cx));
      } finally {
        frame.inHostCall = false;
      }
      if (w.dead) throw new Error("the JS worker is gone");
      w.send({ t: "reply", v: reply });
    }
  }

  private async exec(d: string, cx: Cx): Promise<string> {
    try {
      const [h, m, args] = decodeValue(d, cx) as [number, string, unknown[]];
      return encodeValue(await dispatch(cx, h, m, args ?? []), cx);
    } catch (err) {
      return errorPayload(err, cx);
    }
  }

  private afterIdle(w: JsWorker): void {
    if (w.dead || w.reserved > 0) return;
    if (w.recycle) {
      this.forget(w);
      w.terminate();
      // its place in the pool is free again: a waiting call gets a fresh worker
      if (this.waiters.length && !this.closed) {
        this.spawning++;
        const nw = this.spawn(false);
        nw.ready.then(
          () => {
            this.spawning--;
            this.offer(nw);
          },
          () => void this.spawning--,
        );
      }
      return;
    }
    this.offer(w);
    if (w.reserved > 0) return;
    if (w.overflow) {
      // keep a throw-away worker briefly for bursts, then let it go
      w.idleTimer = setTimeout(() => {
        if (w.frames.length === 0 && w.reserved === 0) {
          this.forget(w);
          w.terminate();
        }
      }, 5_000);
      (w.idleTimer as unknown as { unref?: () => void }).unref?.();
    }
  }

  /** Ends every worker but keeps the pool open (fresh JS state for an in-process app restart). */
  recycleAll(): void {
    for (const w of [...this.workers, ...this.spare]) w.terminate();
    this.workers.length = 0;
    this.spare.length = 0;
    this.home = null;
  }

  /** Workers currently alive. */
  get size(): number {
    return this.workers.length + this.spare.length;
  }

  /** Ends every worker. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.timer) clearTimeout(waiter.timer);
      waiter.reject(new Error("the JS runtime is shut down"));
    }
    for (const w of [...this.workers, ...this.spare]) w.terminate();
    this.workers.length = 0;
    this.spare.length = 0;
    this.home = null;
  }
}
