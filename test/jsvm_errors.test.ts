/**
 * Script errors say where they happened (upstream's goja prints `Line 3:11` / `at pb.js:3:11`):
 * a syntax or top-level error in a hook file names file:line:column — `serve` exits 1 with it, or,
 * with `--hooksWatch`, prints it and keeps serving so the file can be fixed (upstream's
 * plugins/jsvm/jsvm.go) — and an exception in a handler names its file and line in the request log.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { TestServer } from "./harness.ts";
import { runPb, startServer } from "./harness.ts";
import { jsWorkDir, startJsServer, superuserClient } from "./support/jsvm.ts";

const BROKEN = `routerAdd("GET", "/fine", (e) => {
  return e.json(200, { ok: true })
})

const x = ;
`;

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
});

test("a syntax error in a hook file: serve exits 1 naming file:line:column", async () => {
  const dir = jsWorkDir({
    hooks: { "a_ok.pb.js": `routerAdd("GET", "/ok", (e) => e.string(200, "ok"))\n`, "broken.pb.js": BROKEN },
  });
  const r = await runPb(["serve", "--http=127.0.0.1:0", `--dir=${join(dir, "pb_data")}`, "--hooksWatch=false"], {
    cwd: dir,
  });
  expect(r.code).toBe(1);
  expect(r.stderr + r.stdout).toContain("failed to execute broken.pb.js");
  expect(r.stderr + r.stdout).toMatch(/SyntaxError: [^\n]* at broken\.pb\.js:5:11/);
});

test("an exception at a hook file's top level names its line too", async () => {
  const dir = jsWorkDir({ hooks: { "top.pb.js": `\n\n  undefinedThing.call()\n` } });
  const r = await runPb(["serve", "--http=127.0.0.1:0", `--dir=${join(dir, "pb_data")}`, "--hooksWatch=false"], {
    cwd: dir,
  });
  expect(r.code).toBe(1);
  expect(r.stderr + r.stdout).toMatch(
    /failed to execute top\.pb\.js:\n - ReferenceError: [^\n]*undefinedThing[^\n]* at top\.pb\.js:3:3/,
  );
});

test("with --hooksWatch a broken file is reported and the server keeps serving", async () => {
  const workDir = jsWorkDir({
    hooks: { "a_ok.pb.js": `routerAdd("GET", "/ok", (e) => e.string(200, "still serving"))\n`, "broken.pb.js": BROKEN },
  });
  const srv = await startServer({ workDir, args: ["--hooksWatch=true"] });
  servers.push(srv);
  expect(srv.output()).toContain("failed to execute broken.pb.js");
  expect(srv.output()).toMatch(/SyntaxError: [^\n]* at broken\.pb\.js:5:11/);
  const r = await fetch(srv.url + "/ok");
  expect(r.status).toBe(200);
  expect(await r.text()).toBe("still serving");
  // the broken file registered nothing
  expect((await fetch(srv.url + "/fine")).status).toBe(404);
});

test("an exception in a route names the file and line in the request log", async () => {
  const srv = await startJsServer({
    hooks: {
      "lib.pb.js": `// padding so the handler does not start at line 1

routerAdd("GET", "/boom", (e) => {
  const a = {}
  return e.json(200, a.missing.deeper)
})

routerAdd("GET", "/async-boom", async (e) => {
  await null
  throw new Error("late failure")
})
`,
    },
  });
  servers.push(srv);
  const pb = await superuserClient(srv);
  for (const path of ["/boom", "/async-boom"]) {
    const r = await fetch(srv.url + path);
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({
      status: 400,
      message: "Something went wrong while processing your request.",
      data: {},
    });
  }
  // log writes are queued: poll for both entries
  const details = async (url: string): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const logs = await pb.logs.getList(1, 1, { filter: `data.url = "${url}"` });
      const d = logs.items[0]?.data.details;
      if (d) return String(d);
      await Bun.sleep(100);
    }
    return "";
  };
  expect(await details("/boom")).toMatch(/^TypeError: .*'deeper'.* at lib\.pb\.js:5:\d+$/);
  expect(await details("/async-boom")).toMatch(/^late failure at lib\.pb\.js:10:\d+$/);
});
