/**
 * A throwaway PostgreSQL cluster for tests (issue 17: the PostgreSQL engine is tested against a real
 * server, and nothing is left running between CI runs, so each test file starts its own).
 *
 * Uses Debian's server binaries (/usr/lib/postgresql/<ver>/bin, the highest version present): `initdb`
 * into a temp dir, then `pg_ctl start` on a free loopback port with durability switched off (a test
 * cluster is deleted afterwards, so fsync only costs time). initdb and pg_ctl refuse to run as root,
 * and CI runs as root, so there they run as the `postgres` user through `runuser`. The superuser is
 * always `postgres` with trust auth, so URLs look the same whoever runs the tests.
 *
 * The postmaster puts itself in its own session, so it outlives a killed test run. Three layers make
 * sure it does not outlive it for long: `stop()` (call it in afterAll), a process "exit" hook, and a
 * detached watchdog that stops the cluster the moment the test process dies, even by SIGKILL.
 *
 * @example
 * const pg = await startPostgres();          // in beforeAll; skip first if !postgresInstalled()
 * const url = await pg.createDatabase();     // one empty database per test
 * const sql = new SQL(url, { max: 2 });      // Bun opens the whole pool at once: keep it small
 * await pg.stop();                           // in afterAll
 */
import { SQL } from "bun";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../harness.ts";

export const PG_MISSING_MESSAGE = "skipped: PostgreSQL not installed (apt install postgresql)";

export interface PgCluster {
  port: number;
  /** The cluster's temp dir (data/, the server log and the unix socket). */
  dir: string;
  /** URL of a database on this cluster as the superuser; `postgres` (the default database) if omitted. */
  url(db?: string): string;
  /** Creates an empty database (`t_<random>` unless named) and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (`pg_ctl stop -m fast`) and removes the dir. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Stops the server (`pg_ctl stop -m fast`, which disconnects every client) and starts it again on the
   * same data dir and port, keeping the dir: a database restart as the clients see it.
   */
  restart(): Promise<void>;
}

const IS_ROOT = process.getuid?.() === 0;
/** The cluster's connection limit; a `new SQL(url)` takes `max` (default 10) of them at its first query. */
export const MAX_CONNECTIONS = 300;

/** The bin dir of the highest installed PostgreSQL version, or "" when there is none. */
function pgBinDir(): string {
  const base = "/usr/lib/postgresql";
  let versions: string[];
  try {
    versions = readdirSync(base);
  } catch {
    return "";
  }
  const usable = versions
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .filter((v) => existsSync(join(base, v, "bin/initdb")) && existsSync(join(base, v, "bin/pg_ctl")))
    .sort((a, b) => parseFloat(b) - parseFloat(a));
  return usable.length ? join(base, usable[0]!, "bin") : "";
}

/** True when a cluster can be started here (as root that also needs the postgres user to run it as). */
export function postgresInstalled(): boolean {
  if (!pgBinDir()) return false;
  if (!IS_ROOT) return true;
  return (
    !!Bun.which("runuser") && Bun.spawnSync(["id", "-u", "postgres"], { stdout: "ignore", stderr: "ignore" }).success
  );
}

/** A command line that runs as the postgres user when we are root (initdb/pg_ctl refuse root). */
function asPostgres(cmd: string[]): string[] {
  return IS_ROOT ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
}

async function run(cmd: string[]): Promise<{ ok: boolean; output: string }> {
  // stdin ignored: pg_ctl must never wait on a terminal; the postmaster's own output goes to -l's log,
  // so these pipes reach EOF when pg_ctl exits.
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { ok: code === 0, output: out + err };
}

