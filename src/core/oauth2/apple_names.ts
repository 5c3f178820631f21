/**
 * Apple sends the user's name only once, in the `user` form value of the first redirect, and never
 * through the token or id_token. The redirect handler keeps it here for a minute under the
 * authorization code, and auth-with-oauth2 takes it when Apple's user has no name.
 */
import type { App } from "../app.ts";

const NAME_TTL_MS = 60_000;
/** Upstream keys the name as "@redirect_name_" + code and refuses keys over 1000 bytes. */
const KEY_PREFIX = "@redirect_name_";
const MAX_KEY_LENGTH = 1000;
const MAX_NAME_LENGTH = 150;

const stores = new WeakMap<App, Map<string, { name: string; timer: ReturnType<typeof setTimeout> }>>();

function storeOf(app: App) {
  let s = stores.get(app);
  if (!s) stores.set(app, (s = new Map()));
  return s;
}

/**
 * Parses Apple's `user` JSON (`{"name":{"firstName","lastName"}}`) and keeps the full name for a
 * minute under `code`. An empty name is not kept; bad JSON or an oversized code throw.
 */
export function storeAppleRedirectName(app: App, code: string, serializedUser: string): void {
  if (serializedUser === "") return;
  if (Buffer.byteLength(KEY_PREFIX + code) > MAX_KEY_LENGTH) throw new Error("nameKey is too large");
  const parsed = JSON.parse(serializedUser) as unknown;
  const name = parsed && typeof parsed === "object" ? (parsed as { name?: unknown }).name : undefined;
  const part = (k: string) => {
    const v = name && typeof name === "object" ? (name as { [k: string]: unknown })[k] : undefined;
    if (v !== undefined && v !== null && typeof v !== "string") throw new Error(`invalid ${k}`);
    return typeof v === "string" ? v : "";
  };
  let full = part("firstName") + " " + part("lastName");
  // cut by bytes, as upstream, to bound what stays in memory
  const bytes = Buffer.from(full);
  if (bytes.length > MAX_NAME_LENGTH) full = new TextDecoder().decode(bytes.subarray(0, MAX_NAME_LENGTH));
  full = full.trim();
  if (full === "") return;

  const store = storeOf(app);
  const prev = store.get(code);
  if (prev) clearTimeout(prev.timer);
  const timer = setTimeout(() => store.delete(code), NAME_TTL_MS);
  (timer as { unref?(): void }).unref?.();
  store.set(code, { name: full, timer });
}

/** The name kept for `code`, removed on read; null when absent or expired. */
export function takeAppleRedirectName(app: App, code: string): string | null {
  const store = storeOf(app);
  const entry = store.get(code);
  if (!entry) return null;
  clearTimeout(entry.timer);
  store.delete(code);
  return entry.name;
}
