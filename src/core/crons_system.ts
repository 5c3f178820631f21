/**
 * The operations side of a serving app, wired once per app (idempotent): upstream's system cron
 * jobs, the scheduler's start on serve and stop on terminate, the auto-backup job that follows
 * `backups.cron`, and what a settings reload does to stored logs.
 *
 * System jobs: `__pbDBOptimize__` (WAL checkpoint of both databases + PRAGMA optimize, daily),
 * `__pbLogsCleanup__` (logs older than `logs.maxDays`, every 6 hours), `__pbMFACleanup__` and
 * `__pbOTPCleanup__` (hourly), `__pbAutoBackup__` (from the settings).
 */
import type { App } from "./app.ts";
import { syncAutoBackupJob } from "./backups.ts";
import { appCron, cronAdd, onCronTick } from "./crons.ts";
import { appLogger, deleteOldLogs, pruneLogsForSettings } from "./logs.ts";
import { deleteExpiredMFAs } from "./mfa.ts";
import { deleteExpiredOTPs } from "./otp.ts";

const registered = new WeakSet<App>();

export function registerSystemCrons(app: App): void {
  if (registered.has(app)) return;
  registered.add(app);
  const logger = appLogger(app); // binds the flush on terminate

  cronAdd(app, "__pbDBOptimize__", "0 0 * * *", async () => {
    // each Db checkpoints off the JS thread (it waits for readers)
    for (const [db, what] of [
      [app.db, "main"],
      [app.auxDb, "auxiliary"],
    ] as const) {
      try {
        await db.checkpoint();
      } catch (err) {
        logger.warn(`Failed to run periodic PRAGMA wal_checkpoint for the ${what} DB`, { error: err });
      }
    }
    try {
      await app.db.optimize(); // uses what this connection's queries taught it
    } catch (err) {
      logger.warn("Failed to run periodic PRAGMA optimize", { error: err });
    }
  });

  cronAdd(app, "__pbLogsCleanup__", "0 */6 * * *", async () => {
    try {
      await deleteOldLogs(app, new Date(Date.now() - app.settings().logs.maxDays * 86_400_000));
    } catch (err) {
      logger.warn("Failed to delete old logs", { error: err });
    }
  });

  cronAdd(app, "__pbMFACleanup__", "0 * * * *", async () => {
    try {
      await deleteExpiredMFAs(app);
    } catch (err) {
      logger.warn("Failed to delete expired MFA sessions", { error: err });
    }
  });

  cronAdd(app, "__pbOTPCleanup__", "0 * * * *", async () => {
    try {
      await deleteExpiredOTPs(app);
    } catch (err) {
      logger.warn("Failed to delete expired OTP sessions", { error: err });
    }
  });

  syncAutoBackupJob(app);
  onCronTick(app, () => syncAutoBackupJob(app));

  app.onSettingsReload.bind({
    id: "__pbOperationsOnSettingsReload__",
    priority: -999,
    func: async (e) => {
      await e.next();
      syncAutoBackupJob(e.app);
      try {
        await pruneLogsForSettings(e.app);
      } catch (err) {
        logger.debug("Failed to cleanup old logs", { error: err });
      }
    },
  });

  app.onServe.bind({
    id: "__pbCronStart__",
    priority: 999,
    func: (e) => {
      appCron(app).start();
      return e.next();
    },
  });

  app.onTerminate.bind({
    id: "__pbCronStop__",
    func: (e) => {
      // an in-process restart keeps the schedule running on the re-bootstrapped app
      if (!e.isRestart) appCron(app).stop();
      return e.next();
    },
  });
}
