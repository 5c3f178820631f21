import { expect, test } from "bun:test";
import { pick } from "./pick.ts";
import { tokenize } from "./tokenizer.ts";

test("picks nested paths and * as upstream", () => {
  const data = { id: "1", title: "t", expand: { author: { name: "n", email: "e" } }, other: [1] };
  expect(pick(data, "id,expand.author.name")).toEqual({ expand: { author: { name: "n" } }, id: "1" });
  expect(pick(data, "*,expand.author.email")).toEqual({
    expand: { author: { email: "e" } },
    id: "1",
    other: [1],
    title: "t",
  });
  expect(
    pick(
      [
        { a: 1, b: 2 },
        { a: 3, b: 4 },
      ],
      "a",
    ),
  ).toEqual([{ a: 1 }, { a: 3 }]);
});

test("a search result applies the paths to its items and comes out with sorted keys", () => {
  const result = { page: 1, perPage: 30, totalItems: 1, totalPages: 1, items: [{ id: "x", title: "y" }] };
  const out = pick(result, "id", true);
  expect(JSON.stringify(out)).toBe('{"items":[{"id":"x"}],"page":1,"perPage":30,"totalItems":1,"totalPages":1}');
});

test("excerpt strips html, collapses whitespace and cuts", () => {
  const html = "<p>Hello   <b>big</b> world</p><script>evil()</script><div>second&amp;block</div>";
  expect(pick({ d: html }, "d:excerpt(100)")).toEqual({ d: "Hello big world second&block" });
  expect(pick({ d: html }, "d:excerpt(5,true)")).toEqual({ d: "Hello..." });
  expect(pick({ d: 5 }, "d:excerpt(2)")).toEqual({ d: 5 });
  expect(() => pick({ d: "" }, "d:excerpt(0)")).toThrow();
  expect(() => pick({ d: "" }, "d:nope(1)")).toThrow();
});

test("tokenizer respects quotes and parentheses", () => {
  expect(tokenize("a, b:excerpt(1,2) ,c")).toEqual(["a", "b:excerpt(1,2)", "c"]);
  expect(() => tokenize("a(b")).toThrow();
});
