/**
 * The command line, shaped like upstream's cobra root: global flags on every command,
 * `serve`, `superuser` and `migrate`, `--help` and `--version`.
 * Unlike upstream v0.39, a failed command exits 1 (upstream prints the error and exits 0).
 */
import { basename, dirname, join, resolve } from "node:path";
import { App } from "../core/app.ts";
import { appCron } from "../core/crons.ts";
import { relayCacheNotices } from "../core/cluster.ts";
// the system migrations register themselves into core (upstream's pocketbase.go imports its migrations package)
import "../../migrations/index.ts";
import { FlagError, flagUsages, parseFlags, type FlagSpec, type FlagValues } from "./flags.ts";
import { color } from "./output.ts";
import { serveCommand, SERVE_FLAGS } from "./serve.ts";
import { superuserCommand, SUPERUSER_HELP, SUPERUSER_SUBCOMMANDS, type SubcommandHelp } from "./superuser.ts";
import { migrateCommand, migrateHelp, MIGRATE_SHORT, MIGRATE_SUBCOMMANDS } from "./migrate.ts";
import { dbCommand, dbHelp, DB_FLAGS, DB_SHORT, DB_SUBCOMMANDS } from "./db.ts";
import { COMPLETION_SHELLS, completionHelp, completionScript, type Shell } from "./completion.ts";
import { beforeServe, JSVM_FLAGS, setupJsvm } from "../jsvm/cli.ts";

export const VERSION = "0.1.0";
/** The upstream release whose data, API and hooks we follow. */
export const UPSTREAM_VERSION = "0.39.11";

/** Flags every command accepts (upstream's persistent flags). */
export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: "dir", type: "string", default: "", usage: 'the PocketBase data directory (default "<exe dir>/pb_data")' },
  {
    name: "encryptionEnv",
    type: "string",
    default: "",
    usage:
      "the env variable whose value of 32 characters will be used \nas encryption key for the app settings (default none)",
  },
  {
    name: "dev",
    type: "bool",
    default: false,
    usage: "enable dev mode, aka. printing logs and sql statements to the console",
  },
  {
    name: "db",
    type: "string",
    default: "",
    usage:
      "store the data in PostgreSQL (postgres://user:pass@host:port/db) instead of SQLite files in --dir (default $PB_DB_URL)",
  },
  { name: "queryTimeout", type: "int", default: 30, usage: "the default SELECT queries timeout in seconds" },
  { name: "hooksDir", type: "string", default: "", usage: "the directory with the JS app hooks" },
  {
    name: "hooksWatch",
    type: "bool",
    default: true,
    usage: "auto restart the app on pb_hooks file change; it has no effect on Windows",
  },
  {
    name: "hooksPool",
    type: "int",
    default: 15,
    usage: "the total JS worker threads (QuickJS executors) kept for the JS app hooks execution",
  },
  ...JSVM_FLAGS,
  { name: "migrationsDir", type: "string", default: "", usage: "the directory with the user defined migrations" },
  { name: "automigrate", type: "bool", default: true, usage: "enable/disable auto migrations" },
  {
    name: "publicDir",
    type: "string",
    default: "",
    usage: 'the directory to serve static files (default "<exe dir>/pb_public")',
  },
  {
    name: "indexFallback",
    type: "bool",
    default: true,
    usage: "fallback the request to index.html on missing static path, e.g. when pretty urls are used with SPA",
  },
  { name: "help", short: "h", type: "bool", default: false, usage: "help for the command" },
  { name: "version", short: "v", type: "bool", default: false, usage: "version for the command" },
];

export interface CliEnv {
  /** The executable's name as invoked (argv[0]); its folder holds pb_data and pb_public by default. */
  argv0: string;
  /** How the user ran pb, for hints that name a command ("./pb", "npx bun src/main.ts"); defaults to the name. */
  invokedAs?: string;
  /** Environment variables (read only here and passed inward as values). */
  env: { [k: string]: string | undefined };
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
}

/** Settings every command derives from the global flags. */
export interface GlobalConfig {
  dataDir: string;
  publicDir: string;
  hooksDir: string;
  migrationsDir: string;
  flags: FlagValues;
}

const COMMANDS: { [name: string]: string } = {
  serve: "Starts the web server (default to 127.0.0.1:8090 if no domain is specified)",
  superuser: "Manage superusers",
  migrate: MIGRATE_SHORT,
  db: DB_SHORT,
  completion: "Generate the autocompletion script for the specified shell",
  help: "Help about any command",
};

const SUBCOMMANDS: { [command: string]: { [name: string]: SubcommandHelp } } = {
  superuser: SUPERUSER_SUBCOMMANDS,
  migrate: MIGRATE_SUBCOMMANDS,
  db: DB_SUBCOMMANDS,
};

