/**
 * Headless Chromium for the dashboard tests: playwright-core driving Debian's /usr/bin/chromium with
 * the flags from toolchain.md §7, console/page errors collected, screenshots under .tmp/screenshots/.
 *
 * @example
 * const b = await launchBrowser();          // null (with a reason) when chromium is missing
 * const page = await b.page();
 * await page.goto(url);
 * await b.shot(page, "01-login");
 * expect(b.errors()).toEqual([]);
 * await b.close();
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BrowserContext, Page } from "playwright-core";

export const CHROMIUM = process.env.PB_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOTS = resolve(import.meta.dir, "../../.tmp/screenshots");
/** Why browser tests skip on this machine ("" = they can run). */
export const BROWSER_MISSING = existsSync(CHROMIUM) ? "" : `skipped: ${CHROMIUM} not found (apt-get install chromium)`;

export interface TestBrowser {
  ctx: BrowserContext;
  /** A new page (tab) with console and page errors recorded. */
  page(opts?: { width?: number; height?: number; colorScheme?: "light" | "dark" }): Promise<Page>;
  /** Saves `.tmp/screenshots/<name>.png`; returns its path. */
  shot(page: Page, name: string, opts?: { fullPage?: boolean }): Promise<string>;
  /** Console errors and uncaught page errors so far (minus `ignore` patterns). */
  errors(ignore?: RegExp[]): string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "pb-chromium-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1366, height: 860 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const errors: string[] = [];
  const watch = (p: Page) => {
    p.on("console", (m) => {
      if (m.type() === "error") errors.push(`console: ${m.text()} @ ${m.location().url}`);
    });
    p.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  };
  ctx.pages().forEach(watch);
  ctx.on("page", watch);
  return {
    ctx,
    async page(opts = {}) {
      const p = ctx.pages().find((x) => x.url() === "about:blank") ?? (await ctx.newPage());
      if (opts.width || opts.height) await p.setViewportSize({ width: opts.width ?? 1366, height: opts.height ?? 860 });
      if (opts.colorScheme) await p.emulateMedia({ colorScheme: opts.colorScheme });
      return p;
    },
    async shot(page, name, opts = {}) {
      const path = join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path, fullPage: opts.fullPage ?? false, animations: "disabled" });
      return path;
    },
    errors(ignore = []) {
      return errors.filter((e) => !ignore.some((r) => r.test(e)));
    },
    async close() {
      await ctx.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Retries `fn` until its value passes `check` (bun:test has no expect.poll). */
export async function poll<T>(fn: () => Promise<T>, check: (v: T) => void, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    try {
      check(v);
      return;
    } catch (err) {
      if (Date.now() > end) throw err;
      await Bun.sleep(100);
    }
  }
}
