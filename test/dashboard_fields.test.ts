/**
 * The record editor's rich-text (editor) and geo point fields in headless Chromium against dist/pb,
 * with every request that is not for the server aborted (so the map has no tiles, as on a machine
 * without internet): type and format rich text, save, reopen, and the stored HTML has the markup;
 * set a geo point by clicking the map and by dragging the marker, save, reopen, and the stored
 * lon/lat are shown. Screenshots go to .tmp/screenshots/3x-*.png.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import PocketBase from "pocketbase";
import type { Page } from "playwright-core";
import { ensureBuilt } from "../build.ts";
import { startWithSuperuser, type TestServer } from "./harness.ts";
import { BROWSER_MISSING, launchBrowser, poll, type TestBrowser } from "./support/browser.ts";

const EMAIL = "fields@example.com";
const PASSWORD = "fields-password-123";

let srv: TestServer;
let b: TestBrowser;
let page: Page;
let sdk: PocketBase;
/** Requests the browser tried to make anywhere but the server (all aborted). */
const outside: string[] = [];

const dialog = () => page.locator("dialog[open]").last();
const ready = () => page.waitForSelector("body[data-ready]");
async function shot(name: string) {
  await page.evaluate(`document.querySelectorAll(".toast").forEach((t) => t.remove())`);
  await b.shot(page, name);
}

describe.skipIf(!!BROWSER_MISSING)("dashboard editor and geo point fields in Chromium (dist/pb)", () => {
  beforeAll(async () => {
    const binary = await ensureBuilt("host");
    ({ srv, su: sdk } = await startWithSuperuser({ email: EMAIL, password: PASSWORD, binary }));
    await sdk.collections.create({
      name: "places",
      type: "base",
      fields: [
        { name: "title", type: "text" },
        { name: "body", type: "editor" },
        { name: "spot", type: "geoPoint" },
      ],
    });
    b = await launchBrowser();
    // nothing but the server: no tile server, no CDN (the editor and the map are bundled)
    await b.ctx.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(srv.url + "/") || url.startsWith("data:")) return route.continue();
      outside.push(url);
      return route.abort();
    });
    page = await b.page();
    page.setDefaultTimeout(8000);
  }, 120_000);

  afterAll(async () => {
    await b?.close();
    await srv?.stop({ keep: false });
  });

  test("rich text and a geo point: edit, save, reopen", async () => {
    try {
      await walk();
    } catch (err) {
      await b.shot(page, "zz-fields-failure").catch(() => {});
      console.log("console errors so far:", b.errors());
      throw err;
    }
  }, 120_000);
});

