/**
 * `migrate [up | down [n] | create <name> | collections | history-sync]` (upstream's migratecmd):
 * runs the system and JS migrations merged by file name, and writes new JS migration files.
 * Confirmations are y/N prompts on stderr; an empty answer means no.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../core/app.ts";
import { MIGRATIONS_TABLE, newMigrationsRunner, type Migration } from "../core/migrations_runner.ts";
import { blankTemplate, snapshotTemplate } from "../jsvm/migrate_templates.ts";
import { color } from "./output.ts";
import type { SubcommandHelp } from "./superuser.ts";

export const MIGRATE_SHORT = "Executes app DB migration scripts";

export function migrateHelp(name: string): string {
  return `Supported arguments are:
- up            - runs all available migrations
- down [number] - reverts the last [number] applied migrations
- create name   - creates new blank migration template file
- collections   - creates new migration file with snapshot of the local collections configuration
- history-sync  - ensures that the _migrations history table doesn't have references to deleted migration files

Usage:
  ${name} migrate [command] [flags]

Use "${name} migrate [command] --help" for more information about a command.
`;
}

/** `migrate`'s arguments as subcommands, for their own --help (upstream's wording from its description). */
export const MIGRATE_SUBCOMMANDS: { [name: string]: SubcommandHelp } = {
  up: { short: "Runs all available migrations", args: "", example: "migrate up" },
  down: {
    short: "Reverts the last [number] applied migrations (default 1)",
    args: "[number]",
    example: "migrate down 2",
  },
  create: {
    short: "Creates new blank migration template file",
    args: "name",
    example: "migrate create add_posts_slug",
  },
  collections: {
    short: "Creates new migration file with snapshot of the local collections configuration",
    args: "",
    example: "migrate collections",
  },
  "history-sync": {
    short: "Ensures that the _migrations history table doesn't have references to deleted migration files",
    args: "",
    example: "migrate history-sync",
  },
};

export interface MigrateIo {
  out(s: string): void;
  err(s: string): void;
  /** Reads one line of input (without the newline); "" at end of input. */
  readLine?: () => Promise<string>;
}

/** upstream's osutils.YesNoPrompt with a "no" fallback. */
async function confirm(io: MigrateIo, message: string): Promise<boolean> {
  const read = io.readLine ?? readStdinLine;
  for (;;) {
    io.err(`${message} (y/N) `);
    const s = (await read()).trim().toLowerCase();
    if (s === "") return false;
    if (s === "y" || s === "yes") return true;
    if (s === "n" || s === "no") return false;
  }
}

let stdinLines: AsyncIterator<string> | null = null;

/** One line from stdin ("" at end of input). */
async function readStdinLine(): Promise<string> {
  stdinLines ??= (async function* () {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of Bun.stdin.stream()) {
      buf += decoder.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        yield buf.slice(0, i);
        buf = buf.slice(i + 1);
      }
    }
    if (buf) yield buf;
  })();
  const r = await stdinLines.next();
  return r.done ? "" : r.value;
}

/** inflector.Snakecase: non-word characters split, `_` before an uppercase after a non-uppercase. */
export function snakeCase(s: string): string {
  const words = s.split(/[^\w]+/).filter(Boolean);
  return words
    .map((w) => w.replace(/([^A-Z_])([A-Z])/g, "$1_$2"))
    .join("_")
    .toLowerCase();
}

async function createFile(dir: string, name: string, template: string, io: MigrateIo): Promise<void> {
  const file = `${Math.floor(Date.now() / 1000)}_${snakeCase(name)}.js`;
  const path = join(dir, file);
  if (!(await confirm(io, `Do you really want to create migration ${JSON.stringify(path)}?`))) {
    io.out("The command has been cancelled\n");
    return;
  }
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(path, template, { mode: 0o644 });
  } catch (err) {
    throw new Error(`failed to save migration file ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  io.out(`Successfully created file ${JSON.stringify(path)}\n`);
}

/** Runs `migrate <args>`; throws on failure. */
export async function migrateCommand(
  app: App,
  appMigrations: readonly Migration[],
  migrationsDir: string,
  args: string[],
  io: MigrateIo,
): Promise<number> {
  const cmd = args[0] ?? "up";
  switch (cmd) {
    case "create": {
      if (!args[1]) throw new Error("missing migration file name");
      await createFile(migrationsDir, args[1], blankTemplate(), io);
      return 0;
    }
    case "collections": {
      const collections = app
        .collections()
        .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
      await createFile(migrationsDir, "collections_snapshot", snapshotTemplate(collections), io);
      return 0;
    }
  }
  const runner = newMigrationsRunner(app, appMigrations);
  switch (cmd) {
    case "up": {
      const applied = await runner.up();
      if (applied.length === 0) io.out(color.green("No new migrations to apply.") + "\n");
      else for (const f of applied) io.out(color.green(`Applied ${f}`) + "\n");
      return 0;
    }
    case "down": {
      let count = 1;
      if (args.length > 1) {
        count = Math.trunc(Number(args[1]));
        if (!Number.isFinite(count)) count = 0;
        if (count < 0) count = runner.migrations.length;
      }
      const names = await runner.lastAppliedMigrations(count);
      if (
        !(await confirm(
          io,
          `\n${names.join("\n")}\nDo you really want to revert the last ${count} applied migration(s)?`,
        ))
      ) {
        io.out("The command has been cancelled\n");
        return 0;
      }
      const reverted = await runner.down(count);
      if (reverted.length === 0) io.out(color.green("No migrations to revert.") + "\n");
      else for (const f of reverted) io.out(color.green(`Reverted ${f}`) + "\n");
      return 0;
    }
    case "history-sync":
      await runner.removeMissingAppliedMigrations();
      io.out(color.green(`The ${MIGRATIONS_TABLE} table was synced with the available migrations.`) + "\n");
      return 0;
  }
  throw new Error(`unsupported command: ${JSON.stringify(cmd)}`);
}
