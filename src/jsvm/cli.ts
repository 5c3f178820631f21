/**
 * What the CLI does with the JS plugin: its extra flags, registering it on every command (JS
 * migrations, then hooks, before bootstrap), and the `serve` steps (apply the JS migrations, start
 * executor workers). Kept here so the CLI entry only calls in.
 */
import type { App } from "../core/app.ts";
import { runAllMigrations } from "../core/migrations_runner.ts";
import { registerAutomigrate } from "./automigrate.ts";
import { DEFAULT_HOOKS_MEMORY_MB, DEFAULT_HOOKS_TIMEOUT_MS, registerJsvm, type JsvmPlugin } from "./plugin.ts";

/** Flags (persistent, like upstream's `--hooks*`) that tune the JS sandbox. */
export const JSVM_FLAGS = [
  {
    name: "hooksTimeout",
    type: "int" as const,
    default: DEFAULT_HOOKS_TIMEOUT_MS,
    usage:
      "the max milliseconds of JS execution per hook, route or cron call (time spent waiting on $app, $http or sleep is not counted)",
  },
  {
    name: "hooksMemory",
    type: "int" as const,
    default: DEFAULT_HOOKS_MEMORY_MB,
    usage: "the max MiB of JS heap per hooks worker thread (past it a hook fails and the worker is replaced)",
  },
];

export interface JsvmCliConfig {
  hooksDir: string;
  migrationsDir: string;
  flags: { [name: string]: unknown };
}

/** What the process was started with (scripts read it through `$os` and `process`). */
export interface JsvmProcess {
  env: { [k: string]: string | undefined };
  args: string[];
}

/** Registers the JS plugin (and automigrate) on `app`; call before bootstrap. */
export async function setupJsvm(
  app: App,
  cfg: JsvmCliConfig,
  proc: JsvmProcess = { env: {}, args: [] },
): Promise<JsvmPlugin> {
  const f = cfg.flags;
  const plugin = await registerJsvm(app, {
    env: proc.env,
    args: proc.args,
    hooksDir: cfg.hooksDir,
    migrationsDir: cfg.migrationsDir,
    hooksWatch: f.hooksWatch !== false,
    hooksPool: Number(f.hooksPool ?? 15),
    hooksTimeoutMs: Math.max(1, Number(f.hooksTimeout ?? DEFAULT_HOOKS_TIMEOUT_MS)),
    hooksMemoryMB: Math.max(32, Number(f.hooksMemory ?? DEFAULT_HOOKS_MEMORY_MB)),
  });
  if (f.automigrate !== false) registerAutomigrate(app, cfg.migrationsDir);
  return plugin;
}

/** Before `serve` listens: apply pending system and JS migrations, start a couple of executors. */
export async function beforeServe(app: App, plugin: JsvmPlugin): Promise<void> {
  await runAllMigrations(app, plugin.appMigrations);
  // without hook files the JS workers (started for the migration files) have nothing left to do;
  // with them, two executors warm up in the background while the server starts
  if (plugin.hasHooks) void plugin.prewarm(2);
  else plugin.pool.close();
}
