/**
 * Shared app state: the SDK client (its own auth key, so a site on pb_public using the default
 * `pocketbase_auth` key cannot clash), the collections cache and the settings cache.
 */
import PocketBase, { ClientResponseError, LocalAuthStore, type CollectionModel } from "pocketbase";
import { Signal } from "./dom.ts";

export const pb = new PocketBase(baseURL(), new LocalAuthStore("pb_superuser_auth"));
pb.autoCancellation(false);

/** The API root: the dashboard is served at `<root>/_/`. */
function baseURL(): string {
  const path = location.pathname.replace(/\/_\/.*$/, "/").replace(/\/+$/, "");
  return location.origin + path;
}

export const collections = new Signal<CollectionModel[]>([]);
export const appSettings = new Signal<Record<string, any> | null>(null);

export async function loadCollections(): Promise<CollectionModel[]> {
  const list = await pb.collections.getFullList({ sort: "+name", requestKey: null });
  collections.set(list);
  return list;
}

export function findCollection(idOrName: string): CollectionModel | undefined {
  return collections.get().find((c) => c.id === idOrName || c.name === idOrName);
}

/** The database engine the server runs on: "sqlite" unless `/api/health` names another (`dbDialect`). */
export const dbDialect = new Signal<string>("sqlite");

/** Asks the server which engine it runs (health names it only when it is not SQLite). */
export async function loadDbDialect(): Promise<string> {
  try {
    const r: any = await pb.health.check({ requestKey: null });
    dbDialect.set(typeof r?.data?.dbDialect === "string" && r.data.dbDialect ? r.data.dbDialect : "sqlite");
  } catch {
    // an older server or a network hiccup: the SQLite screens, as before
  }
  return dbDialect.get();
}

/** The engine's display name ("PostgreSQL"). */
export function dbEngineName(dialect = dbDialect.get()): string {
  if (dialect === "postgres") return "PostgreSQL";
  if (dialect === "sqlite") return "SQLite";
  return dialect;
}

export async function loadSettings(): Promise<Record<string, any> | null> {
  try {
    const s = await pb.settings.getAll({ requestKey: null });
    appSettings.set(s);
    applyAccent(s?.meta?.accentColor);
    return s;
  } catch (err) {
    if (isNotAvailable(err)) return null;
    throw err;
  }
}

/** Applies the app's accent color (`meta.accentColor`) to the dashboard chrome. */
export function applyAccent(color?: string): void {
  if (color && /^#[0-9a-f]{6}$/i.test(color)) document.documentElement.style.setProperty("--accent", color);
  else document.documentElement.style.removeProperty("--accent");
}

/** True when the server answered 404 for a route it doesn't have yet. */
export function isNotAvailable(err: unknown): boolean {
  return err instanceof ClientResponseError && err.status === 404;
}

/** Probes an endpoint: false when the route is missing (404), true for any other answer. */
export async function endpointExists(path: string, method = "GET"): Promise<boolean> {
  try {
    await pb.send(path, { method, requestKey: null });
    return true;
  } catch (err) {
    return !isNotAvailable(err);
  }
}

/** The message to show for a failed request. */
export function errorMessage(err: unknown): string {
  if (err instanceof ClientResponseError) {
    if (err.isAbort) return "The request was cancelled.";
    if (err.status === 0) return "Cannot reach the server.";
    return err.response?.message || err.message || `Request failed (${err.status}).`;
  }
  return (err as Error)?.message ?? String(err);
}

/** Field errors from an API error response (`data` is a nested map of `{code, message}`). */
export function errorData(err: unknown): Record<string, any> {
  return err instanceof ClientResponseError ? (err.response?.data ?? {}) : {};
}

export function isSuperuser(): boolean {
  return pb.authStore.isValid && pb.authStore.record?.collectionName === "_superusers";
}

/** localStorage helpers that never throw (private mode, quota). */
export const store = {
  get<T>(key: string, fallback: T): T {
    try {
      const v = localStorage.getItem("pb_ui_" + key);
      return v === null ? fallback : (JSON.parse(v) as T);
    } catch {
      return fallback;
    }
  },
  set(key: string, value: unknown): void {
    try {
      localStorage.setItem("pb_ui_" + key, JSON.stringify(value));
    } catch {
      /* ignore */
    }
  },
};
