/**
 * The logs API (upstream's apis/logs.go), superusers only: list and filter `_logs`, hourly stats,
 * one log, and truncate (`DELETE /api/logs`, upstream's next release, which js-sdk 0.28 calls).
 * Successful requests here are not logged themselves.
 */
import { badRequest, noRows, notFound } from "../core/errors.ts";
import { LOGS_TABLE, findLogById, logsStats, searchLogs, truncateLogs } from "../core/logs.ts";
import { LOG_LIST_FIELDS, buildTableFilter } from "../core/record_search.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { SelectQuery, SqlParams } from "../tools/search/index.ts";
import { requireSuperuserAuth } from "./collections.ts";
import { skipSuccessActivityLog } from "./middlewares/activity_logger.ts";
import type { Router } from "./router.ts";

export function bindLogsApi(router: Router): void {
  const mws = [requireSuperuserAuth(), skipSuccessActivityLog()];
  router.get("/api/logs", logsList, ...mws);
  router.delete("/api/logs", logsTruncate, ...mws);
  router.get("/api/logs/stats", logsStatsHandler, ...mws);
  router.get("/api/logs/{id}", logView, ...mws);
}

async function logsList(e: RequestEvent): Promise<void> {
  const q = e.url.searchParams;
  const result = await searchLogs(e.app, {
    filter: q.get("filter") ?? undefined,
    sort: q.get("sort") ?? undefined,
    page: q.get("page") ?? undefined,
    perPage: q.get("perPage") ?? undefined,
    skipTotal: q.get("skipTotal") ?? undefined,
  });
  e.json(200, result);
}

async function logsStatsHandler(e: RequestEvent): Promise<void> {
  const filter = e.url.searchParams.get("filter") ?? "";
  let where: { sql: string; query: SelectQuery } | undefined;
  if (filter !== "") {
    const query = new SelectQuery(LOGS_TABLE, new SqlParams(e.app.auxDb.dialect));
    try {
      where = { sql: buildTableFilter(filter, LOG_LIST_FIELDS, query), query };
    } catch (err) {
      throw badRequest("Invalid filter format.", {}, err);
    }
  }
  let stats;
  try {
    stats = await logsStats(e.app, where);
  } catch (err) {
    throw badRequest("Failed to generate logs stats.", {}, err);
  }
  e.json(200, stats);
}

async function logView(e: RequestEvent): Promise<void> {
  const id = e.params.id ?? "";
  if (id === "") throw notFound();
  const log = await findLogById(e.app, id);
  if (!log) throw notFound("", {}, noRows());
  e.json(200, log);
}

async function logsTruncate(e: RequestEvent): Promise<void> {
  await truncateLogs(e.app);
  e.noContent(204);
}
