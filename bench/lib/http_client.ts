/**
 * The load generator: a raw HTTP/1.1 client over `Bun.connect` with a fixed pool of workers and
 * pre-built request bytes.
 *
 * Why not `fetch`: Bun's fetch caps in-flight requests (256) and idle sockets (64), so at
 * concurrency 500 or 1000 a fetch-based generator measures its own queue, not the server. Here each
 * worker owns one connection and sends one request at a time (no pipelining), so "concurrency N"
 * means exactly N requests in flight.
 *
 * Two modes, as upstream's harness and ours:
 * - `keepAlive: false`: a new TCP connection per request (`Connection: close`), as upstream's Go
 *   harness did (a fresh http.Transport per request). The latency includes the connect.
 * - `keepAlive: true`: each worker keeps its connection open for the whole run.
 *
 * Every response is read to its end (Content-Length, chunked, or until close) and its status
 * recorded; a request that fails at the network level (refused, reset, timed out) counts as a
 * failure with status -1 (network) or -2 (timeout), never silently dropped.
 */
import type { Socket } from "bun";

/** One request to send. Headers are written as given; Host, Connection and Content-Length are added. */
export interface HttpRequest {
  method: string;
  path: string;
  headers?: { [name: string]: string };
  body?: string | Uint8Array;
}

export interface LoadOptions {
  hostname: string;
  port: number;
  /** Pre-encoded requests (see encodeRequest); request i is `requests[i % requests.length]`. */
  requests: Uint8Array[];
  /** How many requests to send in total. */
  total: number;
  concurrency: number;
  keepAlive: boolean;
  /** A request with no complete response after this long fails with status -2. Default 120 s. */
  requestTimeoutMs?: number;
  /** Stop starting new requests after this long (the rest count as not sent). Default 30 min. */
  deadlineMs?: number;
}

export interface LoadResult {
  /** Requests started (≤ total; fewer only when the deadline hit). */
  sent: number;
  /** Per request (index order): latency in ms, NaN when not sent. */
  latencies: Float64Array;
  /** Per request: HTTP status, -1 network failure, -2 timeout, 0 not sent. */
  statuses: Int16Array;
  /** Wall time from the first request to the last response, ms. */
  wallMs: number;
  /** Response bytes received (headers and bodies). */
  bytesIn: number;
}

const enc = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** Encodes a request once, before the timed run. */
export function encodeRequest(host: string, r: HttpRequest, keepAlive: boolean): Uint8Array {
  const body = r.body === undefined ? undefined : typeof r.body === "string" ? enc.encode(r.body) : r.body;
  let head = `${r.method} ${r.path} HTTP/1.1\r\nHost: ${host}\r\nConnection: ${keepAlive ? "keep-alive" : "close"}\r\n`;
  for (const [k, v] of Object.entries(r.headers ?? {})) head += `${k}: ${v}\r\n`;
  if (body) head += `Content-Length: ${body.byteLength}\r\n`;
  else if (r.method === "POST" || r.method === "PUT" || r.method === "PATCH") head += "Content-Length: 0\r\n";
  head += "\r\n";
  const h = enc.encode(head);
  if (!body) return h;
  const out = new Uint8Array(h.byteLength + body.byteLength);
  out.set(h, 0);
  out.set(body, h.byteLength);
  return out;
}

const enum Phase {
  Idle,
  Connecting,
  Head,
  Body,
  Chunked,
  UntilClose,
}

/** One connection of one worker, with its response parser. */
/** Socket data: which connection, and which connect attempt of it. */
interface Att {
  c: Conn;
  n: number;
}

class Conn {
  sock: Socket<Att> | null = null;
  attempt = 0;
  phase = Phase.Idle;
  buf = new Uint8Array(16 * 1024);
  len = 0;
  /** Where the body starts, and how long it is (Phase.Body). */
  bodyStart = 0;
  bodyLen = 0;
  /** Chunked decoding: offset of the next chunk header in buf. */
  chunkPos = 0;
  status = 0;
  serverCloses = false;
  pending: Uint8Array | null = null;
  startedAt = 0;
  index = -1;
  /** Set when the response completed (or failed); the pool then starts the next request. */
  done: ((status: number) => void) | null = null;
  /** Sockets of earlier requests whose close we no longer care about. */
  dead = new WeakSet<object>();

  constructor(readonly pool: Pool) {}

  begin(index: number, bytes: Uint8Array): void {
    this.index = index;
    this.startedAt = performance.now();
    this.status = 0;
    this.len = 0;
    this.serverCloses = false;
    if (this.sock) {
      this.phase = Phase.Head;
      this.write(bytes);
      return;
    }
    this.phase = Phase.Connecting;
    this.pending = bytes;
    const att: Att = { c: this, n: ++this.attempt };
    Bun.connect<Att>({ hostname: this.pool.hostname, port: this.pool.port, data: att, socket: HANDLERS }).catch(() => {
      // connectError already failed the request; this only silences the rejection.
    });
  }

