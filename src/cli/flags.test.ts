import { expect, test } from "bun:test";
import { FlagError, parseFlags, type FlagSpec } from "./flags.ts";

const specs: FlagSpec[] = [
  { name: "dir", type: "string", default: "", usage: "" },
  { name: "dev", type: "bool", default: false, usage: "" },
  { name: "hooksWatch", type: "bool", default: true, usage: "" },
  { name: "queryTimeout", type: "int", default: 30, usage: "" },
  { name: "origins", type: "strings", default: ["*"], usage: "" },
  { name: "help", short: "h", type: "bool", default: false, usage: "" },
];

test("parses pflag forms", () => {
  const p = parseFlags(
    [
      "--dir",
      "x",
      "--dev",
      "--hooksWatch=false",
      "--queryTimeout=5",
      "--origins=a,b",
      "--origins",
      "c",
      "arg",
      "--",
      "--dir",
    ],
    specs,
  );
  expect(p.flags).toMatchObject({ dir: "x", dev: true, hooksWatch: false, queryTimeout: 5, origins: ["a", "b", "c"] });
  expect(p.args).toEqual(["arg", "--dir"]);
  expect(parseFlags(["-h"], specs).flags.help).toBe(true);
});

test("rejects unknown flags and bad values with pflag's wording", () => {
  expect(() => parseFlags(["--nope"], specs)).toThrow(new FlagError("unknown flag: --nope"));
  expect(() => parseFlags(["--queryTimeout=x"], specs)).toThrow(/invalid argument "x" for "--queryTimeout"/);
  expect(() => parseFlags(["--dev=maybe"], specs)).toThrow(/invalid argument "maybe"/);
  expect(() => parseFlags(["--dir"], specs)).toThrow("flag needs an argument: --dir");
});
