/**
 * The local `sendmail -i -t` (upstream's Sendmail client, used when SMTP is disabled): HTML body,
 * headers Subject (Q-encoded), From, To, Cc, Bcc and Content-Type.
 */
import { existsSync } from "node:fs";
import { BaseMailer, formatAddress, qEncode, type Message } from "./mailer.ts";

/** Raised when no sendmail executable exists on this machine. */
export class SendmailNotFoundError extends Error {
  constructor() {
    super("failed to locate a sendmail executable path");
  }
}

/** The sendmail executable: /usr/sbin/sendmail, /usr/bin/sendmail or the first on $PATH; "" when none. */
export function findSendmailPath(): string {
  for (const p of ["/usr/sbin/sendmail", "/usr/bin/sendmail"]) if (existsSync(p)) return p;
  return Bun.which("sendmail") ?? "";
}

export class SendmailClient extends BaseMailer {
  protected async deliver(m: Message): Promise<void> {
    const path = findSendmailPath();
    if (!path) throw new SendmailNotFoundError();
    const subject = /[^\x20-\x7e]/.test(m.subject) ? `=?utf-8?q?${qEncode(m.subject)}?=` : m.subject;
    const lines = [
      `Bcc: ${(m.bcc ?? []).map((a) => a.address).join(",")}`,
      `Cc: ${(m.cc ?? []).map((a) => a.address).join(",")}`,
      `Content-Type: text/html; charset=UTF-8`,
      `From: ${formatAddress(m.from)}`,
      `Subject: ${subject}`,
      `To: ${(m.to ?? []).map((a) => a.address).join(",")}`,
    ].filter((l) => !/^(Bcc|Cc): $/.test(l));
    const input = lines.join("\r\n") + "\r\n\r\n" + (m.html || m.text);
    const proc = Bun.spawn([path, "-i", "-t"], {
      stdin: new TextEncoder().encode(input),
      stdout: "ignore",
      stderr: "pipe",
    });
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
    if (code !== 0) throw new Error(`sendmail exited with code ${code}${stderr.trim() ? ": " + stderr.trim() : ""}`);
  }
}
