/**
 * The JS plugin (upstream's plugins/jsvm): loads `pb_migrations` and `pb_hooks` and binds what the
 * scripts register on the app's hook bus, the router (through `onServe`) and the cron scheduler.
 * It is a plugin of core: the API layer knows nothing of it.
 *
 * Startup, as upstream: migration files are evaluated first (each in its own context), then every
 * hook file in one loader context, in byte-wise file-name order. Handlers are not kept as live
 * functions: their source is sent to executor contexts on worker threads (see pool.ts).
 */
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, watch, type FSWatcher } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { App } from "../core/app.ts";
import type { ServeEvent } from "../core/app.ts";
import type { Migration } from "../core/migrations_runner.ts";
import type { RequestEvent } from "../core/request_event.ts";
import type { Middleware, Router } from "../api/router.ts";
import type { HandlerFunc, HookEvent } from "../tools/hook.ts";
import { byteCompare } from "../tools/json.ts";
import {
  defineRoot,
  isScriptHandlerSpec,
  JsError,
  JsLimitError,
  normalizeScriptError,
  type Cx,
  type HostPlugin,
  type ScriptHandlerSpec,
} from "./host.ts";
import { JsPool, scriptLocation, type JsWorker } from "./pool.ts";
import { HostHandler, HostMiddleware } from "./bindings/root.ts";
import { jsCron } from "./cron.ts";
import { cronAdd, cronRemove } from "../core/crons.ts";
import { appLogger } from "../core/logs.ts";
import { HOOK_NAMES, JS_HOOKS } from "./hook_names.ts";
import { refreshTypesFile } from "./types_file.ts";
import "./bindings/index.ts";

export interface JsvmConfig {
  /** The pb_hooks dir (`--hooksDir`). */
  hooksDir: string;
  /** The pb_migrations dir (`--migrationsDir`). */
  migrationsDir: string;
  /** Restart when a file under the hooks dir changes (`--hooksWatch`). */
  hooksWatch: boolean;
  /** Executor workers kept for handlers (`--hooksPool`). */
  hooksPool: number;
  /** Script time one handler call may use, ms (`--hooksTimeout`). */
  hooksTimeoutMs?: number;
  /** QuickJS heap limit per worker, MiB (`--hooksMemory`). */
  hooksMemoryMB?: number;
  /** Where relative `require()` and `$os` paths resolve (the process working directory). */
  cwd?: string;
  /** Restarts the process (the watcher calls it); default: re-exec with the same argv and env. */
  restart?: () => Promise<void> | void;
  /** Output for messages (default: stderr). */
  log?: (line: string) => void;
  /** Environment variables scripts see (`$os.getenv`, `process.env`); none by default. */
  env?: { [k: string]: string | undefined };
  /** The command line scripts see as `$os.args`. */
  args?: string[];
}

/** Defaults no ordinary hook reaches. */
export const DEFAULT_HOOKS_TIMEOUT_MS = 30_000;
export const DEFAULT_HOOKS_MEMORY_MB = 256;

const HOOK_FILE = /^.*(\.pb\.js|\.pb\.ts)$/;
const MIGRATION_FILE = /^.*(\.js|\.ts)$/;

/** Files of `dir` (direct children) whose names match, byte-wise sorted; none when the dir is missing. */
function listFiles(dir: string, pattern: RegExp): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => pattern.test(n))
    .filter((n) => {
      try {
        return statSync(join(dir, n)).isFile();
      } catch {
        return false;
      }
    })
    .sort(byteCompare);
}

const transpiler = new Bun.Transpiler({ loader: "ts", target: "browser", trimUnusedImports: false });

/** A script's text as QuickJS gets it: `.ts` files have their types stripped. */
export function scriptSource(path: string): string {
  const text = readFileSync(path, "utf8");
  if (!path.endsWith(".ts")) return text;
  return transpiler.transformSync(text);
}

interface RouteSpec {
  method: string;
  path: string;
  handler: unknown;
  middlewares: unknown[];
}

export class JsvmPlugin implements HostPlugin {
  readonly pool: JsPool;
  /** Migrations registered by pb_migrations files (for the runner). */
  readonly appMigrations: Migration[] = [];
  readonly hooksDir: string;
  readonly migrationsDir: string;
  private readonly routes: RouteSpec[] = [];
  private readonly globalMiddlewares: unknown[][] = [];
  private currentMigration: { file: string; worker: JsWorker; ctx: number } | null = null;
  private watcher: FSWatcher | null = null;
  private hasHookFiles = false;
  private readonly log: (line: string) => void;

