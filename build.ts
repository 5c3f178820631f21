#!/usr/bin/env bun
/**
 * Builds pb as one self-contained executable (`bun build --compile`).
 *
 *   bun build.ts                          dist/pb, for this machine
 *   bun build.ts --all                    dist/pb plus dist/pb-linux-{x64,arm64}[-musl]
 *   bun build.ts --target linux-arm64     only the named target(s) (repeatable; `host` = dist/pb)
 *   bun build.ts --no-bytecode            plain minified JS instead of precompiled bytecode
 *
 * What goes into the binary:
 * - src/main.ts and everything it imports, minified, as ESM bytecode (faster cold start;
 *   `--bytecode` needs `--format=esm` because of top-level await);
 * - files imported `with { type: "file" }` (the QuickJS wasm, see src/jsvm/quickjs.ts);
 * - public/ (the dashboard) as an `--asset` tree: at run time it is at
 *   `join(import.meta.dir, "public")` = `/$bunfs/root/public/...`, readable through node:fs and Bun.file.
 *   public/ is generated from ui/ by `buildDashboard()` (run first by every build) and committed, so
 *   `npm start` from source serves the same dashboard without a build step.
 *
 * The binary ignores .env and bunfig.toml in its working directory (upstream PocketBase reads
 * neither), so a stray file next to it cannot change its behaviour.
 *
 * Cross-compiling downloads the Bun runtime for the target (`@oven/bun-<target>` from the npm
 * registry) once into ~/.bun/install/cache; set PB_BUN_RUNTIME_<TARGET> (e.g.
 * PB_BUN_RUNTIME_LINUX_ARM64=/path/to/bun) to use a local runtime binary instead.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

export const ROOT = import.meta.dir;
export const DIST = join(ROOT, "dist");
const ENTRY = join(ROOT, "src/main.ts");
/**
 * Runtime flags baked into the binary (and passed by `npm start` and the test harness): Go accepts
 * request headers up to 1 MiB + 4 KiB, Bun only 16 KiB by default, and long filters live in the URL.
 */
export const RUNTIME_FLAGS = ["--max-http-header-size=1052672"];
/** Worker scripts are separate entrypoints: Bun embeds a worker only when it is listed. */
const WORKERS = [join(ROOT, "src/core/db/read_worker.ts"), join(ROOT, "src/jsvm/worker.ts")];
const PUBLIC_DIR = join(ROOT, "public");
/** The dashboard's source (TypeScript + CSS, bundled into public/). */
export const UI_DIR = join(ROOT, "ui");

/** Lists the files below `dir` as relative paths. */
function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else out.push(relative(base, p));
  }
  return out.sort();
}

/**
 * Bundles the dashboard (ui/index.html → its script and CSS, minified, content-hashed names) into
 * `outdir` (default public/). Only changed files are written and stale ones removed, so an unchanged
 * UI leaves public/ untouched. Returns the files with their sizes.
 */
