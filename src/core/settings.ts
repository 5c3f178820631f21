/**
 * The app settings (upstream's core/settings_model.go), stored as the `_params` row `settings`.
 * Without an encryption key the JSON is bound as bytes (upstream stores a BLOB); with one it is the
 * base64 AES-GCM text. Reading tries plain JSON first, then decrypts.
 */
import type { App } from "./app.ts";
import { goMarshal } from "../tools/json.ts";
import { decrypt, encrypt } from "../tools/security/random.ts";
import { lookupKey, nowDateTime } from "./fields/index.ts";
import { isIP } from "node:net";
import { Schedule } from "../tools/cron/index.ts";
import { ValidationErrors, type FieldError } from "./errors.ts";
import { UniqueViolationError } from "./db/index.ts";
import { emailFormat, url } from "./validators/is.ts";
import {
  each,
  inList,
  length,
  match,
  min,
  newError,
  required,
  validateStruct,
  when,
  type Rule,
  type StructField,
} from "./validators/validation.ts";

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

  /** Upstream's settings validation: a nested error map, or null when the settings are valid. */
  validate(): ValidationErrors | null {
    return validateSettings(this);
  }

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
    if (typeof c === "string" || typeof c === "number" || typeof c === "boolean")
      out[key] = decValue(lookupKey(v, key), c);
  }
  return out as T;
}

function decStrings(v: unknown, cur: string[]): string[] {
  if (v === null) return []; // a nil list, which upstream writes as []
  if (!Array.isArray(v)) return cur;
  return v.map((x) => (typeof x === "string" ? x : ""));
}

// --- validation (upstream's Settings.PostValidate and the config Validate methods) ---------------------

/** A rule validating a nested struct: its own error map nested under the key. */
const nested =
  (fields: () => StructField[]): Rule =>
  () =>
    validateStruct(fields());

/** ozzo's `is.Host`: an IP address or a DNS name (govalidator.IsHost). */
const host: Rule = (v) => {
  if (typeof v !== "string" || v === "") return null;
  const dns = /^([a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62}){1}(\.[a-zA-Z0-9_]{1}[a-zA-Z0-9_-]{0,62})*[._]?$/;
  const ok = isIP(v) !== 0 || (v.replaceAll(".", "").length <= 255 && dns.test(v));
  return ok ? null : newError("validation_is_host", "must be a valid IP address or DNS");
};

/** ozzo's `is.HexColor`. */
const hexColor: Rule = (v) =>
  typeof v !== "string" || v === "" || /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(v)
    ? null
    : newError("validation_is_hex_color", "must be a valid hex color code");

/** An IP address or a CIDR subnet (upstream's validators.IPOrSubnet, its code typo included). */
export const ipOrSubnet: Rule = (v) => {
  if (typeof v !== "string" || v === "") return null;
  const [addr, bits, extra] = v.split("/");
  if (extra === undefined && bits !== undefined && /^\d{1,3}$/.test(bits)) {
    const kind = isIP(addr!);
    if ((kind === 4 && Number(bits) <= 32) || (kind === 6 && !addr!.includes("%") && Number(bits) <= 128)) return null;
  }
  if (bits === undefined && isIP(v) !== 0) return null;
  return newError("validation_invlaid_ip_or_subnet", "invalid IP or CIDR subnet");
};

/** A cron expression the scheduler accepts ("" = none). */
const cronExpression: Rule = (v) => {
  if (typeof v !== "string" || v === "") return null;
  try {
    Schedule.parse(v);
    return null;
  } catch (err) {
    return newError("validation_invalid_cron", (err as Error).message);
  }
};

const RATE_LIMIT_LABEL_RE = /^(\w+ \/[\w/-]*|\/[\w/-]*|^\w+:\w+|\*:\w+|\w+)$/;

/** Rate limit rules: each rule's fields, then upstream's "no duplicate or prefix label+audience" check. */
const rateLimitRules: Rule = (v) => {
  const rules = v as RateLimitRule[];
  const existing: string[] = [];
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const key = rule.label + "@@" + rule.audience;
    if (existing.some((k) => k.startsWith(key) || key.startsWith(k))) {
      return new ValidationErrors({
        [String(i)]: new ValidationErrors({
          label: newError(
            "validation_conflicting_rate_limit_rule",
            "Rate limit rule configuration with label {{.label}} already exists or conflicts with another rule.",
            { label: rule.label },
          ),
        }),
      });
    }
    existing.push(key);
  }
  const errs: Record<string, FieldError | ValidationErrors> = {};
  rules.forEach((r, i) => {
    const err = validateStruct([
      ["label", r.label, required, match(RATE_LIMIT_LABEL_RE)],
      ["maxRequests", r.maxRequests, required, min(1)],
      ["duration", r.duration, required, min(1)],
      ["audience", r.audience, inList("", "@guest", "@auth")],
    ]);
    if (err) errs[String(i)] = err;
  });
  return Object.keys(errs).length ? new ValidationErrors(errs) : null;
};

