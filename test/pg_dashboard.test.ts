/**
 * The dashboard on PostgreSQL (issue 17), in headless Chromium against `pb serve` from source (it
 * serves the committed public/ bundle) with PB_DB_URL on a throwaway cluster: the settings sidebar
 * names the engine and has no Backups entry, the backups screen says why, and the SQL console says
 * PostgreSQL and runs PostgreSQL's SQL. Screenshots go to .tmp/screenshots/pg-*.png.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { runPb, startServer, tempDir, type TestServer } from "./harness.ts";
import { BROWSER_MISSING, launchBrowser, type TestBrowser } from "./support/browser.ts";
import { PG_MISSING_MESSAGE, postgresInstalled, startPostgres, type PgCluster } from "./support/pg.ts";

setDefaultTimeout(60_000);

const EMAIL = "root@example.com";
const PASSWORD = "root-password-123";
const skipReason = !postgresInstalled() ? PG_MISSING_MESSAGE : BROWSER_MISSING;

let pg: PgCluster;
let srv: TestServer;
let b: TestBrowser;
let page: Page;

const ready = () => page.waitForSelector("body[data-ready]");
async function go(hash: string) {
  await page.goto(`${srv.url}/_/#${hash}`);
  await ready();
}

beforeAll(async () => {
  if (skipReason) return;
  pg = await startPostgres();
  const env = { PB_DB_URL: await pg.createDatabase() };
  const workDir = tempDir();
  const up = await runPb(["superuser", "upsert", EMAIL, PASSWORD, `--dir=${join(workDir, "pb_data")}`], { env });
  if (up.code !== 0) throw new Error(up.stdout + up.stderr);
  srv = await startServer({ workDir, env });
  b = await launchBrowser();
  page = await b.page();
  page.setDefaultTimeout(8000);
}, 120_000);

afterAll(async () => {
  if (skipReason) return;
  await b?.close();
  await srv?.stop();
  await pg?.stop();
});

describe.skipIf(!!skipReason)("dashboard on PostgreSQL (Chromium)", () => {
  if (skipReason) test.skip(skipReason, () => {});

  test("settings name the engine, hide backups; the SQL console says PostgreSQL", async () => {
    await go("/login");
    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Log in", exact: true }).click();
    await page.waitForURL(/#\/collections/);

    await go("/settings");
    await page.getByTestId("db-engine").waitFor();
    expect(await page.getByTestId("db-engine").textContent()).toBe("Database: PostgreSQL");
    const nav = page.getByRole("navigation", { name: "Settings" });
    expect(await nav.getByRole("link", { name: "SQL console" }).count()).toBe(1);
    expect(await nav.getByRole("link", { name: "Backups" }).count()).toBe(0);
    await b.shot(page, "pg-settings");

    // the route still answers, and says why there is nothing to do there
    await go("/settings/backups");
    await page.getByText("the data lives in PostgreSQL").waitFor();
    expect(await page.getByTestId("backup-create").count()).toBe(0);

    await go("/settings/sql");
    expect(await page.getByTestId("sql-engine").textContent()).toBe("PostgreSQL");
    await page
      .getByTestId("sql-input")
      .fill("SELECT name FROM \"_collections\" WHERE name ILIKE '\\_super%' ORDER BY 1");
    await page.getByTestId("sql-run").click();
    await page.getByTestId("sql-result").getByRole("cell", { name: "_superusers" }).waitFor();
    await b.shot(page, "pg-sql-console");

    // the default query of a fresh console is PostgreSQL's
    await page.evaluate(`localStorage.removeItem("pb_ui_sqlDraft")`);
    await go("/settings/crons");
    await go("/settings/sql");
    expect(await page.getByTestId("sql-input").inputValue()).toContain("information_schema.tables");
    await page.getByTestId("sql-run").click();
    await page.getByTestId("sql-result").getByRole("cell", { name: "_collections" }).waitFor();

    expect(b.errors()).toEqual([]);
  });
});