  onOpen(sock: Socket<Att>): void {
    if (sock.data.n !== this.attempt || this.phase !== Phase.Connecting || this.sock) {
      // A connect that outlived its request (timed out): not needed any more.
      this.dead.add(sock);
      sock.terminate();
      return;
    }
    this.sock = sock;
    this.phase = Phase.Head;
    const p = this.pending;
    this.pending = null;
    if (p) this.write(p);
  }

  write(bytes: Uint8Array): void {
    const n = this.sock!.write(bytes);
    if (n < bytes.byteLength) this.pending = bytes.subarray(Math.max(0, n));
  }

  onDrain(): void {
    const p = this.pending;
    if (!p || !this.sock || this.phase === Phase.Connecting) return;
    this.pending = null;
    this.write(p);
  }

  onData(chunk: Uint8Array): void {
    this.pool.bytesIn += chunk.byteLength;
    if (this.phase === Phase.Idle || this.phase === Phase.Connecting) return; // stray bytes
    if (this.len + chunk.byteLength > this.buf.byteLength) {
      let size = this.buf.byteLength * 2;
      while (size < this.len + chunk.byteLength) size *= 2;
      const nb = new Uint8Array(size);
      nb.set(this.buf.subarray(0, this.len));
      this.buf = nb;
    }
    const prev = this.len;
    this.buf.set(chunk, this.len);
    this.len += chunk.byteLength;
    if (this.phase === Phase.Head) {
      const end = findHeadEnd(this.buf, Math.max(0, prev - 3), this.len);
      if (end < 0) return;
      this.parseHead(end);
    }
    this.checkBody();
  }

  parseHead(end: number): void {
    const b = this.buf;
    this.status = (b[9]! - 48) * 100 + (b[10]! - 48) * 10 + (b[11]! - 48);
    const head = latin1.decode(b.subarray(0, end)).toLowerCase();
    this.bodyStart = end + 4;
    this.serverCloses = /\r\nconnection:\s*close/.test(head);
    const cl = /\r\ncontent-length:\s*(\d+)/.exec(head);
    if (this.status === 204 || this.status === 304 || (this.status >= 100 && this.status < 200)) {
      this.phase = Phase.Body;
      this.bodyLen = 0;
    } else if (cl) {
      this.phase = Phase.Body;
      this.bodyLen = Number(cl[1]);
    } else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
      this.phase = Phase.Chunked;
      this.chunkPos = this.bodyStart;
    } else {
      this.phase = Phase.UntilClose;
    }
  }

  checkBody(): void {
    if (this.phase === Phase.Body) {
      if (this.len - this.bodyStart >= this.bodyLen) this.complete(this.status);
    } else if (this.phase === Phase.Chunked) {
      // <hex size>[;ext]\r\n<data>\r\n ... 0\r\n<trailers>\r\n
      for (;;) {
        const lineEnd = indexOfCrlf(this.buf, this.chunkPos, this.len);
        if (lineEnd < 0) return;
        const size = parseInt(latin1.decode(this.buf.subarray(this.chunkPos, lineEnd)).split(";")[0]!.trim(), 16);
        if (Number.isNaN(size)) return this.fail(-1);
        if (size === 0) {
          // trailers end with an empty line
          let p = lineEnd + 2;
          for (;;) {
            const e = indexOfCrlf(this.buf, p, this.len);
            if (e < 0) return;
            if (e === p) return this.complete(this.status);
            p = e + 2;
          }
        }
        const next = lineEnd + 2 + size + 2;
        if (next > this.len) return;
        this.chunkPos = next;
      }
    }
  }

  complete(status: number): void {
    const cb = this.done;
    const closeNow = !this.pool.keepAlive || this.serverCloses;
    this.phase = Phase.Idle;
    if (closeNow && this.sock) {
      this.dead.add(this.sock);
      this.sock.end();
      this.sock = null;
    }
    this.done = null;
    cb?.(status);
  }

  fail(status: number): void {
    const cb = this.done;
    this.phase = Phase.Idle;
    if (this.sock) {
      this.dead.add(this.sock);
      this.sock.terminate();
      this.sock = null;
    }
    this.pending = null;
    this.done = null;
    cb?.(status);
  }

  onClose(sock: Socket<Att>): void {
    if (this.dead.has(sock)) return;
    this.dead.add(sock);
    const current =
      this.sock === sock || (this.sock === null && this.phase === Phase.Connecting && sock.data.n === this.attempt);
    if (!current) return;
    this.sock = null;
    if (this.phase === Phase.UntilClose) this.complete(this.status);
    else if (this.phase !== Phase.Idle) this.fail(-1);
  }
}

