/**
 * `realtime`: fan-out of one event to many idle SSE clients — connect N clients to
 * `GET /api/realtime`, subscribe each to `posts10k/*` (`POST /api/realtime`), create one posts10k
 * record, and measure the time until the last client has it, and the server's RSS.
 *
 * Until pb serves `/api/realtime` the scenario reports "not available yet" (the realtime work
 * comes later); the client below is then ready for it. File descriptors: each client is one socket
 * here and one in the server, so N is capped by `ulimit -n` (read from /proc/self/limits).
 */
import { readFileSync } from "node:fs";
import type { Socket } from "bun";
import { auth, JSON_HEADERS, type Bench } from "../lib/bench.ts";
import { encodeRequest, runLoad, type HttpRequest } from "../lib/http_client.ts";
import { HOST, readMem } from "../lib/proc.ts";
import { fmtMB, noteRow } from "../lib/report.ts";
import { LOREM } from "./create.ts";

const SECTION = "realtime";
const TOPIC = "posts10k/*";
/** Stop waiting for deliveries after this long without a new one. */
const QUIET_MS = 5000;

/** Soft limit on open files of this process (children inherit it). */
export function openFilesLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m ? (m[1] === "unlimited" ? Infinity : Number(m[1])) : 1024;
  } catch {
    return 1024;
  }
}

/** Is `GET /api/realtime` an SSE endpoint on this server? */
export async function realtimeAvailable(port: number): Promise<boolean> {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), 3000);
  try {
    const res = await fetch(`http://${HOST}:${port}/api/realtime`, {
      signal: ctl.signal,
      headers: { Accept: "text/event-stream" },
    });
    const ok = res.status === 200 && (res.headers.get("content-type") ?? "").includes("text/event-stream");
    ctl.abort();
    return ok;
  } catch {
    return false;
  } finally {
    clearTimeout(t);
  }
}

const dec = new TextDecoder();

/** One SSE client over a raw socket: dechunks the body and splits it into events. */
class SseClient {
  sock: Socket<SseClient> | null = null;
  clientId = "";
  /** performance.now() when the subscribed event arrived; 0 = not yet. */
  gotAt = 0;
  closed = false;
  private head = "";
  private inBody = false;
  private chunked = false;
  private chunkLeft = -1; // -1: reading a size line
  private pendingLine = "";
  private text = "";
  constructor(
    readonly onConnect: (c: SseClient) => void,
    readonly onEvent: (c: SseClient) => void,
  ) {}

  feed(bytes: Uint8Array): void {
    let s = dec.decode(bytes, { stream: true });
    if (!this.inBody) {
      this.head += s;
      const end = this.head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = this.head.slice(0, end).toLowerCase();
      this.chunked = /\r\ntransfer-encoding:[^\r]*chunked/.test(head);
      this.inBody = true;
      s = this.head.slice(end + 4);
      this.head = "";
    }
    this.body(this.chunked ? this.dechunk(s) : s);
  }

  /**
   * Chunked framing → payload (works on decoded text: SSE is UTF-8 and chunk sizes count bytes, so sizes are recounted
   * in bytes).
   */
  private dechunk(s: string): string {
    let out = "";
    let i = 0;
    while (i < s.length) {
      if (this.chunkLeft < 0) {
        const nl = s.indexOf("\r\n", i);
        if (nl < 0) {
          this.pendingLine += s.slice(i);
          break;
        }
        const line = this.pendingLine + s.slice(i, nl);
        this.pendingLine = "";
        i = nl + 2;
        if (line === "") continue; // the CRLF after a chunk's data
        this.chunkLeft = parseInt(line.split(";")[0]!, 16);
        if (!this.chunkLeft) this.chunkLeft = -1;
        continue;
      }
      // take up to chunkLeft bytes
      let j = i;
      let bytes = 0;
      while (j < s.length && bytes < this.chunkLeft) {
        const c = s.charCodeAt(j);
        bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : 3;
        j += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
      }
      out += s.slice(i, j);
      this.chunkLeft -= bytes;
      i = j;
      if (this.chunkLeft <= 0) this.chunkLeft = -1;
    }
    return out;
  }

  private body(s: string): void {
    this.text += s.replace(/\r\n?/g, "\n");
    for (;;) {
      const end = this.text.indexOf("\n\n");
      if (end < 0) return;
      const block = this.text.slice(0, end);
      this.text = this.text.slice(end + 2);
      let event = "message";
      let id = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("id:")) id = line.slice(3).trim();
      }
      if (event === "PB_CONNECT" && !this.clientId) {
        this.clientId = id || (/"clientId"\s*:\s*"([^"]+)"/.exec(block)?.[1] ?? "");
        this.onConnect(this);
      } else if (event === TOPIC && !this.gotAt) {
        this.gotAt = performance.now();
        this.onEvent(this);
      }
    }
  }
}

export interface FanoutResult {
  clients: number;
  connected: number;
  subscribed: number;
  delivered: number;
  lastMs: number;
  p50Ms: number;
  connectMs: number;
  subscribeMs: number;
}

