/**
 * Builds the HTTP server: upstream's default middlewares, the API routes, pb_public, and a graceful stop.
 */
import { isIP } from "node:net";
import type { App } from "../core/app.ts";
import { ServeEvent } from "../core/app.ts";
import { notFound } from "../core/errors.ts";
import { registerSystemCrons } from "../core/crons_system.ts";
import { joinCluster } from "../core/cluster.ts";
import { bindBackupsApi } from "./backups.ts";
import { bindBatchApi } from "./batch.ts";
import { bindCollectionsApi } from "./collections.ts";
import { bindDashboard } from "./dashboard.ts";
import { bindRecordCrudApi } from "./records.ts";
import { bindRealtimeRecordEvents } from "./realtime_records.ts";
import { bindRealtimeCluster } from "./realtime_cluster.ts";
import { bindFilesApi } from "./files.ts";
import { bindCronsApi } from "./crons.ts";
import { bindHealthApi } from "./health.ts";
import { bindLogsApi } from "./logs.ts";
import { activityLogger } from "./middlewares/activity_logger.ts";
import { bodyLimit } from "./middlewares/body_limit.ts";
import { cors } from "./middlewares/cors.ts";
import { loadAuthToken } from "./middlewares/load_auth_token.ts";
import { rateLimit } from "./middlewares/rate_limit.ts";
import { resolveRealIP } from "./middlewares/real_ip.ts";
import { securityHeaders } from "./middlewares/security_headers.ts";
import { superuserIPsWhitelist } from "./middlewares/superuser_ips.ts";
import { bindRecordAuthApi } from "./record_auth.ts";
import { bindRecordAuthOAuth2Api } from "./record_auth_oauth2.ts";
import { bindOAuth2RedirectApi } from "./oauth2_redirect.ts";
import { bindRealtimeApi } from "./realtime.ts";
import { Router } from "./router.ts";
import { bindSettingsApi } from "./settings.ts";
import { bindSqlApi } from "./sql.ts";
import { staticHandler } from "./static.ts";

export interface ServeOptions {
  /** `host:port` to listen on (`--http`). */
  http: string;
  /** CORS allowed origins (`--origins`). */
  origins?: string[];
  /** Folder served at `/{path...}` (`--publicDir`); skipped when empty. */
  publicDir?: string;
  /** Serve `index.html` for missing static paths (`--indexFallback`). */
  indexFallback?: boolean;
  /** Share the port with other processes (SO_REUSEPORT: several nodes of a cluster on one host). */
  reusePort?: boolean;
  /**
   * Serve HTTPS on `http` instead: `fallback` is what any name without a certificate gets, `certificates`
   * the ones to start with (more arrive through `setCertificates`).
   */
  tls?: { fallback: TlsKeyPair; certificates: TlsCertificate[] };
}

export interface TlsKeyPair {
  key: string;
  cert: string;
}

/** A certificate chosen by SNI. */
export interface TlsCertificate extends TlsKeyPair {
  domain: string;
}

export interface RunningServer {
  url: string;
  port: number;
  hostname: string;
  /** Stops accepting connections, lets in-flight requests finish, then resolves. */
  stop(): Promise<void>;
  /**
   * Replaces the served certificates (TLS only) without dropping a connection: Bun cannot swap the
   * certificates of a listening server, so a new listener takes the port beside it (SO_REUSEPORT) and the
   * old one stops accepting; its open connections (SSE streams) go on until they end.
   */
  setCertificates(certs: TlsCertificate[]): void;
}

/** Builds the router with every API route and default middleware (without listening). */
export function buildRouter(app: App, opts: Pick<ServeOptions, "origins">): Router {
  const router = new Router();
  bindRealtimeRecordEvents(app);
  bindRealtimeCluster(app);
  registerSystemCrons(app);
  router.use(cors({ allowOrigins: opts.origins }));
  router.use(activityLogger());
  router.use(loadAuthToken());
  router.use(superuserIPsWhitelist());
  router.use(securityHeaders());
  router.use(rateLimit());
  router.use(bodyLimit());
  bindHealthApi(router);
  bindSettingsApi(router);
  bindLogsApi(router);
  bindBackupsApi(router);
  bindCronsApi(router);
  bindSqlApi(router);
  bindRecordAuthApi(router);
  bindRecordAuthOAuth2Api(router);
  bindOAuth2RedirectApi(router);
  bindRealtimeApi(router);
  bindCollectionsApi(router);
  bindRecordCrudApi(router);
  bindFilesApi(router);
  bindBatchApi(router);
  bindDashboard(router);
  return router;
}

