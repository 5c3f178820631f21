/**
 * `POST /api/batch` (upstream apis/batch.go): record creates, updates, upserts and deletes run in one
 * transaction, all or nothing. Each sub-request runs its own rules and request hooks with the
 * caller's auth; the next sub-request runs inside the previous one's hook chain, as upstream's.
 */
import { ApiError, ValidationErrors, forbidden, toApiError, type FieldError } from "../core/errors.ts";
import { BatchRequestEvent, type BatchRequest } from "../core/events.ts";
import { findRecordById } from "../core/record_query.ts";
import { REQUEST_INFO_CONTEXT_KEY, RequestEvent } from "../core/request_event.ts";
import { recordCreate, recordDelete, recordUpdate, type RecordFinalizer } from "./records.ts";
import type { Router } from "./router.ts";

export function bindBatchApi(router: Router) {
  // the body limit comes from settings.batch (checked inline)
  router.post("/api/batch", batchTransaction).unbind("pbBodyLimit");
}

type Handler = (e: RequestEvent) => Promise<void>;
type ActionFactory = (
  e: RequestEvent,
  ir: BatchRequest,
  params: Record<string, string>,
  next: RecordFinalizer,
) => Handler | Promise<Handler>;

const ACTIONS: [RegExp, ActionFactory][] = [
  [
    /^PUT \/api\/collections\/(?<collection>[^/?]+)\/records(?<query>\?.*)?$/,
    async (e, ir, params, next) => {
      const id = ir.body?.id == null ? "" : String(ir.body.id);
      if (id && (await findRecordById(e.app, params.collection!, id))) {
        params.id = id;
        ir.method = "PATCH";
        ir.url = `/api/collections/${params.collection}/records/${id}${params.query ?? ""}`;
        return recordUpdate(next);
      }
      ir.method = "POST";
      ir.url = `/api/collections/${params.collection}/records${params.query ?? ""}`;
      return recordCreate(next);
    },
  ],
  [/^POST \/api\/collections\/(?<collection>[^/?]+)\/records(\?.*)?$/, (_e, _ir, _p, next) => recordCreate(next)],
  [
    /^PATCH \/api\/collections\/(?<collection>[^/?]+)\/records\/(?<id>[^/?]+)(\?.*)?$/,
    (_e, _ir, _p, next) => recordUpdate(next),
  ],
  [
    /^DELETE \/api\/collections\/(?<collection>[^/?]+)\/records\/(?<id>[^/?]+)(\?.*)?$/,
    (_e, _ir, _p, next) => recordDelete(next),
  ],
];

/** A sub-response: its body kept as the raw JSON text it was written with (upstream embeds JSONRaw). */
interface BatchResult {
  raw: string;
  status: number;
}

async function batchTransaction(e: RequestEvent) {
  const cfg = e.app.settings().batch;
  if (!cfg.enabled || cfg.maxRequests <= 0) throw forbidden("Batch requests are not allowed.");
  const timeoutMs = (cfg.timeout > 0 ? cfg.timeout : 3) * 1000;
  e.bodyLimit = cfg.maxBodySize > 0 ? cfg.maxBodySize : 128 << 20;
  if (Number(e.request.headers.get("content-length") ?? "0") > e.bodyLimit)
    throw new ApiError(413, "Request entity too large");

  let requests: BatchRequest[];
  try {
    const body = await e.bindBody();
    requests = parseRequests(body.requests);
    if ((e.request.headers.get("content-type") ?? "").startsWith("multipart/form-data")) {
      for (let i = 0; i < requests.length; i++) {
        for (const prefix of [`requests.${i}.`, `requests[${i}].`]) {
          for (const [key, files] of await prefixedFiles(e, prefix)) requests[i]!.body[key] = files;
        }
      }
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, "Failed to read the submitted batch data.", {}, err);
  }
  validateRequests(requests, cfg.maxRequests);

  await e.app.onBatchRequest.trigger(new BatchRequestEvent(e, requests), async (be) => {
    const results = await processBatch(be, be.batch, timeoutMs);
    if (be.url.searchParams.get("fields")) {
      be.json(
        200,
        results.map((r) => ({ body: r.raw ? JSON.parse(r.raw) : null, status: r.status })),
      );
    } else {
      be.send(
        200,
        `[${results.map((r) => `{"body":${r.raw || "null"},"status":${r.status}}`).join(",")}]\n`,
        "application/json",
      );
    }
  });
}

function parseRequests(raw: unknown): BatchRequest[] {
  if (raw == null) return [];
  if (!Array.isArray(raw)) throw new Error("requests must be a list");
  return raw.map((r) => {
    const o = (r && typeof r === "object" ? r : {}) as { [k: string]: unknown };
    const headers: Record<string, string> = {};
    if (o.headers && typeof o.headers === "object")
      for (const [k, v] of Object.entries(o.headers)) headers[k] = String(v);
    const body = o.body && typeof o.body === "object" && !Array.isArray(o.body) ? { ...(o.body as object) } : {};
    return {
      method: typeof o.method === "string" ? o.method : "",
      url: typeof o.url === "string" ? o.url : "",
      headers,
      body: body as Record<string, unknown>,
    };
  });
}

