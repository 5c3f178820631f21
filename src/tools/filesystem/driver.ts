/** What a storage backend (local folder, S3 bucket) implements; Filesystem builds on it. */

/** A stored blob's attributes (the local `.attrs` sidecar, or an object's headers). */
export interface Attributes {
  cacheControl: string;
  contentDisposition: string;
  contentEncoding: string;
  contentLanguage: string;
  contentType: string;
  /** User metadata (`original-filename`), keys lower-cased. */
  metadata: { [k: string]: string };
  modTime: Date;
  size: number;
  /** Base64 MD5 of the content, when known. */
  md5: string;
  etag: string;
}

/** Options of a write. */
export interface WriteOptions {
  contentType: string;
  metadata?: { [k: string]: string };
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
}

/** One listed blob. */
export interface ListObject {
  key: string;
  size: number;
  modTime: Date;
}

export interface Driver {
  /** Throws NotFoundError for a missing blob (folders are not blobs). */
  attributes(key: string): Promise<Attributes>;
  /** The content as a lazy Blob (slice it for ranges); read errors surface when it is read. */
  blob(key: string): Blob;
  write(key: string, content: Uint8Array | Blob, opts: WriteOptions): Promise<void>;
  /** Deletes a blob, or an empty folder on disk; throws NotFoundError when there is none. */
  delete(key: string): Promise<void>;
  /** Every blob whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<ListObject[]>;
  close?(): void;
}

/** Attributes with the defaults of a blob that has no sidecar. */
export function defaultAttributes(init: Partial<Attributes> = {}): Attributes {
  return {
    cacheControl: "",
    contentDisposition: "",
    contentEncoding: "",
    contentLanguage: "",
    contentType: "application/octet-stream",
    metadata: {},
    modTime: new Date(0),
    size: 0,
    md5: "",
    etag: "",
    ...init,
  };
}
