import { expect, test } from "bun:test";
import { findRateLimitRule } from "./rate_limit.ts";

const rule = (label: string, audience = "") => ({ label, audience, duration: 1, maxRequests: 1 });

test("findRateLimitRule: exact labels, audiences, prefix rules and label priority", () => {
  const rules = [
    rule("users:create"),
    rule("*:auth", "@guest"),
    rule("/api/x", "@guest"),
    rule("PATCH /api/x"),
    rule("/api/x/", "@auth"),
    rule("PATCH /api/x/"),
  ];
  const find = (labels: string[], audiences: string[] = []) => findRateLimitRule(rules, labels, audiences)?.label ?? "";
  expect(find([])).toBe("");
  expect(find(["nope"])).toBe("");
  expect(find(["users:create"])).toBe("users:create");
  expect(find(["users:create"], ["@guest"])).toBe(""); // audience "" is not in the allowed list
  expect(find(["users:create"], ["", "@guest"])).toBe("users:create");
  expect(find(["*:auth"], ["", "@guest"])).toBe("*:auth");
  expect(find(["*:auth"], ["", "@auth"])).toBe("");
  expect(find(["/api"])).toBe("");
  expect(find(["/api/x"])).toBe("/api/x");
  expect(find(["/api/x"], ["@auth"])).toBe("/api/x/"); // "/api/x" + "/" starts with the prefix rule
  expect(find(["/api/x"], ["@guest"])).toBe("/api/x");
  expect(find(["GET /api/x"])).toBe("");
  expect(find(["PATCH /api/x"])).toBe("PATCH /api/x");
  expect(find(["/api/x/y/z"])).toBe("/api/x/");
  expect(find(["/api/x/y/z"], ["@guest"])).toBe("");
  expect(find(["PATCH /api/x/y"])).toBe("PATCH /api/x/");
  expect(find(["/api/x", "users:create"])).toBe("/api/x"); // earlier labels win
  expect(find(["users:list", "*:auth", "/api/x/y"], ["", "@guest"])).toBe("*:auth");
});

test("findRateLimitRule: the default rules", () => {
  const defaults = [rule("*:auth"), rule("*:create"), rule("/api/batch"), rule("/api/")];
  const find = (labels: string[]) => findRateLimitRule(defaults, labels, ["", "@guest"])?.label ?? "";
  expect(
    find([
      "users:authWithPassword",
      "users:auth",
      "*:authWithPassword",
      "*:auth",
      "POST /api/collections/users/auth-with-password",
      "/api/collections/users/auth-with-password",
    ]),
  ).toBe("*:auth");
  expect(find(["POST /api/batch", "/api/batch"])).toBe("/api/batch");
  expect(find(["GET /api/health", "/api/health"])).toBe("/api/");
  expect(find(["GET /", "/"])).toBe("");
});
