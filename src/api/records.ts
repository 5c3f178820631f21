/**
 * Records CRUD (upstream apis/record_crud.go): list/search, view, create, update, delete, each
 * behind its collection rule and its request hook. Create and update accept JSON, urlencoded and
 * multipart bodies (`@jsonPayload` included) with field modifiers.
 */
import type { Collection } from "../core/collection.ts";
import { ApiError, ValidationErrors, forbidden, noRows, notFound, type FieldError } from "../core/errors.ts";
import { RecordRequestEvent, RecordsListRequestEvent } from "../core/events.ts";
import { FileField, type Field } from "../core/fields/index.ts";
import type { Hook } from "../tools/hook.ts";
import { randomString } from "../tools/security/random.ts";
import { Record } from "../core/record.ts";
import { findRecordById } from "../core/record_query.ts";
import { deleteRecord, saveRecord } from "../core/record_save.ts";
import { newUploadFile } from "../core/record_files.ts";
import type { UploadFile } from "../tools/filesystem/index.ts";
import { searchRecords } from "../core/record_search.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { RequestInfo } from "../core/request_info.ts";
import { checkCreateRule, findRecordByIdWithRule, hasAuthManageAccess } from "../core/rules.ts";
import { DEFAULT_BODY_LIMIT } from "./middlewares/body_limit.ts";
import { RATE_LIMIT_MIDDLEWARE_ID, checkCollectionRateLimit, checkRateLimit } from "./middlewares/rate_limit.ts";
import { BODY_LIMIT } from "./middlewares/priorities.ts";
import { checkForSuperuserOnlyRuleFields, collectionFromPath, enrichRecords } from "./record_helpers.ts";
import type { Middleware, Router } from "./router.ts";

/** Called with the written record once a create/update/delete succeeded; batch chains the next request here. */
export type RecordFinalizer = (record: Record) => Promise<void>;

export function bindRecordCrudApi(router: Router) {
  const base = "/api/collections/{collection}/records";
  // the global limiter is replaced by collection-aware checks inside each handler (batch counts too)
  router.get(base, recordsList).unbind(RATE_LIMIT_MIDDLEWARE_ID);
  router.get(`${base}/{id}`, recordView).unbind(RATE_LIMIT_MIDDLEWARE_ID);
  router.post(base, recordCreate(), dynamicCollectionBodyLimit()).unbind(RATE_LIMIT_MIDDLEWARE_ID);
  router.patch(`${base}/{id}`, recordUpdate(), dynamicCollectionBodyLimit()).unbind(RATE_LIMIT_MIDDLEWARE_ID);
  router.delete(`${base}/{id}`, recordDelete()).unbind(RATE_LIMIT_MIDDLEWARE_ID);
}

/** Upstream's 400 for a failed write: an ApiError passes through; validation errors become its data. */
export function writeError(message: string, err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(400, message, err instanceof ValidationErrors ? err.toJSON() : {}, err);
}

async function requestInfoOr400(e: RequestEvent): Promise<RequestInfo> {
  try {
    return await e.requestInfo();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, "", {}, err);
  }
}

async function recordsList(e: RequestEvent) {
  const collection = collectionFromPath(e);
  await checkCollectionRateLimit(e, collection, "list");
  const info = await requestInfoOr400(e);
  const isSuperuser = info.hasSuperuserAuth();
  if (collection.listRule === null && !isSuperuser) throw forbidden("Only superusers can perform this action.");
  checkForSuperuserOnlyRuleFields(info);

  // Outside a transaction the query runs on the worker read pool (queryTimeout, no stall);
  // inside one (batch, hooks) it must see the transaction's own writes, so it runs here.
  const result = await searchRecords(e.app, collection, {
    reader: e.app.inTransaction ? null : e.app.readPool,
    filter: info.query.filter,
    sort: info.query.sort,
    page: info.query.page,
    perPage: info.query.perPage,
    skipTotal: info.query.skipTotal,
    requestInfo: info,
    rule: isSuperuser ? "" : collection.listRule,
    isClientQuery: true,
  });

  const event = new RecordsListRequestEvent(e, collection, result.items, result);
  await e.app.onRecordsListRequest.hook.trigger(event, async (ev) => {
    ev.result.items = ev.records;
    await enrichRecords(ev, ev.records);
    // Many filtered searches that find nothing look like probing: answer them a little later.
    if (!isSuperuser && collection.listRule && info.query.filter && ev.records.length === 0) {
      try {
        await checkRateLimit(ev, "@pb_list_timing_check_" + collection.id, LIST_TIMING_RULE);
      } catch {
        await Bun.sleep(Math.floor(Math.random() * 500));
      }
    }
    ev.json(200, ev.result);
  });
}

