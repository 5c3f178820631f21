/**
 * The dashboard's second walk, in headless Chromium against the compiled binary (dist/pb): the
 * "Public" tag follows a rule as it is typed; browser Back closes drawers; upstream's deep links to a
 * record (`record=`, and `recordId=` from its older dashboard), a collection and a log; tab strips
 * without a scrollbar; a bad filter's reason under the search bar; toasts clear of Save buttons;
 * MIME type presets of file fields; the backup dialog's note on writes, upload and restore; an
 * OAuth2 provider added to an auth collection; impersonation. Screenshots in .tmp/screenshots/w2-*.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import PocketBase from "pocketbase";
import type { Page } from "playwright-core";
import { ensureBuilt } from "../build.ts";
import { startWithSuperuser, type TestServer } from "./harness.ts";
import { BROWSER_MISSING, launchBrowser, poll, type TestBrowser } from "./support/browser.ts";

const EMAIL = "admin@example.com";
const PASSWORD = "admin-password-123";

let srv: TestServer;
let b: TestBrowser;
let page: Page;
let sdk: PocketBase;

const ready = () => page.waitForSelector("body[data-ready]");
const toastGone = () => page.evaluate(`document.querySelectorAll(".toast").forEach((t) => t.remove())`);
const dialog = () => page.locator("dialog[open]").last();
const noDialog = () => page.waitForSelector("dialog[open]", { state: "detached" });
const hashQuery = () => new URLSearchParams(new URL(page.url()).hash.split("?")[1] ?? "");
const back = () => page.evaluate("history.back()");
const forward = () => page.evaluate("history.forward()");

async function shot(name: string, keepToasts = false) {
  if (!keepToasts) await toastGone();
  await b.shot(page, `w2-${name}`);
}
/** Loads a dashboard address as a fresh page load (not a hash change of the open one). */
async function load(hash: string) {
  await page.goto("about:blank");
  await page.goto(`${srv.url}/_/#${hash}`);
  await ready();
}
type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, c: Box) =>
  a.x < c.x + c.width && c.x < a.x + a.width && a.y < c.y + c.height && c.y < a.y + a.height;

describe.skipIf(!!BROWSER_MISSING)("dashboard walk 2 in Chromium (dist/pb)", () => {
  beforeAll(async () => {
    const binary = await ensureBuilt("host");
    ({ srv, su: sdk } = await startWithSuperuser({ email: EMAIL, password: PASSWORD, binary }));
    b = await launchBrowser();
    page = await b.page();
    page.setDefaultTimeout(8000);
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await srv?.stop({ keep: false });
  });

  test("the second walk", async () => {
    try {
      await walk();
    } catch (err) {
      await b.shot(page, "w2-zz-failure").catch(() => {});
      console.log("console errors so far:", b.errors());
      throw err;
    }
  }, 180_000);
});

