/**
 * Route patterns with the syntax and the precedence of Go's `http.ServeMux` (Go 1.22+), which
 * upstream's tools/router hands every route to: `[METHOD ][HOST]/path`, `{name}` (one segment),
 * `{name...}` (the rest, last only), `{$}` (end of path after a trailing slash), and a trailing
 * slash standing for an anonymous `{...}`. Of two patterns matching the same request the one
 * matching a strict subset of the other's requests wins; two patterns that overlap with neither
 * more specific conflict. Knows nothing of the app.
 */

/**
 * One path segment: a literal (`{$}` is the literal "/"), a `{name}` or a `{name...}` (name "" for a trailing slash).
 */
export interface Segment {
  s: string;
  wild: boolean;
  multi: boolean;
}

export interface Pattern {
  /** The pattern as registered (what error messages quote). */
  str: string;
  /** "" matches every method. */
  method: string;
  host: string;
  segments: Segment[];
  /** Where it was registered, for conflict messages. */
  loc: string;
}

/** How the requests matched by one pattern relate to another's. */
export type Relationship = "equivalent" | "moreGeneral" | "moreSpecific" | "disjoint" | "overlaps";

export class PatternError extends Error {}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const WILDCARD_NAME = /^[\p{L}_][\p{L}\p{Nd}_]*$/u;

/** Parses a pattern; throws `PatternError` worded as Go's ("parsing "GET /{": at offset 5: …"). */
export function parsePattern(str: string, loc = "unknown location"): Pattern {
  let off = 0;
  const fail = (msg: string): never => {
    throw new PatternError(`parsing ${goQuote(str)}: at offset ${off}: ${msg}`);
  };
  if (str === "") throw new PatternError(`parsing "": empty pattern`);
  let method = "";
  let rest = str;
  const sp = str.search(/[ \t]/);
  if (sp >= 0) {
    method = str.slice(0, sp);
    rest = str.slice(sp + 1).replace(/^[ \t]+/, "");
    if (method !== "" && !TOKEN.test(method)) fail(`invalid method ${goQuote(method)}`);
    off = str.length - rest.length;
  }
  const slash = rest.indexOf("/");
  if (slash < 0) fail("host/path missing /");
  const host = rest.slice(0, slash);
  const brace = host.indexOf("{");
  if (brace >= 0) {
    off += brace;
    fail("host contains '{' (missing initial '/'?)");
  }
  rest = rest.slice(slash);
  // requests are matched on cleaned paths, so a method-bound pattern with an unclean one would never match
  if (method !== "" && method !== "CONNECT" && !isCleanPath(rest))
    fail("non-CONNECT pattern with unclean path can never match");

  const segments: Segment[] = [];
  const seen = new Set<string>();
  while (rest.length > 0) {
    rest = rest.slice(1);
    off = str.length - rest.length;
    if (rest.length === 0) {
      segments.push({ s: "", wild: true, multi: true });
      break;
    }
    let end = rest.indexOf("/");
    if (end < 0) end = rest.length;
    const seg = rest.slice(0, end);
    rest = rest.slice(end);
    const open = seg.indexOf("{");
    if (open < 0) {
      segments.push({ s: unescapePath(seg), wild: false, multi: false });
      continue;
    }
    if (open !== 0) fail("bad wildcard segment (must start with '{')");
    if (!seg.endsWith("}")) fail("bad wildcard segment (must end with '}')");
    let name = seg.slice(1, -1);
    if (name === "$") {
      if (rest.length !== 0) fail("{$} not at end");
      segments.push({ s: "/", wild: false, multi: false });
      break;
    }
    const multi = name.endsWith("...");
    if (multi) name = name.slice(0, -3);
    if (multi && rest.length !== 0) fail("{...} wildcard not at end");
    if (name === "") fail("empty wildcard");
    if (!WILDCARD_NAME.test(name)) fail(`bad wildcard name ${goQuote(name)}`);
    if (seen.has(name)) fail(`duplicate wildcard name ${goQuote(name)}`);
    seen.add(name);
    segments.push({ s: name, wild: true, multi });
  }
  return { str, method, host, segments, loc };
}

