/** A crontab-like scheduler and upstream's cron expression syntax. */
export { Cron, Job, type CronOptions, type JobFunc } from "./cron.ts";
export { Schedule, momentOf, type Moment } from "./schedule.ts";
