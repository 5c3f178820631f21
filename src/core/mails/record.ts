/**
 * The system emails about an auth record (upstream mails/record.go): verification, password reset,
 * email change, OTP and new-login alert. Each resolves the collection's template, wraps it in the
 * layout, fires its `onMailerRecord…Send` hook and sends with the app's mail client.
 */
import { newMessage, type Mailer, type Message } from "../../tools/mailer/index.ts";
import type { App } from "../app.ts";
import {
  EMAIL_PLACEHOLDER_ALERT_INFO,
  EMAIL_PLACEHOLDER_APP_NAME,
  EMAIL_PLACEHOLDER_APP_URL,
  EMAIL_PLACEHOLDER_OTP,
  EMAIL_PLACEHOLDER_OTP_ID,
  EMAIL_PLACEHOLDER_TOKEN,
  type EmailTemplate,
} from "../collection_auth_templates.ts";
import { MailerRecordEvent, type MailerMessage } from "../events.ts";
import type { TaggedHookFactory } from "../app_hooks.ts";
import { JSONRaw } from "../fields/index.ts";
import { findOTPById } from "../otp.ts";
import type { Record } from "../record.ts";
import { saveRecord } from "../record_save.ts";
import { INSTALLER_EMAIL, SUPERUSERS } from "../record_system_hooks.ts";
import { newEmailChangeToken, newPasswordResetToken, newVerificationToken } from "../tokens.ts";
import { newMailClient } from "./client.ts";
import { wrapInLayout } from "./layout.ts";
import { escapeHTML } from "../../tools/html.ts";

/** Field types whose `{RECORD:field}` value is inserted as is (the others are HTML-escaped). */
const UNESCAPED_TYPES = new Set(["autodate", "date", "bool", "number"]);

export { escapeHTML };

/** A field value as upstream's GetString renders it into a template (lists become ""). */
function placeholderValue(record: Record, name: string): string {
  const v = record.get(name);
  if (v == null || Array.isArray(v) || (typeof v === "object" && !(v instanceof JSONRaw))) return "";
  return record.getString(name);
}

/**
 * The subject and the full HTML body of `template` for `record`: `{APP_NAME}`, `{APP_URL}`, every
 * visible field as `{RECORD:name}`, plus `placeholders`. Replacement is a single pass, so values
 * that happen to contain a placeholder are never expanded again.
 */
export function resolveEmailTemplate(
  app: App,
  record: Record,
  template: EmailTemplate,
  placeholders: { [k: string]: string } = {},
): { subject: string; body: string } {
  const values = new Map<string, string>(Object.entries(placeholders));
  const meta = app.settings().meta;
  if (!values.has(EMAIL_PLACEHOLDER_APP_NAME)) values.set(EMAIL_PLACEHOLDER_APP_NAME, meta.appName);
  if (!values.has(EMAIL_PLACEHOLDER_APP_URL)) values.set(EMAIL_PLACEHOLDER_APP_URL, meta.appURL);
  for (const f of record.collection.fields) {
    if (f.hidden) continue;
    const key = `{RECORD:${f.name}}`;
    if (values.has(key)) continue;
    const v = placeholderValue(record, f.name);
    values.set(key, UNESCAPED_TYPES.has(f.type) ? v : escapeHTML(v));
  }
  const keys = [...values.keys()]
    .sort((a, b) => b.length - a.length)
    .map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const re = new RegExp(keys.join("|"), "g");
  const fill = (s: string) => (keys.length ? s.replace(re, (k) => values.get(k) ?? k) : s);
  return { subject: fill(template.subject), body: wrapInLayout(fill(template.body)) };
}

function baseMessage(app: App, to: string, subject: string, html: string): Message {
  const meta = app.settings().meta;
  return newMessage({
    from: { name: meta.senderName, address: meta.senderAddress },
    to: [{ name: "", address: to }],
    subject,
    html,
  });
}

