/**
 * Obtains and renews TLS certificates over ACME for a fixed list of domains — the part of Go's
 * `autocert.Manager` upstream's `serve example.com` relies on, with its cache layout (`cache.ts`).
 *
 * Unlike autocert, which orders a certificate during the first TLS handshake that names a domain, this
 * orders them all at start (Bun's TLS server picks certificates by SNI from a fixed list and cannot wait
 * on a handshake), answers HTTP-01 challenges through `httpChallenge` (the caller serves them on port 80),
 * and hands every change to `onCertificates`. A certificate is renewed once two thirds of its lifetime
 * have passed (at most 30 days before expiry, autocert's margin). A failing CA is retried with backoff,
 * forever: a server must not stop over it.
 *
 * The ACME protocol itself is acme-client's.
 */
import * as acme from "./acme_client.ts";
import { CertificateCache, newPrivateKey, toPkcs8, type CachedCertificate } from "./cache.ts";
import { LETS_ENCRYPT_DIRECTORY } from "./domains.ts";

/** The longest a renewal waits before expiry (autocert's `RenewBefore` default). */
const RENEW_BEFORE_MAX_MS = 30 * 24 * 3600_000;
/** setTimeout's ceiling (~24.8 days); longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The first retry after a failure, doubled per failure up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 5_000;
const RETRY_MAX_MS = 3600_000;

export interface DomainCertificate extends CachedCertificate {
  domain: string;
}

export interface AutocertOptions {
  /** The names to obtain certificates for (one certificate each, as autocert does). */
  domains: string[];
  /** The cache folder (`pb_data/.autocert_cache`). */
  cacheDir: string;
  /** The ACME directory URL (empty or absent: Let's Encrypt). */
  directoryUrl?: string;
  /** Every certificate in use, called whenever one is added or replaced. */
  onCertificates(certs: DomainCertificate[]): void;
  log(level: "info" | "error", message: string, attrs?: Record<string, unknown>): void;
}

