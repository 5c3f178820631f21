/**
 * The dashboard's other screens in headless Chromium against dist/pb: MFA/OTP login and the email
 * link pages (when the server has those endpoints and settings), auth collection options, a view
 * collection with its query preview, inline validation errors, field rename/delete, export/import,
 * mail and storage settings, hidden controls, keyboard use, and the "not available yet" states
 * (404s simulated in the browser). Screenshots go to .tmp/screenshots/2x-*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import PocketBase from "pocketbase";
import type { Page } from "playwright-core";
import { ensureBuilt } from "../build.ts";
import { startWithSuperuser, type TestServer } from "./harness.ts";
import { BROWSER_MISSING, launchBrowser, type TestBrowser } from "./support/browser.ts";
import { type SmtpServer, linkToken, startSmtp } from "./support/smtp.ts";

const EMAIL = "root@example.com";
const PASSWORD = "root-password-123";

let srv: TestServer;
let b: TestBrowser;
let page: Page;
let sdk: PocketBase;
let smtp: SmtpServer | null = null;
const expected404: RegExp[] = [];

async function has(path: string, method = "GET"): Promise<boolean> {
  const res = await fetch(srv.url + path, {
    method,
    headers: { Authorization: sdk.authStore.token, "Content-Type": "application/json" },
    body: method === "GET" ? undefined : "{}",
  });
  await res.text();
  if (res.status === 404) {
    expected404.push(new RegExp(`status of 404.*${path.replace(/[/.]/g, "\\$&")}`));
    return false;
  }
  return true;
}
const skip = (what: string, why: string) => console.log(`  ↷ skipped "${what}": ${why}`);
const dialog = () => page.locator("dialog[open]").last();
const ready = () => page.waitForSelector("body[data-ready]");
async function shot(name: string) {
  await page.evaluate(`document.querySelectorAll(".toast").forEach((t) => t.remove())`);
  await b.shot(page, name);
}
async function go(hash: string) {
  await page.goto(`${srv.url}/_/#${hash}`);
  await ready();
}
async function closeDialogs() {
  while (await page.locator("dialog[open]").count()) {
    await page.keyboard.press("Escape");
    await page.waitForTimeout(180);
  }
}
async function login() {
  await go("/login");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
  await page.waitForURL(/#\/collections/);
}

describe.skipIf(!!BROWSER_MISSING)("dashboard screens in Chromium (dist/pb)", () => {
  beforeAll(async () => {
    const binary = await ensureBuilt("host");
    ({ srv, su: sdk } = await startWithSuperuser({ email: EMAIL, password: PASSWORD, binary }));
    b = await launchBrowser();
    page = await b.page();
    page.setDefaultTimeout(8000);
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await smtp?.stop();
    await srv?.stop({ keep: false });
  });

  test("screens", async () => {
    try {
      await screens();
    } catch (err) {
      await b.shot(page, "zz-screens-failure").catch(() => {});
      console.log("console errors so far:", b.errors());
      console.log(
        "localStorage:",
        await page
          .evaluate(
            `JSON.stringify(Object.fromEntries(Object.entries(localStorage).filter(([k]) => k.startsWith("pb_ui_"))))`,
          )
          .catch(() => ""),
      );
      throw err;
    }
  }, 120_000);
});

async function screens() {
  const started = Date.now();
  const step = (name: string) => console.log(`  ✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  // ---------- email: SMTP to a capturing server (needs the settings API) ----------
  if (await has("/api/settings")) {
    smtp = await startSmtp();
    await sdk.settings.update({
      smtp: { enabled: true, host: "127.0.0.1", port: smtp.port, username: "", password: "", tls: false },
      meta: { appURL: srv.url },
    });
  } else skip("email flows", "the server has no /api/settings yet (404)");

  // ---------- MFA: password, then an emailed OTP ----------
  const otpReady = smtp && (await has("/api/collections/_superusers/request-otp", "POST"));
  if (otpReady) {
    await sdk.collections.update("_superusers", {
      otp: { enabled: true, length: 6 },
      mfa: { enabled: true, rule: "" },
    });
    const since = Date.now();
    await go("/login");
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await page.getByLabel("One-time password").waitFor();
    expected404.push(/status of 401.*auth-with-password/); // MFA: the first factor answers 401 with an mfaId
    const mail = await smtp!.waitFor((m) => m.to.includes(EMAIL), { since });
    const code = /<strong>(\d+)<\/strong>/.exec(mail.html)?.[1] ?? "";
    expect(code).toMatch(/^\d{6}$/);
    await page.getByLabel("One-time password").fill(code);
    await shot("20-login-mfa-otp");
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await page.waitForURL(/#\/collections/);
    step("MFA login: password, then the emailed one-time password");
    await sdk.collections.update("_superusers", { otp: { enabled: false }, mfa: { enabled: false } });
    await page.evaluate(`localStorage.removeItem("pb_superuser_auth")`);
  } else if (smtp) skip("MFA/OTP login", "the server has no request-otp endpoint yet (404)");
  await login();
  step("password login");

  // ---------- email link pages ----------
  if (smtp) {
    const user = await sdk.collection("users").create({
      email: "link@example.com",
      password: "link-password-1",
      passwordConfirm: "link-password-1",
      name: "Link User",
    });
    let since = Date.now();
    await sdk.collection("users").requestVerification(user.email);
    const verify = linkToken(await smtp.waitFor((m) => m.to.includes(user.email), { since }), "confirm-verification");
    await go(`/auth/confirm-verification/${verify}`);
    await page.getByText("Email verified").waitFor();
    await shot("21-confirm-verification");
    expect((await sdk.collection("users").getOne(user.id)).verified).toBe(true);
    since = Date.now();
    await sdk.collection("users").requestPasswordReset(user.email);
    const reset = linkToken(await smtp.waitFor((m) => m.to.includes(user.email), { since }), "confirm-password-reset");
    await go(`/auth/confirm-password-reset/${reset}`);
    await page.getByLabel("New password", { exact: true }).fill("new-password-22");
    await page.getByLabel("Confirm new password").fill("new-password-22");
    await shot("22-confirm-password-reset");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByText("Password changed").waitFor();
    await new PocketBase(srv.url).collection("users").authWithPassword(user.email, "new-password-22");
    step("email link pages: verification and password reset");
    await go("/collections");
  }

  // ---------- auth collection options ----------
  await go("/collections?collection=users");
  await page.click("[data-testid=edit-collection]");
  await dialog().getByRole("tab", { name: "Options" }).click();
  await dialog().getByText("One-time password (OTP)").click();
  await shot("23-auth-options");
  await dialog().getByRole("tab", { name: "API rules" }).click();
  await dialog().getByText("Manage rule").waitFor();
  await closeDialogs();
  step("auth collection options and its extra rules");

  // ---------- validation errors inline ----------
  await page.click("[data-testid=new-collection]");
  await dialog().locator("[data-testid=collection-name]").fill("users");
  await dialog().locator("[data-testid=collection-save]").click();
  await dialog().locator("[data-err=name] .err").waitFor();
  expected404.push(/status of 400.*\/api\/collections$/);
  await shot("24-collection-error");
  // ---------- keyboard: add a field with the keyboard only ----------
  await dialog().locator("[data-testid=collection-name]").fill("notes");
  await dialog().locator("[data-testid=add-field]").focus();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter"); // first item: Plain text
  await page.keyboard.type("body");
  await page.keyboard.press("Control+s");
  await page.waitForSelector("dialog[open]", { state: "detached" });
  expect((await sdk.collections.getOne("notes")).fields.map((f: any) => f.name)).toContain("body");
  step("inline validation error, then a field added and saved by keyboard (Enter, Enter, type, Ctrl+S)");

  // ---------- rename + delete fields (with the confirmation) ----------
  await sdk.collection("notes").create({ body: "keep me" });
  await page.click("[data-testid=edit-collection]");
  const cardOf = async (name: string) => {
    const cards = dialog().locator(".field-card");
    const i = await cards.evaluateAll(
      (els: any[], n) => els.findIndex((c) => c.querySelector("input.field-name")?.value === n),
      name,
    );
    expect(i).toBeGreaterThan(-1);
    return cards.nth(i);
  };
  await (await cardOf("body")).locator("input.field-name").fill("content");
  await (await cardOf("updated")).getByRole("button", { name: /More actions/ }).click();
  await page.getByRole("menuitem", { name: "Delete" }).click();
  await dialog().locator("[data-testid=collection-save]").click(); // opens the confirmation
  await dialog().getByText("will be deleted").waitFor();
  await shot("25-confirm-field-delete");
  await dialog().getByRole("button", { name: "Save anyway" }).click();
  await page.waitForSelector("dialog[open]", { state: "detached" });
  const notes = await sdk.collections.getOne("notes");
  expect(notes.fields.map((f: any) => f.name)).toContain("content");
  expect(notes.fields.map((f: any) => f.name)).not.toContain("updated");
  expect((await sdk.collection("notes").getFullList())[0]!.content).toBe("keep me");
  step("renamed a field (data kept) and deleted one after confirming");

  // ---------- view collection with query preview ----------
  await page.click("[data-testid=new-collection]");
  await dialog().locator("[data-testid=collection-name]").fill("note_view");
  await dialog().locator("[data-testid=collection-type]").click();
  await page.getByRole("menuitem", { name: "View collection" }).click();
  await dialog().locator("[data-testid=view-query]").fill("SELECT id, content FROM notes");
  await dialog().locator("[data-testid=view-preview]").click();
  await dialog().getByText("Sample rows (1)").waitFor();
  await shot("26-view-query-preview");
  await dialog().locator("[data-testid=collection-save]").click();
  await page.waitForSelector("dialog[open]", { state: "detached" });
  await page.waitForURL(/collection=note_view/);
  await page.locator("[data-testid=records-table] tr.trow").filter({ hasText: "keep me" }).waitFor();
  expect(await page.locator("[data-testid=new-record]").count()).toBe(0); // views are read-only
  step("view collection: query preview, created, records listed read-only");

  // ---------- export / import ----------
  await go("/settings/export-collections");
  await page.locator(".code-block pre").waitFor();
  await shot("27-export");
  await go("/settings/import-collections");
  await page
    .getByLabel("Collections JSON")
    .fill(JSON.stringify([{ name: "imported", type: "base", fields: [{ name: "label", type: "text" }] }]));
  await page.getByText("+1").waitFor();
  await shot("28-import-review");
  await page.getByRole("button", { name: "Confirm and import" }).click();
  await poll(async () => (await sdk.collections.getFullList()).some((c) => c.name === "imported"));
  step("export shows the schema; import reviewed and applied");

  // ---------- mail + storage settings ----------
  if (await has("/api/settings")) {
    await go("/settings/mail");
    await page.getByLabel("Sender name").waitFor();
    await shot("29-mail-settings");
    if (smtp && (await has("/api/settings/test/email", "POST"))) {
      const since = Date.now();
      await page.getByRole("button", { name: "Send test email" }).click();
      await dialog().getByLabel("To email address").fill("test-target@example.com");
      await dialog().getByRole("button", { name: "Send" }).click();
      await smtp.waitFor((m) => m.to.includes("test-target@example.com"), { since });
      // the mail leaves before the API answers: the dialog closes (and drops its history entry) after it
      await poll(
        async () =>
          (await page.locator("dialog").count()) === 0 &&
          (await page.evaluate("(history.state && history.state.pbDialog) || 0")) === 0,
      );
      step("mail settings: test email delivered");
    }
    await go("/settings/storage");
    await page.getByText("Use S3-compatible storage").click();
    await page.getByLabel("Endpoint").waitFor();
    await shot("30-storage-settings");
    // hidden controls
    await sdk.settings.update({ meta: { hideControls: true } });
    await go("/collections?collection=notes");
    await page.reload(); // settings are read once per page load
    await page.waitForSelector("[data-testid=records-table]");
    expect(await page.locator("[data-testid=new-collection]").count()).toBe(0);
    expect(await page.locator("[data-testid=edit-collection]").count()).toBe(0);
    await sdk.settings.update({ meta: { hideControls: false } });
    await page.reload();
    step("storage settings, and meta.hideControls hides the schema controls");
  } else skip("mail/storage settings", "the server has no /api/settings yet (404)");

  // ---------- keyboard: "/" focuses the records filter ----------
  await go("/collections?collection=notes");
  await page.waitForSelector("[data-testid=records-table]");
  await page.locator("body").press("/");
  expect(await page.evaluate(`document.activeElement?.dataset?.testid`)).toBe("records-filter");
  await page.keyboard.type("keep");
  await page.keyboard.press("Enter");
  await page.locator("[data-testid=records-table] tr.trow").first().waitFor();
  // the search history remembers it
  await page.getByRole("button", { name: "Search history" }).click();
  await page.getByRole("menuitem", { name: "keep" }).waitFor();
  await page.keyboard.press("Escape");
  step('keyboard: "/" focuses the filter; search history');

  // ---------- column picker + JSON export ----------
  await page.getByRole("button", { name: "Choose columns" }).click();
  await page.getByRole("menuitemcheckbox", { name: "created" }).click();
  await page.keyboard.press("Escape");
  const headers = await page.locator("[data-testid=records-table] th").allTextContents();
  expect(headers).not.toContain("created");
  expect(headers).toContain("content");
  await shot("34-columns");
  await page.locator("[data-testid=records-table] tr.trow td.col-check input").first().check();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export JSON" }).click(),
  ]);
  const exported = JSON.parse(await Bun.file(await download.path()).text());
  expect(exported.map((r: any) => r.content)).toEqual(["keep me"]);
  step("column picker hides a column; selected records exported as JSON");

  // ---------- duplicate + delete a collection ----------
  await page.getByRole("button", { name: "More", exact: true }).click();
  await page.getByRole("menuitem", { name: "Duplicate collection" }).click();
  await dialog().locator("[data-testid=collection-save]").click();
  await page.waitForURL(/collection=notes_duplicate/);
  await page.click("[data-testid=edit-collection]");
  await dialog().getByRole("button", { name: "More collection actions" }).click();
  await page.getByRole("menuitem", { name: "Delete collection" }).click();
  await dialog().getByRole("button", { name: "Delete collection" }).click();
  await poll(async () => !(await sdk.collections.getFullList()).some((c) => c.name === "notes_duplicate"));
  await page.waitForURL((u) => !u.href.includes("notes_duplicate"));
  step("duplicated a collection, then deleted the copy");

  // ---------- "not available yet" states (404s simulated) ----------
  const notFound = {
    status: 404,
    contentType: "application/json",
    body: JSON.stringify({ status: 404, message: "The requested resource wasn't found.", data: {} }),
  };
  await page.route(/\/api\/(backups|crons|sql|logs)(\/|\?|$)/, (route) => route.fulfill(notFound));
  expected404.push(/status of 404/);
  for (const [hash, name] of [
    ["/settings/backups", "31-na-backups"],
    ["/settings/crons", "32-na-crons"],
    ["/logs", "33-na-logs"],
  ] as const) {
    await go(hash);
    await page.locator("[data-testid=not-available]").waitFor();
    if (name === "31-na-backups") await shot(name);
  }
  await go("/settings/sql");
  await page.click("[data-testid=sql-run]");
  await page.locator("[data-testid=not-available]").waitFor();
  await page.unroute(/\/api\/(backups|crons|sql|logs)(\/|\?|$)/);
  step("backups, crons, logs and SQL show a clear 'not available' state on 404");

  expect(b.errors(expected404)).toEqual([]);
  console.log(`  screens finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function poll(fn: () => Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(100);
  }
}

if (BROWSER_MISSING) test.skip(BROWSER_MISSING, () => {});
