/**
 * A file about to be stored: its bytes (any Blob), the name it will be stored under and the name
 * the client sent. Upload names are normalized as upstream does (see normalizeName).
 */
import { randomString } from "../security/random.ts";

const RANDOM_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A new file for a record's file field: a web File whose `name` is the stored (normalized) name,
 * with the name the client sent kept as `originalName`. Being a File, it passes through code that
 * handles web uploads (modifiers, batch replays) unchanged.
 */
export class UploadFile extends File {
  /** The name the client sent. */
  readonly originalName: string;

  constructor(content: Blob, name: string, originalName: string) {
    super([content], name, { type: content.type });
    this.originalName = originalName;
  }

  /** The content. */
  get blob(): Blob {
    return this;
  }

  /** What upstream's File marshals to (shown if a record is serialized before its save). */
  toJSON(): { name: string; originalName: string; size: number } {
    return { name: this.name, originalName: this.originalName, size: this.size };
  }

  /**
   * A file from any Blob, its name normalized from `originalName` (a web File's own name when
   * omitted). `detectExtension` gives the extension (with its dot, or "") for names without one.
   */
  static async from(
    blob: Blob,
    originalName?: string,
    detectExtension?: (head: Uint8Array) => string,
  ): Promise<UploadFile> {
    const original = originalName ?? (blob as File).name ?? "";
    const name = await normalizeName(original, async () => {
      if (!detectExtension) return "";
      const head = new Uint8Array(await blob.slice(0, 3072).arrayBuffer());
      return detectExtension(head);
    });
    return new UploadFile(blob, name, original);
  }

  /** A file from bytes (e.g. made by a hook). */
  static fromBytes(
    bytes: Uint8Array | string,
    originalName: string,
    detectExtension?: (head: Uint8Array) => string,
  ): Promise<UploadFile> {
    return UploadFile.from(new Blob([bytes as Uint8Array<ArrayBuffer> | string]), originalName, detectExtension);
  }
}

/** True for an UploadFile. */
export function isUploadFile(v: unknown): v is UploadFile {
  return v instanceof UploadFile;
}

/**
 * The extension of a name: from its last dot, or from the one before it when there is one
 * (`a.tar.gz` → `.tar.gz`, and also `my.photo.jpg` → `.photo.jpg`), as upstream.
 */
export function extractExtension(name: string): string {
  const last = name.lastIndexOf(".");
  if (last === -1) return "";
  const prev = name.lastIndexOf(".", last - 1);
  return prev >= 0 ? name.slice(prev) : name.slice(last);
}

/**
 * Go's inflector.Snakecase: split on runs of non-word characters and underscores, put `_` before an
 * upper-case letter that follows a non-upper one, lower-case. (Only ASCII letters and digits survive.)
 */
export function snakecase(s: string): string {
  const words = s.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const out: string[] = [];
  for (const word of words) {
    let w = "";
    for (let i = 0; i < word.length; i++) {
      const c = word[i]!;
      if (i > 0 && isUpper(c) && !isUpper(word[i - 1]!)) w += "_";
      w += c;
    }
    out.push(w);
  }
  return out.join("_").toLowerCase();
}

function isUpper(c: string): boolean {
  return c >= "A" && c <= "Z";
}

function trimChars(s: string, ch: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s[a] === ch) a++;
  while (b > a && s[b - 1] === ch) b--;
  return s.slice(a, b);
}

/**
 * The stored name of an upload, as upstream's normalizeName:
 * 1. keep the last 300 bytes;
 * 2. the extension (see extractExtension) loses characters outside `[\w.*\-+=#]` and its outer
 *    dots; when nothing is left the sniffed one is used; past 20 characters only the last 20 stay;
 * 3. the rest is snake_cased, padded with 10 random characters under 3, cut to 100;
 * 4. `base + "_" + 10 random [a-z0-9] + ext`.
 */
export async function normalizeName(
  name: string,
  detectExtension: () => Promise<string> | string = () => "",
): Promise<string> {
  const bytes = Buffer.from(name, "utf8");
  if (bytes.length > 300) name = bytes.subarray(bytes.length - 300).toString("utf8");

  const originalExt = extractExtension(name);
  let ext = "." + trimChars(originalExt.replace(/[^\w.*\-+=#]+/g, ""), ".");
  if (ext === ".") ext = await detectExtension();
  if (ext.length > 20) ext = "." + trimChars(ext.slice(ext.length - 20), ".");

  const base = originalExt && name.endsWith(originalExt) ? name.slice(0, name.length - originalExt.length) : name;
  let clean = snakecase(trimChars(base, "."));
  if (clean.length < 3) clean += randomString(10, RANDOM_ALPHABET);
  else if (clean.length > 100) clean = clean.slice(0, 100);

  return `${clean}_${randomString(10, RANDOM_ALPHABET)}${ext}`;
}