export class AutocertManager {
  private readonly cache: CertificateCache;
  private readonly directoryUrl: string;
  private readonly current = new Map<string, DomainCertificate>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly failures = new Map<string, number>();
  private readonly challenges = new Map<string, string>();
  private client: acme.Client | null = null;
  /** ACME orders run one at a time (one account, one nonce stream, readable logs). */
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: AutocertOptions) {
    this.cache = new CertificateCache(opts.cacheDir);
    this.directoryUrl = opts.directoryUrl || LETS_ENCRYPT_DIRECTORY;
  }

  /** Takes the cached certificates that are still valid (without asking the CA) and returns them. */
  load(): DomainCertificate[] {
    for (const domain of this.opts.domains) {
      const cached = this.cache.certificate(domain);
      if (cached && cached.notAfter.getTime() > Date.now()) this.current.set(domain, { domain, ...cached });
    }
    return this.certificates();
  }

  /** Schedules the missing certificates' orders (at once) and every renewal; call once HTTP-01 is answered. */
  start(): void {
    for (const domain of this.opts.domains) this.plan(domain);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** The key authorization for an HTTP-01 token being validated, or undefined. */
  httpChallenge(token: string): string | undefined {
    return this.challenges.get(token);
  }

  certificates(): DomainCertificate[] {
    return this.opts.domains.flatMap((d) => this.current.get(d) ?? []);
  }

  /** When a certificate is due for renewal: a third of its lifetime (at most 30 days) before it ends. */
  static renewAt(cert: Pick<CachedCertificate, "notBefore" | "notAfter">): number {
    const end = cert.notAfter.getTime();
    const lifetime = end - cert.notBefore.getTime();
    return end - Math.min(RENEW_BEFORE_MAX_MS, Math.max(0, lifetime / 3));
  }

  private plan(domain: string): void {
    const cert = this.current.get(domain);
    const wait = cert ? AutocertManager.renewAt(cert) - Date.now() : 0;
    this.after(domain, wait, () => this.obtain(domain));
  }

  private after(domain: string, ms: number, fn: () => void): void {
    if (this.stopped) return;
    clearTimeout(this.timers.get(domain));
    const step = Math.max(0, Math.min(ms, MAX_TIMER_MS));
    const timer = setTimeout(() => {
      this.timers.delete(domain);
      if (step < ms) this.after(domain, ms - step, fn);
      else fn();
    }, step);
    // a pending renewal does not keep a process alive that is otherwise done
    (timer as { unref?(): void }).unref?.();
    this.timers.set(domain, timer);
  }

  private obtain(domain: string): void {
    const run = async () => {
      if (this.stopped) return;
      const renewing = this.current.has(domain);
      this.opts.log("info", `${renewing ? "Renewing" : "Obtaining"} the TLS certificate for ${domain}`, { domain });
      try {
        const issued = await this.order(domain);
        if (this.stopped) return;
        this.current.set(domain, { domain, ...issued });
        this.failures.delete(domain);
        this.opts.onCertificates(this.certificates());
        // said once it is served, so the line can be waited for
        this.opts.log("info", `Got the TLS certificate for ${domain}`, {
          domain,
          expires: issued.notAfter.toISOString(),
        });
        this.plan(domain);
      } catch (err) {
        if (this.stopped) return;
        const n = (this.failures.get(domain) ?? 0) + 1;
        this.failures.set(domain, n);
        const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (n - 1));
        this.opts.log(
          "error",
          `Could not obtain the TLS certificate for ${domain}; retrying in ${formatDelay(delay)}`,
          {
            domain,
            error: describeError(err),
            attempt: n,
            directory: this.directoryUrl,
          },
        );
        // a certificate that is still valid keeps being served while its renewal is retried
        this.after(domain, delay, () => this.obtain(domain));
      }
    };
    this.queue = this.queue.then(run, run);
  }

  private async order(domain: string): Promise<CachedCertificate> {
    this.client ??= new acme.Client({
      directoryUrl: this.directoryUrl,
      accountKey: toPkcs8(this.cache.accountKey()),
      // polls for the challenge and the order: from 1 s (Let's Encrypt answers within seconds), up to ~1 min
      backoffAttempts: 10,
      backoffMin: 1000,
      backoffMax: 10_000,
    });
    const key = toPkcs8(newPrivateKey());
    const [, csr] = await acme.crypto.createCsr({ commonName: domain, altNames: [domain] }, key);
    const chain = await this.client.auto({
      csr,
      termsOfServiceAgreed: true, // as upstream (autocert.AcceptTOS)
      challengePriority: ["http-01"],
      // the CA checks the token itself; a self-check from here would only fail behind NAT or split DNS
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        this.challenges.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        this.challenges.delete(challenge.token);
      },
    });
    return this.cache.putCertificate(domain, key, chain);
  }
}

// A CA that does not answer must not hold an order (and every later one) forever. Failures come back to
// the manager at once, whose backoff outlasts a restart of the CA (acme-client would retry a refused
// connection 5 times within 75 s, inside one order). And acme-client's retry interceptor turns a failed
// connection into a TypeError (it validates a response that does not exist), so a handler in front of it
// (axios documents `handlers` as public) hands such failures on without their request config, which it
// lets through untouched, keeping the network error's own reason.
acme.axios.defaults.timeout = 30_000;
(acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number } }).acmeSettings!.retryMaxAttempts = 0;
(acme.axios.interceptors.response as unknown as { handlers: unknown[] }).handlers.unshift({
  fulfilled: (res: unknown) => res,
  rejected: (error: { response?: unknown; code?: string; message?: string; config?: { url?: string } }) => {
    if (error?.response || !error?.config) return Promise.reject(error);
    const reason = new Error(`${error.message ?? "request failed"} (${error.config.url ?? "ACME server"})`);
    return Promise.reject(Object.assign(reason, { code: error.code }));
  },
  synchronous: false,
  runWhen: null,
});

/** The reason of an ACME or network failure in one line (ACME problem documents carry it in `message`). */
function describeError(err: unknown): string {
  const e = err as { message?: string; code?: string; cause?: { message?: string } };
  const msg = e?.message || e?.cause?.message || String(err);
  return e?.code && !msg.includes(e.code) ? `${e.code}: ${msg}` : msg;
}

function formatDelay(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 1000)}s`;
}
