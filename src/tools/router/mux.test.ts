/**
 * ServeMux-style patterns: parsing, precedence, conflicts (Go's net/http pattern rules, as upstream's router uses
 * them).
 */
import { describe, expect, test } from "bun:test";
import { Mux } from "./mux.ts";
import { compare, parsePattern } from "./pattern.ts";

function mux(...patterns: string[]): Mux<string> {
  const m = new Mux<string>();
  for (const p of patterns) m.handle(p, p, "test");
  return m;
}

/** The pattern answering a request, `301 <to>` for a redirect, or null. */
function hit(m: Mux<string>, method: string, path: string, host = ""): string | null {
  const r = m.match(method, host, path);
  if (!r) return null;
  return "redirect" in r ? `301 ${r.redirect}` : r.value;
}

describe("parsing", () => {
  test("segments, {$}, trailing slash, methods and hosts", () => {
    expect(parsePattern("/").segments).toEqual([{ s: "", wild: true, multi: true }]);
    expect(parsePattern("/{$}").segments).toEqual([{ s: "/", wild: false, multi: false }]);
    expect(parsePattern("GET /static/").segments).toEqual([
      { s: "static", wild: false, multi: false },
      { s: "", wild: true, multi: true },
    ]);
    const p = parsePattern("POST  example.com/a/{id}/{rest...}");
    expect([p.method, p.host, p.segments.map((s) => s.s)]).toEqual(["POST", "example.com", ["a", "id", "rest"]]);
  });

  test("errors worded as Go's", () => {
    const err = (s: string) => {
      try {
        parsePattern(s);
      } catch (e) {
        return (e as Error).message;
      }
      return "no error";
    };
    expect(err("GET /a/{x")).toBe("parsing \"GET /a/{x\": at offset 7: bad wildcard segment (must end with '}')");
    expect(err("/{$}/a")).toBe('parsing "/{$}/a": at offset 1: {$} not at end');
    expect(err("/{p...}/a")).toBe('parsing "/{p...}/a": at offset 1: {...} wildcard not at end');
    expect(err("/{a}/{a}")).toBe('parsing "/{a}/{a}": at offset 5: duplicate wildcard name "a"');
    expect(err("/a{b}")).toBe("parsing \"/a{b}\": at offset 1: bad wildcard segment (must start with '{')");
    expect(err("/{}")).toBe('parsing "/{}": at offset 1: empty wildcard');
    expect(err("/{1x}")).toBe('parsing "/{1x}": at offset 1: bad wildcard name "1x"');
    expect(err("GET hello")).toBe('parsing "GET hello": at offset 4: host/path missing /');
    expect(err("GET /a//b")).toContain("non-CONNECT pattern with unclean path can never match");
  });
});

