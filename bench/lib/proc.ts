/**
 * Server processes for the benchmark: start one on a free loopback port, wait for its first 200,
 * read its memory from /proc, stop it.
 */
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { requestOnce } from "./http_client.ts";

export const HOST = "127.0.0.1";

export interface ServerProc {
  name: string;
  port: number;
  pid: number;
  proc: ReturnType<typeof Bun.spawn>;
  /** ms from spawn to the first 200 of the health probe. */
  startMs: number;
  /** The process's stdout+stderr file. */
  logFile: string;
  stop(): Promise<number>;
}

/** A free TCP port on loopback (the OS picks, we release it, the server takes it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, HOST, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface SpawnOptions {
  name: string;
  cmd: string[];
  port: number;
  cwd: string;
  logFile: string;
  /** Path polled until it answers 200. */
  healthPath?: string;
  /** Give up waiting for the first 200 after this long. */
  timeoutMs?: number;
  /** Poll interval; 1 ms for the cold-start measurement. */
  pollMs?: number;
  env?: { [k: string]: string | undefined };
}

/** Spawns a server and resolves once its health path answers 200 (startMs = spawn → that 200). */
export async function spawnServer(o: SpawnOptions): Promise<ServerProc> {
  const fd = openSync(o.logFile, "a");
  const t0 = performance.now();
  const proc = Bun.spawn(o.cmd, {
    cwd: o.cwd,
    stdout: fd,
    stderr: fd,
    stdin: "ignore",
    env: { ...process.env, ...o.env },
  });
  closeSync(fd);
  const timeout = o.timeoutMs ?? 20_000;
  const poll = o.pollMs ?? 5;
  let startMs = -1;
  for (let i = 0; performance.now() - t0 < timeout && i < 1_000_000; i++) {
    if (proc.exitCode !== null) break;
    const r = await requestOnce(HOST, o.port, { method: "GET", path: o.healthPath ?? "/api/health" }, 2000);
    if (r.status === 200) {
      startMs = performance.now() - t0;
      break;
    }
    await Bun.sleep(poll);
  }
  if (startMs < 0) {
    proc.kill("SIGKILL");
    await proc.exited;
    let log = "";
    try {
      log = readFileSync(o.logFile, "utf8").slice(-2000);
    } catch {}
    throw new Error(`${o.name} did not answer 200 on :${o.port} within ${timeout} ms (exit ${proc.exitCode})\n${log}`);
  }
  return {
    name: o.name,
    port: o.port,
    pid: proc.pid,
    proc,
    startMs,
    logFile: o.logFile,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      childCpuSeconds += cpuSeconds(proc.pid);
      proc.kill("SIGTERM");
      const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      const code = await proc.exited;
      clearTimeout(t);
      return code;
    },
  };
}

export interface Mem {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size (since start or the last resetPeak), bytes. */
  hwm: number;
}

/** VmRSS and VmHWM of a process from /proc/<pid>/status; zeros when unreadable. */
export function readMem(pid: number): Mem {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** Resets VmHWM to the current RSS (Linux `clear_refs` 5); false when not permitted. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * Samples a process's RSS every `everyMs` while a scenario runs; `stop()` returns the highest
 * RSS seen (the larger of the samples and VmHWM when it could be reset first).
 */
export function rssSampler(pid: number, everyMs = 50): { stop(): number } {
  const hwmOk = resetPeak(pid);
  let peak = readMem(pid).rss;
  const t = setInterval(() => {
    const m = readMem(pid);
    if (m.rss > peak) peak = m.rss;
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      const m = readMem(pid);
      return Math.max(peak, m.rss, hwmOk ? m.hwm : 0);
    },
  };
}

/** CPU seconds (user + system) the benchmark's own child processes used, summed as they stop. */
export let childCpuSeconds = 0;

/** CPU seconds a process has used so far (utime + stime from /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    // fields after the command: state(0) ... utime(11) stime(12), in clock ticks (100 Hz on Linux)
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine so far, all cores together (/proc/stat). */
export function machineBusySeconds(): number {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return 0;
  }
}

/** Share of all cores other processes kept busy over `ms` (sampled before a run). */
export async function otherLoad(ms = 1000): Promise<number> {
  const b0 = machineBusySeconds();
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  await Bun.sleep(ms);
  const u = process.cpuUsage(u0);
  const ours = (u.user + u.system) / 1e6;
  const cores = (await import("node:os")).cpus().length || 1;
  const elapsed = (performance.now() - t0) / 1000;
  return Math.min(1, Math.max(0, (machineBusySeconds() - b0 - ours) / (elapsed * cores)));
}
