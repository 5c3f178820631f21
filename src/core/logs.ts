/**
 * App logs (upstream's slog batch handler and core/log_*.go): entries are queued in memory and
 * written to `_logs` in auxiliary.db in one transaction per batch — when 200 are waiting or 3 s
 * after the first of a batch — so logging never holds up a request. Entries below
 * `logs.minLevel` are dropped, nothing is stored while `logs.maxDays` is 0, and `--dev` also
 * prints every entry to the console.
 *
 * @example
 * appLogger(app).error("Failed to send email", { to: "a@b.c", error: err });
 */
import type { App } from "./app.ts";
import { ApiError, ValidationErrors, badRequest } from "./errors.ts";
import { formatDateTime } from "./fields/index.ts";
import { rawErrorsJSON } from "./validators/validation.ts";
import {
  FilterError,
  SelectQuery,
  SimpleFieldResolver,
  SqlParams,
  parseGoBool,
  parseGoInt,
  parseSort,
  runSearch,
  type SearchResult,
  type SqlReader,
} from "../tools/search/index.ts";
import { LOG_LIST_FIELDS } from "./record_search.ts";
import { DbLogWriter, LogWriter, type LogRow, type LogSink } from "./db/logs_writer.ts";
import { goMarshal, sortKeys } from "../tools/json.ts";

export const LOGS_TABLE = "_logs";

/** slog's levels, as stored in `_logs.level`. */
export const LOG_LEVEL = { DEBUG: -4, INFO: 0, WARN: 4, ERROR: 8 } as const;

/** Entries written per batch (upstream's BatchSize). */
export const LOG_BATCH_SIZE = 200;
/** Longest time an entry waits in memory before its batch is written. */
export const LOG_FLUSH_DELAY_MS = 3000;

/** A stored log, in upstream's JSON key order. */
export interface Log {
  id: string;
  created: string;
  data: { [key: string]: unknown };
  message: string;
  level: number;
}

interface PendingLog {
  time: Date;
  level: number;
  message: string;
  data: { [key: string]: unknown };
}

/** Writes app logs to `_logs` in batches; get the app's instance with `appLogger(app)`. */
export class AppLogger {
  private queue: LogRow[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private writer: LogSink | null = null;
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly app: App) {}

  debug(message: string, data?: { [key: string]: unknown }): void {
    this.log(LOG_LEVEL.DEBUG, message, data);
  }
  info(message: string, data?: { [key: string]: unknown }): void {
    this.log(LOG_LEVEL.INFO, message, data);
  }
  warn(message: string, data?: { [key: string]: unknown }): void {
    this.log(LOG_LEVEL.WARN, message, data);
  }
  error(message: string, data?: { [key: string]: unknown }): void {
    this.log(LOG_LEVEL.ERROR, message, data);
  }

  /** Queues one entry (`data` values may be errors; they are stored as their messages). */
  log(level: number, message: string, data: { [key: string]: unknown } = {}): void {
    const app = this.app;
    if (!app.isBootstrapped) return;
    const logs = app.settings().logs;
    const normalized = normalizeLogData(data);
    if (app.isDev) printLog({ time: new Date(), level, message, data: normalized });
    if (level < logs.minLevel || logs.maxDays <= 0) return;
    this.queue.push([level, message, goMarshal(sortKeys(normalized)), Date.now()]);
    if (this.queue.length >= LOG_BATCH_SIZE) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), LOG_FLUSH_DELAY_MS);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  /** Number of entries waiting to be handed to the writer. */
  get pending(): number {
    return this.queue.length;
  }

  /** Hands every queued entry to the writer; resolves once everything handed so far is stored. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length > 0 && this.app.isBootstrapped && this.app.settings().logs.maxDays > 0) {
      this.writer ??= newLogSink(this.app);
      this.last = this.writer.write(batch);
    }
    return this.last;
  }

  /**
   * Runs a write statement on `_logs` through the writer thread, after what is queued (see
   * LogWriter.exec). Rejects with the SQLite error.
   */
  async exec(sql: string, params: unknown[] = []): Promise<void> {
    if (!this.app.isBootstrapped) throw new Error("the app is not bootstrapped");
    await this.flush();
    this.writer ??= newLogSink(this.app);
    const done = this.writer.exec(sql, params);
    this.last = done.catch(() => {});
    await done;
  }

  /** Writes what is queued, then ends the writer thread (it restarts on the next entry). */
  async close(): Promise<void> {
    await this.flush();
    const w = this.writer;
    this.writer = null;
    await w?.close();
  }
}

/** SQLite logs through its writer thread (its own connection, off the JS thread); other engines through the aux pool. */
function newLogSink(app: App): LogSink {
  const aux = app.auxDb;
  return aux.dialect.name === "sqlite" ? new LogWriter(aux.location) : new DbLogWriter(aux);
}

const loggers = new WeakMap<App, AppLogger>();

