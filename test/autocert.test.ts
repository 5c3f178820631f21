/**
 * `pb serve DOMAIN` with automatic certificates (issue 19), against dist/pb and a real ACME CA: Debian's
 * pebble, with pebble-challtestsrv resolving every name to 127.0.0.1 (test/support/pebble.ts). pb listens
 * for HTTP-01 on pebble's validation port and for HTTPS on a free one, trusts pebble's API through
 * NODE_EXTRA_CA_CERTS, and is checked from outside: curl for HTTPS requests (verifying against pebble's
 * root), TLS handshakes for which certificate a name gets, the cache folder upstream also reads.
 *
 * Without pebble the file is skipped locally and fails under CI=true (.ci/run installs it).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { ensureBuilt } from "../build.ts";
import { collectOutput, freePort, runPb, tempDir } from "./harness.ts";
import {
  PEBBLE_MISSING_MESSAGE,
  pebbleInstalled,
  startPebble,
  type Pebble,
  type PebbleOptions,
} from "./support/pebble.ts";

const CI = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";
const DOMAIN = "pb.test";

interface Pb {
  httpsPort: number;
  dataDir: string;
  output(): string;
  /** Resolves once the output matches (counting only matches after `from` characters). */
  waitFor(re: RegExp, timeoutMs?: number, from?: number): Promise<void>;
  alive(): boolean;
  stop(): Promise<void>;
}

let bin = "";

async function servePb(ca: Pebble, dataDir: string, domains = [DOMAIN]): Promise<Pb> {
  const httpsPort = await freePort();
  const proc = Bun.spawn(
    [
      bin,
      "serve",
      ...domains,
      `--dir=${dataDir}`,
      `--http=127.0.0.1:${ca.httpPort}`,
      `--https=127.0.0.1:${httpsPort}`,
      `--acmeDirectory=${ca.directoryUrl}`,
    ],
    {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.apiCaFile, NO_COLOR: "1" },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const output = collectOutput(proc);
  const pb: Pb = {
    httpsPort,
    dataDir,
    output,
    alive: () => proc.exitCode === null,
    async waitFor(re, timeoutMs = 30_000, from = 0) {
      const deadline = Date.now() + timeoutMs;
      while (!re.test(output().slice(from))) {
        if (proc.exitCode !== null) throw new Error(`pb exited (${proc.exitCode}) waiting for ${re}:\n${output()}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}:\n${output()}`);
        await Bun.sleep(50);
      }
    },
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      await proc.exited;
    },
  };
  await pb.waitFor(/Server started at https:\/\//);
  return pb;
}

interface Handshake {
  authorized: boolean;
  error: string | null;
  subject: string;
  issuer: string;
  fingerprint: string;
}

/** A TLS handshake with `servername`, verified against `ca` (the result says whether it verified). */
function handshake(port: number, servername: string, ca: string): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: "127.0.0.1", port, servername, ca, rejectUnauthorized: false }, () => {
      const cert = sock.getPeerCertificate();
      resolve({
        authorized: sock.authorized,
        error: sock.authorizationError ? String(sock.authorizationError) : null,
        subject: String(cert.subject?.CN ?? ""),
        issuer: String(cert.issuer?.CN ?? ""),
        fingerprint: cert.fingerprint256,
      });
      sock.end();
    });
    sock.once("error", reject);
  });
}

