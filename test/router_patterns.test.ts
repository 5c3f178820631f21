/**
 * Route paths are Go `http.ServeMux` patterns, as in upstream's tools/router: `{$}`, trailing
 * slashes, `{name...}`, the most specific pattern winning, method-specific before method-less,
 * HEAD through GET, the 301 to a trailing-slash route, a hook's `GET /` over the pb_public route,
 * and conflicting or invalid patterns failing `serve` with Go's message. Real servers, pb_hooks files.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { pbCommand, type TestServer } from "./harness.ts";
import { jsWorkDir, startJsServer, writeFiles } from "./support/jsvm.ts";

const PUBLIC = { "index.html": "<p>public index</p>", "sub/file.txt": "public file" };

const ROUTES = `
routerAdd("GET", "/{$}", (e) => e.string(200, "home"))
routerAdd("GET", "/static/", (e) => e.string(200, "static subtree"))
routerAdd("GET", "/static/{$}", (e) => e.string(200, "static root"))
routerAdd("GET", "/files/{path...}", (e) => e.json(200, { path: e.request.pathValue("path") }))
routerAdd("GET", "/items/{id}", (e) => e.string(200, "item " + e.request.pathValue("id")))
routerAdd("GET", "/items/new", (e) => e.string(200, "new item form"))
routerAdd("GET", "/h", (e) => {
  e.response.header().set("X-Route", "get-h")
  return e.string(200, "body of h")
})
// upstream's own not-found slot, taken by the app: every method, every path nothing else matches
routerAdd("", "/", (e) => e.string(200, "any " + e.request.method))
routerAdd("DELETE", "/{rest...}", (e) => e.string(200, "delete " + e.request.pathValue("rest")))
`;

function withPublic(hooks: Record<string, string>): string {
  const dir = jsWorkDir({ hooks });
  writeFiles(join(dir, "pb_public"), PUBLIC);
  return dir;
}

describe("patterns on a server with pb_public", () => {
  let srv: TestServer;
  const get = (path: string, init: RequestInit = {}) => fetch(srv.url + path, { redirect: "manual", ...init });

  beforeAll(async () => {
    const workDir = withPublic({ "routes.pb.js": ROUTES });
    srv = await startJsServer({}, { workDir, args: [`--publicDir=${join(workDir, "pb_public")}`] });
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
  });

  test("{$} takes only the root; pb_public still serves the rest", async () => {
    expect(await (await get("/")).text()).toBe("home");
    expect(await (await get("/sub/file.txt")).text()).toBe("public file");
    // pb_public's index fallback for a path it lacks: the {$} route is only the root
    expect(await (await get("/some/page")).text()).toBe("<p>public index</p>");
  });

  test("a trailing slash matches everything below it; {$} after it only the folder itself", async () => {
    expect(await (await get("/static/a/b/c.js")).text()).toBe("static subtree");
    expect(await (await get("/static/x")).text()).toBe("static subtree");
    expect(await (await get("/static/")).text()).toBe("static root");
    const res = await get("/static?v=1");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/static/?v=1");
  });

  test("{name...} takes the rest of the path, decoded; a literal beats {name}", async () => {
    expect(await (await get("/files/a/b%20c/d.txt")).json()).toEqual({ path: "a/b c/d.txt" });
    expect(await (await get("/files/")).json()).toEqual({ path: "" });
    expect(await (await get("/items/new")).text()).toBe("new item form");
    expect(await (await get("/items/42")).text()).toBe("item 42");
  });

  test("method-specific beats method-less on the same paths; GET stays with pb_public", async () => {
    expect(await (await get("/q/w", { method: "DELETE" })).text()).toBe("delete q/w");
    expect(await (await get("/q/w", { method: "PATCH" })).text()).toBe("any PATCH");
    expect(await (await get("/api/nope", { method: "POST" })).text()).toBe("any POST");
    expect(await (await get("/sub/file.txt")).text()).toBe("public file");
    // the API's own routes are still more specific than both
    expect(((await (await get("/api/health")).json()) as { message: string }).message).toBe("API is healthy.");
  });

  test("HEAD is answered by the GET route", async () => {
    const res = await get("/h", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-route")).toBe("get-h");
    expect(await res.text()).toBe("");
    expect((await get("/", { method: "HEAD" })).status).toBe(200);
  });
});

test("a hook's GET / takes every GET path instead of the pb_public route", async () => {
  const workDir = withPublic({
    "root.pb.js": `routerAdd("GET", "/", (e) => e.string(200, "hook root " + e.request.url.path))`,
  });
  const srv = await startJsServer({}, { workDir, args: [`--publicDir=${join(workDir, "pb_public")}`] });
  try {
    expect(await (await fetch(srv.url + "/")).text()).toBe("hook root /");
    expect(await (await fetch(srv.url + "/index.html")).text()).toBe("hook root /index.html");
    expect(((await (await fetch(srv.url + "/api/health")).json()) as { code: number }).code).toBe(200);
    // other methods still reach upstream's not-found route
    expect((await fetch(srv.url + "/x", { method: "POST" })).status).toBe(404);
  } finally {
    await srv.stop();
  }
}, 60_000);

/** Runs `serve` on hook files that must stop it; returns the exit code and everything printed. */
async function failedServe(hooks: Record<string, string>): Promise<{ code: number; out: string }> {
  const workDir = jsWorkDir({ hooks });
  const proc = Bun.spawn(
    [...pbCommand(), "serve", "--http=127.0.0.1:0", `--dir=${join(workDir, "pb_data")}`, "--hooksWatch=false"],
    {
      cwd: workDir,
      env: { ...process.env, NO_COLOR: "1" },
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
    },
  );
  // a server that starts anyway would never exit: stop it so the test fails instead of hanging
  const guard = setTimeout(() => proc.kill(), 30_000);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(guard);
  return { code, out: stdout + stderr };
}

describe("conflicting or invalid patterns stop serve", () => {
  test("two patterns matching the same requests", async () => {
    const r = await failedServe({
      "dup.pb.js": `
routerAdd("GET", "/dup/{a}", (e) => e.string(200, "a"))
routerAdd("GET", "/dup/{b}", (e) => e.string(200, "b"))
`,
    });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /Error: pattern "GET \/dup\/\{b\}" \(registered at [^)]+\) conflicts with pattern "GET \/dup\/\{a\}" \(registered at [^)]+\):\nGET \/dup\/\{b\} matches the same requests as GET \/dup\/\{a\}/,
    );
    expect(r.out).not.toContain("Server started");
  }, 60_000);

  test("a method-less route under the GET pb_public route (Go refuses it too)", async () => {
    const r = await failedServe({ "any.pb.js": `routerAdd("", "/api/ping", (e) => e.string(200, "pong"))` });
    expect(r.code).toBe(1);
    expect(r.out).toContain('Error: pattern "GET /{path...}" (registered at ');
    expect(r.out).toContain('conflicts with pattern "/api/ping" (registered at ');
    expect(r.out).toContain("GET /{path...} matches fewer methods than /api/ping, but has a more general path pattern");
  }, 60_000);

  test("an invalid pattern", async () => {
    const r = await failedServe({ "bad.pb.js": `routerAdd("GET", "/{$}/x", (e) => e.string(200, "x"))` });
    expect(r.code).toBe(1);
    expect(r.out).toContain('Error: parsing "GET /{$}/x": at offset 5: {$} not at end');
  }, 60_000);
});
