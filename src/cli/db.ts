/**
 * `db copy FROM TO [--force]`: copies pb's data between a pb_data folder (SQLite) and a PostgreSQL
 * database, with a progress bar on stderr (no upstream twin: upstream runs SQLite only). The copy
 * itself is core's (src/core/db_copy.ts); this is its command line.
 */
import { copyDatabase, describeDbLocation, parseDbLocation, type DbCopyProgress } from "../core/db_copy.ts";
import type { FlagSpec } from "./flags.ts";
import { color } from "./output.ts";
import type { SubcommandHelp } from "./superuser.ts";

export const DB_SHORT = "Copies the app data between SQLite (pb_data) and PostgreSQL";

/** The `db` command's own flags. */
export const DB_FLAGS: FlagSpec[] = [
  {
    name: "force",
    type: "bool",
    default: false,
    usage:
      "empty a non-empty target first (pb_data: delete data.db and auxiliary.db; \nPostgreSQL: drop and recreate the schemas pb uses)",
  },
];

export const DB_SUBCOMMANDS: { [name: string]: SubcommandHelp } = {
  copy: {
    short: "Copies collections, records, settings, migrations history and logs from FROM to TO",
    args: "FROM TO",
    example: "db copy ./pb_data postgres://user:pass@localhost:5432/app",
  },
};

/** `db --help` and `db copy --help` (cobra's layout); `globalFlags` is the rendered global flags block. */
export function dbHelp(name: string, sub: string | undefined, globalFlags: string, flagsText: string): string {
  if (sub === "copy") {
    return `Copies collections, records, settings, migrations history and logs from FROM to TO.

FROM and TO are each a pb_data folder (SQLite) or a postgres://USER[:PASS]@HOST:PORT/DB URL.
The target must be empty unless --force is given. Uploaded files (pb_data/storage) are not
copied: they stay in the folder --dir names. View collections whose query does not run on
the target's engine are reported and left out. Stop any server writing to FROM first.

Usage:
  ${name} db copy FROM TO [flags]

Examples:
  ${name} db copy ./pb_data postgres://user:pass@localhost:5432/app
  ${name} db copy postgres://user:pass@localhost:5432/app ./pb_data_copy

Flags:
${flagsText}

${globalFlags}`;
  }
  return `${DB_SHORT}

Usage:
  ${name} db [command]

Available Commands:
${Object.entries(DB_SUBCOMMANDS)
  .map(([c, h]) => `  ${c.padEnd(12)}${h.short}`)
  .join("\n")}

${globalFlags}
Use "${name} db [command] --help" for more information about a command.
`;
}

interface DbIo {
  out(s: string): void;
  err(s: string): void;
  /** stderr is a terminal: draw a redrawn bar instead of plain lines. */
  tty: boolean;
  name: string;
}

export async function dbCommand(
  args: string[],
  opts: { force: boolean; queryTimeout: number },
  io: DbIo,
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "copy") {
    io.err(
      color.red(sub ? `Error: unknown command "${sub}" for "${io.name} db"` : "Error: missing command") +
        `\nRun '${io.name} db --help' for usage.\n`,
    );
    return 1;
  }
  if (rest.length !== 2) {
    io.err(
      color.red("Error: db copy takes two arguments, FROM and TO") + `\nRun '${io.name} db copy --help' for usage.\n`,
    );
    return 1;
  }
  const [from, to] = rest as [string, string];
  const bar = new ProgressBar(io);
  try {
    const result = await copyDatabase({
      from,
      to,
      force: opts.force,
      queryTimeout: opts.queryTimeout,
      onProgress: (p) => bar.update(p),
      onWarning: (m) => bar.message(color.yellow(`Warning: ${m}`)),
    });
    bar.finish();
    const rowsOf = (name: string) => result.tables.find((t) => t.name === name)?.rows ?? 0;
    const records = result.tables
      .filter((t) => !["_collections", "_params", "_migrations", "_logs"].includes(t.name))
      .reduce((n, t) => n + t.rows, 0);
    const skipped = result.skippedViews.length;
    io.out(
      color.green(
        `Successfully copied ${describeDbLocation(parseDbLocation(from))} to ${describeDbLocation(parseDbLocation(to))}: ` +
          `${plural(result.collections, "collection")}, ${plural(records, "record")}, ` +
          `${plural(rowsOf("_migrations"), "applied migration")}, ${plural(rowsOf("_logs"), "log")}`,
      ) +
        (skipped
          ? color.yellow(
              ` (${plural(skipped, "view collection")} skipped: ${result.skippedViews.map((v) => v.name).join(", ")})`,
            )
          : "") +
        "\n",
    );
    return 0;
  } catch (e) {
    bar.finish();
    io.err(color.red(`Error: ${(e as Error).message}`) + "\n");
    return 1;
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * The copy's progress on stderr: on a terminal one line redrawn in place (at most every 100 ms);
 * elsewhere (a log, a pipe) one plain line per table copied.
 */
class ProgressBar {
  private drawn = false;
  private lastDraw = 0;
  private current: DbCopyProgress | null = null;

  constructor(private readonly io: DbIo) {}

  update(p: DbCopyProgress): void {
    this.current = p;
    if (!this.io.tty) {
      if (p.tableDone) this.io.err(`copied ${p.table}: ${plural(p.tableCopied, "row")} (${p.copied}/${p.total})\n`);
      return;
    }
    const now = Date.now();
    if (now - this.lastDraw < 100 && !p.tableDone) return;
    this.lastDraw = now;
    this.draw();
  }

  /** A line above the bar (warnings). */
  message(line: string): void {
    this.clear();
    this.io.err(line + "\n");
    if (this.io.tty && this.current) this.draw();
  }

  finish(): void {
    if (this.io.tty && this.current) this.draw();
    if (this.drawn) this.io.err("\n");
    this.drawn = false;
  }

  private clear(): void {
    if (this.drawn) this.io.err("\r\x1b[2K");
    this.drawn = false;
  }

  private draw(): void {
    const p = this.current!;
    const width = 30;
    const ratio = p.total > 0 ? Math.min(1, p.copied / p.total) : 1;
    const filled = Math.round(ratio * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const pct = String(Math.floor(ratio * 100)).padStart(3);
    // kept within the terminal's width: a wrapped line could not be redrawn in place
    const line = `${bar} ${pct}%  ${p.copied}/${p.total} rows  ${p.table}`;
    const columns = process.stderr.columns || 80;
    this.io.err(`\r\x1b[2K${[...line].slice(0, columns - 1).join("")}`);
    this.drawn = true;
  }
}
