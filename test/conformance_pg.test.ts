/**
 * Upstream API conformance on PostgreSQL (issue 17): the black-box corpus in ../shared/conformance
 * against dist/pb serving a PostgreSQL database. Every scenario the SQLite run must pass
 * (test/conformance-floor.json) must pass here too, except those in PG_DIFFERENCES, each with its
 * reason. Runs in the PostgreSQL pass of `npm test` (PB_TEST_DB=postgres), on a cluster of its own.
 *
 * Every server instance starts from a fresh copy of the fixture, as on SQLite: the fixture is copied
 * once into a template database (`pb db copy`), and each server gets a clone of it
 * (test/support/pg_serve.ts, CREATE DATABASE … TEMPLATE); the runner's {dir} copy still holds the
 * storage files. The runner output and JSON report stay in .tmp/conformance-pg/.
 */
import { expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "../build.ts";
import { FIXTURE, TEST_DB, tempDir } from "./harness.ts";
import {
  CONFORMANCE_FLOOR_FILE as FLOOR_FILE,
  CONFORMANCE_RUNNER,
  failureReasons,
  runConformance,
} from "./support/conformance.ts";
import { PG_MISSING_MESSAGE, postgresInstalled, startPostgres } from "./support/pg.ts";

const OUT_DIR = join(ROOT, ".tmp/conformance-pg");
const WRAPPER = join(ROOT, "test/support/pg_serve.ts");
const TEMPLATE = "pb_fixture_tmpl";

/**
 * Scenarios of the SQLite floor that cannot pass on PostgreSQL, with the reason. Keep it short: a
 * scenario belongs here only when the difference is the engine's, not a bug.
 */
const BACKUPS = "backups are SQLite-only: on PostgreSQL the backups API answers 400 (use the database's own tools)";
const CONSOLE =
  "the SQL console shows the engine's own result: PostgreSQL's column names (?column? for an unnamed " +
  "expression), its column types and its error texts, where upstream shows SQLite's";
const PG_DIFFERENCES: { [id: string]: string } = {
  "backup:TestBackupsList#3": BACKUPS,
  "health:TestHealthAPI#3": `${BACKUPS}; health says canBackup false, names the engine (dbDialect) and the cluster node that answered (node, leader)`,
  "sql:TestSQLRun#3": CONSOLE,
  "sql:TestSQLRun#5": CONSOLE,
  "sql:TestSQLRun#7": CONSOLE,
  "sql:TestSQLRun#11": CONSOLE,
};

const skipReason = !existsSync(CONFORMANCE_RUNNER)
  ? "skipped: ../shared not present"
  : !postgresInstalled()
    ? PG_MISSING_MESSAGE
    : TEST_DB !== "postgres"
      ? "skipped: runs in the PostgreSQL pass (PB_TEST_DB=postgres)"
      : "";

if (skipReason) {
  test.skip(skipReason, () => {});
} else {
  test(
    "upstream API scenarios on PostgreSQL: every id of conformance-floor.json passes, PG_DIFFERENCES aside",
    async () => {
      const pb = await ensureBuilt("host");
      mkdirSync(OUT_DIR, { recursive: true });
      const pg = await startPostgres();
      try {
        // the template: the fixture copied in once, from a writable copy of it
        const fixtureCopy = join(tempDir("pb-conf-pg-"), "pb_data");
        cpSync(FIXTURE, fixtureCopy, { recursive: true });
        const tmplUrl = await pg.createDatabase(TEMPLATE);
        const copy = Bun.spawnSync([pb, "db", "copy", fixtureCopy, tmplUrl], {
          env: { ...process.env, PB_DB_URL: "", NO_COLOR: "1" },
          stdin: "ignore",
        });
        const copyOutput = copy.stdout.toString() + copy.stderr.toString();
        if (copy.exitCode !== 0)
          throw new Error(`pb db copy of the fixture failed (exit ${copy.exitCode}):\n${copyOutput}`);

        const run = await runConformance({
          bin: `${process.execPath} ${WRAPPER} ${pb} serve --http=127.0.0.1:{port} --dir={dir}`,
          outDir: OUT_DIR,
          // a clone and a PostgreSQL pool to open before /api/health answers, on a loaded CI box
          extraArgs: ["--startup-timeout", "30000"],
          env: { PB_DB_URL: "", PB_PG_ADMIN_URL: pg.url(), PB_PG_TEMPLATE: TEMPLATE },
          logPrefix: `--- pb db copy ---\n${copyOutput}\n--- runner ---\n`,
        });
        const { report, logFile, wallS } = run;
        const passing = new Set(run.passing);
        const floor = JSON.parse(readFileSync(FLOOR_FILE, "utf8")) as { ids: string[] };
        const lost = floor.ids.filter((id) => !passing.has(id) && !(id in PG_DIFFERENCES));
        const stale = Object.keys(PG_DIFFERENCES).filter((id) => passing.has(id));
        const { passed, failed, skipped } = report.totals;
        console.log(
          `conformance on PostgreSQL: ${passed} passed, ${failed} failed, ${skipped} skipped ` +
            `(SQLite floor ${floor.ids.length}, known differences ${Object.keys(PG_DIFFERENCES).length}; ` +
            `runner ${(report.durationMs / 1000).toFixed(1)} s, wall ${wallS} s; log ${logFile})`,
        );
        if (stale.length) console.log(`PG_DIFFERENCES that pass now (remove them): ${stale.join(", ")}`);
        if (lost.length)
          console.log(`passing on SQLite, not on PostgreSQL (${lost.length}):\n` + failureReasons(report, lost));
        expect(lost).toEqual([]);
      } finally {
        await pg.stop();
      }
    },
    15 * 60_000,
  );
}
