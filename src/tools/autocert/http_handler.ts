/**
 * What answers on the plain HTTP port of a server with automatic certificates — the twin of autocert's
 * `Manager.HTTPHandler(nil)`, which upstream serves on `--http`: ACME HTTP-01 challenges for the listed
 * hosts, and for everything else a redirect to the same URL over https (GET and HEAD; other methods are
 * refused, as their bodies would be lost in a redirect).
 */
import { escapeHTML } from "../html.ts";
import { hostWithoutPort } from "../router/mux.ts";

const CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

/** Go's `http.Error`: plain text with a newline, not sniffable. */
function textError(status: number, message: string): Response {
  return new Response(message + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
  });
}

export function acmeHttpHandler(opts: {
  /** Hosts (lower case) challenges are answered for and redirects go to; the first is the default. */
  hosts: readonly string[];
  /** The key authorization of a pending HTTP-01 token. */
  challenge(token: string): string | undefined;
}): (req: Request) => Response {
  const allowed = new Set(opts.hosts);
  return (req) => {
    const url = req.url;
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    const requestURI = pathStart < 0 ? "/" : url.slice(pathStart);
    const path = requestURI.split("?", 1)[0]!;
    const rawHost = req.headers.get("host") ?? "";
    const host = hostWithoutPort(rawHost).toLowerCase();
    if (path.startsWith(CHALLENGE_PREFIX)) {
      if (!allowed.has(host)) return textError(403, `acme/autocert: host "${host}" not configured in HostWhitelist`);
      const answer = opts.challenge(path.slice(CHALLENGE_PREFIX.length));
      if (answer === undefined) return textError(404, "acme/autocert: certificate cache miss");
      return new Response(answer, { headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    if (req.method !== "GET" && req.method !== "HEAD") return textError(400, "Use HTTPS");
    // a port in the Host header becomes 443, as in upstream (autocert's stripPort). Unlike upstream, only a
    // listed host is kept (any other, an IP say, becomes the first one): a forged Host must not turn the
    // server into an open redirect.
    const port = rawHost.length > hostWithoutPort(rawHost).length ? ":443" : "";
    const target = `https://${allowed.has(host) ? host : opts.hosts[0]}${port}${requestURI}`;
    return new Response(req.method === "GET" ? `<a href="${escapeHTML(target)}">Found</a>.\n\n` : null, {
      status: 302,
      headers: { location: target, "content-type": "text/html; charset=utf-8" },
    });
  };
}
