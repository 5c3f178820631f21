/**
 * The app's mail client (upstream's App.NewMailClient): SMTP when enabled in the settings, else the
 * local sendmail. Every send runs `onMailerSend` first (handlers may edit the message or swap the
 * mailer); with `--dev` the message is printed to the console as it goes out.
 */
import {
  SMTPClient,
  SendmailClient,
  SendmailNotFoundError,
  findSendmailPath,
  formatAddress,
  type Mailer,
  type Message,
} from "../../tools/mailer/index.ts";
import type { App } from "../app.ts";
import { MailerEvent, type MailerMessage } from "../events.ts";

/** A new mailer for the current settings, wired to `app.onMailerSend`. */
export function newMailClient(app: App): Mailer {
  const smtp = app.settings().smtp;
  const client: Mailer = smtp.enabled
    ? new SMTPClient({
        host: smtp.host,
        port: smtp.port,
        username: smtp.username,
        password: smtp.password,
        tls: smtp.tls,
        authMethod: smtp.authMethod,
        localName: smtp.localName,
      })
    : new SendmailClient();
  client.onSend.bind({
    id: "__pbMailerOnSend__",
    func: (e) =>
      app.onMailerSend.trigger(new MailerEvent(app, client, e.message as MailerMessage), async (ae) => {
        e.message = ae.message as Message;
        if (app.isDev) console.log(describeMail(e.message));
        const mailer = ae.mailer as Mailer;
        if (mailer !== client && mailer && typeof mailer.send === "function") return mailer.send(e.message);
        return e.next();
      }),
  });
  return client;
}

/** The console dump `--dev` prints for each outgoing message. */
export function describeMail(m: Message): string {
  const list = (xs: Message["to"]) => (xs ?? []).map((a) => formatAddress(a)).join(", ");
  const indent = (s: string) => "        " + s.trim().split("\n").join("\n        ");
  const lines = [
    `${logDate()} Mail sent`,
    `├─ From: ${formatAddress(m.from)}`,
    `├─ To: ${list(m.to)}`,
    `├─ Cc: ${list(m.cc)}`,
    `├─ Bcc: ${list(m.bcc)}`,
    `├─ Subject: ${m.subject}`,
  ];
  const attachments = Object.keys(m.attachments ?? {});
  if (attachments.length) lines.push(`├─ Attachments: ${attachments.join(", ")}`);
  const inline = Object.keys(m.inlineAttachments ?? {});
  if (inline.length) lines.push(`├─ InlineAttachments: ${inline.join(", ")}`);
  lines.push(m.text ? `└─ Text:\n${indent(m.text)}` : `└─ HTML:\n${indent(m.html)}`);
  return lines.join("\n");
}

function logDate(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * Logs a failed send of `what` (an email upstream sends in the background, so the request still
 * succeeds). Without SMTP settings and sendmail, the hint on what to configure is given the first
 * time only (serve gives it at start); with `quietOnceSaid` (login alerts) later failures stay silent.
 */
export function logMailError(what: string, err: unknown, quietOnceSaid = false): void {
  if (err instanceof SendmailNotFoundError) {
    if (quietOnceSaid && sendmailMissingSaid) return;
    const hint = sendmailMissingSaid ? "" : `${NO_MAILER_HINT} to send emails.`;
    sendmailMissingSaid = true;
    console.error(`Failed to send the ${what} email: ${NO_MAILER}${hint}`);
    return;
  }
  console.error(`Failed to send the ${what} email:`, err instanceof Error ? err.message : err);
}

/** Whether this process already said that there is neither SMTP nor sendmail (it is said once). */
let sendmailMissingSaid = false;

const NO_MAILER = "SMTP is disabled in the settings and no sendmail executable was found";
const NO_MAILER_HINT =
  " (/usr/sbin/sendmail, /usr/bin/sendmail or $PATH). Enable SMTP in the dashboard (Settings → Mail settings)";

/**
 * The start-up warning when mail cannot go out (SMTP off, no sendmail), or "" when it can. Later
 * failed sends then stay quiet about it instead of repeating it for every login alert.
 */
export function missingMailerWarning(app: App): string {
  if (app.settings().smtp.enabled || findSendmailPath()) return "";
  sendmailMissingSaid = true;
  return `Emails will not be sent: ${NO_MAILER}${NO_MAILER_HINT}.`;
}
