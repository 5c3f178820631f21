/**
 * A throwaway ACME CA for tests (issue 19): Debian's `pebble` with `pebble-challtestsrv` as its DNS server,
 * on free loopback ports. Every name resolves to 127.0.0.1, so pebble validates HTTP-01 challenges against
 * whatever listens on `httpPort` there — the pb under test, started with `--http=127.0.0.1:<httpPort>`.
 *
 * pebble serves its ACME API over TLS with a certificate we generate (`apiCaFile`, for pb's
 * NODE_EXTRA_CA_CERTS), and signs what it issues with a root it makes up at every start (`rootPem()`, to
 * verify the certificates pb serves). `stop()` ends it; `start()` again brings it back on the same ports with
 * a new root (a CA outage and its end, as pb sees them).
 *
 * @example
 * const ca = await startPebble({ validitySeconds: 3600 });   // skip first if !pebbleInstalled()
 * spawn pb with NODE_EXTRA_CA_CERTS=ca.apiCaFile, `--acmeDirectory=${ca.directoryUrl}`, `--http=127.0.0.1:${ca.httpPort}`
 * await ca.stop();                                           // in afterAll
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectOutput, freePort } from "../harness.ts";

export const PEBBLE_MISSING_MESSAGE = "skipped: pebble not installed (apt install pebble)";

export function pebbleInstalled(): boolean {
  return !!Bun.which("pebble") && !!Bun.which("pebble-challtestsrv") && !!Bun.which("openssl");
}

export interface PebbleOptions {
  /** Lifetime of issued certificates (pebble's default is about 5 years); short ones exercise renewal. */
  validitySeconds?: number;
  /** Names pebble refuses to issue for (a CA's policy refusal). */
  blockedDomains?: string[];
}

export interface Pebble {
  /** The ACME directory URL (`--acmeDirectory`). */
  directoryUrl: string;
  /** The port pebble's validator connects to for HTTP-01 (pb's `--http` port). */
  httpPort: number;
  /** PEM file of the certificate pebble's own API presents (for NODE_EXTRA_CA_CERTS). */
  apiCaFile: string;
  /** The root that signs issued certificates (changes at every start). */
  rootPem(): Promise<string>;
  /** Whether pebble is up. */
  running(): boolean;
  /** Starts pebble again (same ports and API certificate) after `stop()`. */
  start(): Promise<void>;
  /** Stops pebble (the DNS server stays up until `close()`). */
  stop(): Promise<void>;
  /** Stops everything and removes the temp dir. */
  close(): Promise<void>;
}

/** Starts pebble-challtestsrv and pebble on free loopback ports. */
export async function startPebble(opts: PebbleOptions = {}): Promise<Pebble> {
  const dir = mkdtempSync(join(tmpdir(), "pb-pebble-"));
  const [acmePort, mgmtPort, dnsPort, dnsMgmtPort, httpPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const cert = join(dir, "api-cert.pem");
  const key = join(dir, "api-key.pem");
  const gen = Bun.spawnSync(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-days",
      "3",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  if (!gen.success) throw new Error(`openssl: ${gen.stderr.toString()}`);
  const config = join(dir, "pebble.json");
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: cert,
        privateKey: key,
        httpPort,
        tlsPort: await freePort(),
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
        domainBlocklist: opts.blockedDomains ?? [],
        ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
      },
    }),
  );

  const dns = Bun.spawn(
    [
      "pebble-challtestsrv",
      "-defaultIPv4",
      "127.0.0.1",
      "-defaultIPv6",
      "",
      "-dns01",
      `127.0.0.1:${dnsPort}`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-management",
      `127.0.0.1:${dnsMgmtPort}`,
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
  );
  let pebble: ReturnType<typeof Bun.spawn> | null = null;
  let output = () => "";
  const killAll = () => {
    pebble?.kill("SIGKILL");
    dns.kill("SIGKILL");
  };
  process.on("exit", killAll);

  const get = async (url: string) => {
    // pebble's own API certificate: trusted for this request only
    const res = await fetch(url, { tls: { ca: await Bun.file(cert).text() } } as RequestInit);
    if (!res.ok) throw new Error(`${url}: ${res.status}`);
    return res.text();
  };

  const start = async () => {
    const p = Bun.spawn(["pebble", "-config", config, "-dnsserver", `127.0.0.1:${dnsPort}`], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      // no sleeping before validation; no nonces rejected at random (pb retries them, but tests wait less)
      env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0" },
    });
    pebble = p;
    output = collectOutput(p);
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`pebble exited:\n${output()}`);
      try {
        await get(`https://127.0.0.1:${acmePort}/dir`);
        return;
      } catch {}
      if (Date.now() > deadline) throw new Error(`pebble did not start:\n${output()}`);
      await Bun.sleep(50);
    }
  };

  try {
    await start();
  } catch (err) {
    killAll();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    directoryUrl: `https://127.0.0.1:${acmePort}/dir`,
    httpPort,
    apiCaFile: cert,
    rootPem: () => get(`https://127.0.0.1:${mgmtPort}/roots/0`),
    running: () => !!pebble && pebble.exitCode === null,
    start,
    async stop() {
      const p = pebble;
      if (!p) return;
      pebble = null;
      p.kill("SIGKILL");
      await p.exited;
    },
    async close() {
      process.off("exit", killAll);
      killAll();
      await dns.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