/** Fires onServe, compiles the routes and starts listening. */
export async function startServer(app: App, opts: ServeOptions): Promise<RunningServer> {
  const router = buildRouter(app, opts);
  const { hostname, port } = parseAddress(opts.http);
  await joinCluster(app); // on a shared PostgreSQL: before the first request can need the bus

  type BunServer = { stop(force?: boolean): Promise<void> | void; port: number; hostname: string };
  let server = null as BunServer | null;
  let listen: (certs: TlsCertificate[]) => BunServer = () => {
    throw new Error("not listening");
  };
  let boundPort = 0; // a renewal's listener takes the port the first one got (`:0` picks one)
  await app.onServe.trigger(new ServeEvent(app, router), () => {
    if (opts.publicDir && !router.hasCatchAllGet()) {
      router.get("/{path...}", staticHandler(opts.publicDir, opts.indexFallback ?? true));
    }
    const ipOf = (req: Request, srv: unknown) => {
      const peer =
        (srv as { requestIP?(r: Request): { address: string } | null } | undefined)?.requestIP?.(req)?.address ?? "";
      return { realIP: resolveRealIP(req, peer, app.settings().trustedProxy), remoteIP: peer };
    };
    const elysia = router.compile(
      app,
      () => {
        throw notFound();
      },
      ipOf,
    );
    // Bun's longest idle timeout (upstream allows 5 min); slow list queries must not lose their socket.
    // no SO_REUSEPORT unless asked (Elysia turns it on): a second server on a busy address must fail,
    // not split the traffic — except between nodes of one cluster, which is what `--reusePort` says, and
    // between the generations of a TLS listener (see setCertificates)
    listen = (certs) => {
      const exitHooks = new Set(process.listeners("beforeExit"));
      try {
        elysia.listen({
          hostname,
          port: boundPort || port,
          reusePort: !!opts.tls || (opts.reusePort ?? false),
          maxRequestBodySize: Number.MAX_SAFE_INTEGER,
          idleTimeout: 255,
          ...(opts.tls ? { tls: tlsList(opts.tls.fallback, certs) } : {}),
        });
      } catch (err) {
        throw listenError(err, hostname, port);
      }
      // Elysia adds a beforeExit listener per listen(); the first one's is enough (renewals would pile
      // them up past Node's leak warning)
      if (boundPort)
        for (const l of process.listeners("beforeExit")) if (!exitHooks.has(l)) process.off("beforeExit", l);
      const started = elysia.server as unknown as BunServer;
      boundPort = started.port;
      return started;
    };
    server = listen(opts.tls?.certificates ?? []);
  });
  if (!server) throw new Error("the server did not start (an onServe hook did not call e.next())");
  let current: BunServer = server;
  /** Listeners replaced by newer certificates that still hold open connections. */
  const retired = new Set<BunServer>();
  const shownHost = hostname === "" || hostname === "0.0.0.0" || hostname === "::" ? "127.0.0.1" : hostname;
  return {
    // an IPv6 host goes in brackets, as in any URL
    url: `${opts.tls ? "https" : "http"}://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${current.port}`,
    port: current.port,
    hostname,
    stop: async () => {
      await Promise.all([current, ...retired].map((s) => s.stop(false)));
    },
    setCertificates(certs) {
      if (!opts.tls) throw new Error("setCertificates: the server does not serve TLS");
      const old = current;
      current = listen(certs);
      retired.add(old);
      // closing the old listening socket resets the connections still in its accept queue (those that
      // arrived in the instant both listeners were up); clients retry those. Once per renewal.
      void Promise.resolve(old.stop(false)).finally(() => retired.delete(old));
    },
  };
}

/** Bun's SNI list: the fallback first (Bun gives it to every name not listed), then one entry per domain. */
function tlsList(fallback: TlsKeyPair, certs: TlsCertificate[]) {
  return [{ ...fallback }, ...certs.map((c) => ({ serverName: c.domain, key: c.key, cert: c.cert }))];
}

/**
 * Bun's listen failure in Go's words, as upstream prints it ("listen tcp 127.0.0.1:8090: bind: address already in
 * use").
 */
export function listenError(err: unknown, hostname: string, port: number): Error {
  const code = (err as { code?: string })?.code;
  // a name that does not resolve fails in Bun with unrelated codes (EEXIST, ENOTCONN…)
  if (isIP(hostname) === 0 && hostname !== "localhost" && !KNOWN_BIND_ERRORS[code ?? ""]) {
    return new Error(`listen tcp: lookup ${hostname}: no such host`, { cause: err });
  }
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const reason = KNOWN_BIND_ERRORS[code ?? ""] ?? (err as Error)?.message ?? String(err);
  return new Error(`listen tcp ${host}:${port}: bind: ${reason}`, { cause: err });
}

const KNOWN_BIND_ERRORS: { [code: string]: string } = {
  EADDRINUSE: "address already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "cannot assign requested address",
};

/** `127.0.0.1:8090`, `:8090`, `[::1]:8090` → hostname and port (0 picks a free port). */
export function parseAddress(addr: string): { hostname: string; port: number } {
  // Go's net.Listen needs host:port (the host may be empty or a [bracketed] IPv6 address); its reasons are kept
  const bad = (reason: string, hint = "") => new Error(`invalid address "${addr}": ${reason}${hint}`);
  const m = /^(?:\[([^\]]*)\]|([^:\[\]]*)):([^:]*)$/.exec(addr.trim());
  if (!m) {
    if (/^\d+$/.test(addr.trim())) throw bad("missing port in address", ` (did you mean ":${addr.trim()}"?)`);
    throw bad(addr.includes(":") && !addr.includes("[") ? "too many colons in address" : "missing port in address");
  }
  const hostname = m[1] ?? m[2] ?? "";
  if (!/^\d+$/.test(m[3]!) || Number(m[3]) > 65535) throw bad("invalid port");
  return { hostname: hostname || "0.0.0.0", port: Number(m[3]) };
}
