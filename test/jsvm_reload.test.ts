/**
 * `--hooksWatch`: a change under pb_hooks restarts the process in place (same PID, argv and env,
 * as upstream's execve) with fresh JS state and new routes.
 */
import { expect, test } from "bun:test";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startJsServer } from "./support/jsvm.ts";
import { freePort } from "./harness.ts";

/** Writes like an editor saving: a temp file renamed over the target (no half-written reads). */
function save(path: string, text: string): void {
  writeFileSync(path + ".tmp~", text);
  renameSync(path + ".tmp~", path);
}

async function poll(url: string, want: (body: string) => boolean, output: () => string, ms = 15_000): Promise<string> {
  const deadline = Date.now() + ms;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url);
      last = await r.text();
      if (want(last)) return last;
    } catch {}
    await Bun.sleep(100);
  }
  throw new Error(`timed out; last answer: ${last}\nserver output:\n${output()}`);
}

test("editing a hook file restarts the process with the new routes", async () => {
  const port = await freePort();
  const srv = await startJsServer(
    { hooks: { "main.pb.js": `routerAdd("GET", "/version", (e) => e.json(200, { v: 1 }))` } },
    { watch: true, args: [`--http=127.0.0.1:${port}`] },
  );
  try {
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(base + "/version")).json()).toEqual({ v: 1 });
    const pid = srv.proc.pid;
    save(join(srv.workDir, "pb_hooks", "main.pb.js"), `routerAdd("GET", "/version", (e) => e.json(200, { v: 2 }))`);
    expect(await poll(base + "/version", (b) => b.includes('"v":2'), srv.output)).toBe('{"v":2}\n');
    expect(srv.output()).toContain("main.pb.js changed, restarting...");
    expect(srv.proc.pid).toBe(pid);
    expect(srv.proc.exitCode).toBeNull();

    // a new file adds a route; a file in a subfolder (a required module) also restarts
    save(
      join(srv.workDir, "pb_hooks", "extra.pb.js"),
      `routerAdd("GET", "/extra", (e) => e.string(200, require(__hooks + "/lib/msg.js")))`,
    );
    mkdirSync(join(srv.workDir, "pb_hooks", "lib"), { recursive: true });
    save(join(srv.workDir, "pb_hooks", "lib", "msg.js"), `module.exports = "from lib"`);
    expect(await poll(base + "/extra", (b) => b === "from lib", srv.output)).toBe("from lib");
  } finally {
    await srv.stop();
  }
}, 30_000);
