/** `GET /api/health`: a liveness answer, with a few diagnostics for superusers (the dashboard shows them). */
import type { Router } from "./router.ts";

/** Set by the backup tool while a backup or restore runs. */
export const ACTIVE_BACKUP_KEY = "@activeBackup";

export function bindHealthApi(router: Router, state: { activeBackup: () => boolean }) {
  router.get("/api/health", (e) => {
    let data: Record<string, unknown> = {};
    if (e.hasSuperuserAuth()) {
      const headers = [...((e.app.settings().trustedProxy?.headers as string[] | undefined) ?? []), "CF-Connecting-IP", "Fly-Client-IP"];
      const possibleProxyHeader = headers.find((h) => e.request.headers.get(h)) ?? "";
      // a Go map: keys sorted
      data = { canBackup: !state.activeBackup(), possibleProxyHeader, realIP: e.realIP };
    }
    e.json(200, { message: "API is healthy.", code: 200, data });
  });
}
