/**
 * A first `serve` on an empty pb_data (with `--dev` and no SMTP): the printed installer link's token
 * authenticates as the installer superuser, creating a real superuser through the records API
 * retires the installer, and system emails are printed to the console instead of failing requests.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import PocketBase from "pocketbase";
import { findSendmailPath } from "../src/tools/mailer/index.ts";
import { startServer, type TestServer } from "./harness.ts";

/** Per-test budget: bcrypt checks and server processes are slow when the whole suite runs at once. */
const SLOW = 20_000;

let srv: TestServer;
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());

beforeAll(async () => {
  srv = await startServer({ args: ["--dev"], env: { NO_COLOR: "1" } });
}, SLOW);
afterAll(() => srv?.stop());

test(
  "the installer token creates the first superuser, which removes the installer account",
  async () => {
    let link = "";
    for (let i = 0; i < 100 && !link; i++) {
      link = /https?:\/\/\S+\/_\/#\/pbinstall\/([\w.-]+)/.exec(srv.output())?.[0] ?? "";
      if (!link) await Bun.sleep(20);
    }
    const token = link.split("/pbinstall/")[1]!;
    expect(claimsOf(token)).toMatchObject({ type: "auth", refreshable: false });
    expect(Math.abs(claimsOf(token).exp - (Date.now() / 1000 + 30 * 60))).toBeLessThan(10);

    // its address is no mailbox: a reset request answers as always, but nothing is sent
    const reset = await fetch(`${srv.url}/api/collections/_superusers/request-password-reset`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "__pbinstaller@example.com" }),
    });
    expect(reset.status).toBe(204);
    for (let i = 0; i < 100 && !srv.output().includes("cannot reset the password for the installer superuser"); i++)
      await Bun.sleep(20);
    expect(srv.output()).toContain("cannot reset the password for the installer superuser");
    expect(srv.output()).not.toContain("Mail sent");

    const installer = new PocketBase(srv.url);
    installer.authStore.save(token, null);
    // a static token: refresh hands it back as it is
    const refreshed = await installer.collection("_superusers").authRefresh();
    expect(refreshed.token).toBe(token);
    expect(refreshed.record.email).toBe("__pbinstaller@example.com");

    await installer
      .collection("_superusers")
      .create({ email: "first@example.com", password: "1234567890", passwordConfirm: "1234567890" });

    const su = srv.sdk();
    await su.collection("_superusers").authWithPassword("first@example.com", "1234567890");
    const all = await su.collection("_superusers").getFullList();
    expect(all.map((r) => r.email)).toEqual(["first@example.com"]);
    // the installer record is gone, and its token with it
    const gone = await fetch(`${srv.url}/api/collections/_superusers/auth-refresh`, {
      method: "POST",
      headers: { Authorization: token },
    });
    expect(gone.status).toBe(401);
  },
  SLOW,
);

test(
  "without SMTP, --dev prints the email; a missing sendmail is logged and the request still succeeds",
  async () => {
    const su = srv.sdk();
    await su.collection("_superusers").authWithPassword("first@example.com", "1234567890");
    await su
      .collection("users")
      .create({ email: "mia@example.com", password: "1234567890", passwordConfirm: "1234567890" });

    const started = performance.now();
    expect(await srv.sdk().collection("users").requestPasswordReset("mia@example.com")).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
    let out = "";
    for (let i = 0; i < 100; i++) {
      out = srv.output();
      if (
        out.includes("Reset your Acme password") &&
        (findSendmailPath() || out.includes("password reset email: SMTP is disabled"))
      )
        break;
      await Bun.sleep(20);
    }
    expect(out).toContain("Mail sent");
    expect(out).toContain("├─ To: mia@example.com");
    expect(out).toContain("├─ Subject: Reset your Acme password");
    expect(out).toMatch(/confirm-password-reset\/[\w-]+\.[\w-]+\.[\w-]+/);
    if (!findSendmailPath())
      expect(out).toContain(
        "Failed to send the password reset email: SMTP is disabled in the settings and no sendmail executable was found",
      );
  },
  SLOW,
);