  constructor(
    readonly app: App,
    readonly config: JsvmConfig,
  ) {
    this.hooksDir = resolve(config.hooksDir);
    this.migrationsDir = resolve(config.migrationsDir);
    this.log = config.log ?? ((line) => process.stderr.write(line + "\n"));
    this.pool = new JsPool({
      size: Math.max(0, config.hooksPool),
      timeoutMs: config.hooksTimeoutMs ?? DEFAULT_HOOKS_TIMEOUT_MS,
      memoryBytes: (config.hooksMemoryMB ?? DEFAULT_HOOKS_MEMORY_MB) * 1024 * 1024,
      hooksDir: this.hooksDir,
      cwd: config.cwd ?? process.cwd(),
      hooks: HOOK_NAMES,
      env: Object.fromEntries(
        Object.entries(config.env ?? {}).filter((e): e is [string, string] => typeof e[1] === "string"),
      ),
      args: config.args ?? [],
      plugin: this,
      log: (m) => this.log(m),
    });
    app.onBootstrap.bindFunc(async (e) => {
      await e.next();
      try {
        refreshTypesFile(join(app.dataDir, "types.d.ts"));
      } catch (err) {
        this.log(yellow(`Unable to refresh app types file: ${(err as Error).message}`));
      }
    });
    app.onTerminate.bindFunc(async (e) => {
      if (e.isRestart) {
        // an in-process restart (a backup restore) bootstraps the same app again: its hooks and
        // routes stay bound, the JS workers start afresh
        await e.next();
        this.pool.recycleAll();
        return;
      }
      this.watcher?.close();
      this.watcher = null;
      await e.next();
      this.pool.close();
    });
  }

  // --- HostPlugin

  callback(worker: JsWorker, ctx: number, id: number, args: unknown[]): Promise<unknown> {
    return this.pool.callback(worker, ctx, id, args);
  }

  async restart(): Promise<void> {
    if (this.config.restart) await this.config.restart();
    else {
      const { reexec } = await import("./restart.ts");
      await this.app.terminate(true);
      reexec();
    }
  }

  cronHandle(): unknown {
    return jsCron(this.app);
  }

  // --- migrations

  /**
   * Evaluates every migration file, collecting `migrate(up, down)` calls. Upstream gives each file
   * a fresh runtime; here they share one migration context (a QuickJS context costs tens of ms to
   * build), each file running inside its own function scope so top-level names never collide.
   */
  async registerMigrations(): Promise<void> {
    const files = listFiles(this.migrationsDir, MIGRATION_FILE);
    if (files.length === 0) return;
    const { worker, id } = await this.pool.createContext("migration");
    for (const file of files) {
      let code: string;
      try {
        code = scriptSource(join(this.migrationsDir, file));
      } catch (err) {
        throw new Error(`failed to run migration ${file}: ${(err as Error).message}`);
      }
      code = `(function () {\n${code}\n}).call(undefined);`;
      this.currentMigration = { file, worker, ctx: id };
      try {
        await this.pool.evaluate(worker, id, code, "pb.js");
      } catch (err) {
        throw new Error(`failed to run migration ${file}: ${(err as Error).message}`);
      } finally {
        this.currentMigration = null;
      }
    }
  }

  /** `migrate(up, down)` from a migration file. */
  onMigrate(up: unknown, down: unknown): void {
    const cur = this.currentMigration;
    if (!cur) throw new Error("migrate() can only be called while a migration file is loaded");
    const wrap = (fn: unknown) =>
      typeof fn === "function"
        ? async (app: App) => {
            const r = await (fn as (a: App) => Promise<unknown>)(app);
            if (r === undefined || r === null) return;
            if (r instanceof Error) throw r;
            throw new JsError(`migration ${cur.file}: the function must return nothing, null or an error`);
          }
        : undefined;
    this.appMigrations.push({ file: cur.file, up: wrap(up), down: wrap(down) });
  }

  // --- hooks

