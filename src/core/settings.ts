/**
 * The app settings (upstream's core/settings_model.go), stored as the `_params` row `settings`.
 * Without an encryption key the JSON is bound as bytes (upstream stores a BLOB); with one it is the
 * base64 AES-GCM text. Reading tries plain JSON first, then decrypts.
 */
import type { App } from "./app.ts";
import { goMarshal } from "../tools/json.ts";
import { decrypt, encrypt } from "../tools/security/random.ts";
import { lookupKey, nowDateTime } from "./fields/index.ts";

/** Outgoing mail through SMTP (disabled: the local sendmail is used). */
export interface SMTPConfig {
  enabled: boolean;
  port: number;
  host: string;
  username: string;
  password: string;
  /** "" (PLAIN by default), "PLAIN" or "LOGIN". */
  authMethod: string;
  tls: boolean;
  /** The EHLO/HELO name; "" means localhost. */
  localName: string;
}

/** An S3-compatible bucket for files or backups. */
export interface S3Config {
  enabled: boolean;
  bucket: string;
  region: string;
  endpoint: string;
  accessKey: string;
  secret: string;
  forcePathStyle: boolean;
}

/** Automatic backups and where they are kept. */
export interface BackupsConfig {
  /** Auto-backup cron expression; "" disables auto backups. */
  cron: string;
  cronMaxKeep: number;
  s3: S3Config;
}

/** App identity used in the dashboard and e-mails. */
export interface MetaConfig {
  accentColor: string;
  appName: string;
  appURL: string;
  senderName: string;
  senderAddress: string;
  hideControls: boolean;
}

/** One rate limit: at most `maxRequests` per `duration` seconds. */
export interface RateLimitRule {
  /** A tag (`users:create`, `*:auth`), a path prefix (`/api/`) or `METHOD /path`. */
  label: string;
  /** "", "@guest" or "@auth". */
  audience: string;
  /** The window in seconds. */
  duration: number;
  maxRequests: number;
}

/** The rate limiter. */
export interface RateLimitsConfig {
  rules: RateLimitRule[];
  excludedIPs: string[];
  enabled: boolean;
}

/** Which proxy headers carry the client IP. */
export interface TrustedProxyConfig {
  headers: string[];
  useLeftmostIP: boolean;
}

/** The `/api/batch` endpoint. */
export interface BatchConfig {
  enabled: boolean;
  maxRequests: number;
  /** Seconds. */
  timeout: number;
  /** Bytes; 0 means 128 MiB. */
  maxBodySize: number;
}

/** Request/app logs kept in auxiliary.db. */
export interface LogsConfig {
  maxDays: number;
  minLevel: number;
  logIP: boolean;
  logAuthId: boolean;
}

/** The settings row id in `_params`. */
export const SETTINGS_PARAM_KEY = "settings";

type JSONObject = { [key: string]: unknown };
const isObject = (v: unknown): v is JSONObject => typeof v === "object" && v !== null && !Array.isArray(v);

const emptyS3 = (): S3Config => ({
  enabled: false,
  bucket: "",
  region: "",
  endpoint: "",
  accessKey: "",
  secret: "",
  forcePathStyle: false,
});

/** The app settings; `new Settings()` holds upstream's defaults. */
export class Settings {
  superuserIPs: string[] = [];
  smtp: SMTPConfig = {
    enabled: false,
    port: 587,
    host: "smtp.example.com",
    username: "",
    password: "",
    authMethod: "",
    tls: false,
    localName: "",
  };
  backups: BackupsConfig = { cron: "", cronMaxKeep: 3, s3: emptyS3() };
  s3: S3Config = emptyS3();
  meta: MetaConfig = {
    accentColor: "#1055c9",
    appName: "Acme",
    appURL: "http://localhost:8090",
    senderName: "Support",
    senderAddress: "support@example.com",
    hideControls: false,
  };
  rateLimits: RateLimitsConfig = {
    rules: [
      { label: "*:auth", audience: "", duration: 3, maxRequests: 2 },
      { label: "*:create", audience: "", duration: 5, maxRequests: 20 },
      { label: "/api/batch", audience: "", duration: 1, maxRequests: 3 },
      { label: "/api/", audience: "", duration: 10, maxRequests: 300 },
    ],
    excludedIPs: [],
    enabled: false, // upstream plans to enable it by default once tested enough
  };
  trustedProxy: TrustedProxyConfig = { headers: [], useLeftmostIP: false };
  batch: BatchConfig = { enabled: false, maxRequests: 50, timeout: 3, maxBodySize: 0 };
  logs: LogsConfig = { maxDays: 5, minLevel: 0, logIP: true, logAuthId: false };

