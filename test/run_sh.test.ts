/**
 * `npm test` (test/run.sh) type-checks before it builds: a type error in the server or in the
 * dashboard ends the run with the failure summary line, without building or testing.
 */
import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, tempDir } from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A tiny project beside a copy of run.sh: the repo's tsconfigs, one server and one dashboard file. */
function project(serverSrc: string, uiSrc: string): string {
  const dir = tempDir("pb-runsh-");
  dirs.push(dir);
  mkdirSync(join(dir, "test"));
  mkdirSync(join(dir, "src"));
  mkdirSync(join(dir, "ui/src"), { recursive: true });
  cpSync(join(REPO, "test/run.sh"), join(dir, "test/run.sh"));
  cpSync(join(REPO, "tsconfig.json"), join(dir, "tsconfig.json"));
  cpSync(join(REPO, "ui/tsconfig.json"), join(dir, "ui/tsconfig.json"));
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "src/a.ts"), serverSrc);
  writeFileSync(join(dir, "ui/src/a.ts"), uiSrc);
  // the build must not be reached: a build script that would say so
  writeFileSync(join(dir, "package.json"), JSON.stringify({ scripts: { build: "echo BUILD RAN && exit 1" } }));
  return dir;
}

async function runTests(dir: string) {
  const p = Bun.spawn(["bash", "test/run.sh"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { out: out + err, code };
}

const ok = "export const n: number = 1;\n";
const bad = 'export const n: number = "one";\n';

test("a type error in the server or in the dashboard fails npm test before the build", async () => {
  for (const [where, dir] of [
    ["server", project(bad, ok)],
    ["dashboard", project(ok, bad)],
  ] as const) {
    const r = await runTests(dir);
    expect([where, r.code]).toEqual([where, 1]);
    expect(r.out).toContain("error TS2322");
    expect(r.out.trimEnd().split("\n").at(-1)).toBe("0 passed, 1 failed, 0 skipped");
    expect(r.out).not.toContain("BUILD RAN");
  }
  // type-clean: the run goes on to the build (which this stub fails on purpose)
  const clean = await runTests(project(ok, ok));
  expect(clean.out).toContain("BUILD RAN");
  expect(clean.out).toContain("build failed");
});
