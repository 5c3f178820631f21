/**
 * startServer's TLS mode (what `serve DOMAIN` runs on), in-process with self-signed certificates: SNI
 * picks a domain's certificate, other names get the fallback, and `setCertificates` swaps certificates
 * on the same port (a second listener with SO_REUSEPORT) without closing open connections or piling
 * up process listeners. The ACME side is test/autocert.test.ts.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { rmSync } from "node:fs";
import tls from "node:tls";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { subscriptionsBroker } from "../src/core/realtime/index.ts";
import { selfSignedCertificate, selfSignedDefault } from "../src/tools/autocert/default_certificate.ts";
import { tempDir, testAppConfig } from "./harness.ts";

let app: App;
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = tempDir();
  app = new App(await testAppConfig({ dataDir: dir }));
  await app.bootstrap();
});
afterAll(async () => {
  subscriptionsBroker(app).unregisterAll();
  await server?.stop();
  await app?.terminate();
  rmSync(dir, { recursive: true, force: true });
});

/** The fingerprint and subject of the certificate the server presents for `servername`. */
function peer(port: number, servername: string): Promise<{ fingerprint: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false }, () => {
      const c = sock.getPeerCertificate();
      resolve({ fingerprint: c.fingerprint256, subject: String(c.subject?.CN ?? "") });
      sock.end();
    });
    sock.once("error", reject);
  });
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

test("SNI picks the certificate; renewals swap it on the same port, open streams survive, nothing piles up", async () => {
  const a1 = await selfSignedCertificate("a.test");
  const b1 = await selfSignedCertificate("b.test");
  server = await startServer(app, {
    http: "127.0.0.1:0",
    tls: { fallback: await selfSignedDefault(), certificates: [{ domain: "a.test", ...a1 }] },
  });
  expect(server.url).toStartWith("https://127.0.0.1:");
  expect((await peer(server.port, "a.test")).fingerprint).toBe(fingerprintOf(a1.cert));
  for (const name of ["b.test", "c.test", ""])
    expect((await peer(server.port, name)).subject).toBe("unknown-name.invalid");

  // a realtime stream on the first listener
  let stream = "";
  let closed = false;
  const sse = tls.connect({ host: "127.0.0.1", port: server.port, servername: "a.test", rejectUnauthorized: false });
  sse.on("data", (d) => (stream += d));
  sse.on("close", () => (closed = true));
  sse.once("secureConnect", () => sse.write("GET /api/realtime HTTP/1.1\r\nHost: a.test\r\n\r\n"));
  for (let i = 0; i < 100 && !stream.includes("PB_CONNECT"); i++) await Bun.sleep(20);
  expect(stream).toContain("event:PB_CONNECT");

  const exitHooks = process.listeners("beforeExit").length;
  let a = a1;
  for (let i = 0; i < 12; i++) {
    a = await selfSignedCertificate("a.test");
    server.setCertificates([
      { domain: "a.test", ...a },
      { domain: "b.test", ...b1 },
    ]);
    expect((await peer(server.port, "a.test")).fingerprint).toBe(fingerprintOf(a.cert));
  }
  expect((await peer(server.port, "b.test")).fingerprint).toBe(fingerprintOf(b1.cert));
  expect(process.listeners("beforeExit").length).toBe(exitHooks);

  // the API answers on the newest listener; the stream from the first one is still open
  const res = await fetch(`https://127.0.0.1:${server.port}/api/health`, {
    tls: { rejectUnauthorized: false, serverName: "a.test" },
  } as RequestInit);
  expect(res.status).toBe(200);
  expect(closed).toBe(false);
  sse.destroy();
});
