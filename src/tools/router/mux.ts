/**
 * A request multiplexer with Go's `http.ServeMux` semantics (what upstream's tools/router builds):
 * patterns from ./pattern.ts, conflicts refused at registration, the most specific pattern
 * answering, HEAD served by GET patterns, host-bound patterns before host-less ones, and the
 * 301 to `path/` when only the trailing-slash form would match exactly. Knows nothing of the app.
 */
import { conflictError, conflicts, parsePattern, unescapePath, type Pattern } from "./pattern.ts";

interface Leaf<T> {
  pattern: Pattern;
  value: T;
  /** Wildcard names in path order (`""` for a trailing slash's anonymous one, which records nothing). */
  names: string[];
}

/** One position in a path: children by literal segment, then `{name}`, then `{name...}`. */
class Node<T> {
  leaf: Leaf<T> | null = null;
  literal: Map<string, Node<T>> | null = null;
  wild: Node<T> | null = null;
  multi: Node<T> | null = null;
}

export interface MuxMatch<T> {
  value: T;
  pattern: Pattern;
  params: Record<string, string>;
}

export type MuxResult<T> = MuxMatch<T> | { redirect: string } | null;

const EMPTY: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class Mux<T> {
  private readonly patterns: Pattern[] = [];
  /** host → method → path tree ("" is any host / any method). */
  private readonly trees = new Map<string, Map<string, Node<T>>>();
  /** Whether any pattern names a host (the request's Host is only looked at then). */
  hasHosts = false;
  /**
   * method → path → leaf for host-less patterns made of literals only: the walk always finds such a
   * pattern first in its method's tree, so an exact hit on an unescaped path needs no walk.
   */
  private readonly literal = new Map<string, Map<string, Leaf<T>>>();

  /** Registers a pattern; throws the parse error or the conflict with an earlier pattern, as Go panics. */
  handle(pattern: string, value: T, loc?: string): Pattern {
    const p = parsePattern(pattern, loc);
    for (const q of this.patterns) if (conflicts(p, q)) throw conflictError(p, q);
    this.patterns.push(p);
    if (p.host) this.hasHosts = true;
    let methods = this.trees.get(p.host);
    if (!methods) this.trees.set(p.host, (methods = new Map()));
    let node = methods.get(p.method);
    if (!node) methods.set(p.method, (node = new Node()));
    for (const seg of p.segments) {
      if (seg.multi) node = node.multi ??= new Node();
      else if (seg.wild) node = node.wild ??= new Node();
      else {
        node.literal ??= new Map();
        let next = node.literal.get(seg.s);
        if (!next) node.literal.set(seg.s, (next = new Node()));
        node = next;
      }
    }
    node.leaf = { pattern: p, value, names: p.segments.filter((s) => s.wild).map((s) => s.s) };
    if (!p.host && p.method !== "" && p.segments.every((s) => !s.wild && (s.s === "/" || !s.s.includes("/")))) {
      const key = "/" + p.segments.map((s) => (s.s === "/" ? "" : s.s)).join("/");
      let byPath = this.literal.get(p.method);
      if (!byPath) this.literal.set(p.method, (byPath = new Map()));
      byPath.set(key, node.leaf);
    }
    return p;
  }

  /** Registered patterns, in registration order. */
  list(): readonly Pattern[] {
    return this.patterns;
  }

  /**
   * The most specific pattern for a request. `path` is the escaped, cleaned path (no query);
   * `host` is the Host without its port ("" to ignore hosts). Returns `{ redirect }` when Go would
   * answer 301 to the trailing-slash form, null when nothing matches.
   */
  match(method: string, host: string, path: string, query = ""): MuxResult<T> {
    if (!this.hasHosts && !path.includes("%")) {
      const own = this.literal.get(method);
      const hit =
        own?.get(path) ??
        (method === "HEAD" && !this.trees.get("")?.has("HEAD") ? this.literal.get("GET")?.get(path) : undefined);
      if (hit) return { value: hit.value, pattern: hit.pattern, params: EMPTY };
    }
    const values: string[] = [];
    const leaf = this.find(host, method, path, values);
    if (!isExact(leaf, path) && path[path.length - 1] !== "/") {
      const withSlash = path + "/";
      const other = this.find(host, method, withSlash, []);
      if (other && isExact(other, withSlash)) return { redirect: withSlash + query };
    }
    if (!leaf) return null;
    if (values.length === 0) return { value: leaf.value, pattern: leaf.pattern, params: EMPTY };
    const params: Record<string, string> = {};
    for (let i = 0, v = 0; i < leaf.names.length; i++) {
      const name = leaf.names[i]!;
      // the anonymous `{...}` of a trailing slash records no value
      if (name !== "") params[name] = values[v++]!;
    }
    return { value: leaf.value, pattern: leaf.pattern, params };
  }

  private find(host: string, method: string, path: string, values: string[]): Leaf<T> | null {
    if (host !== "" && this.hasHosts) {
      const hit = this.findMethod(this.trees.get(host), method, path, values);
      if (hit) return hit;
      values.length = 0;
    }
    return this.findMethod(this.trees.get(""), method, path, values);
  }

  private findMethod(
    methods: Map<string, Node<T>> | undefined,
    method: string,
    path: string,
    values: string[],
  ): Leaf<T> | null {
    if (!methods) return null;
    const own = methods.get(method);
    const hit = own ? walk(own, path, 0, values) : null;
    if (hit) return hit;
    if (method === "HEAD") {
      const get = methods.get("GET");
      const viaGet = get ? walk(get, path, 0, values) : null;
      if (viaGet) return viaGet;
    }
    const any = methods.get("");
    return any ? walk(any, path, 0, values) : null;
  }
}

/**
 * Walks from `node` with `path.slice(pos)` left to match. Literal children are tried before
 * `{name}` before `{name...}`: with conflicts refused at registration, the first leaf found this
 * way is the most specific pattern. `values` collects wildcard values (popped on backtrack).
 */
function walk<T>(node: Node<T>, path: string, pos: number, values: string[]): Leaf<T> | null {
  if (pos === path.length) return node.leaf;
  let seg: string;
  let next: number;
  if (pos === path.length - 1) {
    // a trailing slash: the segment `{$}` stands for
    seg = "/";
    next = path.length;
  } else {
    next = path.indexOf("/", pos + 1);
    if (next < 0) next = path.length;
    seg = unescapePath(path.slice(pos + 1, next));
  }
  if (node.literal) {
    const child = node.literal.get(seg);
    if (child) {
      const hit = walk(child, path, next, values);
      if (hit) return hit;
    }
  }
  if (node.wild && seg !== "/") {
    values.push(seg);
    const hit = walk(node.wild, path, next, values);
    if (hit) return hit;
    values.pop();
  }
  if (node.multi?.leaf) {
    if (node.multi.leaf.names[node.multi.leaf.names.length - 1] !== "") values.push(unescapePath(path.slice(pos + 1)));
    return node.multi.leaf;
  }
  return null;
}

/** Whether the match consumed the path without a `{...}` swallowing a non-empty rest. */
function isExact<T>(leaf: Leaf<T> | null, path: string): boolean {
  if (!leaf) return false;
  const segs = leaf.pattern.segments;
  if (!segs[segs.length - 1]!.multi) return true;
  if (path[path.length - 1] !== "/") return false;
  let slashes = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) slashes++;
  return segs.length === slashes;
}

/** A Host header without its port, as `Mux.match` takes it (`[::1]:80` → `[::1]`, `a.com:8090` → `a.com`). */
export function hostWithoutPort(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.indexOf(":");
  return colon < 0 ? host : host.slice(0, colon);
}
