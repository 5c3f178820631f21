/**
 * Downloading a URL that came from a third party (an OAuth2 avatar) without letting it probe the
 * local network: every hop's host must resolve only to public addresses (no loopback, private,
 * link-local, multicast or unspecified ones), redirects are followed by hand so each is checked.
 * As upstream notes for its own version, this is a mitigation, not a guarantee (DNS may still
 * change between the check and the connection).
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

export interface SafeFetchOptions {
  /** Whole download deadline (default 10 s). */
  timeoutMs?: number;
  /** Bytes kept from the body; the rest is cut off silently, as Go's io.LimitReader (default 32 MiB). */
  maxBytes?: number;
  /** Redirect hops followed (default 10, as Go's http.Client). */
  maxRedirects?: number;
  signal?: AbortSignal;
}

/** Fetches `url` (http/https only) and returns its body as a File named after the URL's last path element. */
export async function safeFileFromURL(url: string, opts: SafeFetchOptions = {}): Promise<File> {
  const signal = opts.signal
    ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs ?? 10_000)])
    : AbortSignal.timeout(opts.timeoutMs ?? 10_000);
  const maxBytes = opts.maxBytes ?? 32 << 20;
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    await assertPublicHost(current);
    const res = await fetch(current, { redirect: "manual", signal });
    if (res.status >= 300 && res.status <= 399 && res.headers.has("location")) {
      await res.body?.cancel();
      if (hop >= (opts.maxRedirects ?? 10)) throw new Error("stopped after too many redirects");
      current = new URL(res.headers.get("location")!, current);
      continue;
    }
    if (res.status < 200 || res.status > 399) {
      await res.body?.cancel();
      throw new Error(`failed to download url ${url} (${res.status})`);
    }
    const bytes = await readUpTo(res, maxBytes);
    return new File([bytes], pathBase(url), { type: res.headers.get("content-type") ?? "" });
  }
}

/** Throws unless `u` is http(s) and its host resolves only to public addresses. */
export async function assertPublicHost(u: URL): Promise<void> {
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new Error(`unsupported protocol scheme "${u.protocol.replace(/:$/, "")}"`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  if (addresses.length === 0) throw new Error(`no address for ${host}`);
  for (const a of addresses) {
    if (isDisallowedIP(a)) throw new Error(`address "${a}" is invalid or resolves to a disallowed IP`);
  }
}

/** Go's IsLoopback, IsUnspecified, IsPrivate, IsLinkLocalUnicast/Multicast and IsMulticast, for v4 and v6. */
export function isDisallowedIP(address: string): boolean {
  const v4 = toIPv4(address);
  if (v4) {
    const [a, b] = v4;
    return (
      a === 127 || // loopback
      (a === 0 && v4.every((x) => x === 0)) || // unspecified
      a === 10 ||
      (a === 172 && b! >= 16 && b! <= 31) ||
      (a === 192 && b === 168) || // private
      (a === 169 && b === 254) || // link-local unicast
      (a! >= 224 && a! <= 239) // multicast (link-local multicast included)
    );
  }
  const v6 = toIPv6Words(address);
  if (!v6) return true; // unparseable: refuse
  if (v6.every((w) => w === 0)) return true; // ::
  if (v6.slice(0, 7).every((w) => w === 0) && v6[7] === 1) return true; // ::1
  const first = v6[0]!;
  if ((first & 0xfe00) === 0xfc00) return true; // fc00::/7 private
  if ((first & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((first & 0xff00) === 0xff00) return true; // ff00::/8 multicast
  return false;
}

/** The four octets of an IPv4 address, including the IPv4-mapped IPv6 form (`::ffff:a.b.c.d`). */
function toIPv4(address: string): number[] | null {
  if (isIP(address) === 4) return address.split(".").map(Number);
  const words = toIPv6Words(address);
  if (words && words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return [words[6]! >> 8, words[6]! & 0xff, words[7]! >> 8, words[7]! & 0xff];
  }
  return null;
}

function toIPv6Words(address: string): number[] | null {
  let s = address.split("%")[0]!;
  if (isIP(s) !== 6) return null;
  // an embedded dotted quad becomes two words
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const o = dotted[1]!.split(".").map(Number);
    s =
      s.slice(0, -dotted[1]!.length) + ((o[0]! << 8) | o[1]!).toString(16) + ":" + ((o[2]! << 8) | o[3]!).toString(16);
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":").filter((x) => x !== "") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail !== undefined ? 8 - h.length - t.length : 0;
  const words = [...h, ...Array(fill).fill("0"), ...t].map((x) => Number.parseInt(x, 16));
  return words.length === 8 && words.every((w) => Number.isFinite(w)) ? words : null;
}

/** Go's path.Base of the URL string: its last slash-separated element ("." when empty). */
export function pathBase(p: string): string {
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return p === "" ? "." : "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

async function readUpTo(res: Response, max: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  while (size < max) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = max - size;
    const part = value.byteLength > room ? value.subarray(0, room) : value;
    chunks.push(part);
    size += part.byteLength;
  }
  await reader.cancel().catch(() => {});
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
