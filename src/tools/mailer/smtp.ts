/**
 * An SMTP client on nodemailer (upstream's SMTPClient): implicit TLS when `tls` is set, otherwise a
 * plain connection upgraded with STARTTLS when offered; PLAIN (default) or LOGIN auth only when a
 * username or password is set, and — as Go's net/smtp — never over an unencrypted connection to a
 * host other than localhost. HTML plus a derived text part; a `Message-ID` on the sender's domain.
 */
import { pseudorandomString } from "../security/random.ts";
import { attachmentBytes, BaseMailer, formatAddress, type Message } from "./mailer.ts";
import { html2Text } from "./html2text.ts";

export interface SMTPConfig {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** true = implicit TLS (usually port 465); false = plain with STARTTLS when the server offers it. */
  tls?: boolean;
  /** "PLAIN" (default) or "LOGIN". */
  authMethod?: string;
  /** The EHLO/HELO name ("" = the library's default). */
  localName?: string;
  /** Give up connecting, greeting or on an idle socket after this many ms (default 30 s). */
  timeoutMs?: number;
}

export const SMTP_AUTH_PLAIN = "PLAIN";
export const SMTP_AUTH_LOGIN = "LOGIN";

/** Sends through an SMTP server; a new connection per message, as upstream. */
export class SMTPClient extends BaseMailer {
  constructor(readonly config: SMTPConfig) {
    super();
  }

  protected async deliver(m: Message): Promise<void> {
    const c = this.config;
    const withAuth = !!(c.username || c.password);
    const timeout = c.timeoutMs ?? 30_000;
    // loaded on first send: nodemailer costs ~100 ms to import, which every CLI run would pay
    const { createTransport } = await import("nodemailer");
    const transport = createTransport({
      host: c.host,
      port: c.port,
      secure: !!c.tls,
      // Go's smtp auth refuses to send credentials in clear text to anything but localhost
      requireTLS: withAuth && !c.tls && !isLocalhost(c.host),
      auth: withAuth ? { user: c.username ?? "", pass: c.password ?? "" } : undefined,
      authMethod: c.authMethod === SMTP_AUTH_LOGIN ? SMTP_AUTH_LOGIN : SMTP_AUTH_PLAIN,
      name: c.localName || undefined,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 2,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const headers: Record<string, string> = {};
    let messageId = "";
    for (const [k, v] of Object.entries(m.headers ?? {})) {
      if (k.toLowerCase() === "message-id") messageId = v;
      else headers[k] = v;
    }
    if (!messageId) {
      const domain = m.from.address.split("@");
      if (domain.length === 2) messageId = `<${pseudorandomString(15)}@${domain[1]}>`;
    }
    const attachments = [];
    for (const [filename, data] of Object.entries(m.attachments ?? {})) {
      attachments.push({ filename, content: Buffer.from(await attachmentBytes(data)) });
    }
    for (const [cid, data] of Object.entries(m.inlineAttachments ?? {})) {
      attachments.push({
        filename: cid,
        cid,
        content: Buffer.from(await attachmentBytes(data)),
        contentDisposition: "inline" as const,
      });
    }
    let text = m.text;
    if (!text && m.html) text = html2Text(m.html);
    try {
      await transport.sendMail({
        from: formatAddress(m.from),
        to: m.to?.length ? m.to.map((a) => formatAddress(a)) : undefined,
        cc: m.cc?.length ? m.cc.map((a) => formatAddress(a)) : undefined,
        bcc: m.bcc?.length ? m.bcc.map((a) => formatAddress(a)) : undefined,
        subject: m.subject,
        html: m.html || undefined,
        text: text || undefined,
        headers,
        messageId: messageId || undefined,
        attachments,
      });
    } finally {
      transport.close();
    }
  }
}

function isLocalhost(host: string): boolean {
  return host === "localhost" || host === "127.0.0.1" || host === "::1";
}
