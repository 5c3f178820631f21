/**
 * `$app` (upstream's core.App as scripts see it): record and collection finders, save/delete,
 * transactions, raw queries, settings, the shared store, logging and mail.
 */
import { App } from "../../core/app.ts";
import { Collection } from "../../core/collection.ts";
import {
  deleteCollection,
  saveCollection,
  saveCollectionNoValidate,
  truncateCollection,
  validateCollectionModel,
} from "../../core/collection_save.ts";
import { importCollections } from "../../core/collection_import.ts";
import { ApiError } from "../../core/errors.ts";
import { Record } from "../../core/record.ts";
import { expandRecords } from "../../core/record_expand.ts";
import { findAuthRecordByEmail, findFirstRecordByField, findRecordById } from "../../core/record_query.ts";
import { deleteRecord, saveRecord, saveRecordNoValidate, validateRecord } from "../../core/record_save.ts";
import { findFirstRecordByFilter, findRecordsByFilter, findRecordsByFilterAsync } from "../../core/record_search.ts";
import { RequestInfo } from "../../core/request_info.ts";
import { canAccessRecord } from "../../core/rules.ts";
import { Settings } from "../../core/settings.ts";
import { findAuthRecordByToken, type TokenType } from "../../core/tokens.ts";
import { newMailClient } from "../../core/mails/index.ts";
import type { Mailer, Message } from "../../tools/mailer/index.ts";
import { executeSpec, querySpec, queryValues, whereOf, type QuerySpec } from "../dbx.ts";
import { JsError, NoRowsError, bindingNamed, defineBinding, toPlain, type Cx } from "../host.ts";
import { resolveCollection } from "./models.ts";
import { HOOK_NAMES } from "../hook_names.ts";
import { Cron } from "../../tools/cron/index.ts";
import { findRecordByViewFile } from "../../core/record_files.ts";
import { JsStore, appStore } from "../store.ts";
import { JsLogger } from "../logger.ts";
import { subscriptionsBroker } from "../../core/realtime/broker.ts";
import { newFilesystem } from "../../core/record_files.ts";
import { createBackup, newBackupsFilesystem } from "../../core/backups.ts";
import { JsFilesystem } from "./root.ts";
import { appLogger, deleteOldLogs, findLogById } from "../../core/logs.ts";
import { createViewFields, deleteView, saveView } from "../../core/view.ts";
import { deleteExpiredMFAs } from "../../core/mfa.ts";
import { deleteExpiredOTPs } from "../../core/otp.ts";

function must<T>(v: T | null | undefined): T {
  if (v === null || v === undefined) throw new NoRowsError();
  return v;
}

/** A failed callback result: a thrown error, a returned error, or (as upstream) any other value. */
function checkCallbackResult(r: unknown, what: string): void {
  if (r === undefined || r === null) return;
  if (r instanceof Error) throw r;
  throw new JsError(`${what}: the function must return nothing, null or an error (got ${typeof r})`);
}

async function save(cx: Cx, model: unknown, validate: boolean): Promise<void> {
  const app = cx.plugin.app;
  if (model instanceof Record) return validate ? saveRecord(app, model) : saveRecordNoValidate(app, model);
  if (model instanceof Collection) return validate ? saveCollection(app, model) : saveCollectionNoValidate(app, model);
  if (model instanceof Settings) return app.saveSettings(model);
  throw new Error("unsupported model: only records, collections and settings can be saved");
}

async function del(cx: Cx, model: unknown): Promise<void> {
  const app = cx.plugin.app;
  if (model instanceof Record) return deleteRecord(app, model);
  if (model instanceof Collection) return deleteCollection(app, model);
  throw new Error("unsupported model: only records and collections can be deleted");
}

function recordsWhere(
  cx: Cx,
  col: unknown,
  exprs: unknown[],
  select = "*",
): { c: Collection; sql: string; args: unknown[] } {
  const c = resolveCollection(cx, col);
  const dialect = cx.plugin.app.db.dialect;
  const w = whereOf(dialect, exprs);
  return {
    c,
    sql: `SELECT ${select} FROM ${dialect.quoteIdent(c.name)}${w.sql ? ` WHERE ${w.sql}` : ""}`,
    args: w.args,
  };
}

