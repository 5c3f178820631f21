/**
 * The dashboard bundle: ui/ typechecks, bundles, and the committed public/ is exactly what the
 * bundler makes from ui/ (so `npm start` from source serves the current dashboard); the server
 * serves it at /_/ with its assets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { buildDashboard, ROOT } from "../build.ts";
import { startServer, tempDir, type TestServer } from "./harness.ts";

describe("dashboard bundle", () => {
  test("ui/ typechecks (DOM lib, strict)", async () => {
    const proc = Bun.spawn([join(ROOT, "node_modules/.bin/tsc"), "--noEmit", "-p", join(ROOT, "ui")], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const out = await new Response(proc.stdout).text();
    expect(out).toBe("");
    expect(await proc.exited).toBe(0);
  }, 60_000);

  test("public/ is the current bundle of ui/", async () => {
    const dir = tempDir("pb-ui-check-");
    try {
      const { files } = await buildDashboard({ outdir: dir, quiet: true });
      expect(files.map((f) => f.name)).toContain("index.html");
      for (const f of files) {
        const fresh = readFileSync(join(dir, f.name));
        let committed: Buffer | null = null;
        try {
          committed = readFileSync(join(ROOT, "public", f.name));
        } catch {
          /* missing */
        }
        expect({ file: f.name, same: committed !== null && Buffer.compare(committed, fresh) === 0 }).toEqual({
          file: f.name,
          same: true,
        });
      }
      const total = files.reduce((a, f) => a + f.bytes, 0);
      const gz = files.reduce((a, f) => a + Bun.gzipSync(readFileSync(join(dir, f.name))).length, 0);
      console.log(
        `  dashboard bundle: ${files.length} files, ${(total / 1024).toFixed(1)} KB (${(gz / 1024).toFixed(1)} KB gzipped)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("dashboard served from source", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(async () => {
    await srv?.stop();
  });

  test("/_/ serves index.html with the CSP, and every asset it references", async () => {
    const res = await fetch(srv.url + "/_/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await res.text();
    // no inline scripts (the CSP forbids them) and only local assets
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const refs = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.some((r) => r.endsWith(".js"))).toBe(true);
    expect(refs.some((r) => r.endsWith(".css"))).toBe(true);
    for (const r of refs) {
      const a = await fetch(`${srv.url}/_/${r}`, { headers: { "Accept-Encoding": "gzip" } });
      expect({ r, status: a.status }).toEqual({ r, status: 200 });
      await a.arrayBuffer();
    }
  });
});
