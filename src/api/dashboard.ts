/**
 * The admin dashboard at `/_/`: the embedded `public/` bundle, no index fallback, gzip, long cache
 * headers outside dev mode and upstream's default CSP.
 */
import { join } from "node:path";
import type { RequestEvent } from "../core/request_event.ts";
import type { Router } from "./router.ts";
import { staticHandler } from "./static.ts";

/** Inside the binary every module's import.meta.dir is /$bunfs/root, where `--asset public` lands. */
export const DASHBOARD_DIR = Bun.isStandaloneExecutable
  ? join(import.meta.dir, "public")
  : join(import.meta.dir, "../../public");

const CSP =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' http://127.0.0.1:* https://tile.openstreetmap.org data: blob:; " +
  "connect-src 'self' http://127.0.0.1:* https://nominatim.openstreetmap.org; script-src 'self' http://127.0.0.1:*; frame-ancestors 'none'";

export function bindDashboard(router: Router, dir = DASHBOARD_DIR) {
  const serve = staticHandler(dir, false, "/_");
  router.get("/_", (e) => {
    e.responseHeaders.set("Location", "/_/");
    e.send(301, null);
  });
  router.get(
    "/_/{path...}",
    serve,
    {
      func: (e) => {
        if (!e.app.isDev && (e.params.path ?? "") !== "" && !e.responseHeaders.has("Cache-Control")) {
          e.responseHeaders.set("Cache-Control", "max-age=1209600, stale-while-revalidate=86400");
        }
        if (!e.responseHeaders.has("Content-Security-Policy")) e.responseHeaders.set("Content-Security-Policy", CSP);
        return e.next();
      },
    },
    { func: gzip },
  );
}

const gzipCache = new Map<string, Uint8Array>();

/** Compresses the written response when the client accepts gzip (assets are immutable, so cached). */
async function gzip(e: RequestEvent): Promise<void> {
  await e.next();
  const res = e.response;
  const accepts = /\bgzip\b/.test(e.request.headers.get("Accept-Encoding") ?? "");
  if (!res || !accepts || res.status !== 200 || !res.body || e.method === "HEAD") return;
  const key = e.url.pathname;
  let body = gzipCache.get(key);
  if (!body) {
    body = Bun.gzipSync(new Uint8Array(await res.arrayBuffer()));
    gzipCache.set(key, body);
  }
  const headers = new Headers(res.headers);
  headers.set("Content-Encoding", "gzip");
  headers.append("Vary", "Accept-Encoding");
  headers.delete("Content-Length");
  e.response = new Response(body, { status: 200, headers });
}
