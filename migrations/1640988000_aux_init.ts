/** auxiliary.db: the `_logs` table and its indexes; re-applied whenever `_logs` is missing. */
import { registerSystemMigration, type Migration } from "../src/core/migrations_runner.ts";
import { dbxQuote } from "../src/tools/sql/dbx.ts";

// Upstream's statement text, whitespace included: SQLite keeps the table body verbatim in sqlite_master.
const LOGS_SQL = [
  "",
  "\t\t\t\tCREATE TABLE IF NOT EXISTS {{_logs}} (",
  "\t\t\t\t\t[[id]]      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,",
  "\t\t\t\t\t[[level]]   INTEGER DEFAULT 0 NOT NULL,",
  '\t\t\t\t\t[[message]] TEXT DEFAULT "" NOT NULL,',
  '\t\t\t\t\t[[data]]    JSON DEFAULT "{}" NOT NULL,',
  "\t\t\t\t\t[[created]] TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL",
  "\t\t\t\t);",
  "",
  "\t\t\t\tCREATE INDEX IF NOT EXISTS idx_logs_level on {{_logs}} ([[level]]);",
  "\t\t\t\tCREATE INDEX IF NOT EXISTS idx_logs_message on {{_logs}} ([[message]]);",
  "\t\t\t\tCREATE INDEX IF NOT EXISTS idx_logs_created_hour on {{_logs}} (strftime('%Y-%m-%d %H:00:00', [[created]]));",
  "\t\t\t",
].join("\n");

export const migration: Migration = {
  file: "1640988000_aux_init.go",
  async up(app) {
    // several statements: exec runs them all
    await app.auxDb.exec(dbxQuote(app.auxDb.dialect).expand(LOGS_SQL));
  },
  async down(app) {
    await app.auxDb.run("DROP TABLE `_logs`");
  },
  async reapplyCondition(app) {
    return !(await app.auxHasTable("_logs"));
  },
};

registerSystemMigration(migration);
