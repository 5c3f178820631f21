/**
 * Upstream's types.DateTime as text: values are stored and output as `YYYY-MM-DD HH:MM:SS.sssZ`
 * (UTC, milliseconds) and "" for the zero date. Parsing follows types.DateTime.Scan: the canonical
 * layout first, then the lenient list of layouts spf13/cast tries, each matched with Go's
 * time.Parse rules (so "2024-01-02T03:04:05+02:00" is accepted and "garbage" becomes "").
 */

/** The canonical datetime layout, in Go's notation. */
export const DEFAULT_DATE_LAYOUT = "2006-01-02 15:04:05.000Z";

/** Formats a JS Date as upstream stores datetimes. */
export function formatDateTime(date: Date): string {
  const y = date.getUTCFullYear();
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${y < 0 ? "-" + pad(-y, 4) : pad(y, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}Z`
  );
}

/** The current time in upstream's datetime text. */
export function nowDateTime(): string {
  return formatDateTime(new Date());
}

/**
 * types.ParseDateTime: the datetime text a raw value becomes, or "" when it is empty or unparsable.
 * JS numbers count as JSON (float64) input, which upstream cannot parse either.
 */
const CANONICAL_SHAPE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/;

export function parseDateTime(raw: unknown): string {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? "" : formatDateTime(raw);
  let text: string;
  if (typeof raw === "string") text = raw;
  else if (raw === null || raw === undefined) return "";
  else if (typeof raw === "number") text = String(raw);
  else if (raw instanceof Uint8Array) text = new TextDecoder().decode(raw);
  else return "";
  if (text === "") return "";
  // Fast path: stored values are already canonical (`YYYY-MM-DD HH:MM:SS.sssZ`); a valid one
  // round-trips through Date unchanged. Every list row parses several of these.
  if (text.length === 24 && CANONICAL_SHAPE.test(text) && isValidCanonical(text)) return text;
  const t = parseLayout(CANONICAL, text) ?? parseLenient(text);
  return t === null ? "" : formatDateTime(t);
}

const num2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/** Whether a text of CANONICAL_SHAPE names a real instant (month 1–12, day within its month, clock < 24:00:60). */
function isValidCanonical(s: string): boolean {
  const year = num2(s, 0) * 100 + num2(s, 2);
  const month = num2(s, 5);
  const day = num2(s, 8);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days && num2(s, 11) < 24 && num2(s, 14) < 60 && num2(s, 17) < 60;
}

// --- a small port of Go's time.Parse for the layouts below -------------------------------------

type Token =
  | "2006"
  | "06"
  | "01"
  | "Jan"
  | "02"
  | "_2"
  | "Mon"
  | "Monday"
  | "15"
  | "3"
  | "04"
  | "05"
  | "PM"
  | "MST"
  | "-0700"
  | "-07:00"
  | "Z0700"
  | "Z07:00"
  | ".000"
  | ".000000"
  | ".000000000"
  | ".999999999"
  | { lit: string };

const lit = (s: string): Token => ({ lit: s });

/** How cast treats the zone of a matched layout: zone-less and named-zone results keep the clock in UTC. */
type ZoneKind = "none" | "named" | "numeric";

interface Layout {
  tokens: Token[];
  zone: ZoneKind;
}

const CANONICAL: Layout = {
  tokens: ["2006", lit("-"), "01", lit("-"), "02", lit(" "), "15", lit(":"), "04", lit(":"), "05", ".000", lit("Z")],
  zone: "none",
};

const DATE: Token[] = ["2006", lit("-"), "01", lit("-"), "02"];
const CLOCK: Token[] = ["15", lit(":"), "04", lit(":"), "05"];

/** spf13/cast's TimeFormats, in its order. */
const LENIENT: Layout[] = [
  { tokens: [...DATE], zone: "none" },
  { tokens: [...DATE, lit("T"), ...CLOCK, "Z07:00"], zone: "numeric" }, // RFC3339
  { tokens: [...DATE, lit("T"), ...CLOCK], zone: "none" },
  {
    tokens: ["Mon", lit(", "), "02", lit(" "), "Jan", lit(" "), "2006", lit(" "), ...CLOCK, lit(" "), "-0700"],
    zone: "numeric",
  }, // RFC1123Z
  {
    tokens: ["Mon", lit(", "), "02", lit(" "), "Jan", lit(" "), "2006", lit(" "), ...CLOCK, lit(" "), "MST"],
    zone: "named",
  }, // RFC1123
  {
    tokens: ["02", lit(" "), "Jan", lit(" "), "06", lit(" "), "15", lit(":"), "04", lit(" "), "-0700"],
    zone: "numeric",
  }, // RFC822Z
  { tokens: ["02", lit(" "), "Jan", lit(" "), "06", lit(" "), "15", lit(":"), "04", lit(" "), "MST"], zone: "named" }, // RFC822
  {
    tokens: ["Monday", lit(", "), "02", lit("-"), "Jan", lit("-"), "06", lit(" "), ...CLOCK, lit(" "), "MST"],
    zone: "named",
  }, // RFC850
  { tokens: [...DATE, lit(" "), ...CLOCK, ".999999999", lit(" "), "-0700", lit(" "), "MST"], zone: "numeric" }, // Time.String()
  { tokens: [...DATE, lit("T"), ...CLOCK, "-0700"], zone: "numeric" },
  { tokens: [...DATE, lit(" "), ...CLOCK, "Z0700"], zone: "numeric" },
  { tokens: [...DATE, lit(" "), ...CLOCK], zone: "none" },
  { tokens: ["Mon", lit(" "), "Jan", lit(" "), "_2", lit(" "), ...CLOCK, lit(" "), "2006"], zone: "none" }, // ANSIC
  {
    tokens: ["Mon", lit(" "), "Jan", lit(" "), "_2", lit(" "), ...CLOCK, lit(" "), "MST", lit(" "), "2006"],
    zone: "named",
  }, // UnixDate
  {
    tokens: ["Mon", lit(" "), "Jan", lit(" "), "02", lit(" "), ...CLOCK, lit(" "), "-0700", lit(" "), "2006"],
    zone: "numeric",
  }, // RubyDate
  { tokens: [...DATE, lit(" "), ...CLOCK, "Z07:00"], zone: "numeric" },
  { tokens: ["02", lit(" "), "Jan", lit(" "), "2006"], zone: "none" },
  { tokens: [...DATE, lit(" "), ...CLOCK, lit(" "), "-07:00"], zone: "numeric" },
  { tokens: [...DATE, lit(" "), ...CLOCK, lit(" "), "-0700"], zone: "numeric" },
  { tokens: ["3", lit(":"), "04", "PM"], zone: "none" }, // Kitchen
  { tokens: ["Jan", lit(" "), "_2", lit(" "), ...CLOCK], zone: "none" }, // Stamp
  { tokens: ["Jan", lit(" "), "_2", lit(" "), ...CLOCK, ".000"], zone: "none" },
  { tokens: ["Jan", lit(" "), "_2", lit(" "), ...CLOCK, ".000000"], zone: "none" },
  { tokens: ["Jan", lit(" "), "_2", lit(" "), ...CLOCK, ".000000000"], zone: "none" },
];

function parseLenient(text: string): Date | null {
  for (const layout of LENIENT) {
    const t = parseLayout(layout, text);
    if (t) return t;
  }
  return null;
}

const SHORT_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const SHORT_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const LONG_DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

const isDigit = (s: string, i: number) => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;

/** Go's getnum: one or two digits, or exactly two when `fixed`. */
function getNum(s: string, fixed: boolean): [number, string] | null {
  if (!isDigit(s, 0)) return null;
  if (!isDigit(s, 1)) return fixed ? null : [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

/** Case-insensitive prefix lookup of a name table (Go's lookup). */
function lookup(table: string[], s: string): [number, string] | null {
  const lower = s.toLowerCase();
  for (let i = 0; i < table.length; i++) {
    if (lower.startsWith(table[i]!)) return [i, s.slice(table[i]!.length)];
  }
  return null;
}

/** Go's skip: a layout space matches one or more value spaces, other characters match exactly. */
function skip(value: string, prefix: string): string | null {
  while (prefix.length > 0) {
    if (prefix[0] === " ") {
      if (value.length > 0 && value[0] !== " ") return null;
      prefix = prefix.replace(/^ +/, "");
      value = value.replace(/^ +/, "");
      continue;
    }
    if (value.length === 0 || value[0] !== prefix[0]) return null;
    prefix = prefix.slice(1);
    value = value.slice(1);
  }
  return value;
}

/** Length of a zone abbreviation at the start of `s` (Go's parseTimeZone), or 0. */
function zoneAbbrevLength(s: string): number {
  if (s.length < 3) return 0;
  if (s.startsWith("ChST") || s.startsWith("MeST")) return 4;
  if (s.startsWith("GMT")) {
    const m = /^GMT([+-]\d{1,2})?/.exec(s);
    return m ? m[0].length : 3;
  }
  if (s[0] === "+" || s[0] === "-") {
    // a signed hour offset such as "+03" (all leading digits, at most 23)
    const m = /^[+-](\d+)/.exec(s);
    return m && Number(m[1]) <= 23 ? m[0].length : 0;
  }
  let upper = 0;
  while (upper < 6 && upper < s.length && s[upper]! >= "A" && s[upper]! <= "Z") upper++;
  if (upper === 3) return 3;
  if (upper === 4 && (s[3] === "T" || s.startsWith("WITA"))) return 4;
  if (upper === 5 && s[4] === "T") return 5;
  return 0;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Parses `value` with one layout; null when Go's time.Parse would fail. */
function parseLayout(layout: Layout, value: string): Date | null {
  let year = 0,
    month = -1,
    day = -1,
    hour = 0,
    min = 0,
    sec = 0,
    nsec = 0;
  let pm = false,
    am = false;
  let offset: number | null = null; // seconds east of UTC
  const tokens = layout.tokens;

  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (typeof tok === "object") {
      const rest = skip(value, tok.lit);
      if (rest === null) return null;
      value = rest;
      continue;
    }
    switch (tok) {
      case "2006": {
        if (value.length < 4 || !/^\d{4}/.test(value)) return null;
        year = Number(value.slice(0, 4));
        value = value.slice(4);
        break;
      }
      case "06": {
        if (!/^\d{2}/.test(value)) return null;
        year = Number(value.slice(0, 2));
        year += year >= 69 ? 1900 : 2000;
        value = value.slice(2);
        break;
      }
      case "01": {
        const r = getNum(value, true);
        if (!r || r[0] < 1 || r[0] > 12) return null;
        [month, value] = r;
        break;
      }
      case "Jan": {
        const r = lookup(SHORT_MONTHS, value);
        if (!r) return null;
        month = r[0] + 1;
        value = r[1];
        break;
      }
      case "Mon":
      case "Monday": {
        const r = lookup(tok === "Mon" ? SHORT_DAYS : LONG_DAYS, value);
        if (!r) return null;
        value = r[1]; // the weekday is checked for syntax only, as Go does
        break;
      }
      case "02":
      case "_2": {
        if (tok === "_2" && value[0] === " ") value = value.slice(1);
        const r = getNum(value, tok === "02");
        if (!r) return null;
        [day, value] = r;
        break;
      }
      case "15":
      case "3": {
        const r = getNum(value, false);
        if (!r || r[0] > (tok === "15" ? 23 : 12)) return null;
        [hour, value] = r;
        break;
      }
      case "04": {
        const r = getNum(value, true);
        if (!r || r[0] > 59) return null;
        [min, value] = r;
        break;
      }
      case "05": {
        const r = getNum(value, true);
        if (!r || r[0] > 59) return null;
        [sec, value] = r;
        // Go accepts a fraction right after the seconds unless the layout spells one out next
        const next = tokens[i + 1];
        const layoutHasFraction = typeof next === "string" && next.startsWith(".");
        if (!layoutHasFraction && value.length >= 2 && (value[0] === "." || value[0] === ",") && isDigit(value, 1)) {
          let n = 2;
          while (isDigit(value, n)) n++;
          nsec = fractionToNanos(value.slice(1, n));
          value = value.slice(n);
        }
        break;
      }
      case ".000":
      case ".000000":
      case ".000000000": {
        const digits = tok.length - 1;
        if (value.length < digits + 1 || (value[0] !== "." && value[0] !== ",")) return null;
        const frac = value.slice(1, digits + 1);
        if (!/^\d+$/.test(frac)) return null;
        nsec = fractionToNanos(frac);
        value = value.slice(digits + 1);
        break;
      }
      case ".999999999": {
        if (value.length < 2 || (value[0] !== "." && value[0] !== ",") || !isDigit(value, 1)) break;
        let n = 1;
        while (isDigit(value, n + 1)) n++;
        nsec = fractionToNanos(value.slice(1, n + 1));
        value = value.slice(n + 1);
        break;
      }
      case "PM": {
        const p = value.slice(0, 2);
        if (p === "PM") pm = true;
        else if (p === "AM") am = true;
        else return null;
        value = value.slice(2);
        break;
      }
      case "Z0700":
      case "Z07:00":
      case "-0700":
      case "-07:00": {
        if ((tok === "Z0700" || tok === "Z07:00") && value[0] === "Z") {
          offset = 0;
          value = value.slice(1);
          break;
        }
        const colon = tok.endsWith(":00");
        const m = (colon ? /^([+-])(\d{2}):(\d{2})/ : /^([+-])(\d{2})(\d{2})/).exec(value);
        if (!m) return null;
        const hh = Number(m[2]),
          mm = Number(m[3]);
        if (hh > 24 || mm > 60) return null;
        offset = (m[1] === "-" ? -1 : 1) * (hh * 3600 + mm * 60);
        value = value.slice(m[0].length);
        break;
      }
      case "MST": {
        if (value.startsWith("UTC")) {
          value = value.slice(3);
          break;
        }
        const n = zoneAbbrevLength(value);
        if (n === 0) return null;
        value = value.slice(n); // a zone name never shifts the result (cast keeps the clock in UTC)
        break;
      }
    }
  }
  if (value.length > 0) return null;

  if (pm && hour < 12) hour += 12;
  else if (am && hour === 12) hour = 0;
  if (month < 0) month = 1;
  if (day < 0) day = 1;
  if (day < 1 || day > daysIn(month, year)) return null;

  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, min, sec, Math.floor(nsec / 1e6));
  if (layout.zone === "numeric" && offset !== null) d.setTime(d.getTime() - offset * 1000);
  return d;
}

function fractionToNanos(digits: string): number {
  return Number((digits + "000000000").slice(0, 9));
}
