/**
 * A crontab-like scheduler (upstream's tools/cron): jobs by id, each with a cron expression, checked
 * once per tick (every minute, aligned to the minute, in UTC). Due jobs run concurrently and never
 * delay the tick; a failing job only reports its error.
 *
 * @example
 * const c = new Cron();
 * c.add("dailyReport", "0 0 * * *", async () => { ... });
 * c.start();
 */
import { Schedule, momentOf } from "./schedule.ts";

/** What a job runs; a returned promise is awaited only to report its failure. */
export type JobFunc = () => void | Promise<void>;

/** One registered job. Its JSON is upstream's `{"id","expression"}`. */
export class Job {
  constructor(
    readonly id: string,
    readonly schedule: Schedule,
    private readonly fn: JobFunc,
  ) {}

  /** The expression, macros expanded (`@daily` → `0 0 * * *`), as upstream lists it. */
  get expression(): string {
    return this.schedule.expression;
  }

  /** Runs the job now; resolves when it finishes, rejects with its error. */
  async run(): Promise<void> {
    await this.fn();
  }

  toJSON(): { id: string; expression: string } {
    return { id: this.id, expression: this.expression };
  }
}

export interface CronOptions {
  /** Milliseconds between ticks (default one minute); ticks are aligned to multiples of it. */
  interval?: number;
  /** Called with a job's failure (default: printed to stderr). */
  onError?: (job: Job, err: unknown) => void;
  /** Called on every tick before the due jobs are picked (e.g. to sync jobs from settings). */
  beforeTick?: (date: Date) => void;
  /** Asked at every tick; false skips the due jobs (another process runs them). Default: always. */
  shouldRunDue?: () => boolean;
}

export class Cron {
  private list: Job[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private interval: number;
  private readonly onError: (job: Job, err: unknown) => void;
  private readonly beforeTick: ((date: Date) => void) | undefined;
  private readonly shouldRunDue: () => boolean;

  constructor(opts: CronOptions = {}) {
    this.interval = opts.interval ?? 60_000;
    this.beforeTick = opts.beforeTick;
    this.shouldRunDue = opts.shouldRunDue ?? (() => true);
    this.onError =
      opts.onError ??
      ((job, err) => console.error(`cron job "${job.id}" failed:`, err instanceof Error ? err.message : err));
  }

  /**
   * Registers a job, replacing any job with the same id (the new one goes last, as upstream).
   * Throws when the expression is invalid.
   */
  add(id: string, expr: string, fn: JobFunc): Job {
    if (typeof fn !== "function") throw new Error("failed to add new cron job: fn must be non-nil function");
    let schedule: Schedule;
    try {
      schedule = Schedule.parse(expr);
    } catch (err) {
      throw new Error(`failed to add new cron job: ${(err as Error).message}`);
    }
    const job = new Job(id, schedule, fn);
    this.list = this.list.filter((j) => j.id !== id);
    this.list.push(job);
    return job;
  }

  /** Removes the job with `id` (if any). */
  remove(id: string): void {
    this.list = this.list.filter((j) => j.id !== id);
  }

  removeAll(): void {
    this.list = [];
  }

  /** The number of registered jobs. */
  get total(): number {
    return this.list.length;
  }

  /** A copy of the registered jobs, in registration order. */
  jobs(): Job[] {
    return [...this.list];
  }

  /** The job with `id`, or null. */
  job(id: string): Job | null {
    return this.list.find((j) => j.id === id) ?? null;
  }

  /** Changes the tick interval (restarting the ticker if it runs). */
  setInterval(ms: number): void {
    this.interval = ms;
    if (this.timer) this.start();
  }

  /** Starts (or restarts) ticking at the next multiple of the interval. The timer never keeps the process alive. */
  start(): void {
    this.stop();
    const schedule = () => {
      const now = Date.now();
      const next = Math.floor(now / this.interval) * this.interval + this.interval;
      this.timer = setTimeout(() => {
        // the timer can fire a hair early: count the tick as the boundary it was meant for
        const at = new Date(Math.max(Date.now(), next));
        try {
          this.beforeTick?.(at);
        } catch (err) {
          console.error("cron: beforeTick failed:", err);
        }
        if (this.shouldRunDue()) this.runDue(at);
        if (this.timer) schedule();
      }, next - now);
      (this.timer as { unref?: () => void }).unref?.();
    };
    schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  get hasStarted(): boolean {
    return this.timer !== null;
  }

  /** Starts every job due at `date` (without waiting for them). */
  runDue(date: Date): void {
    const moment = momentOf(date);
    for (const job of this.list) {
      if (job.schedule.isDue(moment)) this.fire(job);
    }
  }

  /** Runs a job in the background, reporting its failure. */
  fire(job: Job): void {
    queueMicrotask(() => {
      job.run().catch((err) => this.onError(job, err));
    });
  }
}