/** Connects `n` SSE clients, subscribes them, creates one record and times the deliveries. */
export async function fanout(
  port: number,
  n: number,
  token: string,
  createBody: string,
  timeoutMs = 60_000,
): Promise<FanoutResult> {
  const clients: SseClient[] = [];
  let connected = 0;
  let delivered = 0;
  let onAllConnected: () => void = () => {};
  let onAllDelivered: () => void = () => {};
  const req = encodeRequest(
    `${HOST}:${port}`,
    { method: "GET", path: "/api/realtime", headers: { Accept: "text/event-stream", ...auth(token) } },
    true,
  );
  const handlers = {
    data(s: Socket<SseClient>, d: Uint8Array) {
      s.data.feed(d);
    },
    close(s: Socket<SseClient>) {
      s.data.closed = true;
    },
    error(s: Socket<SseClient>) {
      s.data.closed = true;
    },
    connectError(s: Socket<SseClient>) {
      s.data.closed = true;
    },
  };
  const t0 = performance.now();
  const allConnected = new Promise<void>((r) => (onAllConnected = r));
  // connect in waves so the listen backlog is not flooded
  const WAVE = 250;
  for (let i = 0; i < n; i += WAVE) {
    const wave: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(n, i + WAVE); j++) {
      const c = new SseClient(
        () => {
          if (++connected === n) onAllConnected();
        },
        () => {
          if (++delivered === n) onAllDelivered();
        },
      );
      clients.push(c);
      wave.push(
        Bun.connect<SseClient>({ hostname: HOST, port, data: c, socket: handlers })
          .then((s) => {
            c.sock = s;
            s.write(req);
          })
          .catch(() => (c.closed = true)),
      );
    }
    await Promise.all(wave);
  }
  await Promise.race([allConnected, Bun.sleep(timeoutMs)]);
  const connectMs = performance.now() - t0;

  // subscribe every connected client (keep-alive, 100 at a time)
  const subs: HttpRequest[] = clients
    .filter((c) => c.clientId)
    .map((c) => ({
      method: "POST",
      path: "/api/realtime",
      headers: { ...JSON_HEADERS, ...auth(token) },
      body: JSON.stringify({ clientId: c.clientId, subscriptions: [TOPIC] }),
    }));
  let subscribed = 0;
  const s0 = performance.now();
  if (subs.length) {
    const r = await runLoad({
      hostname: HOST,
      port,
      requests: subs.map((x) => encodeRequest(`${HOST}:${port}`, x, true)),
      total: subs.length,
      concurrency: 100,
      keepAlive: true,
    });
    for (const s of r.statuses) if (s >= 200 && s < 300) subscribed++;
  }
  const subscribeMs = performance.now() - s0;
  const allDelivered = new Promise<void>((r) => (onAllDelivered = r));
  const sent = performance.now();
  const created = await fetch(`http://${HOST}:${port}/api/collections/posts10k/records`, {
    method: "POST",
    headers: { ...JSON_HEADERS, ...auth(token) },
    body: createBody,
  });
  await created.arrayBuffer();
  // until every subscribed client has it, or nothing new arrived for a while (bounded)
  for (let last = -1, quietSince = performance.now(); performance.now() - sent < timeoutMs;) {
    const done = await Promise.race([allDelivered.then(() => true), Bun.sleep(250).then(() => false)]);
    if (done || delivered >= subscribed) break;
    if (delivered !== last) {
      last = delivered;
      quietSince = performance.now();
    } else if (performance.now() - quietSince > QUIET_MS) break;
  }
  const times = clients
    .filter((c) => c.gotAt)
    .map((c) => c.gotAt - sent)
    .sort((a, b) => a - b);
  for (const c of clients) c.sock?.end();
  return {
    clients: n,
    connected,
    subscribed,
    delivered: times.length,
    lastMs: times.length ? times[times.length - 1]! : NaN,
    p50Ms: times.length ? times[Math.floor(times.length / 2)]! : NaN,
    connectMs,
    subscribeMs,
  };
}

export async function realtime(b: Bench): Promise<void> {
  if (!(await realtimeAvailable(b.pb.port))) {
    b.add(
      noteRow(
        SECTION,
        "fan-out: 1 event to idle SSE clients",
        "not available yet: pb has no GET /api/realtime (the realtime work adds it)",
      ),
    );
    return;
  }
  const limit = openFilesLimit();
  let n = b.profile.realtimeClients;
  let note = "";
  if (n + 1000 > limit) {
    n = Math.max(100, limit - 1000);
    note = ` (capped by ulimit -n ${limit})`;
  }
  const before = readMem(b.pb.pid);
  const body = JSON.stringify({ title: "realtime", description: LOREM, public: true, type: ["a"], author: b.userId });
  const r = await fanout(b.pb.port, n, b.userToken, body);
  const after = readMem(b.pb.pid);
  const rss = `server RSS ${fmtMB(before.rss)} before → ${fmtMB(after.rss)} with the clients (peak ${fmtMB(after.hwm)})`;
  const setup = `connected ${r.connected} in ${(r.connectMs / 1000).toFixed(1)} s, subscribed ${r.subscribed} in ${(r.subscribeMs / 1000).toFixed(1)} s`;
  const name = `fan-out: 1 event to ${n.toLocaleString("en-US")} idle SSE clients${note}`;
  if (r.delivered === 0 && r.subscribed > 0) {
    b.add(
      noteRow(
        SECTION,
        name,
        `no record event delivered yet (pb does not broadcast record changes to subscribers yet); ${setup}; ${rss}`,
      ),
    );
    return;
  }
  b.add(
    noteRow(
      SECTION,
      name,
      `last delivery ${r.lastMs.toFixed(0)} ms, median ${r.p50Ms.toFixed(0)} ms; delivered ${r.delivered}/${n}; ${setup}; ${rss}`,
    ),
  );
  if (r.delivered < n) b.rows[b.rows.length - 1]!.errors = n - r.delivered;
}
