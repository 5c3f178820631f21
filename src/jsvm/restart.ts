/**
 * Re-executes the running binary in place (same PID, argv and environment), as upstream's
 * `app.Restart()` does with execve: the hooks watcher's "fresh JS state and new routes".
 * Open sockets are close-on-exec, so the new process can bind the same address.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

function cstrings(list: string[]): { table: BigUint64Array; keep: Buffer[] } {
  const keep = list.map((s) => Buffer.from(s + "\0"));
  const table = new BigUint64Array(list.length + 1);
  keep.forEach((b, i) => (table[i] = BigInt(ptr(b))));
  return { table, keep };
}

/** Replaces this process with a fresh copy of itself; returns only if execve failed. */
export function reexec(): never {
  const libc = dlopen(process.platform === "darwin" ? "libc.dylib" : "libc.so.6", {
    execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  });
  // a compiled binary has its runtime flags built in; from source, pass Bun's own flags again
  const argv = Bun.isStandaloneExecutable
    ? [process.argv0, ...process.argv.slice(2)]
    : [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ""}`);
  const path = Buffer.from(process.execPath + "\0");
  const a = cstrings(argv);
  const e = cstrings(env);
  libc.symbols.execve(ptr(path), ptr(a.table), ptr(e.table));
  void a.keep;
  void e.keep;
  throw new Error(`failed to restart: execve ${process.execPath} failed`);
}
