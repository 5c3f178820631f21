/**
 * Host functions that a JS worker serves itself, without the main thread: hashing and JWTs
 * (`$security`), files (`$os`, `require`), process info and console output. They are synchronous
 * Bun/Node calls on the worker's own thread, so they cost no round trip and block no one else.
 *
 * Arguments and results are JSON; byte slices travel as `{"\u0001t":"b","v":base64}`.
 */
import { createHash, createHmac, randomInt, timingSafeEqual } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  lstatSync,
  truncateSync,
  unlinkSync,
  rmdirSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { decrypt, encrypt, pseudorandomString, randomString, DEFAULT_ALPHABET } from "../tools/security/random.ts";
import { newJWT, parseJWT, parseUnverifiedJWT } from "../tools/security/jwt.ts";
import { generateFromPattern } from "../core/validators/regex.ts";
import { formatDateTime, parseDateTime } from "../core/fields/datetime.ts";
import { ERR_PREFIX, TAG, Tag, type ErrPayload } from "./protocol.ts";

export interface LocalEnv {
  readonly cwd: string;
  readonly hooksDir: string;
  /** The process environment as the CLI read it (`$os.getenv`, `process.env`). */
  readonly vars: { readonly [k: string]: string };
  /** The command line (`$os.args`). */
  readonly args: readonly string[];
}

type Local = (args: unknown[], env: LocalEnv) => unknown;

const bytes = (b: Uint8Array) => ({
  [TAG]: Tag.Bytes,
  v: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64"),
});

/** Decodes a JSON argument list (byte markers become Buffers). */
function decodeArgs(text: string): unknown[] {
  if (!text) return [];
  return JSON.parse(text, (_k, v) =>
    v && typeof v === "object" && v[TAG] === Tag.Bytes ? Buffer.from(v.v, "base64") : v,
  );
}

function toBuf(v: unknown): Buffer {
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v)) return Buffer.from(v.map((n) => Number(n) & 255));
  return Buffer.from(v == null ? "" : String(v), "utf8");
}

const str = (v: unknown) => (v == null ? "" : v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : String(v));

/** A path relative to the process working directory, as Go's os package resolves it. */
function abs(p: unknown, env: LocalEnv): string {
  const s = str(p);
  return isAbsolute(s) ? s : resolve(env.cwd, s);
}

/** Go's os.FileInfo as scripts see it. */
function fileInfo(path: string, name: string, lstat = false) {
  const st = lstat ? lstatSync(path) : statSync(path);
  return {
    name,
    size: st.size,
    mode: st.mode & 0o777,
    modTime: st.mtime.toISOString(),
    isDir: st.isDirectory(),
  };
}

function goErr(err: unknown, op: string, path: string): Error {
  const code = (err as { code?: string })?.code;
  const text =
    code === "ENOENT"
      ? "no such file or directory"
      : code === "EEXIST"
        ? "file exists"
        : code === "EACCES"
          ? "permission denied"
          : code === "ENOTEMPTY"
            ? "directory not empty"
            : code === "EISDIR"
              ? "is a directory"
              : code === "ENOTDIR"
                ? "not a directory"
                : ((err as Error)?.message ?? String(err));
  const e = new Error(`${op} ${path}: ${text}`);
  (e as Error & { notExist?: boolean }).notExist = code === "ENOENT";
  return e;
}

function fsOp<T>(op: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw goErr(err, op, path);
  }
}

const hex = (alg: string, s: unknown) => createHash(alg).update(toBuf(s)).digest("hex");
const hmac = (alg: string, s: unknown, secret: unknown) =>
  createHmac(alg, toBuf(secret)).update(toBuf(s)).digest("hex");