  /** Loads the hook files: registrars run now, handlers later in executors. */
  async registerHooks(): Promise<void> {
    const files = listFiles(this.hooksDir, HOOK_FILE);
    for (const file of files) {
      const path = join(this.hooksDir, file);
      try {
        if (statSync(path).size === 0)
          writeFileSync(path, `/// <reference path="${this.typesPathFrom(this.hooksDir)}" />\n\n`);
      } catch {}
    }
    if (this.config.hooksWatch) this.watchHooks();
    if (files.length === 0) return;
    this.hasHookFiles = true;

    this.app.onServe.bindFunc((e) => {
      const router = (e as ServeEvent<Router>).router;
      router.use({ id: "__pbJsvmNormalizeExceptions", priority: 0, func: normalizeExceptions });
      for (const mws of this.globalMiddlewares) for (const m of mws) router.use(this.middleware(m));
      for (const r of this.routes) {
        router.add(
          r.method === "" ? "*" : r.method.toUpperCase(),
          r.path,
          this.action(r.handler),
          ...r.middlewares.map((m) => this.middleware(m)),
        );
      }
      return e.next();
    });

    const { worker, id } = await this.pool.createContext("loader");
    for (const file of files) {
      try {
        // the file's own name, so syntax errors and handler errors say file:line:column
        const code = scriptSource(join(this.hooksDir, file));
        this.pool.loading = { file, code };
        await this.pool.evaluate(worker, id, code, file);
      } catch (err) {
        const msg = `failed to execute ${file}:\n - ${describeScriptError(err)}`;
        if (this.config.hooksWatch) this.log(red(msg));
        else throw new Error(msg);
      } finally {
        this.pool.loading = null;
      }
    }
  }

  /** True when pb_hooks had at least one entry file. */
  get hasHooks(): boolean {
    return this.hasHookFiles;
  }

  /** Starts executor workers ahead of the first request (the rest start on demand). */
  prewarm(n: number): Promise<void> {
    if (!this.hasHookFiles) return Promise.resolve();
    return this.pool.prewarm(n);
  }

  private typesPathFrom(dir: string): string {
    return relative(dir, join(this.app.dataDir, "types.d.ts")) || "types.d.ts";
  }

  /** `on*(handler, ...tags)` from the loader. */
  onHook(name: string, src: string, tags: string[]): void {
    // only the App's registered hooks that scripts may bind (the same list the loader got)
    const info = JS_HOOKS.find((h) => h.name === name);
    const hook = (this.app as unknown as { [k: string]: unknown })[name] as
      | ((...tags: string[]) => { bindFunc(fn: HandlerFunc<HookEvent>): string })
      | { bindFunc(fn: HandlerFunc<HookEvent>): string }
      | undefined;
    if (!info || !hook) throw new Error(`${name} is not supported by this server`);
    const srcId = this.pool.source(src);
    const fn: HandlerFunc<HookEvent> = async (e) => {
      await this.pool.run(srcId, [e]);
    };
    if (info.tagged)
      (hook as (...tags: string[]) => { bindFunc(fn: HandlerFunc<HookEvent>): string })
        .call(this.app, ...tags)
        .bindFunc(fn);
    else (hook as { bindFunc(fn: HandlerFunc<HookEvent>): string }).bindFunc(fn);
  }

  onRouterAdd(method: string, path: string, handler: unknown, middlewares: unknown[]): void {
    this.action(handler);
    for (const m of middlewares) this.middleware(m);
    this.routes.push({ method, path, handler, middlewares });
  }

  onRouterUse(middlewares: unknown[]): void {
    for (const m of middlewares) this.middleware(m);
    this.globalMiddlewares.push(middlewares);
  }

  onCronAdd(id: string, expr: string, src: string): void {
    const srcId = this.pool.source(src);
    const app = this.app;
    try {
      cronAdd(app, id, expr, async () => {
        try {
          await this.pool.runDetached(srcId, []);
        } catch (err) {
          // upstream logs a failed JS job and carries on
          appLogger(app).error("[cronAdd] failed to execute cron job", {
            jobId: id,
            error: (err as Error)?.message ?? String(err),
          });
        }
      });
    } catch (err) {
      throw new Error(`[cronAdd] failed to register cron job ${id}: ${(err as Error).message}`);
    }
  }

  onCronRemove(id: string): void {
    cronRemove(this.app, id);
  }

  private action(h: unknown): HandlerFunc<RequestEvent> {
    if (h instanceof HostHandler) return h.func;
    if (isScriptHandlerSpec(h)) {
      if (!h.src) throw new Error("[routerAdd] handler must be non-nil");
      const srcId = this.pool.source(h.src);
      return async (e) => {
        await this.pool.run(srcId, [e]);
      };
    }
    throw new Error("[routerAdd] unsupported handler type");
  }

  private middleware(m: unknown): Middleware {
    if (m instanceof HostMiddleware) return { id: m.id, priority: m.priority, func: m.func };
    if (isScriptHandlerSpec(m)) {
      const spec = m as ScriptHandlerSpec;
      if (!spec.src) throw new Error("missing or invalid Middleware function");
      const srcId = this.pool.source(spec.src);
      return {
        ...(spec.id ? { id: spec.id } : {}),
        priority: spec.priority,
        func: async (e) => {
          await this.pool.run(srcId, [e]);
        },
      };
    }
    throw new Error("unsupported middleware type");
  }

