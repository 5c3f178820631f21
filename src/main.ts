#!/usr/bin/env bun
/** The `pb` executable's entry point. */
import { basename, relative } from "node:path";
// the system migrations register themselves into core (upstream: the entry imports the migrations package)
import "../migrations/index.ts";
import { runCli } from "./cli/index.ts";

/** The QuickJS engine for pb_hooks, loaded on first use; referencing it here makes the binary embed it. */
export const loadJsvm = () => import("./jsvm/quickjs.ts").then((m) => m.loadQuickJS());

/** The command as the user typed it: "./pb" for the binary, "npx bun src/main.ts" (or similar) from source. */
function invokedAs(): string {
  if (Bun.isStandaloneExecutable) return process.argv0;
  const entry = process.argv[1] ?? "src/main.ts";
  const inCwd = relative(process.cwd(), entry);
  const script = inCwd && !inCwd.startsWith("..") ? inCwd : entry;
  // under npx or an npm script, a bare `bun` is not on the user's own PATH
  const viaNpm = basename(process.env._ ?? "") === "npx" || !!process.env.npm_lifecycle_event;
  const runner = viaNpm && process.argv0 === "bun" ? "npx bun" : process.argv0;
  return `${runner} ${script}`;
}

const code = await runCli(process.argv.slice(2), {
  // In a compiled binary argv[1] is the virtual entry; execPath is where the binary lives.
  argv0: Bun.isStandaloneExecutable ? process.execPath : process.cwd() + "/pb",
  env: process.env,
  invokedAs: invokedAs(),
});
process.exit(code);