/** Runs the CLI and returns the process exit code. */
export async function runCli(argv: string[], cliEnv: CliEnv): Promise<number> {
  const out = cliEnv.stdout ?? ((s: string) => process.stdout.write(s));
  const err = cliEnv.stderr ?? ((s: string) => process.stderr.write(s));
  const name = basename(cliEnv.argv0) || "pb";
  const [command, ...rest] = argv[0] && !argv[0].startsWith("-") ? argv : ["", ...argv];

  const specs =
    command === "serve"
      ? [...SERVE_FLAGS, ...GLOBAL_FLAGS]
      : command === "db"
        ? [...DB_FLAGS, ...GLOBAL_FLAGS]
        : GLOBAL_FLAGS;
  let parsed;
  try {
    parsed = parseFlags(rest, specs);
  } catch (e) {
    if (e instanceof FlagError) {
      err(color.red(`Error: ${e.message}`) + "\n" + `Run '${name} ${command ? command + " " : ""}--help' for usage.\n`);
      return 1;
    }
    throw e;
  }
  const { flags, args } = parsed;

  if (flags.version) {
    out(`${name} version ${VERSION} (PocketBase v${UPSTREAM_VERSION} compatible)\n`);
    return 0;
  }
  if (flags.help || command === "" || command === "help") {
    out(command === "help" ? helpText(name, args[0] ?? "", args[1]) : helpText(name, command, args[0]));
    return 0;
  }
  if (command === "completion") {
    const shell = args[0] ?? "";
    if (!shell) {
      out(completionHelp(name));
      return 0;
    }
    if (!(COMPLETION_SHELLS as readonly string[]).includes(shell)) {
      err(color.red(`Error: unknown shell "${shell}" (expected one of ${COMPLETION_SHELLS.join(", ")})`) + "\n");
      return 1;
    }
    out(
      completionScript(shell as Shell, {
        name,
        commands: COMMANDS,
        subcommands: Object.fromEntries(
          Object.entries(SUBCOMMANDS).map(([c, subs]) => [
            c,
            Object.fromEntries(Object.entries(subs).map(([k, v]) => [k, v.short])),
          ]),
        ),
        globalFlags: GLOBAL_FLAGS,
        commandFlags: { serve: SERVE_FLAGS, db: DB_FLAGS },
      }),
    );
    return 0;
  }
  if (!(command in COMMANDS)) {
    err(color.red(`Error: unknown command "${command}" for "${name}"`) + `\nRun '${name} --help' for usage.\n`);
    return 1;
  }

  if (command === "db") {
    // a parent command alone prints its help, as `superuser` does (cobra's behaviour)
    if (args.length === 0) {
      out(helpText(name, "db"));
      return 0;
    }
    // FROM and TO name the databases: no app is opened on --dir
    const tty = !cliEnv.stderr && process.stderr.isTTY === true;
    return dbCommand(args, { force: !!flags.force, queryTimeout: Number(flags.queryTimeout) }, { out, err, tty, name });
  }

  const cfg = globalConfig(flags, cliEnv);
  let encryptionKey = "";
  if (flags.encryptionEnv) encryptionKey = cliEnv.env[String(flags.encryptionEnv)] ?? "";
  if (encryptionKey && encryptionKey.length !== 32) {
    err(
      color.red(
        `Error: the ${flags.encryptionEnv} encryption key must be exactly 32 characters long (got ${encryptionKey.length})`,
      ) + "\n",
    );
    return 1;
  }

  const dbUrl = String(flags.db) || cliEnv.env.PB_DB_URL || "";
  // processes sharing a port must share their state too: only nodes of one PostgreSQL cluster do
  if (command === "serve" && flags.reusePort && !dbUrl) {
    err(
      color.red(
        "Error: --reusePort needs --db=postgres://… (the nodes of one cluster share a port; on SQLite one process serves a pb_data)",
      ) + "\n",
    );
    return 1;
  }
  const app = new App({
    dataDir: cfg.dataDir,
    isDev: !!flags.dev,
    encryptionKey,
    queryTimeout: Number(flags.queryTimeout),
    dbUrl,
  });
  let jsvm;
  try {
    // the JS plugin first (migration files, then hooks), as upstream registers it before bootstrap
    jsvm = await setupJsvm(app, cfg, { env: cliEnv.env, args: [cliEnv.argv0, ...argv] });
  } catch (e) {
    err(color.red(`Error: ${(e as Error).message}`) + "\n");
    return 1;
  }
  try {
    await app.bootstrap();
  } catch (e) {
    err(color.red(`Error: failed to bootstrap the app: ${(e as Error).message}`) + "\n");
    return 1;
  }
  // serving nodes of a shared database hear of what this command changes (serve joins the cluster itself)
  if (command !== "serve") relayCacheNotices(app);

  try {
    switch (command) {
      case "serve": {
        // test-only: a shorter cron tick, so tests see several ticks in seconds
        const tick = Number(cliEnv.env.PB_CRON_TICK_MS);
        if (tick > 0) appCron(app).setInterval(tick);
        await beforeServe(app, jsvm);
        return await serveCommand(app, cfg, args, { out, err, invokedAs: cliEnv.invokedAs || name });
      }
      case "migrate":
        return await migrateCommand(app, jsvm.appMigrations, cfg.migrationsDir, args, { out, err });
      case "superuser":
        return await superuserCommand(app, args, { out, err, name });
    }
    return 1;
  } catch (e) {
    err(color.red(`Error: ${(e as Error).message}`) + "\n");
    // a serve that failed to start (e.g. a busy address) closes the databases it opened
    if (command === "serve") await app.terminate().catch(() => {});
    return 1;
  } finally {
    if (command !== "serve") await app.terminate();
  }
}

