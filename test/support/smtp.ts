/**
 * Starts the test SMTP server (./smtp_server.ts) in a child process and reads what it captured.
 *
 * @example
 * const smtp = await startSmtp();
 * // point the app's settings.smtp at 127.0.0.1:smtp.port (enabled: true)
 * const mail = await smtp.waitFor((m) => m.to.includes("a@example.com"));
 * await smtp.stop();
 */
import { join } from "node:path";

/** One message as the server received and parsed it. */
export interface CapturedMail {
  /** The SMTP envelope (MAIL FROM / RCPT TO). */
  envelope: { from: string; to: string[] };
  /** The AUTH username, "" without auth. */
  user: string;
  /** The AUTH mechanism ("PLAIN", "LOGIN"), "" without auth. */
  authMethod: string;
  /** The EHLO/HELO name the client gave. */
  clientName: string;
  /** `Name <address>` or the address. */
  from: string;
  to: string[];
  subject: string;
  html: string;
  text: string;
  /** Header values by lower-case name. */
  headers: Record<string, string>;
  attachments: { filename: string; contentType: string; size: number; cid: string }[];
  receivedAt: number;
}

export interface SmtpServer {
  port: number;
  /** Everything received so far, oldest first. */
  messages(): Promise<CapturedMail[]>;
  /** The first message (received from now on, unless `since` is given) matching `pred`; throws after `timeoutMs`. */
  waitFor(pred: (m: CapturedMail) => boolean, opts?: { timeoutMs?: number; since?: number }): Promise<CapturedMail>;
  clear(): Promise<void>;
  /** Makes the server reject the next `count` messages with a 550. */
  failNext(count?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startSmtp(): Promise<SmtpServer> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "smtp_server.ts")], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let out = "";
  let ports: { smtpPort: number; httpPort: number } | null = null;
  const deadline = Date.now() + 15_000;
  while (!ports) {
    const chunk = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => null)]);
    if (!chunk || chunk.done) {
      proc.kill();
      const err = await new Response(proc.stderr as ReadableStream).text().catch(() => "");
      throw new Error(`the test SMTP server did not start:\n${out}\n${err}`);
    }
    out += dec.decode(chunk.value, { stream: true });
    const line = out.split("\n").find((l) => l.startsWith("{") && l.includes("smtpPort"));
    if (line) ports = JSON.parse(line);
  }
  reader.releaseLock();
  const api = `http://127.0.0.1:${ports.httpPort}`;
  const messages = async () => (await (await fetch(`${api}/messages`)).json()) as CapturedMail[];
  return {
    port: ports.smtpPort,
    messages,
    async waitFor(pred, { timeoutMs = 15_000, since = Date.now() - 50 } = {}) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const hit = (await messages()).find((m) => m.receivedAt >= since && pred(m));
        if (hit) return hit;
        if (Date.now() > end)
          throw new Error(
            `no matching email within ${timeoutMs} ms; received: ${JSON.stringify((await messages()).map((m) => [m.to, m.subject]))}`,
          );
        await Bun.sleep(25);
      }
    },
    async clear() {
      await fetch(`${api}/messages`, { method: "DELETE" });
    },
    async failNext(count = 1) {
      await fetch(`${api}/fail?count=${count}`, { method: "POST" });
    },
    async stop() {
      proc.kill();
      await Promise.race([proc.exited, Bun.sleep(3000)]);
    },
  };
}

/** The token in an email's `…/_/#/auth/<route>/<token>` link; throws when the mail has none. */
export function linkToken(mail: CapturedMail, route: string): string {
  const m = new RegExp(`/_/#/auth/${route}/([\\w.-]+)`).exec(mail.html);
  if (!m) throw new Error(`no ${route} link in ${mail.html}`);
  return m[1]!;
}

/** The one-time password in an OTP email (upstream's template shows it in <strong>). */
export function otpCode(mail: CapturedMail): string {
  const m = /<strong>(\d+)<\/strong>/.exec(mail.html);
  if (!m) throw new Error(`no OTP in ${mail.html}`);
  return m[1]!;
}

/** A `waitFor` predicate: the mail is addressed to `address`. */
export const sentTo = (address: string) => (m: CapturedMail) => m.to.includes(address);
