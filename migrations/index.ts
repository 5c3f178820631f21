/**
 * The system migrations, run by the same runner as users' pb_migrations. Each keeps upstream's file
 * name (with `.go`): that is what `_migrations` records, so a pb_data stays openable by upstream.
 */
import type { Migration } from "../src/core/migrations_runner.ts";
import { migration as auxInit } from "./1640988000_aux_init.ts";
import { migration as init } from "./1640988000_init.ts";
import { migration as v023Migrate } from "./1717233556_v0.23_migrate.ts";
import { migration as v023Migrate2 } from "./1717233557_v0.23_migrate2.ts";
import { migration as v023Migrate3 } from "./1717233558_v0.23_migrate3.ts";
import { migration as v023Migrate4 } from "./1717233559_v0.23_migrate4.ts";
import { migration as authAlertTemplates } from "./1763020353_update_default_auth_alert_templates.ts";
import { migration as normalizeIndexes } from "./1778828400_normalize_indexes.ts";

/** All system migrations, in run order. */
export const systemMigrations: readonly Migration[] = [
  auxInit,
  init,
  v023Migrate,
  v023Migrate2,
  v023Migrate3,
  v023Migrate4,
  authAlertTemplates,
  normalizeIndexes,
];
