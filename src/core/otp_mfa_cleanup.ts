/**
 * The hourly purge of expired OTPs and MFA sessions (upstream's `__pbOTPCleanup__` and
 * `__pbMFACleanup__` crons, at minute 0). A plain timer until the cron scheduler lands; it never
 * keeps the process alive and stops when the app terminates.
 */
import type { App } from "./app.ts";
import { deleteExpiredMFAs } from "./mfa.ts";
import { deleteExpiredOTPs } from "./otp.ts";

const started = new WeakSet<App>();

/** Starts the cleanup for `app` (once; later calls do nothing). */
export function startOTPAndMFACleanup(app: App): void {
  if (started.has(app)) return;
  started.add(app);
  let timer: ReturnType<typeof setTimeout> | null = null;
  const schedule = () => {
    const now = new Date();
    const nextHour = new Date(now);
    nextHour.setMinutes(60, 0, 0);
    timer = setTimeout(run, nextHour.getTime() - now.getTime());
    timer.unref?.();
  };
  const run = async () => {
    try {
      if (app.isBootstrapped) await runOTPAndMFACleanup(app);
    } finally {
      if (started.has(app)) schedule();
    }
  };
  schedule();
  app.onTerminate.bind({
    id: "__pbOTPAndMFACleanupStop__",
    func: (e) => {
      if (timer) clearTimeout(timer);
      started.delete(app);
      return e.next();
    },
  });
}

/** Deletes the expired OTPs and MFA sessions now; failures are only logged. */
export async function runOTPAndMFACleanup(app: App): Promise<void> {
  try {
    await deleteExpiredOTPs(app);
  } catch (err) {
    console.warn("Failed to delete expired OTP sessions:", err instanceof Error ? err.message : err);
  }
  try {
    await deleteExpiredMFAs(app);
  } catch (err) {
    console.warn("Failed to delete expired MFA sessions:", err instanceof Error ? err.message : err);
  }
}
