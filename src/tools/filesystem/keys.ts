/**
 * Blob keys as stored on disk or in a bucket: the few characters a backend can't hold are written
 * as `__0x<hex>__`, the escape the Go blob drivers use, so both implementations name files alike.
 */

type EscapeTest = (chars: string[], i: number) => boolean;

/** Replaces each character `test` picks with `__0x<hex>__`. */
export function hexEscape(s: string, test: EscapeTest): string {
  const chars = Array.from(s);
  let changed = false;
  const out = chars.map((c, i) => {
    if (!test(chars, i)) return c;
    changed = true;
    return `__0x${c.codePointAt(0)!.toString(16)}__`;
  });
  return changed ? out.join("") : s;
}

/** Reverses hexEscape (malformed sequences stay as they are). */
export function hexUnescape(s: string): string {
  return s.replace(/__0x([0-9a-fA-F]+)__/g, (whole, hex: string) => {
    const cp = parseInt(hex, 16);
    return Number.isFinite(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
  });
}

/** "../" keeps its dots but loses its slash. */
const dotDotSlash: EscapeTest = (r, i) => i > 1 && r[i] === "/" && r[i - 1] === "." && r[i - 2] === ".";

/** Local keys: control characters, the slash of `../`, a doubled slash and a trailing slash. */
export function escapeLocalKey(key: string): string {
  return hexEscape(key, (r, i) => {
    const c = r[i]!;
    if (c.codePointAt(0)! < 32) return true;
    if (dotDotSlash(r, i)) return true;
    if (i > 0 && c === "/" && r[i - 1] === "/") return true;
    return c === "/" && i === r.length - 1;
  });
}

/** S3 keys: control characters and the slash of `../`. */
export function escapeS3Key(key: string): string {
  return hexEscape(key, (r, i) => r[i]!.codePointAt(0)! < 32 || dotDotSlash(r, i));
}

/** The key of a record's file: `<collectionId>/<recordId>/<name>`. */
export function joinKey(...parts: string[]): string {
  return parts.join("/");
}
