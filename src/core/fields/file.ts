/** The "file" field: names of files kept in storage/<collectionId>/<recordId>/. */
import {
  BaseField,
  COMMON_SCHEMA,
  registerField,
  type FieldInit,
  type MaxBodySizeCalculator,
  type MultiValuer,
} from "./field.ts";
import { toUniqueStringSlice } from "./cast.ts";

/** The registered type name of file fields. */
export const FIELD_TYPE_FILE = "file";

/** The per-file size limit applied when `maxSize` is 0: 5 MiB. */
export const DEFAULT_FILE_FIELD_MAX_SIZE = 5 << 20;

/** A file about to be uploaded: anything with a string `name` (the upload work defines the rest). */
export interface UploadLike {
  name: string;
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

  columnType(): string {
    return this.isMultiple() ? "JSON DEFAULT '[]' NOT NULL" : "TEXT DEFAULT '' NOT NULL";
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
    const size = this.maxSize <= 0 ? DEFAULT_FILE_FIELD_MAX_SIZE : this.maxSize;
    return size * Math.max(this.maxSelect, 1);
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