/** Fires a record mail hook around the default send. */
async function sendRecordMail(
  app: App,
  hook: TaggedHookFactory<MailerRecordEvent>,
  record: Record,
  message: Message,
  meta: { [k: string]: unknown },
  after?: (e: MailerRecordEvent) => Promise<void>,
  before?: (e: MailerRecordEvent) => void,
): Promise<void> {
  const client = newMailClient(app);
  const event = new MailerRecordEvent(app, client, message as MailerMessage, record, meta);
  await hook.hook.trigger(event, async (e) => {
    before?.(e);
    await (e.mailer as Mailer).send(e.message as Message);
    if (after) await after(e);
  });
}

/** Mails a verification link (with a verification token) to the record's email. */
export async function sendRecordVerification(app: App, record: Record): Promise<void> {
  const token = newVerificationToken(record);
  const { subject, body } = resolveEmailTemplate(app, record, record.collection.verificationTemplate, {
    [EMAIL_PLACEHOLDER_TOKEN]: token,
  });
  await sendRecordMail(
    app,
    app.onMailerRecordVerificationSend,
    record,
    baseMessage(app, record.email(), subject, body),
    { token },
  );
}

/** Mails a password reset link (with a password reset token) to the record's email. */
export async function sendRecordPasswordReset(app: App, record: Record): Promise<void> {
  const token = newPasswordResetToken(record);
  const { subject, body } = resolveEmailTemplate(app, record, record.collection.resetPasswordTemplate, {
    [EMAIL_PLACEHOLDER_TOKEN]: token,
  });
  await sendRecordMail(
    app,
    app.onMailerRecordPasswordResetSend,
    record,
    baseMessage(app, record.email(), subject, body),
    { token },
    undefined,
    (e) => {
      // the installer account's address is not a mailbox
      if (e.record.collection.name === SUPERUSERS && e.record.email() === INSTALLER_EMAIL) {
        throw new Error("cannot reset the password for the installer superuser");
      }
    },
  );
}

/** Mails an email change confirmation link to the **new** address. */
export async function sendRecordChangeEmail(app: App, record: Record, newEmail: string): Promise<void> {
  const token = newEmailChangeToken(record, newEmail);
  const { subject, body } = resolveEmailTemplate(app, record, record.collection.confirmEmailChangeTemplate, {
    [EMAIL_PLACEHOLDER_TOKEN]: token,
  });
  await sendRecordMail(app, app.onMailerRecordEmailChangeSend, record, baseMessage(app, newEmail, subject, body), {
    token,
    newEmail,
  });
}

/**
 * Mails a one-time password; once sent, the OTP's `sentTo` is set to the recipient (unless it
 * already has one), which later lets a matching OTP login verify the email.
 */
export async function sendRecordOTP(app: App, record: Record, otpId: string, password: string): Promise<void> {
  const { subject, body } = resolveEmailTemplate(app, record, record.collection.otp.emailTemplate, {
    [EMAIL_PLACEHOLDER_OTP_ID]: otpId,
    [EMAIL_PLACEHOLDER_OTP]: password,
  });
  await sendRecordMail(
    app,
    app.onMailerRecordOTPSend,
    record,
    baseMessage(app, record.email(), subject, body),
    { otpId, password },
    async (e) => {
      const to = e.message.to?.[0]?.address ?? "";
      if (!to) return;
      const otp = await findOTPById(e.app, otpId);
      if (!otp || otp.getString("sentTo") !== "") return; // deleted meanwhile, or already sent elsewhere
      otp.set("sentTo", to);
      try {
        await saveRecord(e.app, otp);
      } catch (err) {
        console.error("Failed to update the OTP sentTo field:", err instanceof Error ? err.message : err);
      }
    },
  );
}

/** Mails a new-login alert; `info` ("<date> - <ip> <user agent>") is HTML-escaped into `{ALERT_INFO}`. */
export async function sendRecordAuthAlert(app: App, record: Record, info: string): Promise<void> {
  const escaped = escapeHTML(info);
  const { subject, body } = resolveEmailTemplate(app, record, record.collection.authAlert.emailTemplate, {
    [EMAIL_PLACEHOLDER_ALERT_INFO]: escaped,
  });
  await sendRecordMail(app, app.onMailerRecordAuthAlertSend, record, baseMessage(app, record.email(), subject, body), {
    info: escaped,
  });
}