/** Initialises and starts a fresh cluster. Throws (after cleaning up) if it cannot. */
export async function startPostgres(): Promise<PgCluster> {
  const bin = pgBinDir();
  if (!bin) throw new Error(PG_MISSING_MESSAGE);
  // As root, under /tmp rather than $TMPDIR: the postgres user must be able to reach the dir, and the
  // socket path (dir + "/.s.PGSQL.<port>") must stay under the kernel's 107-byte limit.
  const dir = mkdtempSync(join(IS_ROOT ? "/tmp" : (process.env.TMPDIR ?? "/tmp"), "pb-pg-"));
  const data = join(dir, "data");
  const log = join(dir, "server.log");
  const pgCtl = join(bin, "pg_ctl");
  let stopped = false;
  let watchdog: ReturnType<typeof Bun.spawn> | undefined;

  // Synchronous, for the "exit" hook, where nothing async runs any more.
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    Bun.spawnSync(asPostgres([pgCtl, "-D", data, "-m", "immediate", "-w", "stop"]), {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "ignore",
    });
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", stopSync);

  // SIGKILL to the watchdog's whole session (sh and its cat), once it has nothing left to do.
  const killWatchdog = () => {
    try {
      if (watchdog) process.kill(-watchdog.pid, "SIGKILL");
    } catch {}
  };
  const fail = (what: string, output: string): never => {
    killWatchdog();
    stopSync();
    process.off("exit", stopSync);
    throw new Error(`postgres test cluster: ${what} failed:\n${output}`);
  };

  if (IS_ROOT) {
    const chown = await run(["chown", "postgres:", dir]);
    if (!chown.ok) fail("chown postgres", chown.output);
  }

  // The watchdog: a shell in its own session (so killing the test run's process group spares it) that
  // blocks reading a pipe only this process holds. When the test process dies, however it dies, the
  // kernel closes the pipe, `cat` returns, and the shell stops the cluster and removes the dir.
  // Started before initdb, so the dir is cleaned up even if we die half-way through starting.
  watchdog = Bun.spawn(
    [
      "sh",
      "-c",
      'cat >/dev/null; "$@" -m immediate -w stop >/dev/null 2>&1; rm -rf "$0"',
      dir,
      ...asPostgres([pgCtl, "-D", data]),
    ],
    { stdin: "pipe", stdout: "ignore", stderr: "ignore", detached: true },
  );
  watchdog.unref();

  const init = await run(
    asPostgres([join(bin, "initdb"), "-D", data, "-A", "trust", "--locale=C.UTF-8", "-E", "UTF8", "-U", "postgres"]),
  );
  if (!init.ok) fail("initdb", init.output);

  // A port found free can be taken before postgres binds it; a few tries with fresh ports cover that.
  let port = 0;
  let opts = "";
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    // max_connections: Bun.SQL opens its whole pool (max, default 10) at the first query, so a test file
    // with a handful of clients and servers would hit PostgreSQL's default 100.
    opts =
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=${MAX_CONNECTIONS}` +
      " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
    const start = await run(asPostgres([pgCtl, "-D", data, "-l", log, "-o", opts, "-t", "30", "-w", "start"]));
    if (start.ok) break;
    if (attempt === 3) {
      const serverLog = await Bun.file(log)
        .text()
        .catch(() => "");
      fail("pg_ctl start", `${start.output}\n${serverLog}`);
    }
  }

  const url = (db = "postgres") => `postgres://postgres@127.0.0.1:${port}/${db}`;

  return {
    port,
    dir,
    url,
    async createDatabase(name?: string) {
      const db = name ?? `t_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
      const admin = new SQL(url(), { max: 1 });
      try {
        // CREATE DATABASE takes no parameters; the name is quoted as an identifier instead.
        await admin.unsafe(`CREATE DATABASE "${db.replaceAll('"', '""')}"`);
      } finally {
        await admin.close();
      }
      return url(db);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off("exit", stopSync);
      // -m fast disconnects clients that a test left open instead of waiting for them.
      const res = await run(asPostgres([pgCtl, "-D", data, "-m", "fast", "-w", "stop"]));
      if (!res.ok) await run(asPostgres([pgCtl, "-D", data, "-m", "immediate", "-w", "stop"]));
      killWatchdog();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      if (stopped) throw new Error("postgres test cluster: restart after stop");
      const stop = await run(asPostgres([pgCtl, "-D", data, "-m", "fast", "-w", "stop"]));
      if (!stop.ok) throw new Error(`postgres test cluster: pg_ctl stop failed:\n${stop.output}`);
      const start = await run(asPostgres([pgCtl, "-D", data, "-l", log, "-o", opts, "-t", "30", "-w", "start"]));
      if (!start.ok) {
        const serverLog = await Bun.file(log)
          .text()
          .catch(() => "");
        throw new Error(`postgres test cluster: pg_ctl start (restart) failed:\n${start.output}\n${serverLog}`);
      }
    },
  };
}
