/**
 * The benchmark harness works (it is not a benchmark: nothing here looks at speed). The load
 * generator counts every status ≥ 400 and network failure in both client modes, and
 * `bun bench/run.ts` runs its smallest scenario (create, smoke counts) against dist/pb end to end.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { encodeRequest, runLoad } from "../bench/lib/http_client.ts";
import { toRow } from "../bench/lib/report.ts";

const REPO = resolve(import.meta.dir, "..");
const BIN = join(REPO, "dist/pb");
const work = mkdtempSync(join(tmpdir(), "pb-bench-smoke-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("the load generator reads every response and counts errors in both modes", async () => {
  let n = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      n++;
      const path = new URL(req.url).pathname;
      if (path === "/404") return new Response("nope", { status: 404 });
      // a streamed (chunked) body must be read to its end too
      if (path === "/chunked")
        return new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode("a".repeat(5000)));
              c.close();
            },
          }),
        );
      return Response.json({ ok: true, pad: "x".repeat(20000) });
    },
  });
  const port = server.port!;
  try {
    for (const keepAlive of [false, true]) {
      const host = `127.0.0.1:${port}`;
      const requests = ["/ok", "/404", "/chunked", "/ok"].map((path) =>
        encodeRequest(host, { method: "GET", path }, keepAlive),
      );
      const r = await runLoad({ hostname: "127.0.0.1", port, requests, total: 40, concurrency: 5, keepAlive });
      const row = toRow(r, { section: "t", name: "t", mode: keepAlive ? "keepalive" : "close", conc: 5 });
      expect(r.sent).toBe(40);
      expect(row.errors).toBe(10);
      expect(row.errorDetail).toBe("404×10");
      expect([...r.statuses].filter((s) => s === 200).length).toBe(30);
    }
    expect(n).toBe(80);
    // a refused connection is a failure, not a silent drop
    server.stop(true);
    const r = await runLoad({
      hostname: "127.0.0.1",
      port,
      requests: [encodeRequest(`127.0.0.1:${port}`, { method: "GET", path: "/" }, true)],
      total: 3,
      concurrency: 1,
      keepAlive: true,
    });
    expect(toRow(r, { section: "t", name: "t", mode: "keepalive", conc: 1 }).errorDetail).toBe("net×3");
  } finally {
    server.stop(true);
  }
});

test("npm run bench -- create, smoke counts, against dist/pb", async () => {
  expect(existsSync(BIN)).toBe(true); // npm test builds it first
  const out = join(work, "result.md");
  const proc = Bun.spawn(
    [process.execPath, join(REPO, "bench/run.ts"), "create", "--profile=smoke", "--no-build", `--out=${out}`],
    {
      cwd: REPO,
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) console.error(stdout + stderr);
  expect(code).toBe(0);
  expect(stdout).toContain("posts100k auth + :isset rule");
  const md = readFileSync(out, "utf8");
  expect(md).toContain("| scenario | mode | reqs |");
  expect(md).toMatch(/2 cores|\d+ cores/);
  // every load row of the run answered without errors (status ≥ 400 would show in the errors column)
  const section = md.slice(md.indexOf("### create"), md.indexOf("###", md.indexOf("### create") + 3));
  const rows = section
    .split("\n")
    .filter((l) => l.startsWith("| posts") || l.startsWith("| users") || l.startsWith("| organizations"));
  expect(rows.length).toBeGreaterThanOrEqual(14);
  for (const r of rows) expect(r.split(" | ")[10]).toBe("0");
}, 20_000);

test("npm run bench -- custom: the pb_hooks route and hook against their native twins", async () => {
  const out = join(work, "custom.md");
  const proc = Bun.spawn(
    [
      process.execPath,
      join(REPO, "bench/run.ts"),
      "custom",
      "--profile=smoke",
      "--no-build",
      "--mode=keepalive",
      `--out=${out}`,
    ],
    { cwd: REPO, stdout: "pipe", stderr: "pipe" },
  );
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) console.error(stdout + stderr);
  // non-zero also when a hook did not rewrite every PATCHed row
  expect(code).toBe(0);
  const md = readFileSync(out, "utf8");
  const section = md.slice(md.indexOf("### custom"), md.indexOf("###", md.indexOf("### custom") + 3));
  const rows = section.split("\n").filter((l) => /^\| (JS route|native route|PATCH \+)/.test(l));
  expect(rows.map((r) => r.split(" | ")[0])).toEqual([
    "| JS route GET /js (pb_hooks)",
    "| native route GET /native",
    "| PATCH + JS onRecordUpdateRequest hook",
    "| PATCH + native onRecordUpdateRequest hook",
  ]);
  for (const r of rows) expect(r.split(" | ")[10]).toBe("0");
  expect(md).toContain("### JS hooks ÷ native");
}, 60_000);
