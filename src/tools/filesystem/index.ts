/** File storage (local folder or S3 bucket) with upstream's layout; see Filesystem. */
export { Filesystem, METADATA_ORIGINAL_NAME, type FilesystemOptions } from "./filesystem.ts";
export { defaultAttributes, type Attributes, type Driver, type ListObject, type WriteOptions } from "./driver.ts";
export { NotFoundError, isNotFound } from "./errors.ts";
export { UploadFile, extractExtension, isUploadFile, normalizeName, snakecase } from "./file.ts";
export { LocalDriver, ATTRS_EXT } from "./local.ts";
export { S3Driver, type S3Config } from "./s3.ts";
export {
  EXTENSION_CONTENT_TYPES,
  FILE_CACHE_CONTROL,
  FILE_CSP,
  INLINE_CONTENT_TYPES,
  parseBool,
  parseRange,
  serveBlob,
} from "./serve.ts";