/**
 * What the rows of a `recordQuery` / `collectionQuery` / `.one(new Record)` scan become: records of
 * a collection, or (for `_collections`) collection models. null: plain rows.
 */
function scanModel(cx: Cx, spec: QuerySpec, records: unknown): ((row: { [k: string]: unknown }) => unknown) | null {
  if (records === null || records === undefined) return null;
  let name = String(records);
  if (records === "*") {
    const from = spec.from?.[0] ?? spec.table ?? "";
    name = from.replace(/[`{}"\[\]]/g, "").split(/\s+/)[0] ?? "";
  }
  if (name === "_collections") return (row) => Collection.fromRow(row);
  const c = records === "*" ? cx.plugin.app.findCollection(name) : resolveCollection(cx, records);
  return c ? (row) => Record.fromRow(c, row) : null;
}

/**
 * Records of an auth system collection (`_externalAuths`, `_mfas`, `_otps`, `_authOrigins`) for a record or collection.
 */
async function systemRecords(
  cx: Cx,
  system: string,
  filter: string,
  params: { [k: string]: unknown },
): Promise<Record[]> {
  return await findRecordsByFilter(cx.plugin.app, system, filter, "", 0, 0, params);
}

const byRecord = (system: string) => (cx: Cx, _a: App, r: Record) =>
  systemRecords(cx, system, "collectionRef = {:c} && recordRef = {:r}", { c: r.collection.id, r: r.id });
const byCollection = (system: string) => (cx: Cx, _a: App, c: unknown) =>
  systemRecords(cx, system, "collectionRef = {:c}", { c: resolveCollection(cx, c).id });
const deleteByRecord = (system: string) => async (cx: Cx, _a: App, r: Record) => {
  for (const rec of await systemRecords(cx, system, "collectionRef = {:c} && recordRef = {:r}", {
    c: r.collection.id,
    r: r.id,
  }))
    await deleteRecord(cx.plugin.app, rec);
};

/** Another method of this binding (aliases). */
function appMethod(_cx: Cx, name: string): (cx: Cx, a: App, ...args: unknown[]) => unknown {
  return bindingNamed("App")!.methods![name] as never;
}

/** upstream core.App methods: the ones without an implementation here say so when called. */
const APP_METHODS = [
  "auxConcurrentDB",
  "auxDB",
  "auxDelete",
  "auxDeleteWithContext",
  "auxModelQuery",
  "auxNonconcurrentDB",
  "auxRunInTransaction",
  "auxSave",
  "auxSaveNoValidate",
  "auxSaveNoValidateWithContext",
  "auxSaveWithContext",
  "bootstrap",
  "dryRunView",
  "modelQuery",
  "resetBootstrapState",
  "runAllMigrations",
  "runAppMigrations",
  "runSystemMigrations",
  "syncRecordTableSchema",
];

defineBinding<App>({
  name: "App",
  cls: App,
  methods: {
    // --- records
    findRecordById: async (cx, _a, col: unknown, id: unknown) =>
      must(await findRecordById(cx.plugin.app, resolveCollection(cx, col), String(id ?? ""))),
    findRecordsByIds: async (cx, _a, col: unknown, ids: unknown) => {
      const c = resolveCollection(cx, col);
      const list = (Array.isArray(ids) ? ids : []).map(String);
      if (list.length === 0) return [];
      const db = cx.plugin.app.db;
      const q = db.dialect.quoteIdent;
      const rows = await db.all<{ [k: string]: unknown }>(
        `SELECT * FROM ${q(c.name)} WHERE ${q("id")} IN (${list.map(() => "?").join(", ")})`,
        list,
      );
      return rows.map((r) => Record.fromRow(c, r));
    },
    findAllRecords: async (cx, _a, col: unknown, ...exprs: unknown[]) => {
      const q = recordsWhere(cx, col, exprs);
      const rows = await cx.plugin.app.db.all<{ [k: string]: unknown }>(q.sql, q.args);
      return rows.map((r) => Record.fromRow(q.c, r));
    },
    findFirstRecordByData: async (cx, _a, col: unknown, field: unknown, value: unknown) =>
      must(await findFirstRecordByField(cx.plugin.app, resolveCollection(cx, col), String(field), value)),
    // on the read pool (outside transactions): the handler's worker waits either way, the JS thread need not
    findRecordsByFilter: (
      cx,
      _a,
      col: unknown,
      filter: unknown,
      sort?: unknown,
      limit?: unknown,
      offset?: unknown,
      params?: unknown,
    ) =>
      findRecordsByFilterAsync(
        cx.plugin.app,
        resolveCollection(cx, col),
        String(filter ?? ""),
        String(sort ?? ""),
        Number(limit) || 0,
        Number(offset) || 0,
        (params ?? {}) as { [k: string]: unknown },
      ),
    findFirstRecordByFilter: async (cx, _a, col: unknown, filter: unknown, params?: unknown) =>
      must(
        await findFirstRecordByFilter(
          cx.plugin.app,
          resolveCollection(cx, col),
          String(filter ?? ""),
          (params ?? {}) as { [k: string]: unknown },
        ),
      ),
    countRecords: async (cx, _a, col: unknown, ...exprs: unknown[]) => {
      const q = recordsWhere(cx, col, exprs, "COUNT(*) AS n");
      return (await cx.plugin.app.db.get<{ n: number }>(q.sql, q.args))!.n;
    },
    findAuthRecordByEmail: async (cx, _a, col: unknown, email: unknown) =>
      must(await findAuthRecordByEmail(cx.plugin.app, resolveCollection(cx, col), String(email ?? ""))),
    findAuthRecordByToken: async (cx, _a, token: unknown, ...types: unknown[]) =>
      must(
        await findAuthRecordByToken(
          cx.plugin.app,
          String(token ?? ""),
          ...((types.length ? types : ["auth"]).map(String) as TokenType[]),
        ),
      ),
    recordQueryTable: (cx, _a, col: unknown) => resolveCollection(cx, col).name,
    dbDialect: (cx) => cx.plugin.app.db.dialect.name,
    expandRecord: async (cx, _a, record: Record, paths: unknown) => {
      const failed = await expandRecords(cx.plugin.app, [record], (Array.isArray(paths) ? paths : []).map(String));
      return Object.fromEntries([...failed].map(([k, e]) => [k, e.message]));
    },
    expandRecords: async (cx, _a, records: Record[], paths: unknown) => {
      const failed = await expandRecords(
        cx.plugin.app,
        Array.isArray(records) ? records : [],
        (Array.isArray(paths) ? paths : []).map(String),
      );
      return Object.fromEntries([...failed].map(([k, e]) => [k, e.message]));
    },
    canAccessRecord: async (cx, _a, record: Record, info: unknown, rule: unknown) =>
      await canAccessRecord(
        cx.plugin.app,
        record,
        info instanceof RequestInfo ? info : new RequestInfo((info ?? {}) as object),
        rule === null || rule === undefined ? null : String(rule),
      ),

    // --- models
    save: (cx, _a, m: unknown) => save(cx, m, true),
    saveWithContext: (cx, _a, _ctx: unknown, m: unknown) => save(cx, m, true),
    saveNoValidate: (cx, _a, m: unknown) => save(cx, m, false),
    saveNoValidateWithContext: (cx, _a, _ctx: unknown, m: unknown) => save(cx, m, false),
    validate: async (cx, _a, m: unknown) => {
      if (m instanceof Record) return validateRecord(cx.plugin.app, m);
      if (m instanceof Collection) return validateCollectionModel(cx.plugin.app, m);
    },
    validateWithContext: async (cx, _a, _ctx: unknown, m: unknown) => {
      if (m instanceof Record) return validateRecord(cx.plugin.app, m);
      if (m instanceof Collection) return validateCollectionModel(cx.plugin.app, m);
    },
    delete: (cx, _a, m: unknown) => del(cx, m),
    deleteWithContext: (cx, _a, _ctx: unknown, m: unknown) => del(cx, m),
    runInTransaction: async (cx, app, fn: unknown) => {
      if (typeof fn !== "function") throw new Error("runInTransaction expects a function");
      await app.runInTransaction(async () => checkCallbackResult(await fn(app), "runInTransaction"));
    },
    isTransactional: (_cx, app) => app.inTransaction,

    // --- collections
    findCollectionByNameOrId: (cx, _a, nameOrId: unknown) =>
      must(cx.plugin.app.findCollection(String(nameOrId ?? ""))).clone(),
    findCachedCollectionByNameOrId: (cx, _a, nameOrId: unknown) =>
      must(cx.plugin.app.findCollection(String(nameOrId ?? ""))),
    findAllCollections: (cx, _a, ...types: unknown[]) => {
      const list = cx.plugin.app.collections().map((c) => c.clone());
      return types.length ? list.filter((c) => types.map(String).includes(c.type)) : list;
    },
    findCollectionReferences: (cx, _a, col: unknown, ...exclude: unknown[]) => {
      const target = resolveCollection(cx, col);
      const out: { [id: string]: unknown[] } = {};
      for (const c of cx.plugin.app.collections()) {
        if (exclude.map(String).includes(c.id)) continue;
        const refs = c.fields.filter(
          (f) => f.type === "relation" && (f as unknown as { collectionId: string }).collectionId === target.id,
        );
        if (refs.length) out[c.id] = refs;
      }
      return out;
    },
    findCachedCollectionReferences: (cx, a, col: unknown, ...exclude: unknown[]) =>
      appMethod(cx, "findCollectionReferences")(cx, a, col, ...exclude),
    isCollectionNameUnique: (cx, _a, name: unknown, ...exclude: unknown[]) => {
      const c = cx.plugin.app.findCollection(String(name ?? ""));
      return !c || exclude.map(String).includes(c.id);
    },
    importCollections: async (cx, _a, data: unknown, deleteMissing: unknown) =>
      importCollections(cx.plugin.app, toPlain(data) as { [k: string]: unknown }[], !!deleteMissing),
    importCollectionsByMarshaledJSON: async (cx, _a, raw: unknown, deleteMissing: unknown) => {
      const text = raw instanceof Uint8Array ? Buffer.from(raw).toString("utf8") : String(raw ?? "[]");
      return importCollections(cx.plugin.app, JSON.parse(text), !!deleteMissing);
    },
    truncateCollection: (cx, _a, col: unknown) => truncateCollection(cx.plugin.app, resolveCollection(cx, col)),
    reloadCachedCollections: (_cx, app) => app.reloadCollections(),
    hasTable: (_cx, app, name: unknown) => app.hasTable(String(name ?? "")),
    tableColumns: (_cx, app, name: unknown) => app.tableColumns(String(name ?? "")),

    // --- raw queries (the prelude's db() builder)
    "db.execute": async (cx, _a, spec: QuerySpec) => new SqlResult(await executeSpec(cx.plugin.app, spec)),
    "db.all": async (cx, _a, spec: QuerySpec, records: unknown) => {
      const rows = await querySpec(cx.plugin.app, spec);
      const model = scanModel(cx, spec, records);
      return model ? rows.map(model) : rows;
    },
    "db.one": async (cx, _a, spec: QuerySpec, records: unknown) => {
      const rows = await querySpec(cx.plugin.app, { ...spec, ...(spec.kind === "select" ? { limit: 1 } : {}) });
      const row = rows[0];
      if (!row) return null;
      const model = scanModel(cx, spec, records);
      return model ? model(row) : row;
    },
    "db.column": async (cx, _a, spec: QuerySpec) => (await queryValues(cx.plugin.app, spec)).map((r) => r[0]),
    "db.row": async (cx, _a, spec: QuerySpec) => {
      const r = (await queryValues(cx.plugin.app, spec))[0];
      if (!r) throw new NoRowsError();
      return r;
    },

    // --- app state
    settings: (_cx, app) => app.settings(),
    reloadSettings: (_cx, app) => app.reloadSettings(),
    store: (_cx, app) => appStore(app),
    logger: (_cx, app) => new JsLogger(app),
    newMailClient: (_cx, app) => new JsMailer(app),
    isDev: (_cx, app) => app.isDev,
    dataDir: (_cx, app) => app.dataDir,
    encryptionEnv: (_cx, app) => app.encryptionKey,
    isBootstrapped: (_cx, app) => app.isBootstrapped,
    txInfo: (_cx, app) => (app.inTransaction ? {} : null),
    restart: (cx) => cx.plugin.restart(),
    cron: (cx) => cx.plugin.cronHandle(),
    unsafeWithoutHooks: () => {
      throw new Error("$app.unsafeWithoutHooks() is not supported by this server");
    },
    auxDB: () => {
      throw new Error("$app.auxDB() is not supported by this server");
    },
    newFilesystem: (_cx, app) => new JsFilesystem(newFilesystem(app), false),
    newBackupsFilesystem: (_cx, app) => new JsFilesystem(newBackupsFilesystem(app), true),
    subscriptionsBroker: (_cx, app) => subscriptionsBroker(app),
    // upstream's (ctx, name); a lone name is taken as the name
    createBackup: async (_cx, app, ...args: unknown[]) => {
      const name = args.length === 1 && typeof args[0] === "string" ? args[0] : args[1];
      await createBackup(app, String(name ?? ""));
    },
    restoreBackup: () => {
      throw new Error(
        "$app.restoreBackup() is not supported from JS hooks: the restore restarts the server under the running handler (use POST /api/backups/{key}/restore)",
      );
    },
    // --- schema helpers (each write in a transaction, joining the caller's when one is open)
    saveView: (_cx, app, name: unknown, query: unknown) =>
      app.runInTransaction(() => saveView(app, String(name ?? ""), String(query ?? ""))),
    deleteView: (_cx, app, name: unknown) => app.runInTransaction(() => deleteView(app, String(name ?? ""))),
    deleteTable: (_cx, app, name: unknown) => app.runInTransaction(() => app.deleteTable(String(name ?? ""))),
    createViewFields: (_cx, app, query: unknown) => createViewFields(app, String(query ?? "")),
    deleteExpiredMFAs: async (_cx, app) => void (await deleteExpiredMFAs(app)),
    deleteExpiredOTPs: async (_cx, app) => void (await deleteExpiredOTPs(app)),
    // --- logs (auxiliary.db)
    auxHasTable: (_cx, app, name: unknown) => app.auxHasTable(String(name ?? "")),
    // through the logs writer thread (it owns auxiliary.db's writes), after the queued entries
    auxVacuum: (_cx, app) => appLogger(app).exec("VACUUM"),
    findLogById: async (_cx, app, id: unknown) => must(await findLogById(app, String(id ?? ""))),
    logsStats: async (_cx, app, expr: unknown) => {
      const d = app.auxDb.dialect;
      const q = d.quoteIdent;
      const w = whereOf(d, expr === undefined || expr === null ? [] : [expr]);
      const sql = `SELECT count(${q("id")}) AS ${q("total")}, ${d.strftime(["'%Y-%m-%d %H:00:00'", q("created")])} AS ${q("date")} FROM ${q("_logs")}${w.sql ? ` WHERE ${w.sql}` : ""} GROUP BY ${q("date")} ORDER BY ${q("date")}`;
      const rows = await app.auxDb.all<{ total: number; date: string | null }>(sql, w.args);
      return rows.map((r) => ({ date: r.date ? r.date + ".000Z" : "", total: Number(r.total) }));
    },
    deleteOldLogs: async (_cx, app, before: unknown) => {
      const d = before instanceof Date ? before : new Date(String(before ?? "").replace(" ", "T"));
      if (Number.isNaN(d.getTime())) throw new Error("deleteOldLogs expects a date");
      await deleteOldLogs(app, d);
    },
    tableInfo: (_cx, app, name: unknown) => app.tableInfo(String(name ?? "")),
    tableIndexes: async (_cx, app, name: unknown) => Object.fromEntries(await app.tableIndexes(String(name ?? ""))),
    vacuum: (_cx, app) => app.vacuum(),
    findRecordByViewFile: async (cx, _a, view: unknown, field: unknown, filename: unknown) =>
      must(await findRecordByViewFile(cx.plugin.app, resolveCollection(cx, view), String(field), String(filename))),
    findAllExternalAuthsByRecord: byRecord("_externalAuths"),
    findAllExternalAuthsByCollection: byCollection("_externalAuths"),
    findFirstExternalAuthByExpr: async (cx, _a, expr: unknown) => {
      const q = recordsWhere(cx, "_externalAuths", [expr], "*");
      const row = await cx.plugin.app.db.get<{ [k: string]: unknown }>(q.sql + " LIMIT 1", q.args);
      return must(row ? Record.fromRow(q.c, row) : null);
    },
    deleteAllExternalAuthsByRecord: deleteByRecord("_externalAuths"),
    findAllMFAsByRecord: byRecord("_mfas"),
    findAllMFAsByCollection: byCollection("_mfas"),
    findMFAById: async (cx, _a, id: unknown) => must(await findRecordById(cx.plugin.app, "_mfas", String(id ?? ""))),
    deleteAllMFAsByRecord: deleteByRecord("_mfas"),
    findAllOTPsByRecord: byRecord("_otps"),
    findAllOTPsByCollection: byCollection("_otps"),
    findOTPById: async (cx, _a, id: unknown) => must(await findRecordById(cx.plugin.app, "_otps", String(id ?? ""))),
    deleteAllOTPsByRecord: deleteByRecord("_otps"),
    findAllAuthOriginsByRecord: byRecord("_authOrigins"),
    findAllAuthOriginsByCollection: byCollection("_authOrigins"),
    findAuthOriginById: async (cx, _a, id: unknown) =>
      must(await findRecordById(cx.plugin.app, "_authOrigins", String(id ?? ""))),
    findAuthOriginByRecordAndFingerprint: async (cx, _a, r: Record, fp: unknown) =>
      must(
        (
          await systemRecords(cx, "_authOrigins", "collectionRef = {:c} && recordRef = {:r} && fingerprint = {:f}", {
            c: r.collection.id,
            r: r.id,
            f: String(fp ?? ""),
          })
        )[0],
      ),
    deleteAllAuthOriginsByRecord: deleteByRecord("_authOrigins"),
    ...Object.fromEntries(
      APP_METHODS.map((name) => [
        name,
        () => {
          throw new Error(`$app.${name}() is not supported by this server`);
        },
      ]),
    ),
    ...Object.fromEntries(
      HOOK_NAMES.concat("onServe").map((name) => [
        name,
        () => {
          throw new Error(
            `$app.${name}() cannot be bound from JS: register with the global ${name === "onServe" ? "routerAdd/routerUse" : name}(handler) instead`,
          );
        },
      ]),
    ),
  },
});

/** `$app.cron()`: the scheduler cronAdd uses (jobs are listed; adding needs cronAdd's serialised handler). */
defineBinding<Cron>({
  name: "Cron",
  cls: Cron,
  methods: {
    add: () => {
      throw new Error(
        "$app.cron().add() is not supported from JS (the callback cannot be kept): use cronAdd(id, expr, handler)",
      );
    },
    mustAdd: () => {
      throw new Error("$app.cron().mustAdd() is not supported from JS: use cronAdd(id, expr, handler)");
    },
    remove: (_cx, c, id: unknown) => c.remove(String(id)),
    removeAll: (_cx, c) => c.removeAll(),
    total: (_cx, c) => c.total,
    jobs: (_cx, c) => c.jobs().map((j) => j.toJSON()),
    hasStarted: (_cx, c) => c.hasStarted,
    setInterval: () => {
      throw new Error("$app.cron().setInterval() is not supported by this server");
    },
    setTimezone: () => {
      throw new Error("$app.cron().setTimezone() is not supported by this server (jobs run in UTC)");
    },
    start: (_cx, c) => c.start(),
    stop: (_cx, c) => c.stop(),
  },
});

/** sql.Result. */
export class SqlResult {
  constructor(private readonly r: { lastInsertId: number; rowsAffected: number }) {}
  lastInsertId(): number {
    return this.r.lastInsertId;
  }
  rowsAffected(): number {
    return this.r.rowsAffected;
  }
}

defineBinding<SqlResult>({
  name: "SqlResult",
  cls: SqlResult,
  methods: {
    lastInsertId: (_cx, r) => r.lastInsertId(),
    rowsAffected: (_cx, r) => r.rowsAffected(),
  },
});

/** `$app.settings()`: every section is edited in place, then `$app.save(settings)`. */
defineBinding<Settings>({
  name: "Settings",
  cls: Settings,
  dynamic: true,
  methods: {
    clone: (_cx, s) =>
      typeof (s as unknown as { clone?: () => Settings }).clone === "function"
        ? (s as unknown as { clone: () => Settings }).clone()
        : s,
  },
});

defineBinding<JsStore>({
  name: "Store",
  cls: JsStore,
  methods: {
    get: (_cx, s, k: unknown) => s.get(String(k)),
    getOk: (_cx, s, k: unknown) => [s.get(String(k)), s.has(String(k))],
    has: (_cx, s, k: unknown) => s.has(String(k)),
    set: (_cx, s, k: unknown, v: unknown) => s.set(String(k), v),
    setIfLessThanLimit: (_cx, s, k: unknown, v: unknown, limit: unknown) =>
      s.setIfLessThanLimit(String(k), v, Number(limit) || 0),
    remove: (_cx, s, k: unknown) => s.remove(String(k)),
    removeAll: (_cx, s) => s.removeAll(),
    reset: (_cx, s, m: unknown) => s.reset((m ?? {}) as { [k: string]: unknown }),
    getAll: (_cx, s) => s.getAll(),
    values: (_cx, s) => Object.values(s.getAll()),
    length: (_cx, s) => s.length,
    getOrSet: (_cx, s, k: unknown, fn: unknown) =>
      s.exclusive(async () => {
        const key = String(k);
        if (s.has(key)) return s.get(key);
        const v = typeof fn === "function" ? await fn() : fn;
        s.set(key, v);
        return v;
      }),
    setFunc: (_cx, s, k: unknown, fn: unknown) =>
      s.exclusive(async () => {
        const key = String(k);
        const v = typeof fn === "function" ? await fn(s.get(key)) : fn;
        s.set(key, v);
        return v;
      }),
  },
});

defineBinding<JsLogger>({
  name: "Logger",
  cls: JsLogger,
  methods: {
    debug: (_cx, l, msg: unknown, ...kv: unknown[]) => l.log("DEBUG", String(msg ?? ""), kv),
    info: (_cx, l, msg: unknown, ...kv: unknown[]) => l.log("INFO", String(msg ?? ""), kv),
    warn: (_cx, l, msg: unknown, ...kv: unknown[]) => l.log("WARN", String(msg ?? ""), kv),
    error: (_cx, l, msg: unknown, ...kv: unknown[]) => l.log("ERROR", String(msg ?? ""), kv),
    with: (_cx, l, ...kv: unknown[]) => l.with(kv),
    withGroup: (_cx, l, name: unknown) => l.withGroup(String(name ?? "")),
  },
});

/** `$app.newMailClient()`: sends go through `onMailerSend`. */
export class JsMailer {
  private readonly mailer: Mailer;
  constructor(app: App) {
    this.mailer = newMailClient(app);
  }
  send(message: Message): Promise<void> {
    return this.mailer.send(message);
  }
}

defineBinding<JsMailer>({
  name: "MailClient",
  cls: JsMailer,
  methods: {
    send: async (_cx, m, msg: unknown) => m.send(toPlain(msg) as Message),
  },
});

defineBinding<Error>({
  name: "GoError",
  cls: Error,
  methods: {
    error: (_cx, e) => e.message,
    is: (_cx, e, other: unknown) => e === other,
  },
  props: {
    message: { get: (_cx, e) => e.message },
    status: { get: (_cx, e) => (e instanceof ApiError ? e.status : undefined) },
    data: { get: (_cx, e) => (e instanceof ApiError ? e.data : undefined) },
  },
});