const LIST_TIMING_RULE = { audience: "", maxRequests: 3, duration: 3 };

async function recordView(e: RequestEvent) {
  const collection = collectionFromPath(e);
  await checkCollectionRateLimit(e, collection, "view");
  const id = e.params.id ?? "";
  if (!id) throw notFound();
  const info = await requestInfoOr400(e);
  const isSuperuser = info.hasSuperuserAuth();
  if (collection.viewRule === null && !isSuperuser) throw forbidden("Only superusers can perform this action.");
  const record = await findRecordByIdWithRule(e.app, collection, id, info, isSuperuser ? "" : collection.viewRule);
  if (!record) throw notFound("", {}, noRows());

  await e.app.onRecordViewRequest.hook.trigger(new RecordRequestEvent(e, collection, record), async (ev) => {
    await enrichRecords(ev, [ev.record!]);
    ev.json(200, ev.record);
  });
}

/**
 * The submitted data as the record sees it: modifiers resolved against `record`, uploaded files
 * merged in, and (for non-superusers) hidden fields dropped — except an auth collection's password.
 */
async function recordDataFromRequest(
  e: RequestEvent,
  record: Record,
  info: RequestInfo,
): Promise<{ [k: string]: unknown }> {
  let data = record.replaceModifiers(info.body);
  const uploaded = await extractUploadedFiles(e, record.collection);
  if (uploaded.size) {
    for (const [key, files] of uploaded) {
      const keep: unknown[] = [];
      if (info.body[key] != null && !key.startsWith("+") && !key.endsWith("+") && !key.endsWith("-")) {
        for (const name of toStrings(info.body[key])) keep.push(name);
      }
      data[key] = [...keep, ...files];
    }
    data = record.replaceModifiers(data);
  }
  if (!info.hasSuperuserAuth()) {
    const isAuth = record.collection.type === "auth";
    for (const f of record.collection.fields) {
      if (f.hidden && !(isAuth && f.name === "password")) delete data[f.name];
    }
  }
  return data;
}

function toStrings(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x): x is string => typeof x === "string" && x !== "");
}

/** The multipart files of each file field key (`f`, `+f`, `f+`), as uploads with normalized names. */
async function extractUploadedFiles(e: RequestEvent, collection: Collection): Promise<Map<string, UploadFile[]>> {
  const out = new Map<string, UploadFile[]>();
  if (!(e.request.headers.get("content-type") ?? "").startsWith("multipart/form-data")) return out;
  for (const f of collection.fields) {
    if (!(f instanceof FileField)) continue;
    for (const key of [f.name, "+" + f.name, f.name + "+"]) {
      const files = await e.findUploadedFiles(key);
      if (files.length) out.set(key, await Promise.all(files.map((file) => newUploadFile(file))));
    }
  }
  return out;
}

/** Upstream's RecordUpsert form: loads data into the record and checks the auth-only form fields. */
class RecordUpsertForm {
  private access: "default" | "manager" | "superuser" = "default";
  private password = "";
  private passwordConfirm = "";
  private oldPassword = "";

  constructor(private record: Record) {}

  grantSuperuserAccess() {
    this.access = "superuser";
  }
  grantManagerAccess() {
    this.access = "manager";
  }
  hasManageAccess() {
    return this.access !== "default";
  }
  setRecord(record: Record) {
    this.record = record;
  }

  load(data: { [k: string]: unknown }) {
    const isAuth = this.record.collection.type === "auth";
    const skip = new Set(["expand"]);
    if (isAuth) {
      if ("password" in data) this.password = castString(data.password);
      if ("passwordConfirm" in data) this.passwordConfirm = castString(data.passwordConfirm);
      if ("oldPassword" in data) this.oldPassword = castString(data.oldPassword);
      skip.add("passwordConfirm").add("oldPassword");
    }
    const original = this.record.original();
    for (const [k, v] of Object.entries(data)) {
      if (skip.has(k)) continue;
      const field: Field | null = this.record.setIfFieldExists(k, v);
      if (this.access !== "superuser" && field && field.hidden && !(isAuth && field.name === "password")) {
        this.record.setRaw(field.name, original.get(field.name));
      }
    }
  }

