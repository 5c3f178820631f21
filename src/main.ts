#!/usr/bin/env bun
/** The `pb` executable's entry point. */
import { runCli } from "./cli/index.ts";

/** The QuickJS engine for pb_hooks, loaded on first use; referencing it here makes the binary embed it. */
export const loadJsvm = () => import("./jsvm/quickjs.ts").then((m) => m.loadQuickJS());

const code = await runCli(process.argv.slice(2), {
  // In a compiled binary argv[1] is the virtual entry; execPath is where the binary lives.
  argv0: Bun.isStandaloneExecutable ? process.execPath : process.cwd() + "/pb",
  env: process.env,
});
process.exit(code);