/** `url.PathUnescape`, keeping the text as it is when it is not valid escaping. */
export function unescapePath(s: string): string {
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isCleanPath(p: string): boolean {
  return !/\/\/|\/\.\.?(\/|$)/.test(p);
}

/** Go's `%q` for the plain strings patterns are made of. */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

const lastIsMulti = (p: Pattern) => p.segments[p.segments.length - 1]?.multi === true;

function inverse(r: Relationship): Relationship {
  return r === "moreGeneral" ? "moreSpecific" : r === "moreSpecific" ? "moreGeneral" : r;
}

/** The relationship of the conjunction of two independent constraints. */
function combine(a: Relationship, b: Relationship): Relationship {
  if (a === "equivalent") return b;
  if (b === "equivalent") return a;
  if (a === "disjoint" || b === "disjoint") return "disjoint";
  if (a === "overlaps" || b === "overlaps") return "overlaps";
  return a === b ? a : "overlaps";
}

export function compareMethods(a: Pattern, b: Pattern): Relationship {
  if (a.method === b.method) return "equivalent";
  if (a.method === "") return "moreGeneral";
  if (b.method === "") return "moreSpecific";
  // GET patterns also answer HEAD
  if (a.method === "GET" && b.method === "HEAD") return "moreGeneral";
  if (a.method === "HEAD" && b.method === "GET") return "moreSpecific";
  return "disjoint";
}

function compareSegments(a: Segment, b: Segment): Relationship {
  if (a.multi || b.multi) return a.multi && b.multi ? "equivalent" : a.multi ? "moreGeneral" : "moreSpecific";
  if (a.wild && b.wild) return "equivalent";
  // a single-segment wildcard never matches the empty segment that `{$}` stands for
  if (a.wild) return b.s === "/" ? "disjoint" : "moreGeneral";
  if (b.wild) return a.s === "/" ? "disjoint" : "moreSpecific";
  return a.s === b.s ? "equivalent" : "disjoint";
}

export function comparePaths(a: Pattern, b: Pattern): Relationship {
  const sa = a.segments;
  const sb = b.segments;
  const n = Math.min(sa.length, sb.length);
  let rel: Relationship = "equivalent";
  for (let i = 0; i < n && rel !== "disjoint"; i++) rel = combine(rel, compareSegments(sa[i]!, sb[i]!));
  if (rel === "disjoint" || sa.length === sb.length) return rel;
  // the longer one can only share requests with the shorter when the shorter ends in `{...}`
  const shorter = sa.length < sb.length ? a : b;
  if (!lastIsMulti(shorter)) return "disjoint";
  return combine(rel, shorter === a ? "moreGeneral" : "moreSpecific");
}

export function compare(a: Pattern, b: Pattern): Relationship {
  const m = compareMethods(a, b);
  return m === "disjoint" ? m : combine(m, comparePaths(a, b));
}

/** True when both could answer one request and neither is more specific (registering both is an error). */
export function conflicts(a: Pattern, b: Pattern): boolean {
  // a host-bound pattern always beats a host-less one; two different hosts never meet
  if (a.host !== b.host) return false;
  const rel = compare(a, b);
  return rel === "equivalent" || rel === "overlaps";
}

/** The registration error for `a` (new) against `b` (registered), in Go's words. */
export function conflictError(a: Pattern, b: Pattern): PatternError {
  return new PatternError(
    `pattern ${goQuote(a.str)} (registered at ${a.loc}) conflicts with pattern ${goQuote(b.str)} (registered at ${b.loc}):\n${describeConflict(a, b)}`,
  );
}

function describeConflict(a: Pattern, b: Pattern): string {
  const m = compareMethods(a, b);
  const p = comparePaths(a, b);
  const rel = combine(m, p);
  if (rel === "equivalent") return `${a.str} matches the same requests as ${b.str}`;
  if (p === "overlaps") {
    return [
      `${a.str} and ${b.str} both match some paths, like ${goQuote(commonPath(a, b))}.`,
      "But neither is more specific than the other.",
      `${a.str} matches ${goQuote(examplePath(a, b))}, but ${b.str} doesn't.`,
      `${b.str} matches ${goQuote(examplePath(b, a))}, but ${a.str} doesn't.`,
    ].join("\n");
  }
  if (m === "moreGeneral" && p === "moreSpecific")
    return `${a.str} matches more methods than ${b.str}, but has a more specific path pattern`;
  return `${a.str} matches fewer methods than ${b.str}, but has a more general path pattern`;
}

function segText(s: Segment): string {
  if (s.multi) return "/";
  if (s.wild) return "/" + s.s;
  return s.s === "/" ? "/" : "/" + s.s;
}

/** A path both patterns match: literals win over wildcards position by position. */
function commonPath(a: Pattern, b: Pattern): string {
  const out: string[] = [];
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i];
    const y = b.segments[i];
    const pick = !x ? y! : !y ? x : !x.wild ? x : !y.wild ? y : x.multi ? y : x;
    out.push(segText(pick));
    if (pick.multi || (!pick.wild && pick.s === "/")) break;
  }
  return out.join("").replace(/\/\/$/, "/");
}

/** A path `a` matches and `b` does not, found among a few spellings of `a`'s paths. */
function examplePath(a: Pattern, b: Pattern): string {
  const variants: string[][] = a.segments.map((s) => {
    if (s.multi) return ["/", "/" + (s.s || "x"), "/" + (s.s || "x") + "/x"];
    if (s.wild) return ["/" + s.s, "/" + s.s + "x", "/x"];
    return [s.s === "/" ? "/" : "/" + s.s];
  });
  let found = "";
  const walk = (i: number, acc: string): boolean => {
    if (i === variants.length) {
      const path = acc.replace(/\/\/$/, "/") || "/";
      if (matchesPath(a, path) && !matchesPath(b, path)) {
        found = path;
        return true;
      }
      return false;
    }
    return variants[i]!.some((v) => walk(i + 1, acc + v));
  };
  walk(0, "");
  return found || commonPath(a, a);
}

/** Whether one pattern's path part matches a (cleaned, escaped) request path. */
export function matchesPath(p: Pattern, path: string): boolean {
  let pos = 0;
  for (const seg of p.segments) {
    if (seg.multi) return path[pos] === "/";
    if (pos >= path.length) return false;
    if (path === "/" || pos === path.length - 1) {
      // only a trailing slash is left
      if (seg.wild || seg.s !== "/") return false;
      pos = path.length;
      continue;
    }
    let end = path.indexOf("/", pos + 1);
    if (end < 0) end = path.length;
    const text = unescapePath(path.slice(pos + 1, end));
    if (!seg.wild && seg.s !== text) return false;
    pos = end;
  }
  return pos === path.length;
}