function globalConfig(flags: FlagValues, cliEnv: CliEnv): GlobalConfig {
  // Upstream derives defaults from argv[0]'s folder: a binary run by bare name from PATH gets ./pb_data.
  const base = dirname(cliEnv.argv0 || ".");
  const dataDir = resolve(String(flags.dir) || join(base, "pb_data"));
  return {
    dataDir,
    publicDir: resolve(String(flags.publicDir) || join(base, "pb_public")),
    hooksDir: resolve(String(flags.hooksDir) || join(dataDir, "..", "pb_hooks")),
    migrationsDir: resolve(String(flags.migrationsDir) || join(dataDir, "..", "pb_migrations")),
    flags,
  };
}

/** `serve --help`'s examples, the comments aligned whatever the binary is called. */
function serveExamples(name: string): string {
  const rows: [string, string[]][] = [
    ["serve", ["http://127.0.0.1:8090"]],
    ["serve --http=0.0.0.0:8090", ["every interface, plain HTTP"]],
    [
      "serve example.com www.example.com",
      [
        "HTTPS on :443 with certificates obtained (and renewed) over",
        "ACME for these names; :80 answers the CA and redirects the",
        "rest to https (see --acmeDirectory)",
      ],
    ],
  ];
  const width = Math.max(...rows.map(([cmd]) => cmd.length)) + name.length + 6;
  return rows
    .flatMap(([cmd, notes]) => notes.map((note, i) => `${(i ? "" : `  ${name} ${cmd}`).padEnd(width)}# ${note}\n`))
    .join("");
}

function helpText(name: string, command: string, sub?: string): string {
  const global = `Global Flags:\n${flagUsages(GLOBAL_FLAGS)}\n`;
  if (command === "db") return dbHelp(name, sub, global, flagUsages(DB_FLAGS));
  const subHelp = sub ? SUBCOMMANDS[command]?.[sub] : undefined;
  if (subHelp) {
    // cobra's layout for a leaf command
    const usage = `${name} ${command} ${sub}${subHelp.args ? " " + subHelp.args : ""} [flags]`;
    return `${subHelp.short}\n\nUsage:\n  ${usage}\n\nExamples:\n  ${name} ${subHelp.example}\n\n${global}`;
  }
  if (command === "serve") {
    return (
      `Starts the web server (default to 127.0.0.1:8090 if no domain is specified)\n\n` +
      `Usage:\n  ${name} serve [domain(s)] [flags]\n\n` +
      `Examples:\n${serveExamples(name)}\n` +
      `Flags:\n${flagUsages(SERVE_FLAGS)}\n\n${global}`
    );
  }
  if (command === "migrate") {
    return `${MIGRATE_SHORT}\n\n${migrateHelp(name)}\n${global}`;
  }
  if (command === "superuser") {
    const more = `Use "${name} superuser [command] --help" for more information about a command.\n`;
    return `${SUPERUSER_HELP(name)}\n${global}\n${more}`;
  }
  if (command === "completion") return `${completionHelp(name)}\n${global}`;
  if (command === "help") {
    return `Help provides help for any command in the application.\n\nUsage:\n  ${name} help [command]\n\n${global}`;
  }
  const cmds = Object.entries(COMMANDS)
    .map(([c, d]) => `  ${c.padEnd(12)}${d}`)
    .join("\n");
  return `${name} CLI\n\nUsage:\n  ${name} [command]\n\nAvailable Commands:\n${cmds}\n\nFlags:\n${flagUsages(GLOBAL_FLAGS)}\n\nUse "${name} [command] --help" for more information about a command.\n`;
}