  /** A deep copy. */
  clone(): Settings {
    const s = new Settings();
    s.merge(this.encode(false));
    return s;
  }

  /**
   * Merges JSON onto these settings with Go's json.Unmarshal rules (how upstream loads the stored
   * row and applies a PATCH): objects merge key by key, lists are replaced, missing keys and nulls
   * keep the current value (a null list empties it); keys match case-insensitively. Values of the
   * wrong type are ignored rather than failing the whole decode.
   */
  merge(data: unknown): void {
    if (!isObject(data)) return;
    const get = (k: string) => lookupKey(data, k);
    this.superuserIPs = decStrings(get("superuserIPs"), this.superuserIPs);
    this.smtp = decStruct(get("smtp"), this.smtp);
    const backups = get("backups");
    if (isObject(backups)) {
      this.backups = decStruct(backups, this.backups, ["s3"]);
      this.backups.s3 = decStruct(lookupKey(backups, "s3"), this.backups.s3);
    }
    this.s3 = decStruct(get("s3"), this.s3);
    this.meta = decStruct(get("meta"), this.meta);
    const rl = get("rateLimits");
    if (isObject(rl)) {
      const rules = lookupKey(rl, "rules");
      if (rules === null) this.rateLimits.rules = [];
      else if (Array.isArray(rules)) {
        // Go decodes each item into the existing element at its index, so a partial item merges
        const zero: RateLimitRule = { label: "", audience: "", duration: 0, maxRequests: 0 };
        const current = this.rateLimits.rules;
        this.rateLimits.rules = rules.map((r, i) => decStruct(r, current[i] ?? zero));
      }
      this.rateLimits.excludedIPs = decStrings(lookupKey(rl, "excludedIPs"), this.rateLimits.excludedIPs);
      this.rateLimits.enabled = decValue(lookupKey(rl, "enabled"), this.rateLimits.enabled);
    }
    const tp = get("trustedProxy");
    if (isObject(tp)) {
      this.trustedProxy.headers = decStrings(lookupKey(tp, "headers"), this.trustedProxy.headers);
      this.trustedProxy.useLeftmostIP = decValue(lookupKey(tp, "useLeftmostIP"), this.trustedProxy.useLeftmostIP);
    }
    this.batch = decStruct(get("batch"), this.batch);
    this.logs = decStruct(get("logs"), this.logs);
  }

  /**
   * The API JSON: upstream's key order with `smtp.password`, `s3.secret` and `backups.s3.secret`
   * left out, so secrets never reach clients.
   */
  toJSON(): JSONObject {
    return this.encode(true);
  }

  /** The stored JSON text (secrets included; empty S3 secrets omitted as upstream's omitempty does). */
  toStoredJSON(): string {
    return goMarshal(this.encode(false));
  }

  private encode(hideSecrets: boolean): JSONObject {
    const s3 = (c: S3Config): JSONObject => {
      const out: JSONObject = {
        enabled: c.enabled,
        bucket: c.bucket,
        region: c.region,
        endpoint: c.endpoint,
        accessKey: c.accessKey,
      };
      if (!hideSecrets && c.secret !== "") out.secret = c.secret;
      out.forcePathStyle = c.forcePathStyle;
      return out;
    };
    const smtp: JSONObject = {
      enabled: this.smtp.enabled,
      port: this.smtp.port,
      host: this.smtp.host,
      username: this.smtp.username,
    };
    if (!hideSecrets) smtp.password = this.smtp.password;
    Object.assign(smtp, { authMethod: this.smtp.authMethod, tls: this.smtp.tls, localName: this.smtp.localName });
    return {
      superuserIPs: [...this.superuserIPs],
      smtp,
      backups: { cron: this.backups.cron, cronMaxKeep: this.backups.cronMaxKeep, s3: s3(this.backups.s3) },
      s3: s3(this.s3),
      meta: { ...this.meta },
      rateLimits: {
        rules: this.rateLimits.rules.map((r) => ({
          label: r.label,
          audience: r.audience,
          duration: r.duration,
          maxRequests: r.maxRequests,
        })),
        excludedIPs: [...this.rateLimits.excludedIPs],
        enabled: this.rateLimits.enabled,
      },
      trustedProxy: { headers: [...this.trustedProxy.headers], useLeftmostIP: this.trustedProxy.useLeftmostIP },
      batch: { ...this.batch },
      logs: { ...this.logs },
    };
  }
}

