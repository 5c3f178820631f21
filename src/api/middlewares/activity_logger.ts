/**
 * Logs every request into `_logs` (upstream's activityLogger + logRequest): method, URL, status,
 * execution time, auth collection, IPs and, for failures, the error and its details. Successes of
 * routes that opt out (`skipSuccessActivityLog()`, static files, logs, realtime) are not logged;
 * errors always are. Writing is queued (see AppLogger), so a response never waits for the log.
 *
 * @example router.use(activityLogger())
 */
import { ApiError, toApiError } from "../../core/errors.ts";
import { LOG_LEVEL, appLogger, normalizeLogValue } from "../../core/logs.ts";
import type { RequestEvent } from "../../core/request_event.ts";
import type { Middleware } from "../router.ts";
import { ACTIVITY_LOGGER } from "./priorities.ts";

export const ACTIVITY_LOGGER_MIDDLEWARE_ID = "pbActivityLogger";
export const SKIP_SUCCESS_ACTIVITY_LOG_MIDDLEWARE_ID = "pbSkipSuccessActivityLog";

/** Store key: extra data saved as `data.meta` of the request's log. */
export const REQUEST_LOG_META_KEY = "pbLogMeta";
/** Store key: when set, a successful request is not logged (upstream's name). */
export const SKIP_SUCCESS_ACTIVITY_LOG_KEY = "__skipSuccessActivityLogger";
/** The same flag under the name the static handler sets. */
const SKIP_SUCCESS_ALIAS_KEY = "skipSuccessActivityLog";

/** Tells the activity logger to log this route's requests only when they fail. */
export function skipSuccessActivityLog(): Middleware {
  return {
    id: SKIP_SUCCESS_ACTIVITY_LOG_MIDDLEWARE_ID,
    func: (e) => {
      e.store.set(SKIP_SUCCESS_ACTIVITY_LOG_KEY, true);
      return e.next();
    },
  };
}

export function activityLogger(): Middleware {
  return {
    id: ACTIVITY_LOGGER_MIDDLEWARE_ID,
    priority: ACTIVITY_LOGGER,
    func: async (e) => {
      const started = performance.now();
      try {
        await e.next();
      } catch (err) {
        logRequest(e, started, err);
        throw err;
      }
      logRequest(e, started, null);
    },
  };
}

function cut(s: string, max: number): string {
  return s.length > max ? s.slice(0, max) + "..." : s;
}

/** Queues the request's log entry (never throws: logging must not break a response). */
function logRequest(e: RequestEvent, started: number, err: unknown): void {
  try {
    const app = e.app;
    if (!app.isBootstrapped) return;
    const settings = app.settings().logs;
    if (settings.maxDays === 0) return;
    if (err === null && (e.store.get(SKIP_SUCCESS_ACTIVITY_LOG_KEY) || e.store.get(SKIP_SUCCESS_ALIAS_KEY))) return;

    const data: { [key: string]: unknown } = { type: "request", execTime: performance.now() - started };
    const meta = e.store.get(REQUEST_LOG_META_KEY);
    if (meta !== undefined && meta !== null) data.meta = meta;

    let status = e.response?.status ?? 0;
    if (err !== null) {
      if (err instanceof ApiError) {
        if (status === 0) status = err.status;
        data.error = err.message;
        data.details = errorDetails(err);
      } else {
        if (status === 0) status = toApiError(err).status;
        data.error = err instanceof Error ? err.message : String(err);
      }
    } else if (status === 0) status = 200;

    const method = cut(e.request.method.toUpperCase(), 50);
    const url = e.url;
    const requestUri = cut(url.pathname + url.search, 3000);
    data.url = requestUri;
    data.method = method;
    data.status = status;
    data.referer = cut(e.request.headers.get("referer") ?? "", 2000);
    data.userAgent = cut(e.request.headers.get("user-agent") ?? "", 2000);
    if (e.auth) {
      data.auth = e.auth.collection.name;
      if (settings.logAuthId) data.authId = e.auth.id;
    } else {
      data.auth = "";
    }
    if (settings.logIP) {
      data.userIP = e.realIP;
      data.remoteIP = e.remoteIP;
    }

    let shown = requestUri;
    try {
      shown = decodeURIComponent(requestUri);
    } catch {
      // keep the raw URI
    }
    appLogger(app).log(err !== null ? LOG_LEVEL.ERROR : LOG_LEVEL.INFO, method + " " + shown, data);
  } catch (logErr) {
    if (e.app.isDev) console.error("Failed to log the request:", logErr);
  }
}

/** What upstream logs as `details`: the raw error behind the API error (null when there is none). */
function errorDetails(err: ApiError): unknown {
  if (err.cause !== undefined && err.cause !== null) return normalizeLogValue(err.cause);
  return Object.keys(err.data).length > 0 ? err.data : null;
}
