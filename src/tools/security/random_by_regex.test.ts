import { expect, test } from "bun:test";
import { randomStringByRegex } from "./random_by_regex.ts";

test("generated strings match their pattern", () => {
  for (const p of ["[a-z0-9]{15}", "[a-zA-Z0-9]{50}", "^abc-\\d{3}$", "(foo|bar)_[A-F]{2,4}", "x?y+z*", "[^a-z]{5}", "\\w{8}\\.txt"]) {
    for (let i = 0; i < 20; i++) expect(randomStringByRegex(p)).toMatch(new RegExp(`^(?:${p.replace(/^\^|\$$/g, "")})$`));
  }
  expect(randomStringByRegex("[a-z0-9]{15}")).toHaveLength(15);
});

test("bad patterns throw", () => {
  for (const p of ["[a-z", "(ab", "*a", "\\q", "a{5,2}"]) expect(() => randomStringByRegex(p)).toThrow();
});
