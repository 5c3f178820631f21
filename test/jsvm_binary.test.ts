/**
 * The compiled binary, copied alone into an empty folder, runs pb_hooks and pb_migrations: the JS
 * worker entrypoint and the QuickJS wasm are embedded (build.ts lists the worker).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../build.ts";
import { startServer, type TestServer } from "./harness.ts";
import { POSTS_MIGRATION, writeFiles } from "./support/jsvm.ts";

let dir: string;
let srv: TestServer;

beforeAll(async () => {
  const built = await ensureBuilt("host");
  dir = mkdtempSync(join(tmpdir(), "pb-jsvm-bin-"));
  copyFileSync(built, join(dir, "pb"));
  writeFiles(join(dir, "pb_hooks"), {
    "main.pb.js": `
routerAdd("GET", "/bin/{name}", (e) => e.json(200, { hello: e.request.pathValue("name"), posts: $app.countRecords("posts") }))
onRecordCreateRequest((e) => { e.record.set("title", e.record.getString("title") + "!"); e.next() }, "posts")
`,
    "typed.pb.ts": `routerAdd("GET", "/bin-ts", (e: any) => e.json(200, { typed: true as boolean }))`,
  });
  writeFiles(join(dir, "pb_migrations"), { "1700000000_posts.js": POSTS_MIGRATION });
  srv = await startServer({ binary: join(dir, "pb"), workDir: dir, cwd: dir, args: ["--hooksWatch=false"] });
}, 120_000);

afterAll(async () => {
  await srv?.stop({ keep: true });
  rmSync(dir, { recursive: true, force: true });
});

test("routes, hooks and migrations run in the compiled binary", async () => {
  const created = await srv.sdk().collection("posts").create({ title: "from the binary" });
  expect(created.title).toBe("from the binary!");
  expect(await (await fetch(srv.url + "/bin/world")).json()).toEqual({ hello: "world", posts: 1 });
  expect(await (await fetch(srv.url + "/bin-ts")).json()).toEqual({ typed: true });
});
