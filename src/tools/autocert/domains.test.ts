import { describe, expect, test } from "bun:test";
import { normalizeDomain } from "./domains.ts";

describe("normalizeDomain", () => {
  test("lower case, trailing dot dropped, IDN as punycode", () => {
    expect(normalizeDomain("Example.COM")).toEqual({ name: "example.com" });
    expect(normalizeDomain("example.com.")).toEqual({ name: "example.com" });
    expect(normalizeDomain("bücher.example")).toEqual({ name: "xn--bcher-kva.example" });
  });

  test("IPs, wildcards, paths and malformed names are refused with a reason", () => {
    for (const bad of [
      "127.0.0.1",
      "0.0.0.0",
      "::1",
      "[::1]",
      "",
      "*.example.com",
      "../etc",
      "a/b.com",
      "-x.com",
      "a..b",
    ])
      expect(normalizeDomain(bad).error).toBeString();
  });
});