  // --- watch

  private watchHooks(): void {
    let dir = this.hooksDir;
    try {
      dir = require("node:fs").realpathSync(dir);
      if (!statSync(dir).isDirectory()) return;
    } catch {
      return; // no hooks dir: nothing to watch
    }
    let timer: ReturnType<typeof setTimeout> | null = null;
    try {
      this.watcher = watch(dir, { recursive: true }, (_event, filename) => {
        const name = String(filename ?? "");
        const parts = name.split("/");
        if (parts.slice(0, -1).some((p) => p.startsWith(".") || p === "node_modules" || p === "pb_migrations")) return;
        if (parts[0] === "node_modules" || parts[0] === "pb_migrations") return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          timer = null;
          if (process.platform === "win32") {
            this.log(yellow(`File ${join(dir, name)} changed, please restart the app manually`));
            return;
          }
          this.log(yellow(`File ${join(dir, name)} changed, restarting...`));
          Promise.resolve(this.restart()).catch((err) =>
            this.log(red(`Failed to restart the app: ${(err as Error).message}`)),
          );
        }, 50);
      });
      (this.watcher as unknown as { unref?: () => void }).unref?.();
    } catch (err) {
      this.log(yellow(`Unable to init hooks watcher: ${(err as Error).message}`));
    }
  }
}

/** Errors escaping JS routes and middlewares answer as upstream's (normalizeServeExceptions). */
async function normalizeExceptions(e: RequestEvent): Promise<void> {
  try {
    await e.next();
  } catch (err) {
    if (e.written) throw err;
    // a script error names where it was raised in the request log's details (as goja's exceptions)
    if (err instanceof JsError && !(err instanceof JsLimitError) && scriptLocation(err)) {
      throw normalizeScriptError(new JsError(describeScriptError(err), err.jsName, err.jsStack));
    }
    throw normalizeScriptError(err);
  }
}

/** A script error with where it was raised, as goja prints one: `TypeError: message at file:line:column`. */
function describeScriptError(err: unknown): string {
  const msg = (err as Error)?.message ?? String(err);
  const at = scriptLocation(err);
  // a plain Error (or a host error passing through) reads as its message; TypeError etc. keep their name
  const text =
    err instanceof JsError && !(err instanceof JsLimitError) && err.jsName !== "Error" ? `${err.jsName}: ${msg}` : msg;
  return at ? `${text} at ${at}` : text;
}

const useColor = () => process.stderr.isTTY === true;
const red = (s: string) => (useColor() ? `\x1b[31m${s}\x1b[0m` : s);
const yellow = (s: string) => (useColor() ? `\x1b[33m${s}\x1b[0m` : s);

const pluginOf = (cx: Cx) => cx.plugin as JsvmPlugin;

defineRoot({
  hook: (cx, name: unknown, src: unknown, tags: unknown) =>
    pluginOf(cx).onHook(String(name), String(src), Array.isArray(tags) ? tags.map(String) : []),
  routerAdd: (cx, method: unknown, path: unknown, handler: unknown, mws: unknown) =>
    pluginOf(cx).onRouterAdd(String(method ?? ""), String(path ?? ""), handler, Array.isArray(mws) ? mws : []),
  routerUse: (cx, mws: unknown) => pluginOf(cx).onRouterUse(Array.isArray(mws) ? mws : []),
  cronAdd: (cx, id: unknown, expr: unknown, src: unknown) =>
    pluginOf(cx).onCronAdd(String(id), String(expr), String(src)),
  cronRemove: (cx, id: unknown) => pluginOf(cx).onCronRemove(String(id)),
  migrate: (cx, up: unknown, down: unknown) => pluginOf(cx).onMigrate(up, down),
});

/**
 * Registers the JS plugin on `app`: migration files first, then hooks (upstream's order). Call
 * before `app.bootstrap()` so `onBootstrap` handlers from scripts see it.
 */
export async function registerJsvm(app: App, config: JsvmConfig): Promise<JsvmPlugin> {
  const p = new JsvmPlugin(app, config);
  await p.registerMigrations();
  await p.registerHooks();
  return p;
}

/** True when `dir` has at least one file the loader would run (so a pool is worth starting). */
export function hasHookFiles(dir: string): boolean {
  return existsSync(dir) && listFiles(dir, HOOK_FILE).length > 0;
}
