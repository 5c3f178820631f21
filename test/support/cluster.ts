/**
 * A throwaway pb cluster for tests (issue 18): one PostgreSQL (see ./pg.ts), one database, and N
 * `pb serve --db=…` processes from source on loopback, all started at once (so their bootstraps race
 * for the migration lock on a fresh database) and all sharing one `--dir` (local files need a shared
 * folder across nodes). A superuser is upserted through the CLI once the nodes are up.
 *
 * Nodes can be killed (`kill9()`, SIGKILL: no clean shutdown) and restarted on the same port; the
 * PostgreSQL server can be restarted under them (`cluster.pg.restart()`). `openSse()` reads a node's
 * realtime stream by hand, so a test sees exactly what arrives and when the stream ends.
 *
 * @example
 * const c = await startCluster({ nodes: 3 });      // in beforeAll; skip first if !postgresInstalled()
 * const [a, b] = c.nodes;
 * await c.su(b).collections.create({ name: "x", type: "base", fields: [] });
 * const { leader } = await c.health(a);
 * await c.stop();                                    // in afterAll
 */
import PocketBase from "pocketbase";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { freePort, pbCommand, REPO, runPb, tempDir } from "../harness.ts";
import { startPostgres, type PgCluster } from "./pg.ts";

export const SU_EMAIL = "root@example.com";
export const SU_PASSWORD = "1234567890";

export interface ClusterNode {
  /** 0-based position in `cluster.nodes`. */
  index: number;
  url: string;
  port: number;
  /** The current process (replaced by `restart()`). */
  proc: ReturnType<typeof Bun.spawn>;
  /** True while the current process runs. */
  alive(): boolean;
  /** SIGKILL, and wait for the process to be gone. */
  kill9(): Promise<void>;
  /** SIGTERM (SIGKILL after 10 s) and wait for exit; returns the exit code. */
  stop(): Promise<number>;
  /** Starts the node again (same port, dir and flags) after it was killed or stopped. */
  restart(): Promise<void>;
  /** Everything the node's processes printed so far (all restarts). */
  output(): string;
  /** A fresh, unauthenticated SDK client for this node (auto-cancellation off). */
  sdk(): PocketBase;
}

export interface Health {
  node: string;
  leader: boolean;
}

