/**
 * The system migrations, run by the same runner as users' pb_migrations. Each file registers itself
 * into core's list when imported (upstream: `core.SystemMigrations.Register` in migrations/*.go), so
 * core never imports this folder; the program's entry point (src/main.ts) and the test preload import
 * this file. Each keeps upstream's file name (with `.go`): that is what `_migrations` records, so a
 * pb_data stays openable by upstream. The runner sorts them by that name.
 */
import "./1640988000_aux_init.ts";
import "./1640988000_init.ts";
import "./1717233556_v0.23_migrate.ts";
import "./1717233557_v0.23_migrate2.ts";
import "./1717233558_v0.23_migrate3.ts";
import "./1717233559_v0.23_migrate4.ts";
import "./1763020353_update_default_auth_alert_templates.ts";
import "./1778828400_normalize_indexes.ts";