const HANDLERS = {
  open(s: Socket<Att>) {
    s.data.c.onOpen(s);
  },
  data(s: Socket<Att>, d: Uint8Array) {
    if (s.data.c.sock === s) s.data.c.onData(d);
  },
  drain(s: Socket<Att>) {
    if (s.data.c.sock === s) s.data.c.onDrain();
  },
  close(s: Socket<Att>) {
    s.data.c.onClose(s);
  },
  end(s: Socket<Att>) {
    // The server half-closed: whatever it sent is all there is.
    s.data.c.onClose(s);
  },
  error(s: Socket<Att>) {
    s.data.c.onClose(s);
  },
  connectError(s: Socket<Att>) {
    const c = s.data.c;
    if (s.data.n === c.attempt && c.phase === Phase.Connecting && !c.sock) c.fail(-1);
  },
};

class Pool {
  bytesIn = 0;
  constructor(
    readonly hostname: string,
    readonly port: number,
    readonly keepAlive: boolean,
  ) {}
}

function findHeadEnd(b: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 3 < to; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

function indexOfCrlf(b: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 1 < to; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}

/** Sends `total` requests with `concurrency` workers and records every latency and status. */
export function runLoad(o: LoadOptions): Promise<LoadResult> {
  const total = o.total;
  const latencies = new Float64Array(total).fill(NaN);
  const statuses = new Int16Array(total);
  const pool = new Pool(o.hostname, o.port, o.keepAlive);
  const timeout = o.requestTimeoutMs ?? 120_000;
  const deadline = performance.now() + (o.deadlineMs ?? 30 * 60_000);
  const workers = Math.max(1, Math.min(o.concurrency, total));
  const conns: Conn[] = [];
  let next = 0;
  let active = 0;
  const started = performance.now();
  let lastDone = started;

  return new Promise<LoadResult>((resolve) => {
    let sweeper: ReturnType<typeof setInterval> | null = null;
    const finishAll = () => {
      if (sweeper) clearInterval(sweeper);
      for (const c of conns) if (c.sock) c.sock.end();
      resolve({
        sent: next > total ? total : next,
        latencies,
        statuses,
        wallMs: lastDone - started,
        bytesIn: pool.bytesIn,
      });
    };
    const startNext = (c: Conn) => {
      if (next >= total || performance.now() > deadline) {
        if (c.sock) {
          c.dead.add(c.sock);
          c.sock.end();
          c.sock = null;
        }
        if (--active === 0) finishAll();
        return;
      }
      const i = next++;
      c.done = (status) => {
        const now = performance.now();
        latencies[i] = now - c.startedAt;
        statuses[i] = status;
        lastDone = now;
        startNext(c);
      };
      c.begin(i, o.requests[i % o.requests.length]!);
    };
    sweeper = setInterval(() => {
      const now = performance.now();
      for (const c of conns) if (c.done && now - c.startedAt > timeout) c.fail(-2);
    }, 250);
    for (let w = 0; w < workers; w++) {
      const c = new Conn(pool);
      conns.push(c);
      active++;
    }
    for (const c of conns) startNext(c);
  });
}

/** One request on a fresh connection; resolves with the status and the body (for probes and setup). */
export function requestOnce(
  hostname: string,
  port: number,
  r: HttpRequest,
  timeoutMs = 5000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let settled = false;
    const settle = (status: number, body = "") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status, body });
    };
    const timer = setTimeout(() => settle(-2), timeoutMs);
    const bytes = encodeRequest(`${hostname}:${port}`, r, false);
    const finish = () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf("\r\n\r\n");
      if (end < 0) return settle(-1);
      const status = Number(all.subarray(9, 12).toString());
      const head = all.subarray(0, end).toString("latin1").toLowerCase();
      let body: Buffer = all.subarray(end + 4);
      if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) body = dechunk(body);
      settle(status, body.toString());
    };
    Bun.connect({
      hostname,
      port,
      socket: {
        open(s) {
          s.write(bytes);
        },
        data(_s, d) {
          chunks.push(Buffer.from(d));
        },
        close() {
          finish();
        },
        end(s) {
          s.end();
          finish();
        },
        error() {
          settle(-1);
        },
        connectError() {
          settle(-1);
        },
      },
    }).catch(() => settle(-1));
  });
}

function dechunk(b: Buffer): Buffer {
  // (Buffer without a type argument: subarray and concat return different ArrayBuffer kinds)
  const out: Buffer[] = [];
  let p = 0;
  for (;;) {
    const e = b.indexOf("\r\n", p);
    if (e < 0) break;
    const size = parseInt(b.subarray(p, e).toString().split(";")[0]!, 16);
    if (!size) break;
    out.push(b.subarray(e + 2, e + 2 + size));
    p = e + 2 + size + 2;
  }
  return Buffer.concat(out);
}