export interface Cluster {
  pg: PgCluster;
  /** The database URL every node serves. */
  dbUrl: string;
  /** The shared pb_data folder. */
  dataDir: string;
  nodes: ClusterNode[];
  /** A superuser-authed SDK client for `node` (one token, valid on every node: they share the database). */
  su(node: ClusterNode): PocketBase;
  /** The superuser token `su()` uses. */
  suToken: string;
  /** `GET /api/health` as a superuser: the node's id and whether it is the leader (throws if it does not answer). */
  health(node: ClusterNode, timeoutMs?: number): Promise<Health>;
  /** Stops every node and the PostgreSQL cluster, and removes the folders. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  nodes?: number;
  /** `--hooksDir` of every node. */
  hooksDir?: string;
  /** Extra environment of every node. */
  env?: Record<string, string>;
  /** Extra `serve` flags of every node. */
  args?: string[];
  /** Use this PostgreSQL cluster (a new database on it) instead of starting one; `stop()` leaves it running. */
  pg?: PgCluster;
  /**
   * Upsert the superuser before the nodes start (default), so the schema exists when they start; false
   * starts them on an empty database (they race for setup, migrations and the installer account) and
   * upserts afterwards.
   */
  superuserFirst?: boolean;
  /** Every node on one port with `--reusePort` (the kernel spreads new connections over them). */
  samePort?: boolean;
}

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws with `what`). */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 5_000,
  what = "condition",
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) {
      const why = lastError
        ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`
        : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await Bun.sleep(intervalMs);
  }
}

async function spawnNode(
  cmd: string[],
  env: Record<string, string>,
  append: (s: string) => void,
  output: () => string,
): Promise<ReturnType<typeof Bun.spawn>> {
  const start = output().length;
  const proc = Bun.spawn(cmd, { cwd: REPO, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of stream) append(dec.decode(chunk, { stream: true }));
    } catch {}
  };
  collect(proc.stdout as ReadableStream<Uint8Array>);
  collect(proc.stderr as ReadableStream<Uint8Array>);
  // a bootstrap may wait for another node's migration lock: more than startServer's 20 s on a loaded machine
  const deadline = Date.now() + 45_000;
  for (;;) {
    if (/Server started at http:\/\//.test(output().slice(start))) return proc;
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`pb node did not start (exit ${proc.exitCode ?? proc.signalCode}):\n${output().slice(start)}`);
    }
    await Bun.sleep(20);
  }
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const count = opts.nodes ?? 3;
  const ownPg = !opts.pg;
  const pg = opts.pg ?? (await startPostgres());
  const work = tempDir("pb-cluster-");
  const dataDir = join(work, "pb_data");
  const nodes: ClusterNode[] = [];
  let stopped = false;

  // a test run that exits without afterAll (a thrown beforeAll, process.exit) takes its nodes along
  const killAll = () => {
    for (const n of nodes) if (n.alive()) n.proc.kill("SIGKILL");
  };
  process.on("exit", killAll);
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", killAll);
    await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
    if (ownPg) await pg.stop();
    rmSync(work, { recursive: true, force: true });
  };

  try {
    const dbUrl = await pg.createDatabase();
    // PB_DB_URL emptied: the --db flag is the only database a node sees (PB_TEST_DB=postgres sets it for others)
    const env = { ...process.env, ...opts.env, PB_DB_URL: "", NO_COLOR: "1" } as Record<string, string>;
    const ports: number[] = [];
    if (opts.samePort) ports.push(...Array(count).fill(await freePort()));
    else
      while (ports.length < count) {
        const port = await freePort();
        if (!ports.includes(port)) ports.push(port);
      }

    const makeNode = async (index: number, port: number): Promise<ClusterNode> => {
      const url = `http://127.0.0.1:${port}`;
      const cmd = [
        ...pbCommand(),
        "serve",
        `--db=${dbUrl}`,
        `--http=127.0.0.1:${port}`,
        `--dir=${dataDir}`,
        "--hooksWatch=false",
        "--hooksPool=2",
        ...(opts.hooksDir ? [`--hooksDir=${opts.hooksDir}`] : []),
        ...(opts.samePort ? ["--reusePort"] : []),
        ...(opts.args ?? []),
      ];
      let out = "";
      const append = (s: string) => void (out += s);
      const output = () => out;
      let proc = await spawnNode(cmd, env, append, output);
      const alive = () => proc.exitCode === null && proc.signalCode === null;
      const node: ClusterNode = {
        index,
        url,
        port,
        get proc() {
          return proc;
        },
        alive,
        async kill9() {
          if (alive()) proc.kill("SIGKILL");
          await proc.exited;
        },
        async stop() {
          if (alive()) proc.kill("SIGTERM");
          const code = await Promise.race([proc.exited, Bun.sleep(10_000).then(() => -1)]);
          if (code === -1) {
            proc.kill("SIGKILL");
            await proc.exited;
          }
          return code;
        },
        async restart() {
          if (alive()) throw new Error(`node ${index} is still running`);
          append(`\n--- restart ---\n`);
          proc = await spawnNode(cmd, env, append, output);
        },
        output,
        sdk() {
          const pb = new PocketBase(url);
          pb.autoCancellation(false);
          return pb;
        },
      };
      return node;
    };

    const upsert = async () => {
      const up = await runPb(["superuser", "upsert", SU_EMAIL, SU_PASSWORD, `--db=${dbUrl}`, `--dir=${dataDir}`], {
        env: { ...opts.env, PB_DB_URL: "" },
      });
      if (up.code !== 0) throw new Error(`pb superuser upsert failed (exit ${up.code}):\n${up.stdout}${up.stderr}`);
    };
    if (opts.superuserFirst !== false) await upsert();
    // all at once: their bootstraps meet (on an empty database, the setup and migration lock)
    const started = await Promise.allSettled(ports.map((port, i) => makeNode(i, port)));
    for (const s of started) if (s.status === "fulfilled") nodes.push(s.value);
    const failed = started.find((s) => s.status === "rejected") as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;

    if (opts.superuserFirst === false) await upsert();

    const auth = await nodes[0]!.sdk().collection("_superusers").authWithPassword(SU_EMAIL, SU_PASSWORD);
    const suToken = auth.token;
    const su = (node: ClusterNode) => {
      const pb = node.sdk();
      pb.authStore.save(suToken, auth.record);
      return pb;
    };

    return {
      pg,
      dbUrl,
      dataDir,
      nodes,
      su,
      suToken,
      async health(node, timeoutMs = 2_000) {
        const res = await fetch(`${node.url}/api/health`, {
          headers: { Authorization: suToken },
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = (await res.json()) as { data?: { node?: unknown; leader?: unknown } };
        if (res.status !== 200) throw new Error(`health of node ${node.index}: ${res.status} ${JSON.stringify(body)}`);
        return { node: body.data?.node as string, leader: body.data?.leader as boolean };
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    const outputs = nodes.map((n) => `--- node ${n.index} (${n.url}) output ---\n${n.output().slice(-3000)}`);
    // the SDK's errors say "Something went wrong": the fetch error beneath says what
    const inner = (err as { originalError?: { message?: string } })?.originalError?.message;
    const msg = (err instanceof Error ? err.message : String(err)) + (inner ? ` (${inner})` : "");
    throw new Error(`the cluster did not start: ${msg}\n${outputs.join("\n")}`);
  }
}

export interface SseEvent {
  id: string;
  event: string;
  /** The parsed JSON data (the raw text when it is not JSON). */
  data: any;
}

/** A realtime stream read by hand. */
export interface SseClient {
  clientId: string;
  /** Every event received so far, PB_CONNECT first. */
  events: SseEvent[];
  /** True once the server ended the stream (or it broke). */
  ended(): boolean;
  /** Resolves with the first event (already received or future) matching `pred`; throws after `timeoutMs`. */
  next(pred: (e: SseEvent) => boolean, timeoutMs?: number, what?: string): Promise<SseEvent>;
  /** Resolves when the stream ends; throws after `timeoutMs`. */
  waitEnded(timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Opens `GET /api/realtime` on `url` and waits for its PB_CONNECT. */
export async function openSse(url: string, timeoutMs = 5_000): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(`${url}/api/realtime`, { signal: abort.signal });
  if (res.status !== 200) throw new Error(`GET /api/realtime: ${res.status}`);
  const events: SseEvent[] = [];
  let ended = false;
  let wake: (() => void)[] = [];
  const notify = () => {
    const w = wake;
    wake = [];
    for (const f of w) f();
  };
  (async () => {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const e: SseEvent = { id: "", event: "message", data: "" };
          const data: string[] = [];
          for (const line of block.split("\n")) {
            const c = line.indexOf(":");
            const field = c < 0 ? line : line.slice(0, c);
            const value = c < 0 ? "" : line.slice(c + 1).replace(/^ /, "");
            if (field === "id") e.id = value;
            else if (field === "event") e.event = value;
            else if (field === "data") data.push(value);
          }
          const text = data.join("\n");
          try {
            e.data = JSON.parse(text);
          } catch {
            e.data = text;
          }
          events.push(e);
          notify();
        }
      }
    } catch {}
    ended = true;
    notify();
  })();

  const waitUntil = async (cond: () => boolean, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!cond()) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };

  const client: SseClient = {
    clientId: "",
    events,
    ended: () => ended,
    async next(pred, ms = 5_000, what = "an SSE event") {
      let found: SseEvent | undefined;
      await waitUntil(
        () => {
          found = events.find(pred);
          return !!found || ended;
        },
        ms,
        what,
      );
      if (!found) throw new Error(`SSE stream ended before ${what}; got: ${JSON.stringify(events)}`);
      return found;
    },
    async waitEnded(ms = 5_000) {
      await waitUntil(() => ended, ms, "the SSE stream to end");
    },
    close: () => abort.abort(),
  };
  try {
    const connect = await client.next((e) => e.event === "PB_CONNECT", timeoutMs, "PB_CONNECT");
    client.clientId = connect.data.clientId;
  } catch (err) {
    abort.abort();
    throw err;
  }
  return client;
}

/** `POST /api/realtime` to `url` (any node) for `clientId`; returns the status and body. */
export async function subscribeVia(
  url: string,
  clientId: string,
  subscriptions: string[],
  token = "",
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/api/realtime`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { Authorization: token } : {}) },
    body: JSON.stringify({ clientId, subscriptions }),
  });
  return { status: res.status, body: await res.text() };
}
