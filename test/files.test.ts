/** Files end to end on local storage (pb_data/storage) with the official SDK. */
import { filesSuite } from "./support/files_suite.ts";

filesSuite("local");