  /** Checks email/verified/password form rules for auth records; throws ValidationErrors. */
  async validate() {
    const r = this.record;
    if (r.collection.type !== "auth") return;
    const plain = r.getPlainPassword();
    const disablePassword =
      (plain !== "" && plain !== this.password) || (plain === "" && r.getString("password") !== "" && r.isNew);
    const original = r.original();
    const isNew = r.isNew;
    const errors: { [k: string]: FieldError } = {};
    const mismatch = { code: "validation_values_mismatch", message: "Values don't match." };
    const required = { code: "validation_required", message: "Cannot be blank." };
    if (!isNew && !this.hasManageAccess() && r.email() !== original.email()) errors.email = mismatch;
    if (!this.hasManageAccess() && r.verified() !== (isNew ? false : original.verified())) errors.verified = mismatch;
    if (!disablePassword) {
      if ((isNew || this.passwordConfirm !== "" || this.oldPassword !== "") && this.password === "")
        errors.password = required;
      if ((isNew || this.password !== "" || this.oldPassword !== "") && this.passwordConfirm === "")
        errors.passwordConfirm = required;
      else if (this.passwordConfirm !== this.password) errors.passwordConfirm = mismatch;
      if (!isNew && !this.hasManageAccess() && (this.password !== "" || this.passwordConfirm !== "")) {
        if (this.oldPassword === "") errors.oldPassword = required;
        else if (!(await original.validatePassword(this.oldPassword))) {
          errors.oldPassword = { code: "validation_invalid_old_password", message: "Missing or invalid old password." };
        }
      }
    }
    if (Object.keys(errors).length) throw new ValidationErrors(errors);
  }

  async submit(app: RequestEvent["app"]) {
    await this.validate();
    await saveRecord(app, this.record);
  }
}