function s3Fields(c: S3Config): StructField[] {
  return [
    ["endpoint", c.endpoint, url, when(c.enabled, [required])],
    ["bucket", c.bucket, when(c.enabled, [required])],
    ["region", c.region, when(c.enabled, [required])],
    ["accessKey", c.accessKey, when(c.enabled, [required])],
    ["secret", c.secret, when(c.enabled, [required])],
  ];
}

/** Validates settings as upstream does before saving them. */
export function validateSettings(s: Settings): ValidationErrors | null {
  return validateStruct([
    ["superuserIPs", s.superuserIPs, each(required, ipOrSubnet)],
    [
      "meta",
      s.meta,
      nested(() => [
        ["accentColor", s.meta.accentColor, length(7, 7), hexColor],
        ["appName", s.meta.appName, required, length(1, 255)],
        ["appURL", s.meta.appURL, required, url],
        ["senderName", s.meta.senderName, required, length(1, 255)],
        ["senderAddress", s.meta.senderAddress, emailFormat, required],
      ]),
    ],
    ["logs", s.logs, nested(() => [["maxDays", s.logs.maxDays, min(0)]])],
    [
      "smtp",
      s.smtp,
      nested(() => [
        ["host", s.smtp.host, when(s.smtp.enabled, [required]), host],
        ["port", s.smtp.port, when(s.smtp.enabled, [required]), min(0)],
        ["authMethod", s.smtp.authMethod, inList("LOGIN", "PLAIN")],
        ["localName", s.smtp.localName, host],
      ]),
    ],
    ["s3", s.s3, nested(() => s3Fields(s.s3))],
    [
      "backups",
      s.backups,
      nested(() => [
        ["s3", s.backups.s3, nested(() => s3Fields(s.backups.s3))],
        ["cron", s.backups.cron, cronExpression],
        ["cronMaxKeep", s.backups.cronMaxKeep, when(s.backups.cron !== "", [required]), min(1)],
      ]),
    ],
    [
      "batch",
      s.batch,
      nested(() => [
        ["maxRequests", s.batch.maxRequests, when(s.batch.enabled, [required]), min(0)],
        ["timeout", s.batch.timeout, when(s.batch.enabled, [required]), min(0)],
        ["maxBodySize", s.batch.maxBodySize, min(0)],
      ]),
    ],
    [
      "rateLimits",
      s.rateLimits,
      nested(() => [
        ["rules", s.rateLimits.rules, when(s.rateLimits.enabled, [required]), rateLimitRules],
        ["excludedIPs", s.rateLimits.excludedIPs, each(required, ipOrSubnet)],
      ]),
    ],
  ]);
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
  const q = app.db.dialect.quoteIdent;
  const row = await app.db.get<{ value: unknown }>(
    `SELECT ${q("value")} FROM ${q("_params")} WHERE ${q("id")} = ? LIMIT 1`,
    [SETTINGS_PARAM_KEY],
  );
  const settings = new Settings();
  if (!row) {
    try {
      await saveSettings(app, settings);
    } catch (err) {
      // another node of a cluster, bootstrapping the same fresh database, wrote them first
      if (err instanceof UniqueViolationError) return loadSettings(app);
      throw err;
    }
    return settings;
  }
  settings.merge(decodeSettingsValue(row.value, app.encryptionKey));
  return settings;
}

/**
 * Validates the settings (throws ValidationErrors, as upstream's model save does) and writes the
 * settings row (insert or update), encrypted when the app has an encryption key.
 */
export async function saveSettings(app: App, settings: Settings): Promise<void> {
  const errs = validateSettings(settings);
  if (errs) throw errs;
  const value = encodeSettingsValue(settings, app.encryptionKey);
  // check-then-write in the transaction, so two saves cannot both insert
  const q = app.db.dialect.quoteIdent;
  await app.runInTransaction(async () => {
    const now = nowDateTime();
    const exists =
      (await app.db.get(`SELECT 1 FROM ${q("_params")} WHERE ${q("id")} = ? LIMIT 1`, [SETTINGS_PARAM_KEY])) !== null;
    if (exists) {
      await app.db.run(
        `UPDATE ${q("_params")} SET ${q("id")}=?, ${q("updated")}=?, ${q("value")}=? WHERE ${q("id")}=?`,
        [SETTINGS_PARAM_KEY, now, value, SETTINGS_PARAM_KEY],
      );
    } else {
      await app.db.run(
        `INSERT INTO ${q("_params")} (${["created", "id", "updated", "value"].map((c) => q(c)).join(", ")}) VALUES (?, ?, ?, ?)`,
        [now, SETTINGS_PARAM_KEY, now, value],
      );
    }
  });
}
