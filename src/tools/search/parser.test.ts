import { describe, expect, test } from "bun:test";
import { FilterError } from "./errors.ts";
import { MAX_GROUP_DEPTH, parseFilter, type Expr, type ExprGroup } from "./parser.ts";

const expr = (g: ExprGroup) => g.item as Expr;

describe("parseFilter", () => {
  test("one comparison", () => {
    expect(parseFilter("id = 123")).toEqual([
      {
        join: "&&",
        item: { left: { type: "identifier", literal: "id" }, op: "=", right: { type: "number", literal: "123" } },
      },
    ]);
  });

  test("every operator, with and without spaces", () => {
    for (const op of ["=", "!=", "~", "!~", "<", "<=", ">", ">=", "?=", "?!=", "?~", "?!~", "?<", "?<=", "?>", "?>="]) {
      expect(expr(parseFilter(`a ${op} 'x'`)[0]!).op).toBe(op as Expr["op"]);
      expect(expr(parseFilter(`a${op}'x'`)[0]!).op).toBe(op as Expr["op"]);
    }
  });

  test("joins are recorded on the item they precede; groups nest", () => {
    const g = parseFilter("a = 1 || (b = 2 && c = 3) && d = 4");
    expect(g.map((x) => x.join)).toEqual(["&&", "||", "&&"]);
    const inner = g[1]!.item as ExprGroup[];
    expect(inner.map((x) => [x.join, expr(x).left.literal])).toEqual([
      ["&&", "b"],
      ["&&", "c"],
    ]);
  });

  test("redundant parentheses become nested single-item lists", () => {
    const g = parseFilter("((a = 1))");
    expect(Array.isArray(g[0]!.item)).toBe(true);
    expect(Array.isArray((g[0]!.item as ExprGroup[])[0]!.item)).toBe(true);
  });

  test("texts: both quotes, escaped quotes, backslash escapes; other backslashes kept", () => {
    const right = (f: string) => expr(parseFilter(f)[0]!).right;
    expect(right(`a = 'it\\'s'`)).toEqual({ type: "text", literal: "it's" });
    expect(right(`a = "say \\"hi\\""`)).toEqual({ type: "text", literal: 'say "hi"' });
    expect(right(`a = 'x"y'`)).toEqual({ type: "text", literal: 'x"y' });
    expect(right(`a = "back\\\\slash"`)).toEqual({ type: "text", literal: "back\\slash" });
    expect(right(`a = "line\\nbreak\\t\\u00e9"`)).toEqual({ type: "text", literal: "line\nbreak\té" });
    expect(right(`a ~ '50\\%'`)).toEqual({ type: "text", literal: "50\\%" });
    expect(right(`a = ''`)).toEqual({ type: "text", literal: "" });
    expect(right("a = 'multi\nline ünïcødé 🎉'")).toEqual({ type: "text", literal: "multi\nline ünïcødé 🎉" });
  });

  test("numbers", () => {
    const right = (f: string) => expr(parseFilter(f)[0]!).right;
    expect(right("a > -1.5")).toEqual({ type: "number", literal: "-1.5" });
    expect(right("a > 0")).toEqual({ type: "number", literal: "0" });
    expect(right("a > " + "9".repeat(400))).toEqual({ type: "number", literal: "9".repeat(400) });
    for (const bad of ["a > 1.", "a > .5", "a > -", "a > 1.2.3", "a > --1"]) {
      expect(() => parseFilter(bad)).toThrow(FilterError);
    }
  });

  test("identifiers: paths, modifiers, @ and # prefixes", () => {
    const left = (f: string) => expr(parseFilter(f)[0]!).left;
    expect(left("@request.auth.id != ''")).toEqual({ type: "identifier", literal: "@request.auth.id" });
    expect(left("tags:each ?= 'a'")).toEqual({ type: "identifier", literal: "tags:each" });
    expect(left("@collection.posts:p.title = 1")).toEqual({ type: "identifier", literal: "@collection.posts:p.title" });
    expect(left("_x = 1")).toEqual({ type: "identifier", literal: "_x" });
    for (const bad of ["a. = 1", "a: = 1", "@ = 1", "_ = 1", "# = 1", "é = 1", "a-b = 1"]) {
      expect(() => parseFilter(bad)).toThrow(FilterError);
    }
  });

  test("function calls: args, trailing comma, nesting limit", () => {
    const left = expr(parseFilter("geoDistance(lon, lat, 1.5, -2,) < 10")[0]!).left;
    expect(left).toEqual({
      type: "function",
      literal: "geoDistance",
      args: [
        { type: "identifier", literal: "lon" },
        { type: "identifier", literal: "lat" },
        { type: "number", literal: "1.5" },
        { type: "number", literal: "-2" },
      ],
    });
    expect(expr(parseFilter("f() = 1")[0]!).left).toEqual({ type: "function", literal: "f", args: [] });
    expect(() => parseFilter("a(b(c(1))) = 1")).not.toThrow();
    expect(() => parseFilter("a(b(c(d(1)))) = 1")).toThrow(FilterError);
    expect(() => parseFilter("f(1 2) = 1")).toThrow(FilterError);
    expect(() => parseFilter("f(1 = 1")).toThrow(FilterError);
  });

  test("comments and whitespace", () => {
    const g = parseFilter("// leading\n a = 1 // trailing\n\t&& b = 2\r\n// end");
    expect(g).toHaveLength(2);
    expect(() => parseFilter("// only a comment")).toThrow("empty filter expression");
  });

  test("syntax errors", () => {
    for (const bad of [
      "",
      "   ",
      "a",
      "a =",
      "= 1",
      "a b",
      "a = 1 b = 2",
      "a = 1 &&",
      "&& a = 1",
      "a = 1 & b = 2",
      "a = 1 | b = 2",
      "()",
      "(a = 1",
      "a = 1)",
      "(a = 1))",
      "a == 1",
      "a =! 1",
      "a = (1)",
      "a = 'unterminated",
      "a = 1 ; DROP TABLE x",
      "a = 1 /",
    ]) {
      expect(() => parseFilter(bad), bad).toThrow(FilterError);
    }
  });

  test("deep nesting is parsed up to the limit, then refused cleanly", () => {
    const ok = "(".repeat(MAX_GROUP_DEPTH - 1) + "a = 1" + ")".repeat(MAX_GROUP_DEPTH - 1);
    expect(parseFilter(ok)).toHaveLength(1);
    const tooDeep = "(".repeat(MAX_GROUP_DEPTH + 5) + "a = 1" + ")".repeat(MAX_GROUP_DEPTH + 5);
    expect(() => parseFilter(tooDeep)).toThrow(FilterError);
  });
});
