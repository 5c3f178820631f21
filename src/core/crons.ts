/**
 * The app's cron scheduler (upstream's `app.Cron()`): one per app, ticking every minute in UTC once
 * the server starts (on a cluster of nodes, running jobs on the leader only). System jobs (`__pb*`)
 * are registered by `registerOperations`; hooks and plugins add their own with `cronAdd`.
 *
 * @example
 * cronAdd(app, "nightlyReport", "0 3 * * *", async () => { ... });
 * cronRemove(app, "nightlyReport");
 */
import { Cron, type Job, type JobFunc } from "../tools/cron/index.ts";
import type { App } from "./app.ts";
import { isClusterLeader } from "./cluster.ts";
import { appLogger } from "./logs.ts";

const crons = new WeakMap<App, Cron>();
const tickListeners = new WeakMap<App, (() => void)[]>();

/** The app's scheduler (created on first use; it ticks only once started, normally on serve). */
export function appCron(app: App): Cron {
  let cron = crons.get(app);
  if (!cron) {
    cron = new Cron({
      onError: (job, err) => reportJobError(app, job, err),
      beforeTick: () => {
        for (const fn of tickListeners.get(app) ?? []) fn();
      },
      // on a cluster every node knows every job, the leader alone runs them on schedule
      shouldRunDue: () => isClusterLeader(app),
    });
    crons.set(app, cron);
  }
  return cron;
}

/** Runs `fn` at every tick before due jobs are picked (system jobs that follow the settings use it). */
export function onCronTick(app: App, fn: () => void): void {
  tickListeners.set(app, [...(tickListeners.get(app) ?? []), fn]);
}

/**
 * Registers (or replaces) the job `id` on the app's scheduler. `expr` is a 5-field cron expression
 * or a macro such as `@daily`; throws on an invalid one. The job runs only while the app is bootstrapped.
 */
export function cronAdd(app: App, id: string, expr: string, fn: JobFunc): Job {
  return appCron(app).add(id, expr, async () => {
    if (!app.isBootstrapped) return;
    await fn();
  });
}

/** Removes the job `id` (if registered). */
export function cronRemove(app: App, id: string): void {
  appCron(app).remove(id);
}

/** Upstream's listing order: user jobs by id, then the system (`__pb`) jobs as registered. */
export function sortedCronJobs(app: App): Job[] {
  const jobs = appCron(app).jobs();
  const user = jobs.filter((j) => !j.id.startsWith("__pb")).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return [...user, ...jobs.filter((j) => j.id.startsWith("__pb"))];
}

/** Runs a job now, in the background (`POST /api/crons/{id}`); false when there is no such job. */
export function runCronJob(app: App, id: string): boolean {
  const cron = appCron(app);
  const job = cron.job(id);
  if (!job) return false;
  cron.fire(job);
  return true;
}

function reportJobError(app: App, job: Job, err: unknown): void {
  appLogger(app).error(`[Cron] Job "${job.id}" failed`, { error: err });
}