/**
 * The app's logger (created on first use). Queued entries are written, and the writer's connection
 * closed, before the app terminates (or restarts).
 */
export function appLogger(app: App): AppLogger {
  let logger = loggers.get(app);
  if (!logger) {
    const created = new AppLogger(app);
    logger = created;
    loggers.set(app, created);
    app.onTerminate.bind({
      id: "__pbAppLoggerOnTerminate__",
      priority: -999,
      func: async (e) => {
        await created.close();
        return e.next();
      },
    });
  }
  return logger;
}

/** Log data made JSON-ready: errors become their messages (validation errors their field map). */
export function normalizeLogData(data: { [key: string]: unknown }): { [key: string]: unknown } {
  const out: { [key: string]: unknown } = {};
  for (const [k, v] of Object.entries(data)) if (v !== undefined) out[k] = normalizeLogValue(v);
  return out;
}

/** One log value made JSON-ready (upstream's normalizeLogAttrValue). */
export function normalizeLogValue(v: unknown): unknown {
  if (v instanceof ValidationErrors) return rawErrorsJSON(v);
  if (v instanceof ApiError) return v.message;
  if (v instanceof Error) return v.message;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(normalizeLogValue);
  if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: { [key: string]: unknown } = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalizeLogValue(x);
    return out;
  }
  return v;
}

/** A `_logs` row as the API returns it. */
export function logFromRow(row: { [key: string]: unknown }): Log {
  let data: { [key: string]: unknown } = {};
  const raw = row.data;
  const text = raw instanceof Uint8Array ? new TextDecoder().decode(raw) : typeof raw === "string" ? raw : "";
  try {
    const parsed = JSON.parse(text || "{}");
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) data = parsed;
  } catch {
    // keep {}
  }
  return {
    id: String(row.id ?? ""),
    created: String(row.created ?? ""),
    data: sortKeys(data),
    message: String(row.message ?? ""),
    level: Number(row.level ?? 0),
  };
}

/** The log with `id`, or null. */
export async function findLogById(app: App, id: string): Promise<Log | null> {
  const q = app.auxDb.dialect.quoteIdent;
  const row = await app.auxDb.get(`SELECT * FROM ${q(LOGS_TABLE)} WHERE ${q("id")} = ? LIMIT 1`, [id]);
  return row ? logFromRow(row) : null;
}

/**
 * Where heavy `_logs` reads run: auxiliary.db's worker-thread reader when the engine has one (`_logs`
 * grows large, and counting or filtering it must not stall the server), else the database itself.
 * The reader is closed with the app's databases.
 */
export function logsReader(app: App): SqlReader {
  return app.auxDb.readPool ?? app.auxDb;
}

/** The list parameters of `GET /api/logs`, as raw query strings. */
export interface LogsListParams {
  filter?: string;
  sort?: string;
  page?: string;
  perPage?: string;
  skipTotal?: string;
}

/**
 * One page of logs with upstream's filter, sort and pagination (the fields of LOG_LIST_FIELDS),
 * run on the logs reader. Invalid parameters or filters are upstream's generic 400.
 */
export async function searchLogs(app: App, p: LogsListParams): Promise<SearchResult<Log>> {
  const opts: { page?: number; perPage?: number; skipTotal?: boolean } = {};
  if (p.skipTotal) {
    const v = parseGoBool(p.skipTotal);
    if (v === null) throw badRequest("", {}, new FilterError(`invalid skipTotal value ${JSON.stringify(p.skipTotal)}`));
    opts.skipTotal = v;
  }
  for (const key of ["page", "perPage"] as const) {
    const raw = p[key];
    if (!raw) continue;
    const v = parseGoInt(raw);
    if (v === null) throw badRequest("", {}, new FilterError(`invalid ${key} value ${JSON.stringify(raw)}`));
    opts[key] = v;
  }
  try {
    const result = await runSearch<{ [key: string]: unknown }>(
      logsReader(app),
      new SelectQuery(LOGS_TABLE, new SqlParams(app.auxDb.dialect)),
      new SimpleFieldResolver(LOG_LIST_FIELDS),
      {
        ...opts,
        filter: p.filter ? [p.filter] : [],
        sort: p.sort ? parseSort(p.sort) : [],
        countColUnique: true, // `id` is the primary key
      },
    );
    return { ...result, items: result.items.map(logFromRow) };
  } catch (err) {
    throw err instanceof ApiError ? err : badRequest("", {}, err);
  }
}

/** One hour of the logs stats. */
export interface LogsStatsItem {
  date: string;
  total: number;
}

/**
 * Logs counted per hour (upstream's LogsStats), on the logs reader. `where` is an SQL condition
 * built on `query`'s params (see buildTableFilter); without it every log counts.
 */
