/**
 * Content sniffing for uploaded files, in the spirit of the mimetype library upstream uses:
 * the type is read from the first bytes, never from the file name. Only the common formats are
 * recognized; anything else is text/plain (valid UTF-8 without NUL bytes) or application/octet-stream.
 */

/** How many leading bytes detection looks at (upstream reads 3 KiB). */
export const SNIFF_LENGTH = 3072;

/** A detected type: its MIME string (as upstream reports it) and the other names it answers to. */
export interface DetectedMime {
  mime: string;
  aliases: string[];
}

function startsWith(b: Uint8Array, sig: number[], offset = 0): boolean {
  if (b.length < offset + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[offset + i] !== sig[i]) return false;
  return true;
}

function ascii(b: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...b.subarray(from, Math.min(to, b.length)));
}

function isUTF8Text(b: Uint8Array): boolean {
  if (b.includes(0)) return false;
  try {
    // a multi-byte sequence may be cut at the sniff boundary
    new TextDecoder("utf-8", { fatal: true }).decode(b.length >= SNIFF_LENGTH ? b.subarray(0, b.length - 3) : b);
    return true;
  } catch {
    return false;
  }
}

const m = (mime: string, ...aliases: string[]): DetectedMime => ({ mime, aliases });

/** Detects the type of a file from its leading bytes. */
export function detectMimeType(bytes: Uint8Array): DetectedMime {
  const b = bytes.length > SNIFF_LENGTH ? bytes.subarray(0, SNIFF_LENGTH) : bytes;
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return m("image/png");
  if (startsWith(b, [0xff, 0xd8, 0xff])) return m("image/jpeg");
  if (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a") return m("image/gif");
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return m("image/webp");
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WAVE")
    return m("audio/wav", "audio/x-wav", "audio/vnd.wave", "audio/wave");
  if (ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "AVI ")
    return m("video/x-msvideo", "video/avi", "video/msvideo");
  if (startsWith(b, [0x42, 0x4d]) && b.length > 14) return m("image/bmp", "image/x-bmp", "image/x-ms-bmp");
  if (startsWith(b, [0x00, 0x00, 0x01, 0x00])) return m("image/x-icon");
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return m("image/tiff");
  if (ascii(b, 4, 8) === "ftyp") {
    const brand = ascii(b, 8, 12);
    if (brand === "avif" || brand === "avis") return m("image/avif");
    if (brand === "heic" || brand === "heix") return m("image/heic");
    if (brand === "mif1" || brand === "msf1") return m("image/heif");
    if (brand === "qt  ") return m("video/quicktime");
    if (brand.startsWith("3gp")) return m("video/3gpp", "video/3gp", "audio/3gpp");
    if (brand === "M4A " || brand === "M4B ") return m("audio/x-m4a");
    return m("video/mp4");
  }
  if (ascii(b, 0, 5) === "%PDF-") return m("application/pdf", "application/x-pdf");
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04]))
    return m("application/zip", "application/x-zip", "application/x-zip-compressed");
  if (startsWith(b, [0x1f, 0x8b]))
    return m(
      "application/gzip",
      "application/x-gzip",
      "application/x-gunzip",
      "application/gzipped",
      "application/gzip-compressed",
      "application/x-gzip-compressed",
      "gzip/document",
    );
  if (startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) return m("video/webm", "audio/webm");
  if (
    ascii(b, 0, 3) === "ID3" ||
    startsWith(b, [0xff, 0xfb]) ||
    startsWith(b, [0xff, 0xf3]) ||
    startsWith(b, [0xff, 0xf2])
  ) {
    return m("audio/mpeg", "audio/x-mpeg", "audio/mp3");
  }
  if (ascii(b, 0, 4) === "OggS") return m("application/ogg", "application/x-ogg");
  if (ascii(b, 0, 4) === "fLaC") return m("audio/flac");
  if (ascii(b, 0, 4) === "wOFF") return m("font/woff");
  if (ascii(b, 0, 4) === "wOF2") return m("font/woff2");
  if (startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return m("application/x-7z-compressed");
  if (ascii(b, 0, 6) === "Rar!\x1a\x07") return m("application/x-rar-compressed", "application/x-rar");

  if (!isUTF8Text(b)) return m("application/octet-stream");

  const text = new TextDecoder()
    .decode(b)
    .replace(/^\uFEFF/, "")
    .trimStart();
  const lower = text.slice(0, 512).toLowerCase();
  if (
    /<svg[\s>]/.test(lower) &&
    (lower.startsWith("<svg") ||
      lower.startsWith("<?xml") ||
      lower.startsWith("<!--") ||
      lower.startsWith("<!doctype svg"))
  ) {
    return m("image/svg+xml");
  }
  if (
    lower.startsWith("<!doctype html") ||
    /^<(html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p)[\s>]/.test(lower)
  ) {
    return m("text/html; charset=utf-8");
  }
  if (lower.startsWith("<?xml")) return m("text/xml; charset=utf-8", "application/xml");
  if ((text.startsWith("{") || text.startsWith("[")) && b.length < SNIFF_LENGTH) {
    try {
      JSON.parse(text);
      return m("application/json");
    } catch {
      // plain text
    }
  }
  return m("text/plain; charset=utf-8");
}

function mediaType(s: string): string {
  return s.split(";")[0]!.trim().toLowerCase();
}

/** The mimetype library's Is(): equal to the detected type or one of its aliases (parameters ignored). */
export function mimeIs(detected: DetectedMime, expected: string): boolean {
  const want = mediaType(expected);
  return mediaType(detected.mime) === want || detected.aliases.some((a) => mediaType(a) === want);
}
