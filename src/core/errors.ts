/**
 * The one error shape the app speaks: `{data, message, status}`, as upstream's router.ApiError.
 * Core raises these for conditions clients must see (404s, validation); the API layer writes them.
 */
import { sentenize } from "../tools/inflector.ts";

/** A field's validation failure, nested under `data` as `{field: {code, message, params?}}`. */
export interface FieldError {
  code: string;
  message: string;
  params?: Record<string, unknown>;
}

export type ErrorData = Record<string, FieldError | unknown>;

export class ApiError extends Error {
  readonly status: number;
  readonly data: ErrorData;
  /** Kept for logs; never sent to clients. */
  override readonly cause?: unknown;

  constructor(status: number, message: string, data?: ErrorData, cause?: unknown) {
    super(sentenize(message || defaultMessage(status)));
    this.status = status;
    this.data = data ?? {};
    this.cause = cause;
  }

  /** The envelope in upstream's key order. */
  toJSON() {
    return { data: this.data, message: this.message, status: this.status };
  }
}

function defaultMessage(status: number): string {
  switch (status) {
    case 401:
      return "Missing or invalid authentication.";
    case 403:
      return "You are not allowed to perform this request.";
    case 404:
      return "The requested resource wasn't found.";
    case 429:
      return "Too Many Requests.";
    default:
      return "Something went wrong while processing your request.";
  }
}

export const badRequest = (message = "", data?: ErrorData, cause?: unknown) => new ApiError(400, message, data, cause);
export const unauthorized = (message = "", data?: ErrorData, cause?: unknown) =>
  new ApiError(401, message, data, cause);
export const forbidden = (message = "", data?: ErrorData, cause?: unknown) => new ApiError(403, message, data, cause);
export const notFound = (message = "", data?: ErrorData, cause?: unknown) => new ApiError(404, message, data, cause);
export const tooManyRequests = (message = "", data?: ErrorData, cause?: unknown) =>
  new ApiError(429, message, data, cause);

/**
 * The reason logged (as `details`) for a lookup that found nothing: Go's sql.ErrNoRows text, which
 * is what upstream's request logs show for the same failures.
 */
export const noRows = (context = "") =>
  new Error(context ? `${context}: sql: no rows in result set` : "sql: no rows in result set");
export const tooLarge = () => new ApiError(413, "Request entity too large");

/**
 * One value's validation failure, as a field validator raises it (upstream's validation.Error):
 * `message` is the final, sentenized text ("Cannot be blank."); `params` are interpolated values.
 */
export class FieldValidationError extends Error implements FieldError {
  constructor(
    readonly code: string,
    message: string,
    readonly params?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A validation error map from field → {code, message}, the shape upstream's ozzo validation produces. */
export class ValidationErrors extends Error {
  constructor(readonly errors: Record<string, FieldError | ValidationErrors>) {
    super(
      Object.entries(errors)
        .map(([k, v]) => `${k}: ${v.message}`)
        .join("; "),
    );
  }
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(this.errors).sort()) {
      const v = this.errors[k]!;
      out[k] =
        v instanceof ValidationErrors
          ? v.toJSON()
          : { code: v.code, message: v.message, ...(v.params ? { params: v.params } : {}) };
    }
    return out;
  }
}

/** Turns anything thrown into an ApiError, as upstream's error handler does (validation → 400 with data). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ValidationErrors) {
    return new ApiError(400, "An error occurred while validating the submitted data.", err.toJSON(), err);
  }
  return new ApiError(400, "", {}, err);
}
