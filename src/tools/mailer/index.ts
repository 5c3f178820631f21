/** Mail sending: the message shape, SMTP and sendmail clients, and the HTML → text helper. */
export * from "./mailer.ts";
export { SMTPClient, SMTP_AUTH_LOGIN, SMTP_AUTH_PLAIN, type SMTPConfig } from "./smtp.ts";
export { SendmailClient, SendmailNotFoundError, findSendmailPath } from "./sendmail.ts";
export { html2Text } from "./html2text.ts";
