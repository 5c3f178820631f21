import { describe, expect, test } from "bun:test";
import { AutocertManager } from "./manager.ts";

const DAY = 86400_000;

describe("AutocertManager.renewAt", () => {
  test("a 90-day certificate renews 30 days before it ends (autocert's RenewBefore)", () => {
    const notBefore = new Date(Date.UTC(2026, 0, 1));
    const notAfter = new Date(notBefore.getTime() + 90 * DAY);
    expect(AutocertManager.renewAt({ notBefore, notAfter })).toBe(notAfter.getTime() - 30 * DAY);
  });

  test("a longer one still 30 days before; a short-lived one after two thirds of its life", () => {
    const notBefore = new Date(Date.UTC(2026, 0, 1));
    const year = new Date(notBefore.getTime() + 365 * DAY);
    expect(AutocertManager.renewAt({ notBefore, notAfter: year })).toBe(year.getTime() - 30 * DAY);
    const sixDays = new Date(notBefore.getTime() + 6 * DAY);
    expect(AutocertManager.renewAt({ notBefore, notAfter: sixDays })).toBe(notBefore.getTime() + 4 * DAY);
  });
});