/** Upstream's form validation: requests required, at most maxRequests, each with a known method and a url. */
function validateRequests(requests: BatchRequest[], max: number): void {
  if (requests.length === 0) {
    throw new ApiError(400, "Invalid batch request data.", {
      requests: { code: "validation_required", message: "Cannot be blank." },
    });
  }
  if (requests.length > max) {
    throw new ApiError(400, "Invalid batch request data.", {
      requests: {
        code: "validation_length_too_long",
        message: `The length must be no more than ${max}.`,
        params: { max, min: 0 },
      },
    });
  }
  const itemErrors: Record<string, Record<string, FieldError>> = {};
  requests.forEach((r, i) => {
    const errs: Record<string, FieldError> = {};
    if (!r.method) errs.method = { code: "validation_required", message: "Cannot be blank." };
    else if (!["GET", "POST", "PUT", "PATCH", "DELETE"].includes(r.method))
      errs.method = { code: "validation_in_invalid", message: "Must be a valid value." };
    if (!r.url) errs.url = { code: "validation_required", message: "Cannot be blank." };
    else if (r.url.length > 2000)
      errs.url = {
        code: "validation_length_too_long",
        message: "The length must be no more than 2000.",
        params: { max: 2000, min: 0 },
      };
    if (Object.keys(errs).length) itemErrors[String(i)] = errs;
  });
  if (Object.keys(itemErrors).length) {
    throw new ApiError(400, "Invalid batch request data.", {
      requests: new ValidationErrors(
        Object.fromEntries(Object.entries(itemErrors).map(([k, v]) => [k, new ValidationErrors(v)])),
      ).toJSON(),
    });
  }
}

async function prefixedFiles(e: RequestEvent, prefix: string): Promise<Map<string, File[]>> {
  const out = new Map<string, File[]>();
  await e.bindBody();
  for (const [key, files] of e.state.files ?? []) {
    if (key.startsWith(prefix))
      out.set(key.slice(prefix.length), [...(out.get(key.slice(prefix.length)) ?? []), ...files]);
  }
  return out;
}

/** Runs every sub-request in one transaction; a failure names its index and rolls everything back. */
async function processBatch(base: RequestEvent, batch: BatchRequest[], timeoutMs: number): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  let failedIndex = -1;
  let cancelled = false;

  const process = async (i: number): Promise<void> => {
    if (i >= batch.length) return;
    if (cancelled) throw new Error("batch transaction timeout");
    try {
      results[i] = await processInternalRequest(base, batch[i]!, () => process(i + 1));
    } catch (err) {
      if (failedIndex === -1) failedIndex = i;
      throw err;
    }
  };

  try {
    await base.app.runInTransaction(async () => {
      const work = process(0);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
      const outcome = await Promise.race([work.then(() => "done" as const), timeout]);
      clearTimeout(timer);
      if (outcome === "timeout") {
        // stop at the next sub-request and let the running one settle before the rollback
        cancelled = true;
        await work.catch(() => {});
        throw new Error("batch transaction timeout");
      }
    });
  } catch (err) {
    const index = failedIndex === -1 ? 0 : failedIndex;
    throw new ApiError(
      400,
      "Batch transaction failed.",
      {
        requests: {
          [String(index)]: {
            code: "batch_request_failed",
            message: "Batch request failed.",
            response: toApiError(err).toJSON(),
          },
        },
      },
      err,
    );
  }
  return results;
}

async function processInternalRequest(
  base: RequestEvent,
  ir: BatchRequest,
  next: () => Promise<void>,
): Promise<BatchResult> {
  const full = `${ir.method.toUpperCase()} ${ir.url}`;
  let handler: Handler | null = null;
  let params: Record<string, string> = {};
  for (const [re, factory] of ACTIONS) {
    const m = re.exec(full);
    if (!m) continue;
    params = Object.fromEntries(Object.entries(m.groups ?? {}).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    handler = await factory(base, ir, params, () => next());
    break;
  }
  if (!handler) throw new Error("unknown batch request action");

  const url = new URL(ir.url, base.url);
  const headers = new Headers(base.request.headers);
  for (const [k, v] of Object.entries(ir.headers)) if (k.toLowerCase() !== "authorization") headers.set(k, v);
  const regular: Record<string, unknown> = {};
  const form = new FormData();
  for (const [k, v] of Object.entries(ir.body)) {
    const files = (Array.isArray(v) ? v : [v]).filter((x): x is File => x instanceof File);
    if (files.length && files.length === (Array.isArray(v) ? v.length : 1))
      for (const f of files) form.append(k, f, f.name);
    else regular[k] = v;
  }
  form.append("@jsonPayload", JSON.stringify(regular));
  headers.delete("content-type");
  headers.delete("content-length");
  const request = new Request(url.toString(), { method: ir.method.toUpperCase(), headers, body: form });

  const sub = new RequestEvent(base.app, request, base.realIP, undefined, base.remoteIP);
  sub.auth = base.auth;
  for (const [k, v] of base.store) sub.store.set(k, v);
  sub.store.set(REQUEST_INFO_CONTEXT_KEY, "batch");
  sub.params = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, safeDecode(v)]));
  sub.bodyLimit = Number.MAX_SAFE_INTEGER;

  await handler(sub);
  const res = sub.response;
  const text = (res ? await res.text() : "").trim();
  let raw = "";
  if (text) {
    try {
      JSON.parse(text);
      raw = text;
    } catch {
      raw = "";
    }
  }
  return { raw, status: res?.status ?? 200 };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
