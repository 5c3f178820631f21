/** Streaming ZIP archives: create one from a folder, extract one into a folder, or work entry by entry. */
export { createArchive, isSkipped, walkFiles, type CreateOptions, type CreateResult } from "./create.ts";
export { extractArchive } from "./extract.ts";
export { ZipWriter, dosDateTime, type EntryOptions, type WriterOptions } from "./zip_writer.ts";
export { ZipReader, ZipFormatError, isRegularFile, type ZipEntry } from "./zip_reader.ts";
export { readChunks, CHUNK_SIZE } from "./chunks.ts";
