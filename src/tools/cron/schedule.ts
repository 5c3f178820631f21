/**
 * Cron expressions as upstream's tools/cron parses them: five space-separated fields (minute, hour,
 * day of month, month, day of week) with `*`, `a-b`, `*\/n`, `a-b/n` and `,` lists, or a macro
 * (`@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`).
 * Error messages are upstream's, since settings validation shows them to clients.
 */

/** One minute of wall-clock time, in the scheduler's timezone (UTC). */
export interface Moment {
  minute: number;
  hour: number;
  day: number;
  month: number;
  /** 0 = Sunday. */
  dayOfWeek: number;
}

/** The UTC moment of a date. */
export function momentOf(d: Date): Moment {
  return {
    minute: d.getUTCMinutes(),
    hour: d.getUTCHours(),
    day: d.getUTCDate(),
    month: d.getUTCMonth() + 1,
    dayOfWeek: d.getUTCDay(),
  };
}

const MACROS: { readonly [name: string]: string } = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** A parsed expression: the allowed values of each field. */
export class Schedule {
  private constructor(
    readonly minutes: ReadonlySet<number>,
    readonly hours: ReadonlySet<number>,
    readonly days: ReadonlySet<number>,
    readonly months: ReadonlySet<number>,
    readonly daysOfWeek: ReadonlySet<number>,
    /** The expression with any macro expanded (what upstream reports as a job's expression). */
    readonly expression: string,
  ) {}

  /** Parses an expression; throws an Error with upstream's message when it is invalid. */
  static parse(expr: string): Schedule {
    const expanded = MACROS[expr] ?? expr;
    const segments = expanded.split(" ");
    if (segments.length !== 5) {
      throw new Error("invalid cron expression - must be a valid macro or to have exactly 5 space separated segments");
    }
    return new Schedule(
      parseSegment(segments[0]!, 0, 59),
      parseSegment(segments[1]!, 0, 23),
      parseSegment(segments[2]!, 1, 31),
      parseSegment(segments[3]!, 1, 12),
      parseSegment(segments[4]!, 0, 6),
      expanded,
    );
  }

  /** True when the job is due at `m` (every field must match, as upstream; no Vixie day OR-ing). */
  isDue(m: Moment): boolean {
    return (
      this.minutes.has(m.minute) &&
      this.hours.has(m.hour) &&
      this.days.has(m.day) &&
      this.daysOfWeek.has(m.dayOfWeek) &&
      this.months.has(m.month)
    );
  }
}

/** Go's strconv.Atoi, with its error text. */
function atoi(s: string): number {
  if (/^[+-]?\d+$/.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n)) return n;
    throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`);
  }
  throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
}

function parseSegment(segment: string, min: number, max: number): Set<number> {
  const slots = new Set<number>();
  for (const part of segment.split(",")) {
    const stepParts = part.split("/");
    let step: number;
    if (stepParts.length === 1) step = 1;
    else if (stepParts.length === 2) {
      step = atoi(stepParts[1]!);
      if (step < 1 || step > max) {
        throw new Error(`invalid segment step boundary - the step must be between 1 and the ${max}`);
      }
    } else {
      throw new Error("invalid segment step format - must be in the format */n or 1-30/n");
    }

    let from: number;
    let to: number;
    if (stepParts[0] === "*") {
      from = min;
      to = max;
    } else {
      const rangeParts = stepParts[0]!.split("-");
      if (rangeParts.length === 1) {
        if (step !== 1)
          throw new Error("invalid segment step - step > 1 could be used only with the wildcard or range format");
        from = atoi(rangeParts[0]!);
        if (from < min || from > max)
          throw new Error("invalid segment value - must be between the min and max of the segment");
        to = from;
      } else if (rangeParts.length === 2) {
        from = atoi(rangeParts[0]!);
        if (from < min || from > max)
          throw new Error(`invalid segment range minimum - must be between ${min} and ${max}`);
        to = atoi(rangeParts[1]!);
        if (to < from || to > max)
          throw new Error(`invalid segment range maximum - must be between ${from} and ${max}`);
      } else {
        throw new Error("invalid segment range format - the range must have 1 or 2 parts");
      }
    }
    for (let i = from; i <= to; i += step) slots.add(i);
  }
  return slots;
}
