/** The "file" field: names of files kept in storage/<collectionId>/<recordId>/. */
import type { ColumnKind } from "../../tools/sql/dialect.ts";
import {
  BaseField,
  COMMON_SCHEMA,
  MAX_SAFE_JSON_INT,
  fieldHelpRule,
  fieldIdRule,
  fieldNameRule,
  registerField,
  type FieldInit,
  type MaxBodySizeCalculator,
  type MultiValuer,
  type RecordValues,
} from "./field.ts";
import { toUniqueStringSlice } from "./cast.ts";
import type { App } from "../app.ts";
import type { ValidationErrors } from "../errors.ts";
import { each, length, match, max, min, newError, notIn, required, validateStruct } from "../validators/validation.ts";
import { SNIFF_LENGTH, detectMimeType, mimeIs } from "../validators/mime.ts";

/** Loose check of an upload's (normalized) name: no leading dot, no path separators. */
const LOOSE_FILENAME_RE = /^[^./\\][^/\\]+$/;

/** Allowed thumb sizes: `WxH` with an optional crop mode. */
export const THUMB_SIZE_RE = /^(\d+)x(\d+)(t|b|f)?$/;

/** Go's %q of a string (close enough for file names). */
function quote(s: string): string {
  return JSON.stringify(s);
}

function cutStr(s: string, maxLen: number): string {
  return s.length > maxLen ? s.slice(0, maxLen) + "..." : s;
}

/** The registered type name of file fields. */
export const FIELD_TYPE_FILE = "file";

/** The per-file size limit applied when `maxSize` is 0: 5 MiB. */
export const DEFAULT_FILE_FIELD_MAX_SIZE = 5 << 20;

/**
 * A file about to be uploaded: anything with a string `name` (a web File, or the upload model the
 * records work defines). `size`, `originalName` and the content readers are used when present.
 */
export interface UploadLike {
  name: string;
  size?: number;
  originalName?: string;
  slice?(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
  bytes?(): Promise<Uint8Array>;
}

/** The first bytes of an upload, for content sniffing (null when they cannot be read). */
async function headBytes(upload: UploadLike): Promise<Uint8Array | null> {
  try {
    if (typeof upload.slice === "function") return new Uint8Array(await upload.slice(0, SNIFF_LENGTH).arrayBuffer());
    if (typeof upload.bytes === "function") return (await upload.bytes()).subarray(0, SNIFF_LENGTH);
  } catch {
    return null;
  }
  return null;
}

/** True for a value that stands for a new upload rather than a kept file name. */
export function isUpload(v: unknown): v is UploadLike {
  return typeof v === "object" && v !== null && !Array.isArray(v) && typeof (v as UploadLike).name === "string";
}

/** File field; multiple when `maxSelect > 1`, and then stored as a JSON array of names. */
export class FileField extends BaseField implements MultiValuer, MaxBodySizeCalculator {
  static readonly schema = {
    ...COMMON_SCHEMA,
    maxSize: "int",
    maxSelect: "int",
    mimeTypes: "strings?",
    thumbs: "strings?",
    protected: "bool",
  } as const;

  readonly type = FIELD_TYPE_FILE;
  help = "";
  required = false;
  maxSize = 0;
  maxSelect = 0;
  mimeTypes: string[] | null = null;
  thumbs: string[] | null = null;
  protected = false;

  constructor(init?: FieldInit<FileField>) {
    super();
    this.assign(init);
  }

  isMultiple(): boolean {
    return this.maxSelect > 1;
  }

  columnKind(): ColumnKind {
    return this.isMultiple() ? "jsonArray" : "text";
  }

  /**
   * File names (and pending uploads), unique by name; a single file field keeps the last one.
   * Uploads are passed through untouched for the record save to process.
   */
  prepareValue(raw: unknown): string | UploadLike | (string | UploadLike)[] {
    const files = toFileList(raw);
    if (this.isMultiple()) return files;
    return files.length > 0 ? files[files.length - 1]! : "";
  }

  calculateMaxBodySize(): number {
    return this.effectiveMaxSize() * Math.max(this.maxSelect, 1);
  }

