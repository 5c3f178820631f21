/** Formatting helpers shared by the screens. */

/** "2024-05-01 10:20:30.123Z" → a Date (PocketBase dates are UTC with a space separator). */
export function parseDate(v: string): Date | null {
  if (!v) return null;
  const d = new Date(v.replace(" ", "T"));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Shows a PocketBase date as "2024-05-01 10:20:30 UTC" (the stored value, unambiguous). */
export function fmtDate(v: string): string {
  if (!v) return "";
  return v.replace(/\.\d+Z$/, "").replace(/Z$/, "") + " UTC";
}

/** A Date → PocketBase's "YYYY-MM-DD HH:MM:SS.sssZ". */
export function toPBDate(d: Date): string {
  return d.toISOString().replace("T", " ");
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

export function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s;
}

/** A short random suffix (index names, new field ids). */
export function randomId(n = 10): string {
  const a = "abcdefghijklmnopqrstuvwxyz0123456789";
  let s = "";
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  for (const b of bytes) s += a[b % a.length];
  return s;
}

export function isImageName(name: string): boolean {
  return /\.(jpe?g|png|gif|webp|svg|avif|bmp|ico)$/i.test(name);
}

export function plural(n: number, one: string, many = one + "s"): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Deep clone of JSON data. */
export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Stable JSON for change detection. */
export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
