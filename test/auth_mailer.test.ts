/**
 * The SMTP client (src/tools/mailer) against a real SMTP server process: auth mechanisms, the HELO
 * name, headers, recipients, attachments, and upstream's refusal to send credentials unencrypted
 * to anything but localhost.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { newMessage, SMTPClient } from "../src/tools/mailer/index.ts";
import { startSmtp, type SmtpServer } from "./support/smtp.ts";

let smtp: SmtpServer;
beforeAll(async () => {
  smtp = await startSmtp();
});
afterAll(() => smtp?.stop());

const msg = (to: string, extra: Partial<Parameters<typeof newMessage>[0]> = {}) =>
  newMessage({
    from: { name: "Acme Support", address: "support@acme.example.com" },
    to: [{ name: "", address: to }],
    subject: "Hello",
    html: "<p>Hi</p>",
    ...extra,
  });

test("PLAIN by default, LOGIN when asked, none without credentials; the HELO name is localName", async () => {
  await new SMTPClient({ host: "127.0.0.1", port: smtp.port, username: "u1", password: "p" }).send(
    msg("plain@example.com"),
  );
  await new SMTPClient({ host: "127.0.0.1", port: smtp.port, username: "u2", password: "p", authMethod: "LOGIN" }).send(
    msg("login@example.com"),
  );
  await new SMTPClient({ host: "127.0.0.1", port: smtp.port, localName: "mail.acme.example.com" }).send(
    msg("anon@example.com"),
  );
  const plain = await smtp.waitFor((m) => m.to.includes("plain@example.com"), { since: 0 });
  const login = await smtp.waitFor((m) => m.to.includes("login@example.com"), { since: 0 });
  const anon = await smtp.waitFor((m) => m.to.includes("anon@example.com"), { since: 0 });
  expect([plain.user, plain.authMethod]).toEqual(["u1", "PLAIN"]);
  expect([login.user, login.authMethod]).toEqual(["u2", "LOGIN"]);
  expect([anon.user, anon.clientName]).toEqual(["", "mail.acme.example.com"]);
});

test("recipients, custom headers (Message-ID kept), text derived from HTML, attachments", async () => {
  await new SMTPClient({ host: "127.0.0.1", port: smtp.port }).send(
    msg("to@example.com", {
      cc: [{ name: "Cc Person", address: "cc@example.com" }],
      bcc: [{ name: "", address: "bcc@example.com" }],
      subject: "Grüße",
      html: `<p>Hello <a href="https://x.example.com">there</a></p>`,
      headers: { "Message-ID": "<fixed@acme.example.com>", "X-Custom": "yes" },
      attachments: { "notes.txt": "some notes" },
      inlineAttachments: { "logo.png": new Uint8Array([0x89, 0x50, 0x4e, 0x47]) },
    }),
  );
  const m = await smtp.waitFor((x) => x.to.includes("to@example.com"), { since: 0 });
  expect(m.envelope.to.sort()).toEqual(["bcc@example.com", "cc@example.com", "to@example.com"]);
  expect(m.from).toBe("Acme Support <support@acme.example.com>");
  expect(m.subject).toBe("Grüße");
  expect(m.headers["message-id"]).toBe("<fixed@acme.example.com>");
  expect(m.headers["x-custom"]).toBe("yes");
  expect(m.text).toBe("Hello [there](https://x.example.com)");
  expect(m.attachments.map((a) => [a.filename, a.size]).sort()).toEqual([
    ["logo.png", 4],
    ["notes.txt", 10],
  ]);
  expect(m.attachments.find((a) => a.filename === "logo.png")!.cid).toBe("logo.png");
});

test("credentials are never sent in clear text to a host other than localhost", async () => {
  // the same loopback server under a name that is not "localhost": TLS is required before AUTH
  const host = "::ffff:127.0.0.1";
  const client = new SMTPClient({ host, port: smtp.port, username: "u", password: "p", timeoutMs: 3000 });
  await expect(client.send(msg("never@example.com"))).rejects.toThrow();
  // without credentials the same host is fine
  await new SMTPClient({ host, port: smtp.port }).send(msg("ok@example.com"));
  await smtp.waitFor((m) => m.to.includes("ok@example.com"), { since: 0 });
  expect((await smtp.messages()).some((m) => m.to.includes("never@example.com"))).toBe(false);
});
