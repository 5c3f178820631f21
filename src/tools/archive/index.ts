/** Streaming ZIP archives: create one from a folder, extract one into a folder, or work entry by entry. */
export { createArchive, isSkipped, walkFiles, type CreateOptions } from "./create.ts";
export { extractArchive } from "./extract.ts";
export { ZipWriter, dosDateTime, type EntryOptions } from "./zip_writer.ts";
export { ZipReader, ZipFormatError, isRegularFile, type ZipEntry } from "./zip_reader.ts";
