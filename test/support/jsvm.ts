/**
 * Helpers for the JS hooks tests: a work folder with pb_hooks / pb_migrations files, a server
 * started on it, and a superuser-authenticated SDK.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { runPb, startServer, tempDir, type StartOptions, type TestServer } from "../harness.ts";

export interface JsFiles {
  /** pb_hooks files by name (`main.pb.js`, `lib/util.js`…). */
  hooks?: Record<string, string>;
  /** pb_migrations files by name. */
  migrations?: Record<string, string>;
}

/** A fresh work folder holding the given hook and migration files. */
export function jsWorkDir(files: JsFiles): string {
  const dir = tempDir("pb-jsvm-");
  writeFiles(join(dir, "pb_hooks"), files.hooks ?? {});
  if (files.migrations) writeFiles(join(dir, "pb_migrations"), files.migrations);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

export const SU_EMAIL = "js@example.com";
export const SU_PASSWORD = "1234567890";

/** Starts pb on a work folder with JS files (watching off unless asked) and a superuser. */
export async function startJsServer(
  files: JsFiles,
  opts: StartOptions & { watch?: boolean } = {},
): Promise<TestServer> {
  const workDir = opts.workDir ?? jsWorkDir(files);
  if (opts.workDir) {
    writeFiles(join(workDir, "pb_hooks"), files.hooks ?? {});
    if (files.migrations) writeFiles(join(workDir, "pb_migrations"), files.migrations);
  }
  const r = await runPb(
    ["superuser", "upsert", SU_EMAIL, SU_PASSWORD, `--dir=${join(workDir, "pb_data")}`, "--hooksWatch=false"],
    { cwd: workDir },
  );
  if (r.code !== 0) throw new Error(`superuser upsert failed: ${r.stderr}`);
  const srv = await startServer({
    ...opts,
    workDir,
    args: [`--hooksWatch=${opts.watch ? "true" : "false"}`, ...(opts.args ?? [])],
  });
  return srv;
}

/** An SDK client authenticated as the superuser. */
export async function superuserClient(srv: TestServer): Promise<PocketBase> {
  const pb = srv.sdk();
  await pb.collection("_superusers").authWithPassword(SU_EMAIL, SU_PASSWORD);
  return pb;
}

/** A migration creating the `posts` (base) and `audit` collections used by several tests. */
export const POSTS_MIGRATION = `/// <reference path="../pb_data/types.d.ts" />
migrate((app) => {
  const posts = new Collection({
    type: "base",
    name: "posts",
    listRule: "",
    viewRule: "",
    createRule: "",
    updateRule: "",
    deleteRule: "",
    fields: [
      { type: "text", name: "title", required: true },
      { type: "text", name: "secret" },
      { type: "number", name: "views" },
      { type: "json", name: "data" },
      { type: "select", name: "tags", maxSelect: 3, values: ["a", "b", "c"] },
      { type: "autodate", name: "created", onCreate: true },
    ],
  });
  app.save(posts);

  const audit = new Collection({
    type: "base",
    name: "audit",
    listRule: "",
    viewRule: "",
    fields: [
      { type: "text", name: "action" },
      { type: "text", name: "ref" },
      { type: "text", name: "note" },
    ],
  });
  app.save(audit);
}, (app) => {
  app.delete(app.findCollectionByNameOrId("audit"));
  app.delete(app.findCollectionByNameOrId("posts"));
})
`;