async function walk() {
  // the bundled libraries' licence texts ship with the dashboard
  const lic = await fetch(`${srv.url}/_/THIRD_PARTY_LICENSES.txt`);
  expect(lic.status).toBe(200);
  const licText = await lic.text();
  expect(licText).toContain("quill 2.0.3 (BSD-3-Clause)");
  expect(licText).toContain("leaflet 1.9.4 (BSD-2-Clause)");
  expect(licText).toContain("Copyright (c) 2017-2024, Slab");

  await page.goto(`${srv.url}/_/#/login`);
  await ready();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Log in", exact: true }).click();
  await page.waitForURL(/#\/collections/);
  await page.goto(`${srv.url}/_/#/collections?collection=places`);
  await page.waitForSelector("[data-testid=records-table]");

  // ---------- rich text: heading, bold, a bullet list, a link ----------
  await page.click("[data-testid=new-record]");
  const d = dialog();
  await d.locator("[data-field=title] textarea, [data-field=title] input").first().fill("Lighthouse");
  const ed = d.locator("[data-field=body] .ql-editor");
  await ed.waitFor();
  const tool = (cls: string, value?: string) =>
    d.locator(`[data-field=body] .ql-toolbar button.ql-${cls}${value ? `[value=${value}]` : ""}`);
  await ed.click();
  await page.keyboard.type("The old ");
  await page.keyboard.press("Control+b");
  await page.keyboard.type("lighthouse");
  await page.keyboard.press("Control+b");
  await page.keyboard.type(" still stands.");
  // the toolbar formats a selection: italicize "still"
  for (let i = 0; i < " stands.".length; i++) await page.keyboard.press("ArrowLeft");
  for (let i = 0; i < "still".length; i++) await page.keyboard.press("Shift+ArrowLeft");
  await tool("italic").click();
  await ed.locator("em").waitFor();
  await page.keyboard.press("End");
  await page.keyboard.press("Enter");
  await tool("list", "bullet").click();
  await page.keyboard.type("granite tower");
  await page.keyboard.press("Enter");
  await page.keyboard.type("red lantern");
  // an image by URL (the dashboard's own icon: served here, so it loads)
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  const imageUrl = (await page.evaluate(`document.querySelector("link[rel=icon]").href`)) as string;
  await tool("image").click();
  await d.getByLabel("Image URL").fill(imageUrl);
  await d.getByLabel("Image URL").press("Enter");
  await ed.locator("img").waitFor();
  await expect(d.locator("[data-field=body] .ql-editor strong").textContent()).resolves.toBe("lighthouse");
  await shot("31-editor-new");
  await d.locator("[data-testid=record-save]").click();
  await page.waitForSelector("dialog[open]", { state: "detached" });

  const rec = await sdk.collection("places").getFirstListItem('title="Lighthouse"');
  expect(rec.body).toContain("<strong>lighthouse</strong> <em>still</em> stands.");
  expect(rec.body).toMatch(/<ul>\s*<li>granite tower<\/li>\s*<li>red lantern<\/li>\s*<\/ul>/);
  expect(rec.body).toContain(`<img src="${imageUrl}">`);
  // plain spaces are stored as spaces (Quill's own HTML export writes &nbsp; for each)
  expect(rec.body).toContain("The old <strong>");
  expect(rec.body).not.toContain("&nbsp;");

  // reopen: the stored HTML comes back as formatted text, and an unchanged reopen sends nothing
  const rows = () => page.locator("[data-testid=records-table] tr.trow");
  await rows().filter({ hasText: "Lighthouse" }).locator("td.col-id button").click();
  const ed2 = dialog().locator("[data-field=body] .ql-editor");
  await ed2.locator("strong").filter({ hasText: "lighthouse" }).waitFor();
  expect(await ed2.locator("li").allTextContents()).toEqual(["granite tower", "red lantern"]);
  // the HTML source view shows what is stored
  await dialog().locator("[data-field=body]").getByRole("button", { name: "HTML source" }).click();
  await expect(dialog().getByLabel("body HTML source").inputValue()).resolves.toBe(rec.body);
  await dialog().locator("[data-field=body]").getByRole("button", { name: "Rich editor" }).click();

  // ---------- geo point: click the map, then drag the marker ----------
  const spot = dialog().locator("[data-field=spot]");
  await spot.getByRole("button", { name: "Map" }).click();
  const map = spot.locator("[data-testid=map-spot]");
  const marker = map.locator(".leaflet-marker-icon");
  await marker.waitFor();
  // no tile server here: the map says so and still works
  await spot.locator("[data-testid=map-note-spot]").waitFor();
  // the bundled marker image loaded from the server
  // (evaluated through the locator: the dashboard's CSP forbids the eval a string predicate needs)
  await poll(
    () => marker.evaluate((i: any) => i.complete && i.naturalWidth),
    (w) => expect(w).toBeGreaterThan(0),
  );
  const lon = spot.getByLabel("Longitude");
  const lat = spot.getByLabel("Latitude");
  expect(await lon.inputValue()).toBe("0");
  // mouse clicks go to viewport coordinates: bring the whole map into view first
  await map.scrollIntoViewIfNeeded();
  const box = (await map.boundingBox())!;
  await page.mouse.click(box.x + box.width * 0.75, box.y + box.height * 0.3);
  await poll(
    () => lon.inputValue(),
    (v) => expect(Number(v)).toBeGreaterThan(0),
  );
  const clicked = { lon: Number(await lon.inputValue()), lat: Number(await lat.inputValue()) };
  expect(clicked.lat).toBeGreaterThan(0);
  // the marker went where the map was clicked
  const m1 = (await marker.boundingBox())!;
  expect(Math.abs(m1.x + m1.width / 2 - (box.x + box.width * 0.75))).toBeLessThan(3);

  // drag the marker left and down: lon and lat both decrease
  const from = { x: m1.x + m1.width / 2, y: m1.y + m1.height - 4 };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(from.x - i * 12, from.y + i * 6);
  await page.mouse.up();
  await poll(
    () => lon.inputValue(),
    (v) => expect(Number(v)).toBeLessThan(clicked.lon),
  );
  const dragged = { lon: Number(await lon.inputValue()), lat: Number(await lat.inputValue()) };
  expect(dragged.lat).toBeLessThan(clicked.lat);

  // typing a coordinate moves the marker
  const before = (await marker.boundingBox())!;
  await lat.fill(String(dragged.lat + 5));
  await poll(
    () => marker.boundingBox(),
    (m) => expect(m!.y).toBeLessThan(before.y - 5),
  );
  await lat.fill(String(dragged.lat));
  await poll(
    () => marker.boundingBox(),
    (m) => expect(Math.abs(m!.y - before.y)).toBeLessThan(2),
  );
  await shot("32-geo-point-map");
  await dialog().locator("[data-testid=record-save]").click();
  await page.waitForSelector("dialog[open]", { state: "detached" });

  const rec2 = await sdk.collection("places").getOne(rec.id);
  expect(rec2.spot).toEqual(dragged);
  // the body was left alone by the second save
  expect(rec2.body).toBe(rec.body);

  // reopen: the inputs and the marker show the stored point
  await rows().filter({ hasText: "Lighthouse" }).locator("td.col-id button").click();
  const spot2 = dialog().locator("[data-field=spot]");
  expect(Number(await spot2.getByLabel("Longitude").inputValue())).toBe(dragged.lon);
  expect(Number(await spot2.getByLabel("Latitude").inputValue())).toBe(dragged.lat);
  await spot2.getByRole("button", { name: "Map" }).click();
  const map2 = spot2.locator("[data-testid=map-spot]");
  await map2.locator(".leaflet-marker-icon").waitFor();
  // centred on the stored point
  await map2.scrollIntoViewIfNeeded();
  const b2 = (await map2.boundingBox())!;
  const m2 = (await map2.locator(".leaflet-marker-icon").boundingBox())!;
  expect(Math.abs(m2.x + m2.width / 2 - (b2.x + b2.width / 2))).toBeLessThan(3);
  await shot("33-geo-point-reopened");
  await page.emulateMedia({ colorScheme: "dark" });
  await dialog().locator("[data-field=body]").scrollIntoViewIfNeeded();
  await shot("34-fields-dark");
  await page.emulateMedia({ colorScheme: "light" });

  // the tile URL is a setting kept in this browser
  await spot2.getByRole("button", { name: "Map tiles…" }).click();
  await spot2.getByLabel("Map tile URL").fill(`${srv.url}/tiles/{z}/{x}/{y}.png`);
  await spot2.getByRole("button", { name: "Save", exact: true }).click();
  expect(await page.evaluate(`localStorage.getItem("pb_ui_mapTileUrl")`)).toBe(
    JSON.stringify(`${srv.url}/tiles/{z}/{x}/{y}.png`),
  );
  await poll(
    () => map2.locator("img.leaflet-tile").first().getAttribute("src"),
    (v) => expect(v).toStartWith(`${srv.url}/tiles/`),
  );
  await page.keyboard.press("Escape");

  // tiles were asked of OpenStreetMap (and refused here); nothing else left the server
  expect(outside.length).toBeGreaterThan(0);
  expect(outside.filter((u) => !u.startsWith("https://tile.openstreetmap.org/"))).toEqual([]);
  const tileNoise = [/Failed to load resource.* @ (https:\/\/tile\.openstreetmap\.org\/|http:\/\/[\d.:]+\/tiles\/)/];
  expect(b.errors(tileNoise)).toEqual([]);
}
