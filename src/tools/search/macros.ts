/**
 * The datetime identifier macros (`@now`, `@todayStart`, `@month`, ...), evaluated in UTC when a
 * filter is built and bound as parameters: date strings in upstream's `YYYY-MM-DD HH:MM:SS.sssZ`
 * layout, calendar parts as integers.
 */

/** The clock the macros read; tests may replace it. */
export let macroNow: () => Date = () => new Date();

/** Replaces the macro clock (for tests); returns a function restoring the previous one. */
export function setMacroClock(fn: () => Date): () => void {
  const prev = macroNow;
  macroNow = fn;
  return () => {
    macroNow = prev;
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** A UTC date as upstream stores datetimes. */
export function formatUTC(d: Date): string {
  const y = d.getUTCFullYear();
  return (
    `${y < 0 ? "-" + pad(-y, 4) : pad(y, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}Z`
  );
}

const utc = (y: number, m: number, d: number, h = 0, mi = 0, s = 0, ms = 0) =>
  new Date(Date.UTC(y, m, d, h, mi, s, ms));

/** The macros by name; each returns the value to bind. */
export const IDENTIFIER_MACROS: { readonly [name: string]: () => string | number } = {
  "@now": () => formatUTC(macroNow()),
  "@yesterday": () => {
    const n = macroNow();
    return formatUTC(
      utc(
        n.getUTCFullYear(),
        n.getUTCMonth(),
        n.getUTCDate() - 1,
        n.getUTCHours(),
        n.getUTCMinutes(),
        n.getUTCSeconds(),
        n.getUTCMilliseconds(),
      ),
    );
  },
  "@tomorrow": () => {
    const n = macroNow();
    return formatUTC(
      utc(
        n.getUTCFullYear(),
        n.getUTCMonth(),
        n.getUTCDate() + 1,
        n.getUTCHours(),
        n.getUTCMinutes(),
        n.getUTCSeconds(),
        n.getUTCMilliseconds(),
      ),
    );
  },
  "@second": () => macroNow().getUTCSeconds(),
  "@minute": () => macroNow().getUTCMinutes(),
  "@hour": () => macroNow().getUTCHours(),
  "@day": () => macroNow().getUTCDate(),
  "@month": () => macroNow().getUTCMonth() + 1,
  "@weekday": () => macroNow().getUTCDay(),
  "@year": () => macroNow().getUTCFullYear(),
  "@todayStart": () => {
    const n = macroNow();
    return formatUTC(utc(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate()));
  },
  "@todayEnd": () => {
    const n = macroNow();
    return formatUTC(utc(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate(), 23, 59, 59, 999));
  },
  "@monthStart": () => {
    const n = macroNow();
    return formatUTC(utc(n.getUTCFullYear(), n.getUTCMonth(), 1));
  },
  "@monthEnd": () => {
    const n = macroNow();
    // day 0 of the next month is the last day of this one
    return formatUTC(utc(n.getUTCFullYear(), n.getUTCMonth() + 1, 0, 23, 59, 59, 999));
  },
  "@yearStart": () => formatUTC(utc(macroNow().getUTCFullYear(), 0, 1)),
  "@yearEnd": () => formatUTC(utc(macroNow().getUTCFullYear(), 11, 31, 23, 59, 59, 999)),
};
