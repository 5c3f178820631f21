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
    const d = app.auxDb.dialect;
    if (d.name === "sqlite") {
      // several statements: exec runs them all
      await app.auxDb.exec(dbxQuote(d).expand(LOGS_SQL));
      return;
    }
    // the same table through the dialect; the hourly index is an expression index on the text prefix
    const q = d.quoteIdent;
    const text = d.columnType("text").replace(/ NOT NULL DEFAULT ''$/, ""); // TEXT with the engine's collation
    await app.auxDb.exec(
      [
        `CREATE TABLE IF NOT EXISTS ${q("_logs")} (${[
          `${q("id")} ${d.columnType("textPrimaryKey")}`,
          `${q("level")} INTEGER NOT NULL DEFAULT 0`,
          `${q("message")} ${text} NOT NULL DEFAULT ''`,
          `${q("data")} ${text} NOT NULL DEFAULT '{}'`,
          `${q("created")} ${text} NOT NULL DEFAULT (${d.timestampDefault})`,
          ...(d.rowidColumn ? [d.rowidColumn] : []),
        ].join(", ")});`,
        `CREATE INDEX IF NOT EXISTS ${q("idx_logs_level")} ON ${q("_logs")} (${q("level")});`,
        `CREATE INDEX IF NOT EXISTS ${q("idx_logs_message")} ON ${q("_logs")} (${q("message")});`,
        `CREATE INDEX IF NOT EXISTS ${q("idx_logs_created_hour")} ON ${q("_logs")} ((substr(${q("created")}, 1, 13)));`,
      ].join("\n"),
    );
  },
  async down(app) {
    await app.auxDb.run(`DROP TABLE ${app.auxDb.dialect.quoteIdent("_logs")}`);
  },
  async reapplyCondition(app) {
    return !(await app.auxHasTable("_logs"));
  },
};

registerSystemMigration(migration);