export async function logsStats(app: App, where?: { sql: string; query: SelectQuery }): Promise<LogsStatsItem[]> {
  const query = where?.query ?? new SelectQuery(LOGS_TABLE, new SqlParams(app.auxDb.dialect));
  const d = app.auxDb.dialect;
  const q = d.quoteIdent;
  // SQLite: upstream's strftime; elsewhere the same text from the stored date's first 13 characters
  // ("2006-01-02 15"), which the hourly index covers — a strftime emulation costs per row there
  const hour =
    d.name === "sqlite"
      ? d.strftime(["'%Y-%m-%d %H:00:00'", q("created")])
      : `(substr(${q("created")}, 1, 13) || ':00:00')`;
  let sql = `SELECT count(${q("id")}) AS ${q("total")}, ${hour} AS ${q("date")} FROM ${q(LOGS_TABLE)}`;
  if (where?.sql) sql += " WHERE " + where.sql;
  sql += ` GROUP BY ${q("date")} ORDER BY ${q("date")}`;
  const { sql: finalSql, bindings } = query.params.finalize(sql);
  const rows = await logsReader(app).all<{ total: number; date: string | null }>(finalSql, bindings);
  return rows.map((r) => ({ date: r.date ? r.date + ".000Z" : "", total: Number(r.total) }));
}

/** Deletes the logs created at or before `before` (upstream's DeleteOldLogs), on the writer thread. */
export async function deleteOldLogs(app: App, before: Date): Promise<void> {
  const q = app.auxDb.dialect.quoteIdent;
  await appLogger(app).exec(`DELETE FROM ${q(LOGS_TABLE)} WHERE ${q("created")} <= ?`, [formatDateTime(before)]);
}

/** Deletes every log (`DELETE /api/logs`), on the writer thread. */
export async function truncateLogs(app: App): Promise<void> {
  await appLogger(app).exec(`DELETE FROM ${app.auxDb.dialect.quoteIdent(LOGS_TABLE)}`);
}

/**
 * What a settings change does to stored logs (upstream's reload handler): drops logs older than
 * `maxDays` or below `minLevel`, and reclaims the space with VACUUM when logging is off.
 */
export async function pruneLogsForSettings(app: App): Promise<void> {
  const { maxDays, minLevel } = app.settings().logs;
  const before = new Date(Date.now() - maxDays * 86_400_000);
  const logger = appLogger(app);
  const q = app.auxDb.dialect.quoteIdent;
  await logger.exec(`DELETE FROM ${q(LOGS_TABLE)} WHERE ${q("created")} <= ? OR ${q("level")} < ?`, [
    formatDateTime(before),
    minLevel,
  ]);
  if (maxDays === 0) await logger.exec("VACUUM");
}

// --- console output in --dev ----------------------------------------------------------------------

const COLORS = !process.stdout.isTTY
  ? null
  : {
      reset: "\x1b[0m",
      bold: "\x1b[1m",
      gray: "\x1b[90m",
      white: "\x1b[37m",
      yellow: "\x1b[33m",
      red: "\x1b[31m",
      hiRed: "\x1b[91m",
      cyan: "\x1b[36m",
    };

function paint(codes: string[], s: string): string {
  return COLORS ? codes.join("") + s + COLORS.reset : s;
}

/** Prints an entry as upstream's dev console does: level, message, then request errors or the data. */
function printLog(l: PendingLog): void {
  const c = COLORS;
  let head: string;
  switch (l.level) {
    case LOG_LEVEL.DEBUG:
      head = paint([c?.bold ?? "", c?.gray ?? ""], "DEBUG ") + paint([c?.white ?? ""], l.message);
      break;
    case LOG_LEVEL.INFO:
      head = paint([c?.bold ?? "", c?.white ?? ""], "INFO ") + paint([c?.white ?? ""], l.message);
      break;
    case LOG_LEVEL.WARN:
      head = paint([c?.bold ?? "", c?.yellow ?? ""], "WARN ") + paint([c?.yellow ?? ""], l.message);
      break;
    case LOG_LEVEL.ERROR:
      head = paint([c?.bold ?? "", c?.red ?? ""], "ERROR ") + paint([c?.red ?? ""], l.message);
      break;
    default:
      head = paint([c?.bold ?? "", c?.cyan ?? ""], `[${l.level}] `) + paint([c?.cyan ?? ""], l.message);
  }
  let out = head + "\n";
  if (l.data.type === "request") {
    let pad = 0;
    for (const k of ["error", "details"]) {
      const v = l.data[k];
      if (v !== undefined && v !== null) {
        out += paint([c?.hiRed ?? ""], `${" ".repeat(pad)}└─ ${typeof v === "string" ? v : JSON.stringify(v)}`) + "\n";
        pad += 3;
      }
    }
  } else if (Object.keys(l.data).length > 0) {
    out += paint([c?.gray ?? ""], `└─ ${JSON.stringify(l.data)}`) + "\n";
  }
  process.stdout.write(out);
}
