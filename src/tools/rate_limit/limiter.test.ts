import { expect, test } from "bun:test";
import { RateLimiter } from "./limiter.ts";

test("fixed window: maxRequests per key per window, reset once the window is over", () => {
  let now = 1000;
  const rl = new RateLimiter(2, 3, 1800, () => now);
  expect([rl.isAllowed("a"), rl.isAllowed("a"), rl.isAllowed("a")]).toEqual([true, true, false]);
  expect(rl.isAllowed("b")).toBe(true); // per key
  now += 2;
  expect(rl.isAllowed("a")).toBe(false); // same window
  now += 1;
  expect([rl.isAllowed("a"), rl.isAllowed("a"), rl.isAllowed("a")]).toEqual([true, true, false]);
});

test("cleanup forgets clients idle for longer than forgetAfter", () => {
  let now = 0;
  const rl = new RateLimiter(1, 10, 100, () => now);
  rl.isAllowed("a");
  now = 50;
  rl.isAllowed("b");
  now = 115;
  rl.cleanup();
  expect(rl.size).toBe(1);
});
