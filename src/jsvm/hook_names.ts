/**
 * The `on*` hook registrars scripts get (upstream's plugins/jsvm hooksBinds: every On* method of
 * core.App except OnServe, which scripts reach through routerAdd/routerUse), derived from the
 * App's hook registry (src/core/app_hooks.ts) rather than listed here.
 */
import { appHookList, type HookInfo } from "../core/app_hooks.ts";

/** Hooks of the App that scripts cannot bind directly. */
const EXCLUDED = new Set(["onServe"]);

/** The hooks scripts can bind, with their event types, in the App's declaration order. */
export const JS_HOOKS: readonly HookInfo[] = appHookList().filter((h) => !EXCLUDED.has(h.name));

/** Their JS names: `onRecordCreate`, `onRealtimeMessageSend`… */
export const HOOK_NAMES: string[] = JS_HOOKS.map((h) => h.name);