export async function buildDashboard(
  opts: { outdir?: string; quiet?: boolean } = {},
): Promise<{ files: { name: string; bytes: number }[]; ms: number }> {
  const outdir = opts.outdir ?? PUBLIC_DIR;
  const started = performance.now();
  const tmp = mkdtempSync(join(tmpdir(), "pb-ui-"));
  try {
    const result = await Bun.build({
      entrypoints: [join(UI_DIR, "index.html")],
      outdir: tmp,
      target: "browser",
      minify: true,
      // dynamic import()s (the rich-text editor, the map) become chunks loaded on first use
      splitting: true,
      sourcemap: "none",
      naming: { entry: "[dir]/[name].[ext]", chunk: "assets/[name]-[hash].[ext]", asset: "assets/[name]-[hash].[ext]" },
      throw: false,
      metafile: true,
    });
    if (!result.success) throw new Error("dashboard bundle failed:\n" + result.logs.map((l) => String(l)).join("\n"));
    writeFileSync(
      join(tmp, "THIRD_PARTY_LICENSES.txt"),
      thirdPartyLicenses(Object.keys(result.metafile?.inputs ?? {})),
    );
    const built = listFiles(tmp);
    mkdirSync(outdir, { recursive: true });
    for (const name of built) {
      const next = readFileSync(join(tmp, name));
      const dest = join(outdir, name);
      if (existsSync(dest) && Buffer.compare(readFileSync(dest), next) === 0) continue;
      mkdirSync(dirname(dest), { recursive: true });
      writeFileSync(dest, next);
    }
    for (const name of listFiles(outdir)) if (!built.includes(name)) rmSync(join(outdir, name));
    const files = built.map((name) => ({ name, bytes: statSync(join(outdir, name)).size }));
    const ms = performance.now() - started;
    if (!opts.quiet) {
      const kb = (n: number) => (n / 1024).toFixed(1) + " KB";
      const gz = files.reduce((a, f) => a + Bun.gzipSync(readFileSync(join(outdir, f.name))).length, 0);
      console.log(
        `built ${relative(process.cwd(), outdir) || outdir}/  ${files.length} files  ${kb(files.reduce((a, f) => a + f.bytes, 0))} (${kb(gz)} gzipped)  ${(ms / 1000).toFixed(2)} s`,
      );
    }
    return { files, ms };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The licence texts of the npm packages bundled into the dashboard (from the bundler's list of
 * inputs), shipped with it: the MIT and BSD licences ask that copies carry their notice.
 */
function thirdPartyLicenses(inputs: string[]): string {
  const names = new Set<string>();
  for (const p of inputs) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(p);
    if (m) names.add(m[1]!);
  }
  const parts = ["Third-party software bundled into the pb dashboard, with its licence texts.\n"];
  for (const name of [...names].sort()) {
    const dir = join(ROOT, "node_modules", name);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    const file = readdirSync(dir)
      .sort()
      .find((f) => /^licen[cs]e/i.test(f));
    const text = file
      ? readFileSync(join(dir, file), "utf8").trim()
      : `(no licence file; package.json says ${pkg.license})`;
    parts.push(`${"=".repeat(72)}\n${name} ${pkg.version} (${pkg.license})\n${"=".repeat(72)}\n${text}\n`);
  }
  return parts.join("\n");
}

let dashboardDone = false;
/**
 * Refreshes public/ from ui/ once per build process. A failing UI bundle keeps the committed
 * public/ (so a broken dashboard edit never blocks the server build); test/dashboard_bundle.test.ts
 * reports it.
 */
async function refreshDashboard(quiet?: boolean): Promise<void> {
  if (dashboardDone || !existsSync(join(UI_DIR, "index.html"))) return;
  dashboardDone = true;
  try {
    await buildDashboard({ quiet });
  } catch (e) {
    console.warn(`warning: ${(e as Error).message}\nkeeping the existing public/`);
  }
}

export interface Target {
  /** Short name used on the command line and in `dist/pb-<name>`. */
  name: string;
  /** Bun compile target; undefined = the machine running the build. */
  bunTarget?: Bun.Build.CompileTarget;
  outfile: string;
}

export const TARGETS: Target[] = [
  { name: "host", outfile: join(DIST, "pb") },
  { name: "linux-x64", bunTarget: "bun-linux-x64", outfile: join(DIST, "pb-linux-x64") },
  { name: "linux-arm64", bunTarget: "bun-linux-arm64", outfile: join(DIST, "pb-linux-arm64") },
  { name: "linux-x64-musl", bunTarget: "bun-linux-x64-musl", outfile: join(DIST, "pb-linux-x64-musl") },
  { name: "linux-arm64-musl", bunTarget: "bun-linux-arm64-musl", outfile: join(DIST, "pb-linux-arm64-musl") },
];

export function target(name: string): Target {
  const t = TARGETS.find((t) => t.name === name);
  if (!t) throw new Error(`unknown target "${name}" (known: ${TARGETS.map((t) => t.name).join(", ")})`);
  return t;
}

export interface BuildOptions {
  bytecode?: boolean;
  quiet?: boolean;
}

/** Compiles one target; returns its size in bytes and the time taken. */
export async function buildTarget(t: Target, opts: BuildOptions = {}): Promise<{ bytes: number; ms: number }> {
  const bytecode = opts.bytecode ?? true;
  await refreshDashboard(opts.quiet);
  mkdirSync(DIST, { recursive: true });
  const started = performance.now();
  const envKey = `PB_BUN_RUNTIME_${t.name.replace(/-/g, "_").toUpperCase()}`;
  const executablePath = process.env[envKey] || undefined;
  const result = await Bun.build({
    entrypoints: [ENTRY, ...WORKERS],
    target: "bun",
    format: "esm",
    minify: true,
    bytecode,
    compile: {
      outfile: t.outfile,
      ...(t.bunTarget ? { target: t.bunTarget } : {}),
      ...(executablePath ? { executablePath } : {}),
      // A directory asset lands under its basename: public/index.html -> /$bunfs/root/public/index.html.
      assets: existsSync(PUBLIC_DIR) ? [PUBLIC_DIR] : [],
      autoloadDotenv: false,
      autoloadBunfig: false,
      execArgv: RUNTIME_FLAGS,
    },
    throw: false,
  });
  if (!result.success) {
    const msgs = result.logs.map((l) => String(l)).join("\n");
    throw new Error(`build of ${t.name} failed:\n${msgs}`);
  }
  const ms = performance.now() - started;
  const bytes = statSync(t.outfile).size;
  if (!opts.quiet) {
    const mb = (bytes / 1e6).toFixed(1);
    console.log(
      `built ${relative(process.cwd(), t.outfile) || t.outfile}  ${mb} MB  ${(ms / 1000).toFixed(1)} s${bytecode ? "" : "  (no bytecode)"}`,
    );
  }
  return { bytes, ms };
}

/** Newest modification time of the inputs (src/, ui/, public/, package files, build.ts). */
function newestInput(): number {
  let newest = 0;
  const walk = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ["src", "ui", "public", "package.json", "package-lock.json", "build.ts"]) walk(join(ROOT, p));
  return newest;
}

/**
 * Builds the target unless its binary exists and is newer than every input. For tests that
 * need a binary (`npm test` already builds dist/pb first).
 */
export async function ensureBuilt(name: string, opts: BuildOptions = {}): Promise<string> {
  const t = target(name);
  const fresh = existsSync(t.outfile) && statSync(t.outfile).mtimeMs >= newestInput();
  if (!fresh) await buildTarget(t, { quiet: true, ...opts });
  return t.outfile;
}

async function main(argv: string[]): Promise<number> {
  const names: string[] = [];
  let bytecode = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--all") names.push(...TARGETS.map((t) => t.name));
    else if (a === "--no-bytecode") bytecode = false;
    else if (a === "--target") names.push(argv[++i] ?? "");
    else if (a.startsWith("--target=")) names.push(a.slice("--target=".length));
    else if (a === "-h" || a === "--help") {
      console.log(
        "usage: bun build.ts [--all] [--target <name>]... [--no-bytecode]\ntargets: " +
          TARGETS.map((t) => t.name).join(", "),
      );
      return 0;
    } else {
      console.error(`unknown argument "${a}" (see --help)`);
      return 2;
    }
  }
  if (names.length === 0) names.push("host");
  const chosen = [...new Set(names)].map(target);
  // One at a time: each compile holds a ~110 MB executable in memory, and CI has 2 cores.
  for (const t of chosen) await buildTarget(t, { bytecode });
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
