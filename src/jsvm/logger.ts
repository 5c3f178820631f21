/**
 * `$app.logger()`: slog-style logging from scripts (`info(msg, key, value, …)`, `with`,
 * `withGroup`). Entries go to the app's log sink when one is registered (the logs store), and to
 * the console in dev mode, and for warnings and errors, always.
 */
import type { App } from "../core/app.ts";

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

/** Where script log entries go besides the console (set by the app's logs module). */
export type LogSink = (app: App, level: LogLevel, message: string, data: { [k: string]: unknown }) => void;

let sink: LogSink | null = null;

/** Routes script log entries into the app's logs (e.g. the `_logs` table). */
export function setScriptLogSink(s: LogSink | null): void {
  sink = s;
}

export class JsLogger {
  constructor(
    readonly app: App,
    private readonly attrs: { [k: string]: unknown } = {},
    private readonly group = "",
  ) {}

  log(level: LogLevel, message: string, kv: unknown[]): void {
    const data = { ...this.attrs, ...pairs(kv, this.group) };
    try {
      sink?.(this.app, level, message, data);
    } catch {}
    if (this.app.isDev || level === "WARN" || level === "ERROR") {
      const extra = Object.keys(data).length ? " " + JSON.stringify(data) : "";
      (level === "ERROR" || level === "WARN" ? console.error : console.log)(`${level} ${message}${extra}`);
    }
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
