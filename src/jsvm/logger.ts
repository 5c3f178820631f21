/**
 * `$app.logger()` (upstream: slog.Logger over core's batch log handler): slog-style logging from
 * scripts (`info(msg, key, value, …)`, `with`, `withGroup`), written to the app's logs (`_logs`,
 * printed to the console in dev mode). As in slog, attributes added after `withGroup("g")` are
 * nested under `{"g": {…}}`, and a group that ends up without attributes is left out.
 */
import type { App } from "../core/app.ts";
import { appLogger, LOG_LEVEL } from "../core/logs.ts";

export type LogLevel = keyof typeof LOG_LEVEL;

type Attrs = { [k: string]: unknown };

export class JsLogger {
  constructor(
    readonly app: App,
    private readonly attrs: Attrs = {},
    private readonly groups: string[] = [],
  ) {}

  log(level: LogLevel, message: string, kv: unknown[]): void {
    const data = clone(this.attrs);
    addPairs(data, this.groups, kv);
    appLogger(this.app).log(LOG_LEVEL[level], message, data);
  }

  with(kv: unknown[]): JsLogger {
    const attrs = clone(this.attrs);
    addPairs(attrs, this.groups, kv);
    return new JsLogger(this.app, attrs, this.groups);
  }

  withGroup(name: string): JsLogger {
    // slog: an empty group name is ignored
    return name ? new JsLogger(this.app, this.attrs, [...this.groups, name]) : this;
  }
}

/** Deep copy of the nested group objects (values themselves are shared). */
function clone(a: Attrs, top = true): Attrs {
  const out: Attrs = top ? {} : newGroup();
  for (const [k, v] of Object.entries(a)) out[k] = isGroup(v) ? clone(v, false) : v;
  return out;
}

const GROUP = Symbol("group");

function newGroup(): Attrs {
  return Object.defineProperty({}, GROUP, { value: true, enumerable: false }) as Attrs;
}

function isGroup(v: unknown): v is Attrs {
  return !!v && typeof v === "object" && (v as { [GROUP]?: true })[GROUP] === true;
}

/** slog's alternating key/value arguments ("!BADKEY" for a value without a key), nested under `groups`. */
function addPairs(into: Attrs, groups: string[], kv: unknown[]): void {
  if (kv.length === 0) return;
  let target = into;
  for (const g of groups) {
    let next = target[g];
    if (!isGroup(next)) {
      next = newGroup();
      target[g] = next;
    }
    target = next as Attrs;
  }
  for (let i = 0; i < kv.length; i += 2) {
    const key = typeof kv[i] === "string" && i + 1 < kv.length ? (kv[i] as string) : "!BADKEY";
    const value = key === "!BADKEY" ? kv[i] : kv[i + 1];
    if (key === "!BADKEY") i--;
    target[key] = value;
  }
}