async function walk() {
  const started = Date.now();
  const step = (name: string) => console.log(`  ✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  // data: a collection whose list rule is locked, two posts, an account to impersonate
  await sdk.collections.create({
    name: "posts",
    type: "base",
    fields: [
      { name: "title", type: "text" },
      { name: "views", type: "number" },
    ],
    listRule: null,
    viewRule: null,
  });
  const first = await sdk.collection("posts").create({ title: "First post", views: 3 });
  await sdk.collection("posts").create({ title: "Second post", views: 9 });
  const jane = await sdk.collection("users").create({
    email: "jane@example.com",
    password: "jane-password-1",
    passwordConfirm: "jane-password-1",
    name: "Jane Doe",
  });

  await load("/login");
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
  await page.waitForURL(/#\/collections/);

  // ---------- collection deep link ----------
  await load("/collections?collection=posts");
  await page.locator(".page-header h1", { hasText: "posts" }).waitFor();
  await page.locator("[data-testid=records-table] tr.trow").first().waitFor();
  expect(await page.locator(".side-link.active").textContent()).toBe("posts");
  step("#/collections?collection=posts opens that collection");

  // ---------- the "Public" tag follows the rule as it is typed ----------
  await page.click("[data-testid=edit-collection]");
  await dialog().getByRole("tab", { name: "API rules" }).click();
  const tag = dialog().locator("[data-testid=listRule-public]");
  expect(await tag.count()).toBe(0); // locked: superusers only
  await dialog().locator("[data-testid=listRule-lock]").click();
  await tag.waitFor(); // unlocked and empty: everyone
  const rule = dialog().locator("[data-testid=listRule-input]");
  await rule.pressSequentially("views > 1");
  await tag.waitFor({ state: "detached" });
  await shot("01-rule-typed-not-public");
  await rule.fill("");
  await tag.waitFor();
  await shot("02-rule-cleared-public");
  step('the "Public" tag comes and goes as the rule is typed');

  // ---------- tab strips: no scrollbar, nothing overflowing ----------
  const tabStrips = await dialog()
    .locator(".tabs")
    .evaluateAll((els: any[]) =>
      els.map((e) => ({ scrollH: e.scrollHeight, clientH: e.clientHeight, offsetH: e.offsetHeight })),
    );
  expect(tabStrips.length).toBeGreaterThan(0);
  for (const t of tabStrips) {
    expect(t.scrollH).toBeLessThanOrEqual(t.clientH); // nothing to scroll vertically
    expect(t.offsetH).toBe(t.clientH); // no horizontal scrollbar taking room
  }
  step("the collection editor's tab strip has no scrollbar");

  // ---------- Back closes the collection editor (the page stays) ----------
  const before = page.url();
  await back();
  await noDialog();
  expect(page.url()).toBe(before);
  await page.locator(".page-header h1", { hasText: "posts" }).waitFor();
  expect(await page.locator(".toast.error").count()).toBe(0);
  expect((await sdk.collections.getOne("posts")).listRule).toBeNull(); // closed without saving
  step("browser Back closed the collection editor and stayed on the page");

  // ---------- a record: its address, Back, Forward, upstream's deep links ----------
  const row = (text: string) => page.locator("[data-testid=records-table] tr.trow", { hasText: text });
  await row("First post").locator("td.col-id button").click();
  await dialog().locator("[data-testid=record-id]").waitFor();
  expect(hashQuery().get("record")).toBe(first.id);
  expect(hashQuery().get("collection")).toBe("posts");
  await shot("03-record-open-url");
  await back();
  await noDialog();
  expect(hashQuery().get("record")).toBeNull();
  expect(hashQuery().get("collection")).toBe("posts");
  await forward();
  await dialog().locator("[data-testid=record-id]", { hasText: first.id }).waitFor();
  await back();
  await noDialog();
  // closing with Cancel takes the record out of the address too
  await row("Second post").click();
  await dialog().locator("[data-testid=record-id]").waitFor();
  expect(hashQuery().get("record")).not.toBeNull();
  await dialog().getByRole("button", { name: "Cancel" }).click();
  await noDialog();
  await poll(
    async () => hashQuery().get("record"),
    (v) => expect(v).toBeNull(),
  );
  // unsaved changes: Escape asks first; "Discard" closes both, and history is back on the list's entry
  const depth = () => page.evaluate(`history.state?.pbDialog ?? 0`);
  await row("Second post").click();
  await dialog().locator("[data-field=title] input, [data-field=title] textarea").first().fill("Changed, not saved");
  await page.keyboard.press("Escape");
  await dialog().getByRole("button", { name: "Discard changes" }).click();
  await noDialog();
  await poll(depth, (v) => expect(v).toBe(0));
  await poll(
    async () => hashQuery().get("record"),
    (v) => expect(v).toBeNull(),
  );
  expect((await sdk.collection("posts").getFirstListItem("views = 9")).title).toBe("Second post");
  // links from upstream's dashboard: `record=` (v0.23+) and `recordId=` (older)
  for (const key of ["record", "recordId"]) {
    await load(`/collections?collection=posts&${key}=${first.id}`);
    await dialog().locator("[data-testid=record-id]", { hasText: first.id }).waitFor();
    const titleIn = dialog().locator("[data-field=title] input, [data-field=title] textarea").first();
    expect(await titleIn.inputValue()).toBe("First post");
    expect(hashQuery().get("record")).toBe(first.id);
    await back();
    await noDialog();
    expect(hashQuery().get("record")).toBeNull();
    expect(hashQuery().get("recordId")).toBeNull();
    await page.locator("[data-testid=records-table] tr.trow").first().waitFor();
  }
  await shot("04-record-link-closed-by-back");
  step("a record's drawer has upstream's deep link; Back and Forward close and reopen it");

  // ---------- a bad filter says why, under the search bar ----------
  const filter = page.locator("[data-testid=records-filter]");
  await filter.fill("nope = 1");
  await filter.press("Enter");
  const why = page.locator("[data-testid=records-filter-error]");
  await why.waitFor();
  expect(await why.textContent()).toContain("Something went wrong while processing your request.");
  expect(await why.textContent()).toContain("nope = 1");
  const barBox = (await page.locator("form.searchbar").boundingBox())!;
  const whyBox = (await why.boundingBox())!;
  const tableBox = (await page.locator("[data-testid=records-table]").boundingBox())!;
  expect(whyBox.y).toBeGreaterThanOrEqual(barBox.y + barBox.height);
  expect(whyBox.y + whyBox.height).toBeLessThanOrEqual(tableBox.y);
  await shot("05-bad-filter");
  await filter.fill("views > 5");
  await filter.press("Enter");
  await why.waitFor({ state: "detached" });
  await poll(
    () => page.locator("[data-testid=records-table] tr.trow").count(),
    (v) => expect(v).toBe(1),
  );
  await filter.fill("");
  await filter.press("Enter");
  step("a rejected filter shows the API's reason under the search bar, and goes away when fixed");

  // ---------- MIME type presets of a file field ----------
  await page.click("[data-testid=edit-collection]");
  await dialog().locator("[data-testid=add-field]").click();
  await page.getByRole("menuitem", { name: "File", exact: true }).click();
  await dialog().locator(".field-name:focus").fill("attachment");
  const card = dialog()
    .locator(".field-card")
    .filter({ has: page.locator("[data-testid=mime-presets]") })
    .last();
  await card.locator("[data-testid=mime-presets]").click();
  const presetNames = await page.locator(".menu [role=menuitem]").allTextContents();
  expect(presetNames).toEqual([
    "Images (jpg, png, svg, gif, webp)",
    "Documents (pdf, doc/docx, xls/xlsx)",
    "Videos (mp4, mpeg, avi, mov, 3gp)",
    "Archives (zip, 7zip, rar)",
  ]);
  await shot("06-mime-presets");
  await page.getByRole("menuitem", { name: /^Documents/ }).click();
  const docs = [
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ];
  expect(await card.getByLabel("Allowed MIME types").inputValue()).toBe(docs.join(", "));
  await dialog().locator("[data-testid=collection-save]").click();
  await noDialog();
  const attachment = (await sdk.collections.getOne("posts")).fields.find((f: any) => f.name === "attachment");
  expect(attachment?.mimeTypes).toEqual(docs);
  step("a file field's MIME types filled from the Documents preset");

  // ---------- toasts stay clear of the Save button ----------
  await load("/settings");
  await page.locator("[data-testid=app-name]").fill("Walk Two");
  await page.click("[data-testid=settings-save]");
  const toastEl = page.locator(".toast", { hasText: "Settings saved." });
  await toastEl.waitFor();
  const saveBox = async () => (await page.locator("[data-testid=settings-save]").boundingBox())!;
  expect(overlaps((await toastEl.boundingBox())!, await saveBox())).toBe(false);
  await shot("07-settings-saved-toast", true);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.click("[data-testid=settings-save]");
  await page.locator(".toast", { hasText: "Settings saved." }).first().waitFor();
  for (const t of await page.locator(".toast").all()) {
    expect(overlaps((await t.boundingBox())!, await saveBox())).toBe(false);
  }
  await shot("08-settings-saved-toast-phone", true);
  await page.setViewportSize({ width: 1366, height: 860 });
  expect((await sdk.settings.getAll()).meta.appName).toBe("Walk Two");
  step("the saved toast does not cover the Save button (desktop and phone)");

  // ---------- a log's drawer: its address, Back, deep link ----------
  await load("/logs");
  await page.locator("[data-testid=logs-table] tr.trow button.link").first().click();
  await dialog().getByText("Raw JSON").waitFor();
  const logId = hashQuery().get("logId");
  expect(logId).toBeTruthy();
  await back();
  await noDialog();
  expect(hashQuery().get("logId")).toBeNull();
  await page.locator("[data-testid=logs-table]").waitFor();
  await load(`/logs?logId=${logId}`);
  await dialog().getByText("Raw JSON").waitFor();
  expect(await dialog().locator("table.kv").textContent()).toContain(logId!);
  await shot("09-log-deep-link");
  await back();
  await noDialog();
  step("the log drawer has upstream's logId link; Back closes it");

  // ---------- backups: the note on writes, create, upload, restore ----------
  await load("/settings/backups");
  await page.click("[data-testid=backup-create]");
  const note = dialog().locator("[data-testid=backup-writes-note]");
  expect(await note.textContent()).toContain("VACUUM INTO");
  expect(await note.textContent()).toContain("Writes keep working");
  expect(await dialog().textContent()).not.toContain("read-only");
  await shot("10-backup-dialog");
  await dialog().locator("[data-testid=backup-name]").fill("walk2.zip");
  await dialog().locator("[data-testid=backup-start]").click();
  await page.locator("[data-testid=backup-list] [data-key='walk2.zip']").waitFor({ timeout: 20_000 });
  await noDialog();
  // upload a copy of it under another name, through the page's file input
  const token = await sdk.files.getToken();
  const zip = new Uint8Array(await (await fetch(sdk.backups.getDownloadURL(token, "walk2.zip"))).arrayBuffer());
  expect(zip.length).toBeGreaterThan(100);
  await page
    .locator("[data-testid=backup-upload-input]")
    .setInputFiles({ name: "uploaded_copy.zip", mimeType: "application/zip", buffer: Buffer.from(zip) });
  await page.locator("[data-testid=backup-list] [data-key='uploaded_copy.zip']").waitFor();
  expect((await sdk.backups.getFullList()).map((x) => x.key).sort()).toEqual(["uploaded_copy.zip", "walk2.zip"]);
  step("the backup dialog says writes go on (VACUUM INTO); created one and uploaded a copy");
  // a post made after the backup disappears when the uploaded copy is restored
  await sdk.collection("posts").create({ title: "After the backup" });
  await page.getByRole("button", { name: "Restore uploaded_copy.zip" }).click();
  expect(await dialog().textContent()).toContain("restarts in place");
  await shot("11-restore-confirm");
  const reloaded = page.waitForEvent("load", { timeout: 30_000 });
  await dialog().getByRole("button", { name: "Restore", exact: true }).click();
  await poll(
    async () => {
      try {
        return (await sdk.collection("posts").getFullList()).map((r) => r.title).sort();
      } catch {
        return ["(restarting)"];
      }
    },
    (v) => expect(v).toEqual(["First post", "Second post"]),
    30_000,
  );
  await reloaded;
  await ready();
  expect(page.url()).toContain("#/settings/backups");
  await page.locator("[data-testid=backup-list] [data-key='walk2.zip']").waitFor({ timeout: 15_000 });
  await shot("12-after-restore");
  step("restored the uploaded backup from the dashboard: the later post is gone, the page reloaded");

  // ---------- an OAuth2 provider on the users collection ----------
  await load("/collections?collection=users");
  await page.click("[data-testid=edit-collection]");
  await dialog().getByRole("tab", { name: "Options" }).click();
  await dialog().locator("summary", { hasText: "OAuth2" }).click();
  const oauth = dialog().locator("details[data-err=oauth2]");
  await oauth.getByLabel("Enable").check();
  await oauth.getByRole("button", { name: "Add provider" }).click();
  await page.getByRole("menuitem", { name: "Google", exact: true }).click();
  await oauth.getByLabel("Client ID").fill("walk2-client-id");
  await oauth.getByLabel("Client secret").fill("walk2-client-secret");
  await shot("13-oauth2-provider");
  await dialog().locator("[data-testid=collection-save]").click();
  await noDialog();
  const users = await sdk.collections.getOne("users");
  expect(users.oauth2.enabled).toBe(true);
  expect(users.oauth2.providers.map((p: any) => [p.name, p.clientId])).toEqual([["google", "walk2-client-id"]]);
  const methods = await new PocketBase(srv.url).collection("users").listAuthMethods();
  expect(methods.oauth2.providers.map((p) => p.name)).toEqual(["google"]);
  step("added the Google OAuth2 provider to users; listAuthMethods offers it");

  // ---------- impersonation ----------
  await page.locator("[data-testid=records-table] tr.trow", { hasText: "jane@example.com" }).click();
  await dialog().getByRole("button", { name: "More record actions" }).click();
  await page.getByRole("menuitem", { name: "Impersonate" }).click();
  await dialog().getByLabel("Token duration (seconds)").fill("600");
  await dialog().getByRole("button", { name: "Generate token" }).click();
  const tokenIn = dialog().getByLabel("Auth token");
  await tokenIn.waitFor();
  const janeToken = await tokenIn.inputValue();
  await shot("14-impersonate");
  const payload = JSON.parse(Buffer.from(janeToken.split(".")[1]!, "base64url").toString());
  expect(payload.id).toBe(jane.id);
  expect(payload.refreshable).toBe(false);
  // the token lasts the 600 s asked for, not the collection's default (7 days for users)
  expect(Math.abs(payload.exp - Date.now() / 1000 - 600)).toBeLessThan(120);
  // the token acts as Jane: the users view rule lets her see her own record
  const asJane = new PocketBase(srv.url);
  asJane.authStore.save(janeToken);
  expect((await asJane.collection("users").getOne(jane.id)).email).toBe("jane@example.com");
  // Back closes the impersonation modal, then the record drawer under it
  await back();
  await poll(
    () => page.locator("dialog[open]").count(),
    (v) => expect(v).toBe(1),
  );
  await back();
  await noDialog();
  expect(hashQuery().get("collection")).toBe("users");
  step("impersonated Jane: a 600 s non-refreshable token that works as her; Back closed both dialogs");

  // a rejected filter answers 400, which the browser logs as a failed resource
  expect(b.errors([/status of 400/])).toEqual([]);
  console.log(`  walk finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (BROWSER_MISSING) test.skip(BROWSER_MISSING, () => {});