/** curl over HTTPS to `DOMAIN:port` (resolved to loopback), verifying against `rootPem` only. */
async function curlHttps(port: number, path: string, rootPem: string, dir: string) {
  const caFile = join(dir, "root.pem");
  await Bun.write(caFile, rootPem);
  const proc = Bun.spawn(
    [
      "curl",
      "-sS",
      "--max-time",
      "10",
      "--resolve",
      `${DOMAIN}:${port}:127.0.0.1`,
      "--cacert",
      caFile,
      "-w",
      "\n%{http_code}",
      `https://${DOMAIN}:${port}${path}`,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const nl = out.lastIndexOf("\n");
  return { exit: code, status: Number(out.slice(nl + 1)), body: out.slice(0, nl), stderr: err };
}

/** A plain HTTP request to pb's --http port with the given Host header. */
function plain(ca: Pebble, path: string, init: RequestInit & { host?: string } = {}) {
  const headers = new Headers(init.headers);
  headers.set("host", init.host ?? DOMAIN);
  return fetch(`http://127.0.0.1:${ca.httpPort}${path}`, { ...init, headers, redirect: "manual" });
}

const missing = !pebbleInstalled() || !Bun.which("curl");

describe("pb serve DOMAIN: the command line", () => {
  beforeAll(async () => {
    bin = await ensureBuilt("host");
  }, 180_000);

  test("serve --help documents the domain arguments, --https and --acmeDirectory", async () => {
    const { stdout: out, code } = await runPb(["serve", "--help"], { binary: bin });
    expect(code).toBe(0);
    expect(out).toContain("serve [domain(s)] [flags]");
    expect(out).toMatch(/serve example\.com www\.example\.com +# HTTPS on :443 with certificates obtained/);
    expect(out).toContain("if domain args are specified - default to 0.0.0.0:443");
    expect(out).toMatch(
      /--acmeDirectory string +the ACME directory URL .*\(default https:\/\/acme-v02\.api\.letsencrypt\.org\/directory\)/,
    );
  });

  test("what cannot get a certificate is refused at start, before anything listens", async () => {
    const dir = tempDir("pb-autocert-cli-");
    try {
      for (const [args, reason] of [
        [["serve", "127.0.0.1"], '"127.0.0.1" is not a domain'],
        [["serve", "*.example.com"], '"*.example.com" is not a valid domain name'],
        [["serve", "--https=0.0.0.0:0"], '"0.0.0.0" is not a domain'],
      ] as const) {
        const { stdout, stderr, code } = await runPb([...args, `--dir=${join(dir, "pb_data")}`, "--http=127.0.0.1:0"], {
          binary: bin,
        });
        expect(code).toBe(1);
        expect(stderr).toContain(`Error: ${reason}`);
        expect(stdout).not.toContain("Server started");
      }
      // the CA validates on --http: a busy port there is an error at start, not a silent lack of certificates
      const busy = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("") });
      try {
        const { stderr, code } = await runPb(
          ["serve", DOMAIN, `--dir=${join(dir, "pb_data")}`, `--http=127.0.0.1:${busy.port}`, "--https=127.0.0.1:0"],
          { binary: bin },
        );
        expect(code).toBe(1);
        expect(stderr).toContain(`listen tcp 127.0.0.1:${busy.port}: bind: address already in use`);
      } finally {
        busy.stop(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * A describe block with its own pebble (`opts`) and work folder, both gone afterwards; skipped without
 * pebble, except under CI, where that is a failure.
 */
function describeWithPebble(name: string, opts: PebbleOptions, body: (env: { ca: Pebble; work: string }) => void) {
  describe(name, () => {
    if (missing && !CI) {
      test.skip(PEBBLE_MISSING_MESSAGE, () => {});
      return;
    }
    const env = {} as { ca: Pebble; work: string };
    beforeAll(async () => {
      if (missing) throw new Error("pebble, pebble-challtestsrv, openssl and curl are required under CI (.ci/run)");
      bin = await ensureBuilt("host");
      env.ca = await startPebble(opts);
      env.work = tempDir("pb-autocert-");
    }, 180_000);
    afterAll(async () => {
      await env.ca?.close();
      if (env.work) rmSync(env.work, { recursive: true, force: true });
    });
    body(env);
  });
}

describeWithPebble("pb serve DOMAIN: automatic HTTPS against pebble", { blockedDomains: ["blocked.test"] }, (env) => {
  test("a certificate is issued and served; plain HTTP answers challenges and redirects; unknown names get none", async () => {
    const dataDir = join(env.work, "issue/pb_data");
    const pb = await servePb(env.ca, dataDir);
    try {
      await pb.waitFor(/Got the TLS certificate for pb\.test/);
      const root = await env.ca.rootPem();

      const health = await curlHttps(pb.httpsPort, "/api/health", root, env.work);
      expect(health.stderr).toBe("");
      expect(health.exit).toBe(0);
      expect(health.status).toBe(200);
      expect(JSON.parse(health.body)).toEqual({ message: "API is healthy.", code: 200, data: {} });

      const hs = await handshake(pb.httpsPort, DOMAIN, root);
      expect(hs).toMatchObject({ authorized: true, error: null, subject: DOMAIN });
      expect(hs.issuer).toStartWith("Pebble Intermediate CA");

      // any other name (or none) gets the throwaway certificate: it verifies against nothing and names none of ours
      for (const name of ["other.test", "www.pb.test"]) {
        const other = await handshake(pb.httpsPort, name, root);
        expect(other.authorized).toBe(false);
        expect(other.subject).toBe("unknown-name.invalid");
        expect(other.issuer).toBe("unknown-name.invalid");
      }
      const viaCurl = await curlHttps(pb.httpsPort, "/api/health", root, env.work);
      expect(viaCurl.exit).toBe(0); // still fine for the listed name after the probes

      // the cache, in autocert's layout: the account key and one file per domain (key, then the chain)
      const cacheDir = join(dataDir, ".autocert_cache");
      expect(readdirSync(cacheDir).sort()).toEqual(["acme_account+key", DOMAIN]);
      expect(readFileSync(join(cacheDir, "acme_account+key"), "utf8")).toStartWith("-----BEGIN EC PRIVATE KEY-----");
      const cached = readFileSync(join(cacheDir, DOMAIN), "utf8");
      expect(cached).toStartWith("-----BEGIN EC PRIVATE KEY-----");
      expect(cached.match(/-----BEGIN CERTIFICATE-----/g)?.length).toBeGreaterThanOrEqual(2);

      // plain HTTP: everything else redirects to https (upstream drops the port), non-GET is refused
      const redirect = await plain(env.ca, "/api/health?x=1");
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get("location")).toBe("https://pb.test/api/health?x=1");
      expect(await redirect.text()).toBe('<a href="https://pb.test/api/health?x=1">Found</a>.\n\n');
      const forged = await plain(env.ca, "/x", { host: "evil.example" });
      expect(forged.headers.get("location")).toBe("https://pb.test/x"); // never an open redirect
      const post = await plain(env.ca, "/api/collections/users/records", { method: "POST", body: "{}" });
      expect(post.status).toBe(400);
      expect(await post.text()).toBe("Use HTTPS\n");
      const unknownToken = await plain(env.ca, "/.well-known/acme-challenge/nope");
      expect(unknownToken.status).toBe(404);
      const otherHost = await plain(env.ca, "/.well-known/acme-challenge/nope", { host: "other.test" });
      expect(otherHost.status).toBe(403);
      // the API is not served over plain HTTP
      const api = await plain(env.ca, "/api/health");
      expect(api.status).toBe(302);
    } finally {
      await pb.stop();
    }
  }, 90_000);

  test("a restart serves the cached certificate without asking the CA (here: while it is down)", async () => {
    const dataDir = join(env.work, "restart/pb_data");
    let pb = await servePb(env.ca, dataDir);
    let first: Handshake;
    try {
      await pb.waitFor(/Got the TLS certificate/);
      first = await handshake(pb.httpsPort, DOMAIN, await env.ca.rootPem());
      expect(first.authorized).toBe(true);
    } finally {
      await pb.stop();
    }
    const root = await env.ca.rootPem(); // the root changes when pebble restarts
    await env.ca.stop();
    try {
      pb = await servePb(env.ca, dataDir);
      try {
        const again = await handshake(pb.httpsPort, DOMAIN, root);
        expect(again).toMatchObject({ authorized: true, fingerprint: first.fingerprint });
        const health = await curlHttps(pb.httpsPort, "/api/health", root, env.work);
        expect(health.status).toBe(200);
        await Bun.sleep(500);
        expect(pb.output()).not.toContain("Obtaining");
        expect(pb.output()).not.toContain("Could not obtain");
      } finally {
        await pb.stop();
      }
    } finally {
      await env.ca.start();
    }
  }, 90_000);

  test("a CA that refuses a name: pb logs the CA's reason and keeps serving the names it got", async () => {
    const pb = await servePb(env.ca, join(env.work, "refused/pb_data"), [DOMAIN, "blocked.test"]);
    try {
      await pb.waitFor(/Got the TLS certificate for pb\.test/);
      await pb.waitFor(/Could not obtain the TLS certificate for blocked\.test; retrying in 5s: .*blocked\.test/);
      expect(pb.output()).toMatch(/policy|forbidden|blocked/i);
      const root = await env.ca.rootPem();
      expect((await handshake(pb.httpsPort, DOMAIN, root)).authorized).toBe(true);
      expect((await handshake(pb.httpsPort, "blocked.test", root)).authorized).toBe(false);
      expect(pb.alive()).toBe(true);
    } finally {
      await pb.stop();
    }
  }, 60_000);

  test("a CA outage: pb logs why, keeps serving, retries, and gets its certificate once the CA is back", async () => {
    await env.ca.stop();
    const dataDir = join(env.work, "outage/pb_data");
    let pb: Pb | undefined;
    try {
      pb = await servePb(env.ca, dataDir);
      await pb.waitFor(/Could not obtain the TLS certificate for pb\.test; retrying in 5s: .*ECONNREFUSED/);
      expect(pb.alive()).toBe(true);
      // still answering: plain HTTP redirects, HTTPS completes a handshake (with the throwaway certificate)
      expect((await plain(env.ca, "/")).status).toBe(302);
      const meanwhile = await handshake(pb.httpsPort, DOMAIN, "");
      expect(meanwhile.subject).toBe("unknown-name.invalid");
      await Bun.sleep(1000);
      expect(pb.alive()).toBe(true);
    } finally {
      await env.ca.start();
    }
    try {
      await pb!.waitFor(/Got the TLS certificate for pb\.test/, 60_000);
      const health = await curlHttps(pb!.httpsPort, "/api/health", await env.ca.rootPem(), env.work);
      expect(health.status).toBe(200);
      expect(pb!.output()).toMatch(/Could not obtain the TLS certificate for pb\.test; retrying in \d+s/);
    } finally {
      await pb!.stop();
    }
    // the failures also went to the app's logs (the dashboard's Logs screen), as errors
    const { Database } = await import("bun:sqlite");
    const db = new Database(join(dataDir, "auxiliary.db"), { readonly: true });
    const rows = db
      .query("SELECT message FROM _logs WHERE level = 8 AND message LIKE 'Could not obtain the TLS certificate%'")
      .all();
    db.close();
    expect(rows.length).toBeGreaterThan(0);
  }, 120_000);
});

// 24 s certificates: renewed after two thirds of their lifetime (16 s)
describeWithPebble("pb serve DOMAIN: renewal without a restart", { validitySeconds: 24 }, (env) => {
  test("a short-lived certificate is replaced before it expires; open connections and the server survive", async () => {
    const pb = await servePb(env.ca, join(env.work, "pb_data"));
    try {
      await pb.waitFor(/Got the TLS certificate for pb\.test/);
      const root = await env.ca.rootPem();
      const first = await handshake(pb.httpsPort, DOMAIN, root);
      expect(first.authorized).toBe(true);
      // a realtime stream opened on the first certificate
      let stream = "";
      let streamClosed = false;
      const sse = tls.connect({ host: "127.0.0.1", port: pb.httpsPort, servername: DOMAIN, ca: root });
      sse.on("data", (d) => (stream += d));
      sse.on("close", () => (streamClosed = true));
      let streamError = "";
      sse.on("error", (err) => (streamError = String(err)));
      sse.once("secureConnect", () => sse.write(`GET /api/realtime HTTP/1.1\r\nHost: ${DOMAIN}\r\n\r\n`));
      for (let i = 0; i < 100 && !stream.includes("PB_CONNECT"); i++) await Bun.sleep(50);
      expect(stream).toContain("event:PB_CONNECT");
      const mark = pb.output().length;
      await pb.waitFor(
        /Renewing the TLS certificate for pb\.test[\s\S]*Got the TLS certificate for pb\.test/,
        40_000,
        mark,
      );
      const second = await handshake(pb.httpsPort, DOMAIN, root);
      expect(second.authorized).toBe(true);
      expect(second.fingerprint).not.toBe(first.fingerprint);
      const health = await curlHttps(pb.httpsPort, "/api/health", root, env.work);
      expect(health.status).toBe(200);
      expect(pb.alive()).toBe(true);
      expect(streamError).toBe("");
      expect(streamClosed).toBe(false); // the stream outlived its listener's replacement
      sse.destroy();
    } finally {
      await pb.stop();
    }
  }, 90_000);
});