describe("precedence", () => {
  test("relationships", () => {
    const rel = (a: string, b: string) => compare(parsePattern(a), parsePattern(b));
    expect(rel("/a/", "/a/{x...}")).toBe("equivalent");
    expect(rel("GET /", "/")).toBe("moreSpecific");
    expect(rel("/a/{x}", "/a/b")).toBe("moreGeneral");
    expect(rel("/a/{x}", "/{y}/b")).toBe("overlaps");
    expect(rel("GET /x", "HEAD /x")).toBe("moreGeneral");
    expect(rel("GET /x", "POST /x")).toBe("disjoint");
    expect(rel("/{x}", "/{$}")).toBe("disjoint");
    expect(rel("GET /{p...}", "/api/x")).toBe("overlaps");
  });

  test("{$}, trailing slash and the root", () => {
    const m = mux("/", "GET /{$}", "GET /static/", "GET /static/{$}", "GET /files/{path...}");
    expect(hit(m, "GET", "/")).toBe("GET /{$}");
    expect(hit(m, "POST", "/")).toBe("/");
    expect(hit(m, "GET", "/other")).toBe("/");
    expect(hit(m, "GET", "/static/")).toBe("GET /static/{$}");
    expect(hit(m, "GET", "/static/a/b/c")).toBe("GET /static/");
    // only the trailing-slash form matches exactly: 301 there
    expect(hit(m, "GET", "/static")).toBe("301 /static/");
    expect(hit(m, "GET", "/files")).toBe("301 /files/");
    expect(m.match("GET", "", "/files/a/b%20c")).toMatchObject({ params: { path: "a/b c" } });
    expect(m.match("GET", "", "/files/")).toMatchObject({ params: { path: "" } });
  });

  test("literal beats {name} beats {name...}; method-specific beats method-less; HEAD uses GET", () => {
    const m = mux("/", "GET /a/{x}", "GET /a/b", "GET /a/{x}/{rest...}", "/m/{x}", "POST /m/{x}", "HEAD /h", "GET /h");
    expect(hit(m, "GET", "/a/b")).toBe("GET /a/b");
    expect(hit(m, "GET", "/a/c")).toBe("GET /a/{x}");
    expect(m.match("GET", "", "/a/c")).toMatchObject({ params: { x: "c" } });
    expect(hit(m, "GET", "/a/b/c/d")).toBe("GET /a/{x}/{rest...}");
    expect(m.match("GET", "", "/a/b/c/d")).toMatchObject({ params: { x: "b", rest: "c/d" } });
    expect(hit(m, "POST", "/m/1")).toBe("POST /m/{x}");
    expect(hit(m, "DELETE", "/m/1")).toBe("/m/{x}");
    expect(hit(m, "HEAD", "/a/b")).toBe("GET /a/b");
    expect(hit(m, "HEAD", "/h")).toBe("HEAD /h");
    expect(hit(m, "GET", "/h")).toBe("GET /h");
    // a {name} never matches an empty segment
    expect(hit(m, "GET", "/a/")).toBe("/");
  });

  test("backtracking out of a literal branch keeps wildcard values right", () => {
    const m = mux("GET /a/b/c", "GET /{x}/{y}/d");
    expect(m.match("GET", "", "/a/b/d")).toMatchObject({ value: "GET /{x}/{y}/d", params: { x: "a", y: "b" } });
  });

  test("host-bound patterns first", () => {
    const m = mux("GET /x", "GET example.com/x");
    expect(hit(m, "GET", "/x", "example.com")).toBe("GET example.com/x");
    expect(hit(m, "GET", "/x", "other.com")).toBe("GET /x");
  });
});

describe("conflicts", () => {
  const fails = (...ps: string[]) => {
    try {
      mux(...ps);
    } catch (e) {
      return (e as Error).message;
    }
    return "no error";
  };

  test("the same requests", () => {
    expect(fails("GET /x", "GET /x")).toBe(
      'pattern "GET /x" (registered at test) conflicts with pattern "GET /x" (registered at test):\nGET /x matches the same requests as GET /x',
    );
    expect(fails("GET /", "GET /{path...}")).toContain("GET /{path...} matches the same requests as GET /");
  });

  test("overlapping paths with neither more specific", () => {
    const msg = fails("/a/{x}", "/{y}/b");
    expect(msg).toStartWith(
      'pattern "/{y}/b" (registered at test) conflicts with pattern "/a/{x}" (registered at test):\n/{y}/b and /a/{x} both match some paths, like "/a/b".\nBut neither is more specific than the other.\n',
    );
    expect(msg).toContain('/{y}/b matches "/y/b", but /a/{x} doesn\'t.');
    expect(msg).toContain('/a/{x} matches "/a/x", but /{y}/b doesn\'t.');
  });

  test("methods against paths", () => {
    expect(fails("GET /{p...}", "/api/x")).toContain(
      "/api/x matches more methods than GET /{p...}, but has a more specific path pattern",
    );
    expect(fails("/api/x", "GET /{p...}")).toContain(
      "GET /{p...} matches fewer methods than /api/x, but has a more general path pattern",
    );
  });

  test("no conflict between distinct specificities", () => {
    expect(
      fails(
        "/",
        "GET /",
        "GET /{$}",
        "GET /a/",
        "GET /a/{$}",
        "POST /a/{x}",
        "GET /a/{x}",
        "HEAD /a/{x}",
        "GET example.com/",
      ),
    ).toBe("no error");
    // a method-less route below a GET catch-all is a conflict in Go too
    // (upstream's pb_public route is `GET /{path...}`)
    expect(fails("GET /{path...}", "/a/{x}")).toContain("conflicts with");
  });
});
