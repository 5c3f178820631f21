/**
 * Helpers shared by the record auth handlers: reading a request body as upstream binds it into a
 * small form struct, the auth collection lookup, writing a response once any surrounding
 * transaction has committed, and the per-process resend throttles of the email flows.
 */
import type { App } from "../core/app.ts";
import type { Collection } from "../core/collection.ts";
import { ApiError, ValidationErrors, badRequest, notFound } from "../core/errors.ts";
import { lookupKey } from "../core/fields/index.ts";
import type { Record } from "../core/record.ts";
import type { RequestEvent } from "../core/request_event.ts";

/** The auth collection named in the path, or upstream's 404s. */
export function findAuthCollection(e: RequestEvent): Collection {
  const c = e.app.findCollection(e.params.collection ?? "");
  if (!c) throw notFound("Missing or invalid collection context.");
  if (c.type !== "auth") throw notFound("Missing or invalid auth collection context.");
  return c;
}

export const LOAD_ERROR = "An error occurred while loading the submitted data.";
export const VALIDATION_ERROR = "An error occurred while validating the submitted data.";

type Kind = "string" | "int";
type FormOf<S extends { [k: string]: Kind }> = { [K in keyof S]: S[K] extends "int" ? number : string };

/**
 * The body bound into a form of string and integer keys, as Go's BindBody fills a struct: keys
 * match case-insensitively, missing or null keys stay empty, and a JSON value of the wrong type
 * fails the whole bind (400 "An error occurred while loading the submitted data.").
 * Form and multipart values arrive as text and are taken as such.
 */
export async function bindForm<S extends { [k: string]: Kind }>(
  e: RequestEvent,
  spec: S,
  loadError = LOAD_ERROR,
): Promise<FormOf<S>> {
  let body: { [k: string]: unknown };
  try {
    body = await e.bindBody();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(loadError, {}, err);
  }
  const isJSON = (e.request.headers.get("content-type") ?? "").startsWith("application/json");
  const out: { [k: string]: string | number } = {};
  for (const [key, kind] of Object.entries(spec)) {
    let v = lookupKey(body, key);
    if (!isJSON && Array.isArray(v)) v = v[0];
    if (v === undefined || v === null) {
      out[key] = kind === "int" ? 0 : "";
    } else if (kind === "string") {
      if (typeof v === "string") out[key] = v;
      else if (!isJSON && (typeof v === "number" || typeof v === "boolean")) out[key] = String(v);
      else throw badRequest(loadError);
    } else {
      const n = typeof v === "string" && !isJSON ? Number(v) : v;
      if (typeof n !== "number" || !Number.isInteger(n)) throw badRequest(loadError);
      out[key] = n;
    }
  }
  return out as FormOf<S>;
}

/** Throws upstream's 400 with the validation errors, if any. */
export function throwIfInvalid(errs: ValidationErrors | null, message = VALIDATION_ERROR): void {
  if (errs) throw new ApiError(400, message, errs.toJSON(), errs);
}

/**
 * Writes the response now, or — when a hook wrapped the handler in a transaction — once it has
 * committed (nothing is written when it rolls back), as upstream's execAfterSuccessTx.
 */
export async function respondAfterTx(app: App, write: () => void): Promise<void> {
  // outside a transaction afterTransaction runs it at once, with no error
  await app.afterTransaction((err) => {
    if (!err) write();
  });
}

// --- resend throttles ------------------------------------------------------------------------------

/** How long a sent verification or password reset email blocks another one for the same record. */
export const RESEND_THROTTLE_MS = 2 * 60 * 1000;

const throttles = new WeakMap<App, Map<string, ReturnType<typeof setTimeout>>>();

function throttleMap(app: App) {
  let m = throttles.get(app);
  if (!m) throttles.set(app, (m = new Map()));
  return m;
}

/** The throttle key of verification emails (upstream's `@limitVerificationEmail_…`). */
export const verificationResendKey = (r: Record) => "@limitVerificationEmail_" + r.collection.id + r.id;
/** The throttle key of password reset emails (upstream's `@limitPasswordResetEmail_…`). */
export const passwordResetResendKey = (r: Record) => "@limitPasswordResetEmail_" + r.collection.id + r.id;

export function isThrottled(app: App, key: string): boolean {
  return throttleMap(app).has(key);
}

/** Blocks `key` for RESEND_THROTTLE_MS. */
export function throttle(app: App, key: string): void {
  const m = throttleMap(app);
  const old = m.get(key);
  if (old) clearTimeout(old);
  const t = setTimeout(() => m.delete(key), RESEND_THROTTLE_MS);
  (t as { unref?: () => void }).unref?.();
  m.set(key, t);
}

export function clearThrottle(app: App, key: string): void {
  const m = throttleMap(app);
  const t = m.get(key);
  if (t) clearTimeout(t);
  m.delete(key);
}

/** Runs `fn` in the background: the response never waits for it, and its failure is only logged. */
export function fireAndForget(fn: () => Promise<void>, onError: (err: unknown) => void | Promise<void>): void {
  setTimeout(() => {
    fn().catch(async (err) => {
      try {
        await onError(err);
      } catch (e2) {
        console.error(e2);
      }
    });
  }, 0);
}

/**
 * A JWT's claims without any check (signature or time), {} when malformed: upstream reads claims
 * this way (ignoring ParseUnverifiedJWT's error), so an expired token still shows its `email`.
 */
export function peekClaims(token: string): { [k: string]: unknown } {
  const parts = token.split(".");
  if (parts.length !== 3) return {};
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"));
    return claims && typeof claims === "object" && !Array.isArray(claims) ? claims : {};
  } catch {
    return {};
  }
}