/** A scalar decoded onto `cur`: kept unless `v` has the same JSON type (ints truncated as Go's int fields). */
function decValue<T extends string | number | boolean>(v: unknown, cur: T): T {
  if (typeof v !== typeof cur) return cur;
  if (typeof v === "number") return (Number.isFinite(v) ? Math.trunc(v) : cur) as T;
  return v as T;
}

/** A flat struct of scalars decoded onto a copy of `cur` (keys in `skip` are handled by the caller). */
function decStruct<T extends object>(v: unknown, cur: T, skip: string[] = []): T {
  const out = { ...cur } as { [key: string]: unknown };
  if (!isObject(v)) return out as T;
  for (const key of Object.keys(cur)) {
    if (skip.includes(key)) continue;
    const c = out[key];
    if (typeof c === "string" || typeof c === "number" || typeof c === "boolean") out[key] = decValue(lookupKey(v, key), c);
  }
  return out as T;
}

function decStrings(v: unknown, cur: string[]): string[] {
  if (v === null) return []; // a nil list, which upstream writes as []
  if (!Array.isArray(v)) return cur;
  return v.map((x) => (typeof x === "string" ? x : ""));
}

/**
 * Decodes a stored settings value: plain JSON when it parses as an object (or null), else the
 * base64 AES-GCM text decrypted with `encryptionKey`.
 */
export function decodeSettingsValue(value: unknown, encryptionKey: string): unknown {
  const text = value instanceof Uint8Array ? new TextDecoder().decode(value) : typeof value === "string" ? value : "";
  try {
    const parsed = JSON.parse(text);
    if (parsed === null || isObject(parsed)) return parsed;
  } catch {
    // not plain JSON: try to decrypt below
  }
  if (encryptionKey === "") throw new Error("invalid settings db data or missing encryption key");
  return JSON.parse(decrypt(text, encryptionKey).toString("utf8"));
}

/** The value to store: the JSON as bytes (a BLOB, as upstream binds it), or the encrypted text. */
export function encodeSettingsValue(settings: Settings, encryptionKey: string): Uint8Array | string {
  const json = settings.toStoredJSON();
  return encryptionKey === "" ? Buffer.from(json, "utf8") : encrypt(json, encryptionKey);
}

/** Loads the settings row over the defaults, inserting the defaults on first run. */
export async function loadSettings(app: App): Promise<Settings> {
  const row = app.db.query("SELECT `value` FROM `_params` WHERE `id` = ? LIMIT 1").get(SETTINGS_PARAM_KEY) as
    | { value: unknown }
    | null;
  const settings = new Settings();
  if (!row) {
    await saveSettings(app, settings);
    return settings;
  }
  settings.merge(decodeSettingsValue(row.value, app.encryptionKey));
  return settings;
}

/**
 * Writes the settings row (insert or update), encrypted when the app has an encryption key.
 * TODO(settings API issue): validate before saving (meta, smtp, s3, backups cron, rate limit labels…).
 */
export async function saveSettings(app: App, settings: Settings): Promise<void> {
  const value = encodeSettingsValue(settings, app.encryptionKey);
  await app.runInTransaction(() => {
    const now = nowDateTime();
    const exists = app.db.query("SELECT 1 FROM `_params` WHERE `id` = ? LIMIT 1").get(SETTINGS_PARAM_KEY) != null;
    if (exists) {
      app.db.query("UPDATE `_params` SET `id`=?, `updated`=?, `value`=? WHERE `id`=?").run(SETTINGS_PARAM_KEY, now, value, SETTINGS_PARAM_KEY);
    } else {
      app.db
        .query("INSERT INTO `_params` (`created`, `id`, `updated`, `value`) VALUES (?, ?, ?, ?)")
        .run(now, SETTINGS_PARAM_KEY, now, value);
    }
  });
}
