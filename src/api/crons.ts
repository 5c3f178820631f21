/** The crons API (upstream's apis/cron.go), superusers only: list the scheduled jobs and run one now. */
import { syncAutoBackupJob } from "../core/backups.ts";
import { runCronJob, sortedCronJobs } from "../core/crons.ts";
import { notFound } from "../core/errors.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { requireSuperuserAuth } from "./collections.ts";
import type { Router } from "./router.ts";

export function bindCronsApi(router: Router): void {
  const su = requireSuperuserAuth();
  router.get("/api/crons", cronsList, su);
  router.post("/api/crons/{id}", cronRun, su);
}

function cronsList(e: RequestEvent): void {
  syncAutoBackupJob(e.app); // show a `backups.cron` saved by another process right away
  e.json(200, sortedCronJobs(e.app));
}

/** Starts the job in the background and answers at once (204), as upstream. */
function cronRun(e: RequestEvent): void {
  if (!runCronJob(e.app, e.params.id ?? "")) throw notFound("Missing or invalid cron job");
  e.noContent(204);
}