const LOCALS: { [name: string]: Local } = {
  // --- $security
  "security.md5": ([s]) => hex("md5", s),
  "security.sha256": ([s]) => hex("sha256", s),
  "security.sha512": ([s]) => hex("sha512", s),
  "security.hs256": ([s, k]) => hmac("sha256", s, k),
  "security.hs512": ([s, k]) => hmac("sha512", s, k),
  "security.equal": ([a, b]) => {
    const x = toBuf(a);
    const y = toBuf(b);
    return x.length === y.length && timingSafeEqual(x, y);
  },
  "security.randomString": ([n]) => randomString(Math.max(0, Number(n) | 0)),
  "security.randomStringWithAlphabet": ([n, a]) => randomString(Math.max(0, Number(n) | 0), str(a) || DEFAULT_ALPHABET),
  "security.pseudorandomString": ([n]) => pseudorandomString(Math.max(0, Number(n) | 0)),
  "security.pseudorandomStringWithAlphabet": ([n, a]) =>
    pseudorandomString(Math.max(0, Number(n) | 0), str(a) || DEFAULT_ALPHABET),
  "security.randomStringByRegex": ([p]) => generateFromPattern(str(p)),
  "security.encrypt": ([data, key]) => {
    const k = str(key);
    if (![16, 24, 32].includes(Buffer.byteLength(k)))
      throw new Error("crypto/aes: invalid key size " + Buffer.byteLength(k));
    return encrypt(toBuf(data), k);
  },
  "security.decrypt": ([text, key]) => {
    const k = str(key);
    if (![16, 24, 32].includes(Buffer.byteLength(k)))
      throw new Error("crypto/aes: invalid key size " + Buffer.byteLength(k));
    try {
      return decrypt(str(text), k).toString("utf8");
    } catch {
      throw new Error("cipher: message authentication failed");
    }
  },
  "security.createJWT": ([payload, key, secs]) =>
    newJWT((payload ?? {}) as Record<string, unknown>, str(key), Number(secs) || 0),
  "security.parseJWT": ([token, key]) => parseJWT(str(token), str(key)),
  "security.parseUnverifiedJWT": ([token]) => parseUnverifiedJWT(str(token)),
  "security.randomInt": ([n]) => randomInt(Math.max(1, Number(n) | 0)),

  // --- $os
  "os.readFile": ([p], env) => {
    const path = abs(p, env);
    return bytes(fsOp("open", str(p), () => readFileSync(path)));
  },
  "os.writeFile": ([p, data, perm], env) => {
    const path = abs(p, env);
    fsOp("open", str(p), () => writeFileSync(path, toBuf(data), { mode: Number(perm) || 0o644 }));
    return null;
  },
  "os.readDir": ([p], env) => {
    const path = abs(p, env);
    const entries = fsOp("open", str(p), () => readdirSync(path, { withFileTypes: true }));
    return entries
      .map((e) => ({ name: e.name, isDir: e.isDirectory(), path: join(path, e.name) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  },
  "os.stat": ([p], env) => {
    const path = abs(p, env);
    return fsOp("stat", str(p), () => fileInfo(path, path.split("/").pop() || path));
  },
  "os.lstat": ([p], env) => {
    const path = abs(p, env);
    return fsOp("lstat", str(p), () => fileInfo(path, path.split("/").pop() || path, true));
  },
  "os.mkdir": ([p, perm], env) => {
    const path = abs(p, env);
    fsOp("mkdir", str(p), () => mkdirSync(path, { mode: Number(perm) || 0o755 }));
    return null;
  },
  "os.mkdirAll": ([p, perm], env) => {
    const path = abs(p, env);
    fsOp("mkdir", str(p), () => mkdirSync(path, { recursive: true, mode: Number(perm) || 0o755 }));
    return null;
  },
  "os.rename": ([a, b], env) => {
    fsOp("rename", str(a), () => renameSync(abs(a, env), abs(b, env)));
    return null;
  },
  "os.remove": ([p], env) => {
    const path = abs(p, env);
    fsOp("remove", str(p), () => {
      if (lstatSync(path).isDirectory()) rmdirSync(path);
      else unlinkSync(path);
    });
    return null;
  },
  "os.removeAll": ([p], env) => {
    rmSync(abs(p, env), { recursive: true, force: true });
    return null;
  },
  "os.truncate": ([p, size], env) => {
    fsOp("truncate", str(p), () => truncateSync(abs(p, env), Number(size) || 0));
    return null;
  },
  "os.tempDir": () => tmpdir(),
  "os.getwd": (_a, env) => env.cwd,
  "os.getenv": ([k], env) => env.vars[str(k)] ?? "",
  "os.environ": (_a, env) => ({ ...env.vars }),
  "os.args": (_a, env) => [...env.args],
  "os.exec": ([spec], env) => {
    const s = (spec ?? {}) as {
      name: string;
      args: string[];
      dir?: string;
      env?: string[];
      stdin?: unknown;
      combined?: boolean;
    };
    const r = spawnSync(s.name, s.args ?? [], {
      cwd: s.dir ? abs(s.dir, env) : env.cwd,
      env:
        s.env && s.env.length
          ? Object.fromEntries(s.env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]))
          : { ...env.vars },
      input: s.stdin == null ? undefined : toBuf(s.stdin),
      maxBuffer: 1 << 30,
    });
    if (r.error)
      throw new Error(
        `exec: "${s.name}": ${(r.error as Error).message.includes("ENOENT") ? "executable file not found in $PATH" : (r.error as Error).message}`,
      );
    const out = s.combined
      ? Buffer.concat([r.stdout ?? Buffer.alloc(0), r.stderr ?? Buffer.alloc(0)])
      : (r.stdout ?? Buffer.alloc(0));
    return { stdout: bytes(out), stderr: bytes(r.stderr ?? Buffer.alloc(0)), code: r.status ?? -1 };
  },
  "fs.exists": ([p], env) => existsSync(abs(p, env)),
  "fs.walk": ([root], env) => {
    // the entries of a lexical walk, as filepath.Walk visits them (the script applies SkipDir)
    const base = str(root);
    const out: {
      path: string;
      name: string;
      isDir: boolean;
      size: number;
      mode: number;
      modTime: string;
      err?: string;
    }[] = [];
    const visit = (p: string) => {
      const full = abs(p, env);
      let st;
      try {
        st = lstatSync(full);
      } catch (err) {
        out.push({
          path: p,
          name: p.split("/").pop() || p,
          isDir: false,
          size: 0,
          mode: 0,
          modTime: "",
          err: goErr(err, "lstat", p).message,
        });
        return;
      }
      out.push({
        path: p,
        name: p.split("/").pop() || p,
        isDir: st.isDirectory(),
        size: st.size,
        mode: st.mode & 0o777,
        modTime: st.mtime.toISOString(),
      });
      if (st.isDirectory()) {
        let names: string[] = [];
        try {
          names = readdirSync(full).sort();
        } catch {}
        for (const n of names) visit(p === "" ? n : p.endsWith("/") ? p + n : p + "/" + n);
      }
    };
    visit(base);
    return out;
  },
  "fs.glob": ([pattern], env) => {
    const pat = str(pattern);
    const cwd = env.cwd;
    const glob = new Bun.Glob(isAbsolute(pat) ? pat.slice(1) : pat);
    const matches = [...glob.scanSync({ cwd: isAbsolute(pat) ? "/" : cwd, onlyFiles: false, dot: true })];
    return matches.map((m) => (isAbsolute(pat) ? "/" + m : m)).sort();
  },

  // --- DateTime
  "dt.parse": ([raw, tz]) => {
    const zone = str(tz);
    const parsed = parseDateTime(str(raw));
    if (!zone || parsed === "" || /([zZ]|[+-]\d\d:?\d\d)$/.test(str(raw).trim())) return parsed;
    // a zone-less text read in `zone`: shift by that zone's offset at that instant
    const utc = Date.parse(parsed.replace(" ", "T"));
    const offset = zoneOffsetMs(zone, utc);
    return formatDateTime(new Date(utc - offset));
  },
  "time.format": ([ms, layout]) => goFormat(new Date(Number(ms)), str(layout)),

  // --- require (goja_nodejs resolution)
  "require.resolve": ([spec, base, fallback], env) => {
    try {
      return resolveModule(str(spec), str(base) || env.cwd);
    } catch (err) {
      // relative to the hooks dir too (upstream resolves only against the working directory)
      const s = str(spec);
      if (str(fallback) && (s.startsWith("./") || s.startsWith("../"))) return resolveModule(s, str(fallback));
      throw err;
    }
  },
  "require.read": ([path]) => readFileSync(str(path), "utf8"),

  // --- console: written synchronously so output keeps its order
  print: ([level, text]) => {
    const line = str(text) + "\n";
    writeSync(level === "warn" || level === "error" ? 2 : 1, line);
    return null;
  },
};

/** Runs a local host function; returns its JSON result, or ERR_PREFIX + an error payload. */
export function localCall(name: string, argsJson: string, env: LocalEnv): string {
  const fn = LOCALS[name];
  if (!fn) return ERR_PREFIX + JSON.stringify({ m: `${name} is not supported` } satisfies ErrPayload);
  try {
    const v = fn(decodeArgs(argsJson), env);
    return v === undefined ? "null" : JSON.stringify(v);
  } catch (err) {
    const e = err as Error & { notExist?: boolean };
    return (
      ERR_PREFIX +
      JSON.stringify({ m: e?.message ?? String(err), n: e?.notExist ? "NotExist" : undefined } satisfies ErrPayload)
    );
  }
}

const CORE_MODULES = new Set(["console", "process", "buffer", "util"]);

/**
 * goja_nodejs module resolution: core modules, then paths (`./`, `../`, `/`) against `base`, then
 * `node_modules` folders walking up from `base`. Returns `{core}` or `{path, json}`.
 */
export function resolveModule(spec: string, base: string): { core?: string; path?: string; json?: boolean } {
  const name = spec.startsWith("node:") ? spec.slice(5) : spec;
  if (CORE_MODULES.has(name)) return { core: name };
  if (spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("/") || spec === "." || spec === "..") {
    const p = isAbsolute(spec) ? spec : resolve(base, spec);
    const found = loadAsFile(p) ?? loadAsDirectory(p);
    if (found) return found;
  } else {
    let dir = base;
    for (;;) {
      if (!dir.endsWith("/node_modules")) {
        const p = join(dir, "node_modules", spec);
        const found = loadAsFile(p) ?? loadAsDirectory(p);
        if (found) return found;
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(`Invalid module`);
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function loadAsFile(p: string): { path: string; json: boolean } | null {
  if (isFile(p)) return { path: p, json: p.endsWith(".json") };
  if (isFile(p + ".js")) return { path: p + ".js", json: false };
  if (isFile(p + ".json")) return { path: p + ".json", json: true };
  return null;
}

function loadAsDirectory(p: string): { path: string; json: boolean } | null {
  const pkg = join(p, "package.json");
  if (isFile(pkg)) {
    try {
      const main = JSON.parse(readFileSync(pkg, "utf8")).main;
      if (typeof main === "string" && main) {
        const m = join(p, main);
        const found = loadAsFile(m) ?? loadIndex(m);
        if (found) return found;
      }
    } catch {}
  }
  return loadIndex(p);
}

function loadIndex(p: string): { path: string; json: boolean } | null {
  if (isFile(join(p, "index.js"))) return { path: join(p, "index.js"), json: false };
  if (isFile(join(p, "index.json"))) return { path: join(p, "index.json"), json: true };
  return null;
}

/** The offset of an IANA zone from UTC at `at` (0 for unknown zones, as upstream falls back to UTC). */
function zoneOffsetMs(zone: string, at: number): number {
  try {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    }).formatToParts(new Date(at));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
    const asUTC = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour") % 24, get("minute"), get("second"));
    return asUTC - Math.floor(at / 1000) * 1000;
  } catch {
    return 0;
  }
}

/** Go's time.Format for the common layout tokens (UTC). */
function goFormat(d: Date, layout: string): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const months = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
  ];
  const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const tokens: [string, () => string][] = [
    ["2006", () => p(d.getUTCFullYear(), 4)],
    ["January", () => months[d.getUTCMonth()]!],
    ["Monday", () => days[d.getUTCDay()]!],
    ["Jan", () => months[d.getUTCMonth()]!.slice(0, 3)],
    ["Mon", () => days[d.getUTCDay()]!.slice(0, 3)],
    ["MST", () => "UTC"],
    ["Z07:00", () => "Z"],
    ["-07:00", () => "+00:00"],
    ["-0700", () => "+0000"],
    [".000000000", () => "." + p(d.getUTCMilliseconds(), 3) + "000000"],
    [".000000", () => "." + p(d.getUTCMilliseconds(), 3) + "000"],
    [".000", () => "." + p(d.getUTCMilliseconds(), 3)],
    ["01", () => p(d.getUTCMonth() + 1)],
    ["02", () => p(d.getUTCDate())],
    ["15", () => p(d.getUTCHours())],
    ["03", () => p(d.getUTCHours() % 12 || 12)],
    ["04", () => p(d.getUTCMinutes())],
    ["05", () => p(d.getUTCSeconds())],
    ["06", () => p(d.getUTCFullYear() % 100)],
    ["PM", () => (d.getUTCHours() >= 12 ? "PM" : "AM")],
    ["pm", () => (d.getUTCHours() >= 12 ? "pm" : "am")],
    ["_2", () => String(d.getUTCDate()).padStart(2, " ")],
    ["1", () => String(d.getUTCMonth() + 1)],
    ["2", () => String(d.getUTCDate())],
    ["3", () => String(d.getUTCHours() % 12 || 12)],
    ["4", () => String(d.getUTCMinutes())],
    ["5", () => String(d.getUTCSeconds())],
  ];
  let out = "";
  for (let i = 0; i < layout.length;) {
    const t = tokens.find(([k]) => layout.startsWith(k, i));
    if (t) {
      out += t[1]();
      i += t[0].length;
    } else out += layout[i++];
  }
  return out;
}
