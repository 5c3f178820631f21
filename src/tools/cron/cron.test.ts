import { describe, expect, test } from "bun:test";
import { Cron, Schedule, momentOf } from "./index.ts";

const sorted = (s: ReadonlySet<number>) => [...s].sort((a, b) => a - b);

describe("Schedule.parse", () => {
  test("wildcards cover each field's range", () => {
    const s = Schedule.parse("* * * * *");
    expect(sorted(s.minutes)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(sorted(s.hours)).toHaveLength(24);
    expect(sorted(s.days)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(sorted(s.months)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(sorted(s.daysOfWeek)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  test("steps, ranges and lists (upstream's cases)", () => {
    const s = Schedule.parse("*/2 */3 */5 */4 */2");
    expect(sorted(s.hours)).toEqual([0, 3, 6, 9, 12, 15, 18, 21]);
    expect(sorted(s.days)).toEqual([1, 6, 11, 16, 21, 26, 31]);
    expect(sorted(s.months)).toEqual([1, 5, 9]);
    expect(sorted(s.daysOfWeek)).toEqual([0, 2, 4, 6]);
    const l = Schedule.parse("1,2,5,7,40-50/2 0,3,7 1-5 1,3 0-3/2");
    expect(sorted(l.minutes)).toEqual([1, 2, 5, 7, 40, 42, 44, 46, 48, 50]);
    expect(sorted(l.hours)).toEqual([0, 3, 7]);
    expect(sorted(l.days)).toEqual([1, 2, 3, 4, 5]);
    expect(sorted(l.daysOfWeek)).toEqual([0, 2]);
  });

  test("macros expand, and the expanded text is the expression", () => {
    expect(Schedule.parse("@daily").expression).toBe("0 0 * * *");
    expect(Schedule.parse("@midnight").expression).toBe("0 0 * * *");
    expect(Schedule.parse("@hourly").expression).toBe("0 * * * *");
    expect(Schedule.parse("@weekly").expression).toBe("0 0 * * 0");
    expect(Schedule.parse("@monthly").expression).toBe("0 0 1 * *");
    expect(Schedule.parse("@yearly").expression).toBe("0 0 1 1 *");
    expect(Schedule.parse("@annually").expression).toBe("0 0 1 1 *");
    expect(Schedule.parse("0 */6 * * *").expression).toBe("0 */6 * * *");
  });

  test.each([
    ["invalid", "must be a valid macro or to have exactly 5 space separated segments"],
    ["* * * *", "exactly 5"],
    ["* * * * * *", "exactly 5"],
    ["*  * * * *", "exactly 5"], // a double space makes an extra (empty) segment
    ["* * * * ,", 'strconv.Atoi: parsing "": invalid syntax'],
    ["2/3 * * * *", "step > 1 could be used only with the wildcard or range format"],
    ["*/0 * * * *", "the step must be between 1 and the 59"],
    ["*/60 * * * *", "the step must be between 1 and the 59"],
    ["60 * * * *", "must be between the min and max of the segment"],
    ["* 24 * * *", "must be between the min and max"],
    ["* * 0 * *", "must be between the min and max"],
    ["* * * 13 *", "must be between the min and max"],
    ["* * * * 7", "must be between the min and max"],
    ["5-3 * * * *", "invalid segment range maximum - must be between 5 and 59"],
    ["1-2-3 * * * *", "the range must have 1 or 2 parts"],
    ["*/2/3 * * * *", "must be in the format */n or 1-30/n"],
    ["a * * * *", 'strconv.Atoi: parsing "a": invalid syntax'],
    ["@every 5m", "exactly 5"],
  ])("rejects %p", (expr, message) => {
    expect(() => Schedule.parse(expr)).toThrow(message);
  });

  test("isDue matches every field (UTC)", () => {
    const s = Schedule.parse("30 14 * * 1-5");
    expect(s.isDue(momentOf(new Date("2024-01-08T14:30:00Z")))).toBe(true); // Monday
    expect(s.isDue(momentOf(new Date("2024-01-07T14:30:00Z")))).toBe(false); // Sunday
    expect(s.isDue(momentOf(new Date("2024-01-08T14:31:00Z")))).toBe(false);
    // day of month and day of week must both match (no Vixie OR)
    const both = Schedule.parse("0 0 1 * 1");
    expect(both.isDue(momentOf(new Date("2024-01-01T00:00:00Z")))).toBe(true); // Jan 1 2024 is a Monday
    expect(both.isDue(momentOf(new Date("2024-02-01T00:00:00Z")))).toBe(false); // a Thursday
  });
});

describe("Cron", () => {
  test("add replaces by id and moves the job last; remove and removeAll", () => {
    const c = new Cron();
    c.add("a", "* * * * *", () => {});
    c.add("b", "@daily", () => {});
    c.add("a", "0 * * * *", () => {});
    expect(c.jobs().map((j) => j.toJSON())).toEqual([
      { id: "b", expression: "0 0 * * *" },
      { id: "a", expression: "0 * * * *" },
    ]);
    expect(JSON.stringify(c.jobs())).toBe('[{"id":"b","expression":"0 0 * * *"},{"id":"a","expression":"0 * * * *"}]');
    expect(() => c.add("x", "bad", () => {})).toThrow("failed to add new cron job: invalid cron expression");
    c.remove("b");
    expect(c.total).toBe(1);
    c.removeAll();
    expect(c.total).toBe(0);
  });

  test("runDue starts only the due jobs and reports failures", async () => {
    const ran: string[] = [];
    const errors: string[] = [];
    const c = new Cron({ onError: (job, err) => errors.push(`${job.id}: ${(err as Error).message}`) });
    c.add("every", "* * * * *", () => void ran.push("every"));
    c.add("noon", "0 12 * * *", () => void ran.push("noon"));
    c.add("boom", "* * * * *", async () => {
      throw new Error("kaput");
    });
    c.runDue(new Date("2024-03-03T11:00:00Z"));
    await Bun.sleep(5);
    expect(ran).toEqual(["every"]);
    expect(errors).toEqual(["boom: kaput"]);
    c.runDue(new Date("2024-03-03T12:00:00Z"));
    await Bun.sleep(5);
    expect(ran.sort()).toEqual(["every", "every", "noon"]);
  });

  test("start ticks on interval boundaries; stop ends it", async () => {
    let runs = 0;
    const c = new Cron({ interval: 20 });
    c.add("tick", "* * * * *", () => void runs++);
    c.start();
    expect(c.hasStarted).toBe(true);
    await Bun.sleep(110);
    c.stop();
    expect(c.hasStarted).toBe(false);
    const seen = runs;
    expect(seen).toBeGreaterThanOrEqual(3);
    await Bun.sleep(50);
    expect(runs).toBe(seen);
  });

  test("shouldRunDue false skips a tick's jobs (beforeTick still runs); a manual fire still runs", async () => {
    let runs = 0;
    let ticks = 0;
    let lead = false;
    const c = new Cron({ interval: 20, beforeTick: () => void ticks++, shouldRunDue: () => lead });
    c.add("tick", "* * * * *", () => void runs++);
    c.start();
    await Bun.sleep(90);
    expect(ticks).toBeGreaterThanOrEqual(2);
    expect(runs).toBe(0);
    c.fire(c.job("tick")!);
    await Bun.sleep(1);
    expect(runs).toBe(1);
    lead = true;
    await Bun.sleep(90);
    c.stop();
    expect(runs).toBeGreaterThanOrEqual(3);
  });
});
