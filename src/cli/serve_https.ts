/**
 * `serve DOMAIN…`: HTTPS with certificates obtained and renewed over ACME — the autocert part of upstream's
 * apis/serve.go. Loaded by serve.ts only when HTTPS is asked for.
 */
import { join } from "node:path";
import type { App } from "../core/app.ts";
import { appLogger } from "../core/logs.ts";
import { listenError, parseAddress, startServer, type RunningServer, type ServeOptions } from "../api/server.ts";
import { selfSignedDefault } from "../tools/autocert/default_certificate.ts";
import { normalizeDomain } from "../tools/autocert/domains.ts";
import { acmeHttpHandler } from "../tools/autocert/http_handler.ts";
import { AutocertManager } from "../tools/autocert/manager.ts";
import { color, logTime } from "./output.ts";

/** Upstream's `core.LocalAutocertCacheDirName`. */
const AUTOCERT_CACHE_DIR = ".autocert_cache";

/** A listening server, the URL the banner shows, and how to stop everything it started. */
export interface Serving {
  baseURL: string;
  /** Stops accepting connections; in-flight requests finish first. */
  stop(): Promise<void>;
}

/**
 * HTTPS with certificates obtained over ACME for the domain args (upstream's autocert setup): `--http`
 * answers the CA's HTTP-01 challenges and redirects the rest; `--https` serves the app with the cached
 * certificates at once and each new one as it arrives.
 */
export async function serveWithCertificates(
  app: App,
  https: ServeOptions,
  opts: {
    domainArgs: string[];
    /** `--http`: challenges and redirects. */
    http: string;
    /** `--acmeDirectory`; Let's Encrypt when empty. */
    acmeDirectory: string;
    io: { out(s: string): void; err(s: string): void };
  },
): Promise<Serving> {
  const { domainArgs, io } = opts;
  // as upstream: without domain args, the host of --https is the domain
  const domains = (domainArgs.length ? domainArgs : [parseAddress(https.http).hostname]).map(normalizeDomain);
  const bad = domains.find((d) => d.error);
  if (bad) throw new Error(bad.error);
  const names = [...new Set(domains.map((d) => d.name))];
  let server: RunningServer | undefined;
  const manager = new AutocertManager({
    domains: names,
    cacheDir: join(app.dataDir, AUTOCERT_CACHE_DIR),
    directoryUrl: opts.acmeDirectory,
    onCertificates: (certs) => server?.setCertificates(certs),
    // to the console, and to the app's logs (the dashboard's Logs screen)
    log: (level, message, attrs) => {
      appLogger(app)[level](message, attrs);
      const line = `${logTime()} ${message}${attrs?.error ? `: ${attrs.error}` : ""}`;
      if (level === "error") io.err(color.yellow(line) + "\n");
      else io.out(line + "\n");
    },
  });
  // the plain port first: the CA validates there, and a second pb on this pb_data fails here
  const plain = listenPlain(opts.http, acmeHttpHandler({ hosts: names, challenge: (t) => manager.httpChallenge(t) }));
  try {
    server = await startServer(app, {
      ...https,
      tls: { fallback: await selfSignedDefault(), certificates: manager.load() },
    });
  } catch (err) {
    plain.stop(true);
    throw err;
  }
  manager.start();
  const running = server;
  return {
    baseURL: `https://${names[0]}${running.port === 443 ? "" : `:${running.port}`}`,
    async stop() {
      manager.stop();
      plain.stop(true);
      await running.stop();
    },
  };
}

/** The plain HTTP listener beside HTTPS: ACME challenges and redirects only (upstream's autocert handler). */
function listenPlain(addr: string, fetch: (req: Request) => Response) {
  const { hostname, port } = parseAddress(addr);
  try {
    return Bun.serve({ hostname, port, fetch, reusePort: false });
  } catch (err) {
    throw listenError(err, hostname, port);
  }
}
