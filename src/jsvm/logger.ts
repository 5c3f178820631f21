/**
 * `$app.logger()`: slog-style logging from scripts (`info(msg, key, value, …)`, `with`,
 * `withGroup`), written to the app's logs (`_logs`, printed to the console in dev mode).
 */
import type { App } from "../core/app.ts";
import { appLogger, LOG_LEVEL } from "../core/logs.ts";

export type LogLevel = keyof typeof LOG_LEVEL;

export class JsLogger {
  constructor(
    readonly app: App,
    private readonly attrs: { [k: string]: unknown } = {},
    private readonly group = "",
  ) {}

  log(level: LogLevel, message: string, kv: unknown[]): void {
    appLogger(this.app).log(LOG_LEVEL[level], message, { ...this.attrs, ...pairs(kv, this.group) });
  }

  with(kv: unknown[]): JsLogger {
    return new JsLogger(this.app, { ...this.attrs, ...pairs(kv, this.group) }, this.group);
  }

  withGroup(name: string): JsLogger {
    return new JsLogger(this.app, this.attrs, this.group ? `${this.group}.${name}` : name);
  }
}

/** slog's alternating key/value arguments ("!BADKEY" for a value without a key). */
function pairs(kv: unknown[], group: string): { [k: string]: unknown } {
  const out: { [k: string]: unknown } = {};
  for (let i = 0; i < kv.length; i += 2) {
    const key = typeof kv[i] === "string" && i + 1 < kv.length ? (kv[i] as string) : "!BADKEY";
    const value = key === "!BADKEY" ? kv[i] : kv[i + 1];
    if (key === "!BADKEY") i--;
    out[group ? `${group}.${key}` : key] = value;
  }
  return out;
}
