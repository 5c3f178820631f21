/** `GET /api/health`: a liveness answer, with a few diagnostics for superusers (the dashboard shows them). */
import { activeBackup } from "../core/backups.ts";
import { clusterNode } from "../core/cluster.ts";
import type { Router } from "./router.ts";

export { ACTIVE_BACKUP_KEY } from "../core/backups.ts";

/** Headers that suggest a reverse proxy in front, after the configured trusted ones. */
const COMMON_PROXY_HEADERS = ["CF-Connecting-IP", "Fly-Client-IP"]; // upstream also lists X-Forwarded-For, spelled with a non-ASCII hyphen, so it never matches

export function bindHealthApi(router: Router) {
  router.get("/api/health", (e) => {
    let data: Record<string, unknown> = {};
    if (e.hasSuperuserAuth()) {
      const headers = [...e.app.settings().trustedProxy.headers, ...COMMON_PROXY_HEADERS];
      let possibleProxyHeader = "";
      for (const h of headers) {
        try {
          if (e.request.headers.get(h)) {
            possibleProxyHeader = h;
            break;
          }
        } catch {
          // not a valid header name
        }
      }
      // a Go map: keys sorted
      const dialect = e.app.db.dialect.name;
      data = { canBackup: dialect === "sqlite" && activeBackup(e.app) === null, possibleProxyHeader, realIP: e.realIP };
      // which engine runs, said only when it is not upstream's (the SQLite answer stays byte-identical)
      if (dialect !== "sqlite") {
        data = { canBackup: false, dbDialect: dialect };
        // which node of the cluster answered, and whether it leads (runs the crons)
        const node = clusterNode(e.app);
        if (node) data = { ...data, leader: node.leader, node: node.id };
        data = { ...data, possibleProxyHeader, realIP: e.realIP };
      }
    }
    e.json(200, { message: "API is healthy.", code: 200, data });
  });
}
