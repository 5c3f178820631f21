/**
 * Starts a real pb server process on a temp pb_data and a free port, and drives it over HTTP with
 * the official SDK. Every end-to-end test goes through here.
 *
 * @example
 * const srv = await startServer();            // from source; { binary: "dist/pb" } for the compiled one
 * const pb = srv.sdk();
 * await pb.health.check();
 * await srv.stop();
 */
import PocketBase, { ClientResponseError } from "pocketbase";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "..");
export const SHARED = resolve(REPO, "../shared");
export const FIXTURE = join(SHARED, "conformance/pb-fixture");
export const BUN = process.execPath;
/** Tests that need ../shared skip with this message when it is absent. */
export const SHARED_MISSING = existsSync(FIXTURE) ? "" : "skipped: ../shared not present";

export interface StartOptions {
  /** Run this compiled binary instead of `bun src/main.ts`. */
  binary?: string;
  /** Copy this pb_data in first (e.g. FIXTURE). */
  fromDataDir?: string;
  /** Reuse an existing work folder (pb_data inside) instead of a fresh temp one. */
  workDir?: string;
  /** Extra CLI arguments after `serve`. */
  args?: string[];
  env?: Record<string, string>;
  /** Working directory of the process (defaults to the work dir). */
  cwd?: string;
}

export interface TestServer {
  url: string;
  port: number;
  workDir: string;
  dataDir: string;
  proc: ReturnType<typeof Bun.spawn>;
  /** Everything the process printed so far. */
  output(): string;
  sdk(): PocketBase;
  /** SIGTERM and wait for exit; returns the exit code. Removes the temp folder unless `keep`. */
  stop(opts?: { keep?: boolean; signal?: NodeJS.Signals }): Promise<number>;
}

/** A loopback TCP port nothing listens on right now (the OS picks it; a server started next may still lose a race). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The engine servers started here store their data in: `PB_TEST_DB=postgres` runs the same tests on
 * PostgreSQL — each pb_data folder gets its own database on a throwaway cluster of this test process,
 * handed to pb through `PB_DB_URL` (the default of `--db`), and a copied-in pb_data (`fromDataDir`) is
 * first copied into that database with `pb db copy`.
 */
export const TEST_DB: "sqlite" | "postgres" = process.env.PB_TEST_DB === "postgres" ? "postgres" : "sqlite";

let pgCluster: Promise<{ createDatabase(): Promise<string> }> | null = null;
const pgDatabases = new Map<string, string>();

/** The environment that points pb at `dataDir`'s database: `{}` on SQLite (the files in dataDir). */
export async function dbEnvFor(dataDir: string, fromDataDir?: string): Promise<Record<string, string>> {
  if (TEST_DB !== "postgres") return {};
  const key = resolve(dataDir);
  let url = pgDatabases.get(key);
  if (!url) {
    // imported on first use: the support module imports this one (freePort)
    pgCluster ??= import("./support/pg.ts").then((m) => m.startPostgres());
    url = await (await pgCluster).createDatabase();
    pgDatabases.set(key, url);
    if (fromDataDir) {
      const copy = await runPb(["db", "copy", fromDataDir, url], { env: { PB_DB_URL: "" } });
      if (copy.code !== 0) throw new Error(`pb db copy failed (exit ${copy.code}):\n${copy.stdout}${copy.stderr}`);
    }
  }
  return { PB_DB_URL: url };
}

/**
 * An in-process App's config with the database the servers of this run use for `cfg.dataDir`
 * (`dbUrl` on PostgreSQL), so a schema built in-process is the one a server then serves.
 */
export async function testAppConfig<C extends { dataDir: string; dbUrl?: string }>(cfg: C): Promise<C> {
  const env = await dbEnvFor(cfg.dataDir);
  return env.PB_DB_URL ? { ...cfg, dbUrl: env.PB_DB_URL } : cfg;
}

