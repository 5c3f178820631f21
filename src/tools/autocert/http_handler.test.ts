import { describe, expect, test } from "bun:test";
import { acmeHttpHandler } from "./http_handler.ts";

const handler = acmeHttpHandler({
  hosts: ["example.com", "api.example.com"],
  challenge: (token) => (token === "tok123" ? "tok123.thumbprint" : undefined),
});
const req = (path: string, host: string, method = "GET") =>
  handler(new Request(`http://127.0.0.1${path}`, { method, headers: { host } }));

describe("acmeHttpHandler (autocert's HTTPHandler with its redirect fallback)", () => {
  test("answers a pending HTTP-01 token for a listed host, in any case and with a port", async () => {
    for (const host of ["example.com", "API.example.com", "example.com:80"]) {
      const res = req("/.well-known/acme-challenge/tok123", host);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("tok123.thumbprint");
    }
  });

  test("an unknown token is a cache miss; an unlisted host is refused", async () => {
    const miss = req("/.well-known/acme-challenge/other", "example.com");
    expect(miss.status).toBe(404);
    expect(await miss.text()).toBe("acme/autocert: certificate cache miss\n");
    const refused = req("/.well-known/acme-challenge/tok123", "evil.test");
    expect(refused.status).toBe(403);
    expect(await refused.text()).toBe('acme/autocert: host "evil.test" not configured in HostWhitelist\n');
  });

  test("GET and HEAD redirect to https with the path and query; a port becomes 443, as upstream", async () => {
    const get = req("/_/?a=1&b=%20", "example.com");
    expect(get.status).toBe(302);
    expect(get.headers.get("location")).toBe("https://example.com/_/?a=1&b=%20");
    expect(await get.text()).toBe('<a href="https://example.com/_/?a=1&amp;b=%20">Found</a>.\n\n');
    const head = req("/x", "api.example.com:8080", "HEAD");
    expect(head.status).toBe(302);
    expect(head.headers.get("location")).toBe("https://api.example.com:443/x");
    expect(await head.text()).toBe("");
  });

  test("a Host that is not listed (forged, or an IP) redirects to the first domain, never elsewhere", () => {
    for (const host of ["evil.test", "203.0.113.7", "[::1]:80", ""]) {
      const location = req("/api/health", host).headers.get("location")!;
      expect(new URL(location).hostname).toBe("example.com");
    }
  });

  test("other methods are refused (their body would be lost in a redirect)", async () => {
    const res = req("/api/collections/users/records", "example.com", "POST");
    expect(res.status).toBe(400);
    expect(await res.text()).toBe("Use HTTPS\n");
  });
});
