/**
 * The scheduler `cronAdd`/`cronRemove` register on. This is a seam: it is the app's own scheduler
 * once core exposes one (upstream's `app.Cron()`); until then jsvm keeps one Cron per app here and
 * starts it when the server starts, as upstream starts its scheduler only in `serve`.
 */
import type { App } from "../core/app.ts";
import { Cron } from "../tools/cron/index.ts";

const crons = new WeakMap<App, Cron>();

/** The scheduler JS cron jobs run on (created on first use). */
export function jsCron(app: App): Cron {
  let c = crons.get(app);
  if (!c) {
    c = new Cron({
      onError: (job, err) => console.error(`[cronAdd] failed to execute cron job ${JSON.stringify(job.id)}: ${(err as Error)?.message ?? err}`),
    });
    crons.set(app, c);
  }
  return c;
}
