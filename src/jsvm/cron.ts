/**
 * The scheduler `cronAdd`/`cronRemove` register on: the app's own (core's `appCron`, upstream's
 * `app.Cron()`), which starts with `serve`, lists the jobs in `/api/crons` and runs them in UTC.
 */
import type { App } from "../core/app.ts";
import { appCron } from "../core/crons.ts";
import type { Cron } from "../tools/cron/index.ts";

/** The scheduler JS cron jobs run on. */
export function jsCron(app: App): Cron {
  return appCron(app);
}
