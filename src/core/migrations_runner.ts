/** STUB — owned by the schema work: runs system and app migrations (see the helper brief). */
import type { App } from "./app.ts";

export async function runSystemMigrations(_app: App): Promise<void> {}