function castString(v: unknown): string {
  if (v == null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return "";
}

/**
 * What every write starts with, in upstream's order: the collection (404), not a view (400), the
 * record id for update/delete (404), the request info, and the rule's superusers-only lock (403).
 */
async function writeRequestContext(e: RequestEvent, rule: "createRule" | "updateRule" | "deleteRule") {
  const collection = collectionFromPath(e);
  if (collection.type === "view") throw new ApiError(400, "Unsupported collection type.");
  await checkCollectionRateLimit(e, collection, rule.replace("Rule", ""));
  const id = e.params.id ?? "";
  if (rule !== "createRule" && !id) throw notFound();
  const info = await requestInfoOr400(e);
  const isSuperuser = info.hasSuperuserAuth();
  if (!isSuperuser && collection[rule] === null) throw forbidden("Only superusers can perform this action.");
  return { collection, id, info, isSuperuser };
}

/**
 * Runs a write's request hook; its default action does the write, then (for batch) the finalizer,
 * which upstream also runs when a hook answered without calling next().
 */
async function runWriteHook(
  hook: Hook<RecordRequestEvent>,
  event: RecordRequestEvent,
  write: (ev: RecordRequestEvent) => Promise<void>,
  optFinalizer?: RecordFinalizer,
): Promise<void> {
  let finalized = false;
  await hook.trigger(event, async (ev) => {
    await write(ev);
    if (optFinalizer) {
      finalized = true;
      await optFinalizer(ev.record!);
    }
  });
  if (optFinalizer && !finalized) await optFinalizer(event.record!);
}

/** Create/update's default action: form checks and save, then the enriched record as the answer. */
async function submitAndRespond(ev: RecordRequestEvent, form: RecordUpsertForm, failMessage: string): Promise<void> {
  form.setRecord(ev.record!);
  try {
    await form.submit(ev.app);
  } catch (err) {
    throw writeError(failMessage, err);
  }
  await enrichRecords(ev, [ev.record!]);
  ev.json(200, ev.record);
}

export function recordCreate(optFinalizer?: RecordFinalizer) {
  return async (e: RequestEvent) => {
    const { collection, info, isSuperuser } = await writeRequestContext(e, "createRule");

    const record = new Record(collection);
    let data: { [k: string]: unknown };
    try {
      data = await recordDataFromRequest(e, record, info);
    } catch (err) {
      throw writeError("Failed to read the submitted data.", err);
    }
    // An OAuth2 sign-up without a password gets a random one; being random, it skips the password
    // field's validators (its hash is set now and the plain text forgotten), as upstream.
    const randomPassword =
      info.context === "oauth2" && collection.type === "auth" && !("password" in data) ? randomString(30) : "";
    if (randomPassword) data.password = data.passwordConfirm = randomPassword;
    info.body = data;

    const form = new RecordUpsertForm(record);
    if (isSuperuser) form.grantSuperuserAccess();
    form.load(data);
    if (randomPassword) {
      await record.setPassword(randomPassword);
      record.clearPlainPassword("password");
    }

    if (!isSuperuser && collection.createRule !== null) {
      let allowed = collection.createRule === "";
      if (!allowed) {
        try {
          allowed = await checkCreateRule(e.app, record, info, collection.createRule);
        } catch {
          allowed = false;
        }
      }
      if (!allowed) throw new ApiError(400, "Failed to create record.", {}, noRows("create rule failure"));
      if (!form.hasManageAccess() && (await hasAuthManageAccess(e.app, record, info))) form.grantManagerAccess();
    }

    await runWriteHook(
      e.app.onRecordCreateRequest.hook,
      new RecordRequestEvent(e, collection, record),
      (ev) => submitAndRespond(ev, form, "Failed to create record."),
      optFinalizer,
    );
  };
}

export function recordUpdate(optFinalizer?: RecordFinalizer) {
  return async (e: RequestEvent) => {
    const { collection, id, info, isSuperuser } = await writeRequestContext(e, "updateRule");

    const existing = await findRecordById(e.app, collection, id);
    if (!existing) throw notFound("", {}, noRows());
    let data: { [k: string]: unknown };
    try {
      data = await recordDataFromRequest(e, existing, info);
    } catch (err) {
      throw writeError("Failed to read the submitted data.", err);
    }
    info.body = data;

    const record = await findRecordByIdWithRule(e.app, collection, id, info, isSuperuser ? "" : collection.updateRule);
    if (!record) throw notFound("", {}, noRows());

    const form = new RecordUpsertForm(record);
    if (isSuperuser) form.grantSuperuserAccess();
    form.load(data);
    if (!form.hasManageAccess() && (await hasAuthManageAccess(e.app, record, info))) form.grantManagerAccess();

    await runWriteHook(
      e.app.onRecordUpdateRequest.hook,
      new RecordRequestEvent(e, collection, record),
      (ev) => submitAndRespond(ev, form, "Failed to update record."),
      optFinalizer,
    );
  };
}

export function recordDelete(optFinalizer?: RecordFinalizer) {
  return async (e: RequestEvent) => {
    const { collection, id, info, isSuperuser } = await writeRequestContext(e, "deleteRule");
    const record = await findRecordByIdWithRule(e.app, collection, id, info, isSuperuser ? "" : collection.deleteRule);
    if (!record) throw notFound("", {}, noRows());

    await runWriteHook(
      e.app.onRecordDeleteRequest.hook,
      new RecordRequestEvent(e, collection, record),
      async (ev) => {
        try {
          await deleteRecord(ev.app, ev.record!);
        } catch (err) {
          throw writeError(
            "Failed to delete record. Make sure that the record is not part of a required relation reference.",
            err,
          );
        }
        ev.noContent(204);
      },
      optFinalizer,
    );
  };
}

/**
 * Record create/update accept 32 MiB plus, for each file field, its max size times its max files
 * (5 MiB when unset), as upstream's dynamic body limit.
 */
function dynamicCollectionBodyLimit(): Middleware {
  return {
    id: "pbDynamicCollectionBodyLimit",
    priority: BODY_LIMIT + 1,
    func: (e) => {
      const c = e.app.findCollection(e.params.collection ?? "");
      let limit = DEFAULT_BODY_LIMIT;
      for (const f of c?.fields ?? []) {
        const calc = (f as unknown as { calculateMaxBodySize?: () => number }).calculateMaxBodySize;
        if (calc) limit += calc.call(f);
      }
      e.bodyLimit = limit;
      const declared = Number(e.request.headers.get("content-length") ?? "0");
      if (declared > limit) throw new ApiError(413, "Request entity too large");
      return e.next();
    },
  };
}