/** The pb_data a one-shot command works on: its --dir, else pb_data in its working directory. */
function dataDirOfArgs(args: string[], cwd: string): string {
  const dir = args.find((a) => a.startsWith("--dir="))?.slice("--dir=".length);
  return resolve(cwd, dir || "pb_data");
}

/** A fresh temp folder under the OS temp dir. */
export function tempDir(prefix = "pb-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The command that runs pb: the binary, or Bun on the source entry. */
export function pbCommand(binary?: string): string[] {
  return binary ? [binary] : [BUN, "--max-http-header-size=1052672", join(REPO, "src/main.ts")];
}

/** Runs a one-shot pb command (superuser, migrate, --help…) and collects its output. */
export async function runPb(
  args: string[],
  opts: { binary?: string; cwd?: string; env?: Record<string, string> } = {},
) {
  const cwd = opts.cwd ?? REPO;
  const dbEnv = args[0] === "db" ? {} : await dbEnvFor(dataDirOfArgs(args, cwd));
  const proc = Bun.spawn([...pbCommand(opts.binary), ...args], {
    cwd,
    env: { ...process.env, ...dbEnv, ...opts.env, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/** What a spawned process prints on stdout and stderr, collected as it arrives: call the result to read it. */
export function collectOutput(proc: { stdout: unknown; stderr: unknown }): () => string {
  let out = "";
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) out += dec.decode(chunk, { stream: true });
  };
  void collect(proc.stdout as ReadableStream<Uint8Array>);
  void collect(proc.stderr as ReadableStream<Uint8Array>);
  return () => out;
}

export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const workDir = opts.workDir ?? tempDir();
  const dataDir = join(workDir, "pb_data");
  if (opts.fromDataDir) cpSync(opts.fromDataDir, dataDir, { recursive: true });
  // the copy in dataDir, not the original: SQLite writes -wal/-shm beside a database it reads
  const dbEnv = await dbEnvFor(dataDir, opts.fromDataDir ? dataDir : undefined);
  const proc = Bun.spawn(
    [...pbCommand(opts.binary), "serve", "--http=127.0.0.1:0", `--dir=${dataDir}`, ...(opts.args ?? [])],
    {
      cwd: opts.cwd ?? workDir,
      env: { ...process.env, ...dbEnv, ...opts.env },
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    },
  );
  const output = collectOutput(proc);

  const deadline = Date.now() + 20_000;
  let url = "";
  while (!url) {
    const m = /Server started at (http:\/\/[^\s\x1b]+)/.exec(output());
    if (m) url = m[1]!;
    else if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill();
      throw new Error(`pb did not start (exit ${proc.exitCode}):\n${output()}`);
    } else await Bun.sleep(20);
  }
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    workDir,
    dataDir,
    proc,
    output,
    sdk: () => new PocketBase(url),
    async stop({ keep = false, signal = "SIGTERM" } = {}) {
      if (proc.exitCode === null) proc.kill(signal);
      const code = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => -1)]);
      if (code === -1) proc.kill("SIGKILL");
      if (!keep && !opts.workDir) rmSync(workDir, { recursive: true, force: true });
      return code;
    },
  };
}

/**
 * Upserts a superuser into a fresh pb_data (or `workDir`'s), serves it — from source, or `binary` — and signs an SDK
 * client in as that superuser.
 */
export async function startWithSuperuser(
  opts: { email?: string; password?: string; binary?: string; workDir?: string } = {},
): Promise<{ srv: TestServer; su: PocketBase }> {
  const { email = "root@example.com", password = "1234567890", binary, workDir = tempDir() } = opts;
  const up = await runPb(["superuser", "upsert", email, password, `--dir=${join(workDir, "pb_data")}`], { binary });
  if (up.code !== 0) throw new Error(`superuser upsert failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
  const srv = await startServer({ binary, workDir });
  const su = srv.sdk();
  await su.collection("_superusers").authWithPassword(email, password);
  return { srv, su };
}

/** The SDK error of a call expected to fail (throws if it succeeds or fails otherwise). */
export async function failure(p: Promise<unknown>): Promise<ClientResponseError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ClientResponseError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}
