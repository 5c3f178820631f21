import { expect, test } from "bun:test";
import { goEncode, goMarshal, sortKeys } from "./json.ts";

test("escapes <, >, & and line separators as Go does", () => {
  expect(goMarshal({ logo: "<svg a='1'>&</svg>", sep: "a\u2028b\u2029" })).toBe(
    '{"logo":"\\u003csvg a=\'1\'\\u003e\\u0026\\u003c/svg\\u003e","sep":"a\\u2028b\\u2029"}',
  );
});

test("numbers as Go writes float64", () => {
  expect(goMarshal([30, 2.5, 1e-7, 1e21, -3e-9, 123456789012])).toBe("[30,2.5,1e-07,1e+21,-3e-09,123456789012]");
  // a string that looks like an exponent stays untouched
  expect(goMarshal({ s: "1e-7", n: 1e-7 })).toBe('{"s":"1e-7","n":1e-07}');
});

test("encoder adds the trailing newline; sortKeys orders a map byte-wise", () => {
  expect(goEncode({})).toBe("{}\n");
  expect(Object.keys(sortKeys({ b: 1, a: 2, B: 3, _x: 4 }))).toEqual(["B", "_x", "a", "b"]);
});
