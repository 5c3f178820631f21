/** `serve`: bootstraps, starts the HTTP server, prints the banner and the installer link, stops cleanly. */
import type { App } from "../core/app.ts";
import { installerSuperuser, needsInstaller } from "../core/superusers.ts";
import { newStaticAuthToken } from "../core/tokens.ts";
import { join } from "node:path";
import { listenError, parseAddress, startServer, type RunningServer, type ServeOptions } from "../api/server.ts";
import { appLogger } from "../core/logs.ts";
import { AutocertManager, LETS_ENCRYPT_DIRECTORY, normalizeDomain } from "../tools/autocert/manager.ts";
import { acmeHttpHandler } from "../tools/autocert/http_handler.ts";
import { selfSignedDefault } from "../tools/autocert/default_certificate.ts";
import { subscriptionsBroker } from "../core/realtime/index.ts";
import type { FlagSpec } from "./flags.ts";
import type { GlobalConfig } from "./index.ts";
import { color, logTime } from "./output.ts";
import { missingMailerWarning } from "../core/mails/client.ts";

export const SERVE_FLAGS: FlagSpec[] = [
  {
    name: "http",
    type: "string",
    default: "",
    usage:
      "TCP address to listen for the HTTP server\n(if domain args are specified - default to 0.0.0.0:80, otherwise - default to 127.0.0.1:8090)",
  },
  {
    name: "https",
    type: "string",
    default: "",
    usage:
      "TCP address to listen for the HTTPS server\n(if domain args are specified - default to 0.0.0.0:443, otherwise - default to empty string, aka. no TLS)\nThe incoming HTTP traffic also will be auto redirected to the HTTPS version",
  },
  {
    name: "acmeDirectory",
    type: "string",
    default: "",
    usage: `the ACME directory URL the certificates of the domain args are obtained from (default ${LETS_ENCRYPT_DIRECTORY})`,
  },
  { name: "origins", type: "strings", default: ["*"], usage: "CORS allowed domain origins list" },
  {
    name: "reusePort",
    type: "bool",
    default: false,
    usage: "share the --http port with other pb processes (several nodes of one --db cluster on one host)",
  },
];

/** Upstream's `core.LocalAutocertCacheDirName`. */
const AUTOCERT_CACHE_DIR = ".autocert_cache";

function serveOptions(cfg: GlobalConfig, addr: string): ServeOptions {
  return {
    http: addr,
    origins: cfg.flags.origins as string[],
    publicDir: cfg.publicDir,
    indexFallback: !!cfg.flags.indexFallback,
    reusePort: !!cfg.flags.reusePort,
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

interface Io {
  out(s: string): void;
  err(s: string): void;
  /** How pb was run, so the superuser hint can be pasted as is. */
  invokedAs?: string;
}

/** A listening server, the URL the banner shows, and how to stop everything it started. */
interface Serving {
  baseURL: string;
  /** Stops accepting connections; in-flight requests finish first. */
  stop(): Promise<void>;
}

export async function serveCommand(app: App, cfg: GlobalConfig, domainArgs: string[], io: Io): Promise<number> {
  const http = String(cfg.flags.http) || (domainArgs.length ? "0.0.0.0:80" : "127.0.0.1:8090");
  const https = String(cfg.flags.https) || (domainArgs.length ? "0.0.0.0:443" : "");
  const serving: Serving = https
    ? await serveWithCertificates(app, cfg, domainArgs, { http, https }, io)
    : await startServer(app, serveOptions(cfg, http)).then((s) => ({ baseURL: s.url, stop: s.stop }));
  const { baseURL } = serving;

  io.out(color.boldGreen(`${logTime()} Server started at ${baseURL}`) + "\n");
  io.out(`├─ REST API:  ${color.cyan(baseURL + "/api/")}\n`);
  io.out(`└─ Dashboard: ${color.cyan(baseURL + "/_/")}\n`);

  if (await needsInstaller(app)) {
    const installer = await installerSuperuser(app);
    const token = newStaticAuthToken(installer, 30 * 60);
    io.out(color.magenta("\n(!) Launch the URL below in the browser to create your first superuser account:") + "\n");
    io.out(color.boldCyan(`${baseURL}/_/#/pbinstall/${token}`) + "\n");
    const cmd = io.invokedAs || "pb";
    const hint = `(you can also create your first superuser by running: ${cmd} superuser upsert EMAIL PASS)`;
    io.out(color.gray(hint) + "\n\n");
  }
  // said once here rather than on every login alert or verification mail that cannot go out
  const mailWarning = missingMailerWarning(app);
  if (mailWarning) io.err(color.yellow(mailWarning) + "\n");

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      subscriptionsBroker(app).unregisterAll(); // SSE streams would hold the stop open
      await serving.stop(); // in-flight requests finish first
      await app.terminate();
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return 0;
}

/**
 * HTTPS with certificates obtained over ACME for the domain args (upstream's autocert setup): `--http`
 * answers the CA's HTTP-01 challenges and redirects the rest; `--https` serves the app with the cached
 * certificates at once and each new one as it arrives.
 */
async function serveWithCertificates(
  app: App,
  cfg: GlobalConfig,
  domainArgs: string[],
  addr: { http: string; https: string },
  io: Io,
): Promise<Serving> {
  // as upstream: without domain args, the host of --https is the domain
  const domains = (domainArgs.length ? domainArgs : [parseAddress(addr.https).hostname]).map(normalizeDomain);
  const bad = domains.find((d) => d.error);
  if (bad) throw new Error(bad.error);
  const names = [...new Set(domains.map((d) => d.name))];
  let server: RunningServer | undefined;
  const manager = new AutocertManager({
    domains: names,
    cacheDir: join(app.dataDir, AUTOCERT_CACHE_DIR),
    directoryUrl: String(cfg.flags.acmeDirectory) || LETS_ENCRYPT_DIRECTORY,
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
  const plain = listenPlain(addr.http, acmeHttpHandler({ hosts: names, challenge: (t) => manager.httpChallenge(t) }));
  try {
    server = await startServer(app, {
      ...serveOptions(cfg, addr.https),
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