  /** The per-file size limit (`maxSize`, 5 MiB when 0). */
  effectiveMaxSize(): number {
    return this.maxSize <= 0 ? DEFAULT_FILE_FIELD_MAX_SIZE : this.maxSize;
  }

  /** The file names the record's stored row holds for this field ([] for a new record). */
  async storedNames(app: App, record: RecordValues): Promise<string[]> {
    if (record.isNew || record.originalId === "") return [];
    try {
      const q = app.db.dialect.quoteIdent;
      const row = await app.db.get<{ v: unknown }>(
        `SELECT ${q(this.name)} AS v FROM ${q(record.collection.name)} WHERE id = ? LIMIT 1`,
        [record.originalId],
      );
      if (!row) return [];
      return toFileList(row.v).filter((v): v is string => typeof v === "string");
    } catch {
      return [];
    }
  }

  async validateValue(app: App, record: RecordValues): Promise<void> {
    const files = toFileList(record.get(this.name));
    if (files.length === 0) {
      if (this.required) throw newError("validation_required", "cannot be blank");
      return;
    }

    // clients may keep or drop stored names, never introduce new plain names (uploads are objects)
    const stored = new Set(await this.storedNames(app, record));
    const added = files.filter((f): f is string => typeof f === "string" && !stored.has(f));
    if (added.length > 0) {
      const invalidFiles = added.map((f) => (f.length > 250 ? f.slice(0, 250) : f));
      throw newError("validation_invalid_file", "Invalid new files: {{.invalidFiles}}.", { invalidFiles });
    }

    const maxSelect = Math.max(this.maxSelect, 1);
    if (files.length > maxSelect) {
      throw newError("validation_too_many_files", "The maximum allowed files is {{.maxSelect}}", { maxSelect });
    }

    const maxSize = this.effectiveMaxSize();
    for (const upload of files) {
      if (typeof upload === "string") continue;
      const nameErr = length(1, 150)(upload.name) ?? match(LOOSE_FILENAME_RE)(upload.name);
      if (nameErr) throw nameErr;
      const displayName = cutStr(upload.originalName ?? upload.name, 300);
      if ((upload.size ?? 0) > maxSize) {
        throw newError(
          "validation_file_size_limit",
          "Failed to upload {{.file}} - the maximum allowed file size is {{.maxSize}} bytes.",
          { file: displayName, maxSize },
        );
      }
      const types = this.mimeTypes ?? [];
      if (types.length > 0) {
        const head = await headBytes(upload);
        if (!head)
          throw newError(
            "validation_invalid_mime_type",
            `Failed to upload ${quote(displayName)} due to unsupported file type.`,
          );
        const detected = detectMimeType(head);
        if (!types.some((t) => mimeIs(detected, t))) {
          throw newError(
            "validation_invalid_mime_type",
            `${quote(upload.name)} mime type must be one of: ${types.join(", ")}.`,
          );
        }
      }
    }
  }

  async validateSettings(): Promise<ValidationErrors | null> {
    return validateStruct([
      ["id", this.id, fieldIdRule],
      ["name", this.name, fieldNameRule],
      ["help", this.help, fieldHelpRule],
      ["maxSelect", this.maxSelect, min(0), max(MAX_SAFE_JSON_INT)],
      ["maxSize", this.maxSize, min(0), max(MAX_SAFE_JSON_INT)],
      ["thumbs", this.thumbs, each(notIn("0x0", "0x0t", "0x0b", "0x0f"), match(THUMB_SIZE_RE))],
    ]);
  }
}

/** Upstream's toSliceValue: names and uploads, flattened one level, unique by file name. */
function toFileList(raw: unknown): (string | UploadLike)[] {
  let items: (string | UploadLike)[];
  if (raw === null || raw === undefined) items = [];
  else if (isUpload(raw)) items = [raw];
  else if (Array.isArray(raw)) {
    items = [];
    for (const v of raw) {
      const one = toFileList(v);
      if (one.length === 1) items.push(one[0]!);
    }
  } else items = toUniqueStringSlice(raw);

  const seen = new Set<string>();
  return items.filter((v) => {
    const name = typeof v === "string" ? v : v.name;
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}

registerField(FIELD_TYPE_FILE, FileField);
