/**
 * The client IP as upstream resolves it: each configured trusted-proxy header in turn, its last
 * occurrence split on commas, the right-most parseable IP (left-most with `useLeftmostIP`); otherwise
 * the socket peer. No header is trusted unless configured.
 */
import { isIP } from "node:net";

export interface TrustedProxy {
  headers: string[];
  useLeftmostIP: boolean;
}

export function resolveRealIP(request: Request, peer: string, proxy: TrustedProxy | undefined): string {
  if (proxy?.headers?.length) {
    for (const name of proxy.headers) {
      const value = request.headers.get(name);
      if (!value) continue;
      // Headers.get joins repeated headers with ", ": the right-most IP is the last occurrence's.
      const ips = value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => isIP(s) !== 0);
      if (ips.length) return normalizeIP(proxy.useLeftmostIP ? ips[0]! : ips[ips.length - 1]!);
    }
  }
  return normalizeIP(peer);
}

/** IPv4-mapped IPv6 back to IPv4; other IPv6 fully expanded, as Go's netip prints them in logs. */
function normalizeIP(ip: string): string {
  if (ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4) return ip.slice(7);
  if (isIP(ip) !== 6) return ip;
  const [head, tail] = ip.split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => g.padStart(4, "0")).join(":");
}

/** True when `ip` equals an entry of `list` or falls in one of its CIDR ranges (IPv4 and IPv6). */
export function ipInList(list: string[], ip: string): boolean {
  const target = ipToBigInt(ip);
  if (target === null) return false;
  for (const entry of list) {
    const [addr, bitsRaw] = entry.trim().split("/") as [string, string | undefined];
    const base = ipToBigInt(addr);
    if (base === null || base.v6 !== target.v6) continue;
    const width = target.v6 ? 128 : 32;
    const bits = bitsRaw === undefined ? width : Number(bitsRaw);
    if (!Number.isInteger(bits) || bits < 0 || bits > width) continue;
    const shift = BigInt(width - bits);
    if (base.n >> shift === target.n >> shift) return true;
  }
  return false;
}

function ipToBigInt(ip: string): { n: bigint; v6: boolean } | null {
  const plain = ip.startsWith("::ffff:") && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const kind = isIP(plain);
  if (kind === 4) return { n: plain.split(".").reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n), v6: false };
  if (kind === 6)
    return {
      n: normalizeIP(plain)
        .split(":")
        .reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n),
      v6: true,
    };
  return null;
}
