/** `serve`: bootstraps, starts the HTTP server, prints the banner and the installer link, stops cleanly. */
import type { App } from "../core/app.ts";
import { installerSuperuser, needsInstaller } from "../core/superusers.ts";
import { newStaticAuthToken } from "../core/tokens.ts";
import { startServer, type ServeOptions } from "../api/server.ts";
import { LETS_ENCRYPT_DIRECTORY } from "../tools/autocert/domains.ts";
import type { Serving } from "./serve_https.ts";
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

function serveOptions(cfg: GlobalConfig, addr: string): ServeOptions {
  return {
    http: addr,
    origins: cfg.flags.origins as string[],
    publicDir: cfg.publicDir,
    indexFallback: !!cfg.flags.indexFallback,
    reusePort: !!cfg.flags.reusePort,
  };
}

interface Io {
  out(s: string): void;
  err(s: string): void;
  /** How pb was run, so the superuser hint can be pasted as is. */
  invokedAs?: string;
}

export async function serveCommand(app: App, cfg: GlobalConfig, domainArgs: string[], io: Io): Promise<number> {
  const http = String(cfg.flags.http) || (domainArgs.length ? "0.0.0.0:80" : "127.0.0.1:8090");
  const https = String(cfg.flags.https) || (domainArgs.length ? "0.0.0.0:443" : "");
  // loaded only here: the ACME client's libraries would cost every plain start a few hundred ms
  const serving: Serving = https
    ? await import("./serve_https.ts").then((m) =>
        m.serveWithCertificates(app, serveOptions(cfg, https), {
          domainArgs,
          http,
          acmeDirectory: String(cfg.flags.acmeDirectory),
          io,
        }),
      )
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
