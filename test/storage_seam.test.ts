/**
 * The storage seam's layering (issue 16), checked on the source tree: only src/core/db/ talks to the
 * engines' client libraries (bun:sqlite, Bun's SQL), core does not import migrations/ (they register themselves into core), and
 * tools know nothing of the app. Each failure lists the offending files.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

/** Source files below `dir` (relative to the repo root, `/`-separated), or `dir` itself when it is a file. */
function sources(dir: string): string[] {
  const abs = join(ROOT, dir);
  if (!statSync(abs).isDirectory()) return [dir];
  const out: string[] = [];
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (SOURCE.test(entry.name)) out.push(rel);
  }
  return out;
}

const text = new Map<string, string>();
function read(file: string): string {
  let t = text.get(file);
  if (t === undefined) text.set(file, (t = readFileSync(join(ROOT, file), "utf8")));
  return t;
}

/** Module specifiers a file imports: static, side-effect, re-export, dynamic import() and require(). */
function specifiers(file: string): string[] {
  const src = read(file);
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*(["'])([^"']+)\1/g,
    /\bimport\s*(["'])([^"']+)\1/g,
    /\bimport\s*\(\s*(["'`])([^"'`]+)\1\s*\)/g,
    /\brequire\s*\(\s*(["'`])([^"'`]+)\1\s*\)/g,
  ];
  for (const re of patterns) for (const m of src.matchAll(re)) out.push(m[2]!);
  return out;
}

/** A relative specifier resolved to a repo-relative path; bare ones (packages, `bun:`) as written. */
function target(file: string, spec: string): string {
  if (!spec.startsWith(".")) return spec;
  return relative(ROOT, resolve(ROOT, dirname(file), spec))
    .split("\\")
    .join("/");
}

/**
 * Tests are leaves (nothing imports them): a tools test may run its SQL through core's driver. Core's
 * tests still keep off migrations/ (the test preload registers the system migrations).
 */
const isTest = (file: string) => /\.test\.[cm]?[jt]sx?$/.test(file);

const SCANNED = ["src", "test", "bench", "migrations", "build.ts"].flatMap(sources);

describe("storage seam layering", () => {
  test("the scan sees the tree", () => {
    expect(SCANNED.length).toBeGreaterThan(100);
    for (const f of ["src/core/app.ts", "src/core/db/sqlite.ts", "migrations/index.ts", "build.ts"])
      expect(SCANNED).toContain(f);
  });

  // the module name is assembled so this file does not itself mention it in quotes
  const SQLITE_MODULE = ["bun", "sqlite"].join(":");
  const sqliteSpec = new RegExp(`(["'\`])${SQLITE_MODULE}\\1`);

  // tests that compare the engines' own answers (a dialect's rendering against SQLite's, a copied
  // pb_data file by file) may open them directly; nothing else outside the drivers' folder may
  test(`only src/core/db/ (and tests) import ${SQLITE_MODULE}`, () => {
    const users = SCANNED.filter((f) => sqliteSpec.test(read(f)));
    // the detector works: the driver itself uses the module
    expect(users).toContain("src/core/db/sqlite.ts");
    const offenders = users.filter((f) => !f.startsWith("src/core/db/") && !isTest(f));
    expect(offenders).toEqual([]);
  });

  // Bun's built-in SQL client (PostgreSQL), imported as `import { SQL } from "bun"`
  const bunSqlSpec = /\bimport\s*(?:type\s*)?\{[^}]*\bSQL\b[^}]*\}\s*from\s*["']bun["']|\bBun\.SQL\b/;

  test("only src/core/db/ (and tests and their PostgreSQL helpers) use Bun's SQL client", () => {
    const users = SCANNED.filter((f) => bunSqlSpec.test(read(f)));
    expect(users).toContain("src/core/db/postgres.ts");
    // test/support/ starts throwaway clusters and clones databases for the tests (never pb's data path)
    const offenders = users.filter((f) => !f.startsWith("src/core/db/") && !isTest(f) && !f.startsWith("test/support/"));
    expect(offenders).toEqual([]);
  });

  test("src/core does not import migrations/ (not even through other modules)", () => {
    const core = SCANNED.filter((f) => f.startsWith("src/core/"));
    const direct = core.flatMap((f) =>
      specifiers(f)
        .map((s) => target(f, s))
        .filter((t) => t === "migrations" || t.startsWith("migrations/"))
        .map((t) => `${f} -> ${t}`),
    );
    expect(direct).toEqual([]);

    // transitively: walk core's local imports, remembering how each file was reached
    const via = new Map<string, string>();
    const queue = [...core];
    for (const f of core) via.set(f, f);
    const reached: string[] = [];
    while (queue.length > 0) {
      const f = queue.shift()!;
      for (const s of specifiers(f)) {
        const t = target(f, s);
        if (!s.startsWith(".") || via.has(t) || !SOURCE.test(t)) continue;
        via.set(t, `${via.get(f)} -> ${t}`);
        if (t.startsWith("migrations/")) reached.push(via.get(t)!);
        else if (SCANNED.includes(t)) queue.push(t);
      }
    }
    expect(reached).toEqual([]);
  });

  test("src/tools does not import src/core, src/api, src/jsvm or src/cli", () => {
    const offenders = SCANNED.filter((f) => f.startsWith("src/tools/") && !isTest(f)).flatMap((f) =>
      specifiers(f)
        .map((s) => target(f, s))
        .filter((t) => /^src\/(core|api|jsvm|cli)(\/|$)/.test(t) || t === "src/main.ts")
        .map((t) => `${f} -> ${t}`),
    );
    expect(offenders).toEqual([]);
  });
});
