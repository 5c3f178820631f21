/**
 * The Collection model (upstream's core/collection_model*.go): a named set of fields backed by one
 * table (or SQL view), its API rules, indexes and type-specific options, and its `_collections` row
 * encoding. Saving (row + record table) lives in collection_save.ts.
 */
import { goMarshal, sortKeys } from "../tools/json.ts";
import { randomString, pseudorandomString } from "../tools/security/random.ts";
import {
  BoolField,
  EmailField,
  FieldsList,
  PasswordField,
  TextField,
  crc32Checksum,
  lookupKey,
  parseDateTime,
} from "./fields/index.ts";
import { findSingleColumnUniqueIndex, parseIndex } from "./collection_index.ts";
import {
  DEFAULT_AUTH_ALERT_TEMPLATE,
  DEFAULT_CONFIRM_EMAIL_CHANGE_TEMPLATE,
  DEFAULT_OTP_TEMPLATE,
  DEFAULT_RESET_PASSWORD_TEMPLATE,
  DEFAULT_VERIFICATION_TEMPLATE,
  type EmailTemplate,
} from "./collection_auth_templates.ts";

export type { EmailTemplate } from "./collection_auth_templates.ts";

/** The collection type names. */
export const COLLECTION_TYPE_BASE = "base";
export const COLLECTION_TYPE_AUTH = "auth";
export const COLLECTION_TYPE_VIEW = "view";

/** The three collection types. */
export type CollectionType = "base" | "auth" | "view";

/** Names of the system collections. */
export const COLLECTION_NAME_SUPERUSERS = "_superusers";
export const COLLECTION_NAME_EXTERNAL_AUTHS = "_externalAuths";
export const COLLECTION_NAME_MFAS = "_mfas";
export const COLLECTION_NAME_OTPS = "_otps";
export const COLLECTION_NAME_AUTH_ORIGINS = "_authOrigins";

/** Names of the fields every auth collection has. */
export const FIELD_NAME_ID = "id";
export const FIELD_NAME_PASSWORD = "password";
export const FIELD_NAME_TOKEN_KEY = "tokenKey";
export const FIELD_NAME_EMAIL = "email";
export const FIELD_NAME_EMAIL_VISIBILITY = "emailVisibility";
export const FIELD_NAME_VERIFIED = "verified";

/** The pattern of the default id field, which also switches off some extra id checks upstream. */
export const DEFAULT_RECORD_ID_PATTERN = "^[a-z0-9]+$";

/** The alphabet of random ids (the index-name fallback). */
const DEFAULT_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

// --- auth options -------------------------------------------------------------------------------

/** A token's signing secret and lifetime in seconds. */
export interface TokenConfig {
  secret: string;
  duration: number;
}

/** The e-mail sent after a login from a new location. */
export interface AuthAlertConfig {
  enabled: boolean;
  emailTemplate: EmailTemplate;
}

/** One OAuth2 provider of an auth collection. */
export interface OAuth2ProviderConfig {
  /** Overrides the provider's PKCE default when not null. */
  pkce: boolean | null;
  name: string;
  clientId: string;
  clientSecret: string;
  authURL: string;
  tokenURL: string;
  userInfoURL: string;
  displayName: string;
  extra: { [key: string]: unknown } | null;
}

/** Which collection fields OAuth2 user data is copied into ("" for none). */
export interface OAuth2KnownFields {
  id: string;
  name: string;
  username: string;
  avatarURL: string;
}

/** OAuth2 sign-in of an auth collection. */
export interface OAuth2Config {
  providers: OAuth2ProviderConfig[] | null;
  mappedFields: OAuth2KnownFields;
  enabled: boolean;
}

/** Password sign-in, and which unique fields may identify the record. */
export interface PasswordAuthConfig {
  enabled: boolean;
  identityFields: string[] | null;
}

/** Multi-factor authentication (a second method within `duration` seconds). */
export interface MFAConfig {
  enabled: boolean;
  duration: number;
  /** Restricts MFA to records matching this rule; "" means everyone. */
  rule: string;
}

/** One-time password sign-in by e-mail. */
export interface OTPConfig {
  enabled: boolean;
  duration: number;
  length: number;
  emailTemplate: EmailTemplate;
}

/** The options of an auth collection, in upstream's (stored) key order. */
export interface AuthOptions {
  authRule: string | null;
  manageRule: string | null;
  authAlert: AuthAlertConfig;
  oauth2: OAuth2Config;
  passwordAuth: PasswordAuthConfig;
  mfa: MFAConfig;
  otp: OTPConfig;
  authToken: TokenConfig;
  passwordResetToken: TokenConfig;
  emailChangeToken: TokenConfig;
  verificationToken: TokenConfig;
  fileToken: TokenConfig;
  verificationTemplate: EmailTemplate;
  resetPasswordTemplate: EmailTemplate;
  confirmEmailChangeTemplate: EmailTemplate;
}

/** The token option names, in stored order. */
export const TOKEN_CONFIG_KEYS = [
  "authToken",
  "passwordResetToken",
  "emailChangeToken",
  "verificationToken",
  "fileToken",
] as const;

const AUTH_OPTION_KEYS = [
  "authRule",
  "manageRule",
  "authAlert",
  "oauth2",
  "passwordAuth",
  "mfa",
  "otp",
  ...TOKEN_CONFIG_KEYS,
  "verificationTemplate",
  "resetPasswordTemplate",
  "confirmEmailChangeTemplate",
] as const satisfies readonly (keyof AuthOptions)[];

const emptyTemplate = (): EmailTemplate => ({ subject: "", body: "" });

/** Auth options with Go's zero values (what a base or view collection carries unused). */
function zeroAuthOptions(): AuthOptions {
  return {
    authRule: null,
    manageRule: null,
    authAlert: { enabled: false, emailTemplate: emptyTemplate() },
    oauth2: { providers: null, mappedFields: { id: "", name: "", username: "", avatarURL: "" }, enabled: false },
    passwordAuth: { enabled: false, identityFields: null },
    mfa: { enabled: false, duration: 0, rule: "" },
    otp: { enabled: false, duration: 0, length: 0, emailTemplate: emptyTemplate() },
    authToken: { secret: "", duration: 0 },
    passwordResetToken: { secret: "", duration: 0 },
    emailChangeToken: { secret: "", duration: 0 },
    verificationToken: { secret: "", duration: 0 },
    fileToken: { secret: "", duration: 0 },
    verificationTemplate: emptyTemplate(),
    resetPasswordTemplate: emptyTemplate(),
    confirmEmailChangeTemplate: emptyTemplate(),
  };
}

/** A fresh random token secret (50 chars of [A-Za-z0-9]). */
export function newTokenSecret(): string {
  return randomString(50);
}

/** The defaults of a new auth collection, each token with a fresh random secret. */
export function defaultAuthOptions(): AuthOptions {
  return {
    authRule: "",
    manageRule: null,
    authAlert: { enabled: true, emailTemplate: { ...DEFAULT_AUTH_ALERT_TEMPLATE } },
    oauth2: { providers: null, mappedFields: { id: "", name: "", username: "", avatarURL: "" }, enabled: false },
    passwordAuth: { enabled: true, identityFields: [FIELD_NAME_EMAIL] },
    mfa: { enabled: false, duration: 600, rule: "" },
    otp: { enabled: false, duration: 180, length: 8, emailTemplate: { ...DEFAULT_OTP_TEMPLATE } },
    authToken: { secret: newTokenSecret(), duration: 432000 },
    passwordResetToken: { secret: newTokenSecret(), duration: 1800 },
    emailChangeToken: { secret: newTokenSecret(), duration: 1800 },
    verificationToken: { secret: newTokenSecret(), duration: 86400 },
    fileToken: { secret: newTokenSecret(), duration: 180 },
    verificationTemplate: { ...DEFAULT_VERIFICATION_TEMPLATE },
    resetPasswordTemplate: { ...DEFAULT_RESET_PASSWORD_TEMPLATE },
    confirmEmailChangeTemplate: { ...DEFAULT_CONFIRM_EMAIL_CHANGE_TEMPLATE },
  };
}

// --- Go-like decoding: JSON merged onto existing values ------------------------------------------
// A missing key or a JSON null keeps the current value (pointers and lists take null); a value of
// the wrong type is ignored instead of failing the whole decode as Go would.

type JSONObject = { [key: string]: unknown };

const isObject = (v: unknown): v is JSONObject => typeof v === "object" && v !== null && !Array.isArray(v);

function decStr(v: unknown, cur: string): string {
  return typeof v === "string" ? v : cur;
}
function decBool(v: unknown, cur: boolean): boolean {
  return typeof v === "boolean" ? v : cur;
}
function decInt(v: unknown, cur: number): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.trunc(v) : cur;
}
function decNullableStr(v: unknown, cur: string | null): string | null {
  return v === null ? null : typeof v === "string" ? v : cur;
}
function decStrings(v: unknown, cur: string[] | null): string[] | null {
  if (v === null) return null;
  return Array.isArray(v) ? v.map((x) => (typeof x === "string" ? x : "")) : cur;
}
function decTemplate(v: unknown, cur: EmailTemplate): EmailTemplate {
  if (!isObject(v)) return cur;
  return { subject: decStr(lookupKey(v, "subject"), cur.subject), body: decStr(lookupKey(v, "body"), cur.body) };
}
function decToken(v: unknown, cur: TokenConfig): TokenConfig {
  if (!isObject(v)) return cur;
  return {
    secret: decStr(lookupKey(v, "secret"), cur.secret),
    duration: decInt(lookupKey(v, "duration"), cur.duration),
  };
}
const zeroProvider = (): OAuth2ProviderConfig => ({
  pkce: null,
  name: "",
  clientId: "",
  clientSecret: "",
  authURL: "",
  tokenURL: "",
  userInfoURL: "",
  displayName: "",
  extra: null,
});

/** One provider decoded onto `cur` (Go decodes list items into the existing element at that index). */
function decProvider(v: unknown, cur: OAuth2ProviderConfig): OAuth2ProviderConfig {
  if (!isObject(v)) return cur; // null into a struct is a no-op in Go
  const pkce = lookupKey(v, "pkce");
  const extra = lookupKey(v, "extra");
  let nextExtra = cur.extra;
  if (extra === null) nextExtra = null;
  else if (isObject(extra)) nextExtra = { ...(cur.extra ?? {}), ...structuredClone(extra) }; // maps merge too
  return {
    pkce: pkce === null ? null : typeof pkce === "boolean" ? pkce : cur.pkce,
    name: decStr(lookupKey(v, "name"), cur.name),
    clientId: decStr(lookupKey(v, "clientId"), cur.clientId),
    clientSecret: decStr(lookupKey(v, "clientSecret"), cur.clientSecret),
    authURL: decStr(lookupKey(v, "authURL"), cur.authURL),
    tokenURL: decStr(lookupKey(v, "tokenURL"), cur.tokenURL),
    userInfoURL: decStr(lookupKey(v, "userInfoURL"), cur.userInfoURL),
    displayName: decStr(lookupKey(v, "displayName"), cur.displayName),
    extra: nextExtra,
  };
}

/** Merges stored or submitted auth options onto `cur` with Go's json.Unmarshal semantics. */
function decodeAuthOptions(data: JSONObject, cur: AuthOptions): AuthOptions {
  const get = (k: string) => lookupKey(data, k);
  const out = structuredClone(cur);
  const has = (k: string) => get(k) !== undefined;
  if (has("authRule")) out.authRule = decNullableStr(get("authRule"), out.authRule);
  if (has("manageRule")) out.manageRule = decNullableStr(get("manageRule"), out.manageRule);
  const alert = get("authAlert");
  if (isObject(alert)) {
    out.authAlert.enabled = decBool(lookupKey(alert, "enabled"), out.authAlert.enabled);
    out.authAlert.emailTemplate = decTemplate(lookupKey(alert, "emailTemplate"), out.authAlert.emailTemplate);
  }
  const oauth2 = get("oauth2");
  if (isObject(oauth2)) {
    const providers = lookupKey(oauth2, "providers");
    if (providers === null) out.oauth2.providers = null;
    else if (Array.isArray(providers)) {
      const current = out.oauth2.providers ?? [];
      out.oauth2.providers = providers.map((p, i) => decProvider(p, current[i] ?? zeroProvider()));
    }
    const mapped = lookupKey(oauth2, "mappedFields");
    if (isObject(mapped)) {
      const m = out.oauth2.mappedFields;
      out.oauth2.mappedFields = {
        id: decStr(lookupKey(mapped, "id"), m.id),
        name: decStr(lookupKey(mapped, "name"), m.name),
        username: decStr(lookupKey(mapped, "username"), m.username),
        avatarURL: decStr(lookupKey(mapped, "avatarURL"), m.avatarURL),
      };
    }
    out.oauth2.enabled = decBool(lookupKey(oauth2, "enabled"), out.oauth2.enabled);
  }
  const pa = get("passwordAuth");
  if (isObject(pa)) {
    out.passwordAuth.enabled = decBool(lookupKey(pa, "enabled"), out.passwordAuth.enabled);
    const idf = lookupKey(pa, "identityFields");
    if (idf !== undefined) out.passwordAuth.identityFields = decStrings(idf, out.passwordAuth.identityFields);
  }
  const mfa = get("mfa");
  if (isObject(mfa)) {
    out.mfa.enabled = decBool(lookupKey(mfa, "enabled"), out.mfa.enabled);
    out.mfa.duration = decInt(lookupKey(mfa, "duration"), out.mfa.duration);
    out.mfa.rule = decStr(lookupKey(mfa, "rule"), out.mfa.rule);
  }
  const otp = get("otp");
  if (isObject(otp)) {
    out.otp.enabled = decBool(lookupKey(otp, "enabled"), out.otp.enabled);
    out.otp.duration = decInt(lookupKey(otp, "duration"), out.otp.duration);
    out.otp.length = decInt(lookupKey(otp, "length"), out.otp.length);
    out.otp.emailTemplate = decTemplate(lookupKey(otp, "emailTemplate"), out.otp.emailTemplate);
  }
  for (const k of TOKEN_CONFIG_KEYS) out[k] = decToken(get(k), out[k]);
  out.verificationTemplate = decTemplate(get("verificationTemplate"), out.verificationTemplate);
  out.resetPasswordTemplate = decTemplate(get("resetPasswordTemplate"), out.resetPasswordTemplate);
  out.confirmEmailChangeTemplate = decTemplate(get("confirmEmailChangeTemplate"), out.confirmEmailChangeTemplate);
  return out;
}

/** A map sorted at every level, as Go writes map[string]any. */
function deepSortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepSortKeys);
  if (!isObject(v)) return v;
  const out: JSONObject = {};
  for (const [k, x] of Object.entries(sortKeys(v))) out[k] = deepSortKeys(x);
  return out;
}

/** Auth options as Go encodes the struct: declaration order; empty secrets omitted (omitempty). */
function encodeAuthOptions(o: AuthOptions, opts: { hideSecrets: boolean }): JSONObject {
  const token = (t: TokenConfig) =>
    !opts.hideSecrets && t.secret !== "" ? { secret: t.secret, duration: t.duration } : { duration: t.duration };
  const template = (t: EmailTemplate) => ({ subject: t.subject, body: t.body });
  const provider = (p: OAuth2ProviderConfig) => {
    const out: JSONObject = { pkce: p.pkce, name: p.name, clientId: p.clientId };
    if (!opts.hideSecrets && p.clientSecret !== "") out.clientSecret = p.clientSecret;
    Object.assign(out, {
      authURL: p.authURL,
      tokenURL: p.tokenURL,
      userInfoURL: p.userInfoURL,
      displayName: p.displayName,
      extra: p.extra === null ? null : deepSortKeys(p.extra),
    });
    return out;
  };
  const providers = o.oauth2.providers === null ? (opts.hideSecrets ? [] : null) : o.oauth2.providers.map(provider);
  const out: JSONObject = {
    authRule: o.authRule,
    manageRule: o.manageRule,
    authAlert: { enabled: o.authAlert.enabled, emailTemplate: template(o.authAlert.emailTemplate) },
    oauth2: {
      providers,
      mappedFields: { ...o.oauth2.mappedFields },
      enabled: o.oauth2.enabled,
    },
    passwordAuth: {
      enabled: o.passwordAuth.enabled,
      identityFields: o.passwordAuth.identityFields === null ? null : [...o.passwordAuth.identityFields],
    },
    mfa: { enabled: o.mfa.enabled, duration: o.mfa.duration, rule: o.mfa.rule },
    otp: {
      enabled: o.otp.enabled,
      duration: o.otp.duration,
      length: o.otp.length,
      emailTemplate: template(o.otp.emailTemplate),
    },
  };
  for (const k of TOKEN_CONFIG_KEYS) out[k] = token(o[k]);
  out.verificationTemplate = template(o.verificationTemplate);
  out.resetPasswordTemplate = template(o.resetPasswordTemplate);
  out.confirmEmailChangeTemplate = template(o.confirmEmailChangeTemplate);
  return out;
}

/** A `_collections` row as written to the DB. */
export interface CollectionRow {
  id: string;
  type: string;
  name: string;
  system: number;
  fields: string;
  indexes: string;
  listRule: string | null;
  viewRule: string | null;
  createRule: string | null;
  updateRule: string | null;
  deleteRule: string | null;
  options: string;
  created: string;
  updated: string;
}

function textOf(v: unknown, fallback: string): string {
  if (v === null || v === undefined) return fallback;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return String(v);
}

// --- the model ----------------------------------------------------------------------------------

/** A collection; auth options are flattened onto it as in upstream's Go struct (zero values unless auth). */
export class Collection implements AuthOptions {
  id = "";
  name = "";
  type: CollectionType = COLLECTION_TYPE_BASE;
  /** System collections cannot be renamed, deleted or have their rules changed. */
  system = false;
  fields: FieldsList = new FieldsList();
  /** The CREATE INDEX statements as stored (the executed form is normalized, see collection_index.ts). */
  indexes: string[] = [];
  /** API rules: null locks the action to superusers, "" opens it to everyone. */
  listRule: string | null = null;
  viewRule: string | null = null;
  createRule: string | null = null;
  updateRule: string | null = null;
  deleteRule: string | null = null;
  created = "";
  updated = "";

  /** View collections: the SELECT the SQL view is made from. */
  viewQuery = "";

  // auth options (zero values unless the collection is an auth one)
  authRule: string | null = null;
  manageRule: string | null = null;
  authAlert!: AuthAlertConfig;
  oauth2!: OAuth2Config;
  passwordAuth!: PasswordAuthConfig;
  mfa!: MFAConfig;
  otp!: OTPConfig;
  authToken!: TokenConfig;
  passwordResetToken!: TokenConfig;
  emailChangeToken!: TokenConfig;
  verificationToken!: TokenConfig;
  fileToken!: TokenConfig;
  verificationTemplate!: EmailTemplate;
  resetPasswordTemplate!: EmailTemplate;
  confirmEmailChangeTemplate!: EmailTemplate;

  private _isNew = true;
  private _lastSavedId = "";
  /** The checksum id given by initDefaultId; a collision may bump it at save time. */
  private _autogeneratedId = "";

  constructor() {
    this.setAuthOptions(zeroAuthOptions());
  }

  // --- factories ---

  /** A new collection of the given type with its default fields, options and indexes. */
  static create(type: CollectionType | string, name: string, id = ""): Collection {
    const c = new Collection();
    c.type = type === COLLECTION_TYPE_AUTH || type === COLLECTION_TYPE_VIEW ? type : COLLECTION_TYPE_BASE;
    c.name = name;
    c.id = id;
    c.initDefaultId();
    c.initDefaultFields();
    if (c.isAuth()) c.setAuthOptions(defaultAuthOptions());
    return c;
  }

  /** Builds the model from a `_collections` row (as the database driver returns it). */
  static fromRow(row: { [key: string]: unknown }): Collection {
    const c = new Collection();
    c.id = textOf(row.id, "");
    c.name = textOf(row.name, "");
    c.type = textOf(row.type, COLLECTION_TYPE_BASE) as CollectionType;
    c.system = Number(row.system ?? 0) !== 0 || row.system === true;
    c.fields = FieldsList.fromJSON(textOf(row.fields, "[]") || "[]");
    const indexes = JSON.parse(textOf(row.indexes, "[]") || "[]");
    c.indexes = Array.isArray(indexes) ? indexes.map((x) => String(x)) : [];
    c.listRule = row.listRule == null ? null : textOf(row.listRule, "");
    c.viewRule = row.viewRule == null ? null : textOf(row.viewRule, "");
    c.createRule = row.createRule == null ? null : textOf(row.createRule, "");
    c.updateRule = row.updateRule == null ? null : textOf(row.updateRule, "");
    c.deleteRule = row.deleteRule == null ? null : textOf(row.deleteRule, "");
    c.created = parseDateTime(textOf(row.created, ""));
    c.updated = parseDateTime(textOf(row.updated, ""));
    c.setRawOptions(textOf(row.options, "{}"));
    c._isNew = false;
    c._lastSavedId = c.id;
    return c;
  }

  /**
   * A collection from API/import JSON: a new one built from `type`/`name`/`id` defaults with the rest
   * merged on top, as upstream's Collection.UnmarshalJSON does for a blank model.
   */
  static fromJSON(data: JSONObject): Collection {
    const type = lookupKey(data, "type");
    const name = lookupKey(data, "name");
    const id = lookupKey(data, "id");
    const c = Collection.create(
      typeof type === "string" ? type : COLLECTION_TYPE_BASE,
      typeof name === "string" ? name : "",
      typeof id === "string" ? id : "",
    );
    c.mergeJSON(data);
    return c;
  }

  // --- state ---

  isBase(): boolean {
    return this.type === COLLECTION_TYPE_BASE;
  }

  isAuth(): boolean {
    return this.type === COLLECTION_TYPE_AUTH;
  }

  isView(): boolean {
    return this.type === COLLECTION_TYPE_VIEW;
  }

  /** True until the collection is stored. */
  isNew(): boolean {
    return this._isNew;
  }

  /** Marks the collection as stored under its current id. */
  markAsNotNew(): void {
    this._isNew = false;
    this._lastSavedId = this.id;
  }

  /** Marks the collection as not yet stored (the next save inserts). */
  markAsNew(): void {
    this._isNew = true;
  }

  /** The id the stored row has (the update key). */
  get lastSavedId(): string {
    return this._lastSavedId;
  }

  /** The storage directory of the collection's files (its id). */
  baseFilesPath(): string {
    return this.id;
  }

  /** The auth options as one object (a copy). */
  authOptions(): AuthOptions {
    const self = this as unknown as AuthOptions;
    const out = {} as { [K in keyof AuthOptions]: unknown };
    for (const k of AUTH_OPTION_KEYS) out[k] = structuredClone(self[k]);
    return out as AuthOptions;
  }

  /** Replaces the auth options. */
  setAuthOptions(o: AuthOptions): void {
    const self = this as unknown as { [key: string]: unknown };
    for (const k of AUTH_OPTION_KEYS) self[k] = structuredClone(o[k]);
  }

  /** The type-specific options as stored (auth secrets included): `{}`, `{viewQuery}` or the auth options. */
  get options(): JSONObject {
    if (this.isView()) return { viewQuery: this.viewQuery };
    if (this.isAuth()) return encodeAuthOptions(this, { hideSecrets: false });
    return {};
  }

  /** Loads the options column text for the current type (unknown types keep no options). */
  private setRawOptions(text: string): void {
    let data: unknown;
    try {
      data = JSON.parse(text || "{}");
    } catch {
      data = {};
    }
    if (!isObject(data)) return;
    if (this.isView()) this.viewQuery = decStr(lookupKey(data, "viewQuery"), "");
    else if (this.isAuth()) this.setAuthOptions(decodeAuthOptions(data, zeroAuthOptions()));
  }

  /**
   * Merges API/import JSON into this collection with Go's unmarshal rules: given keys replace (objects
   * merge key by key, `fields` and `indexes` are replaced wholesale), absent keys are kept.
   */
  mergeJSON(data: JSONObject): void {
    const get = (k: string) => lookupKey(data, k);
    if (typeof get("id") === "string") this.id = get("id") as string;
    if (typeof get("name") === "string") this.name = get("name") as string;
    if (typeof get("type") === "string") this.type = get("type") as CollectionType;
    if (typeof get("system") === "boolean") this.system = get("system") as boolean;
    for (const k of ["listRule", "viewRule", "createRule", "updateRule", "deleteRule"] as const) {
      if (get(k) !== undefined) this[k] = decNullableStr(get(k), this[k]);
    }
    const fields = get("fields");
    if (fields === null) this.fields = new FieldsList();
    else if (Array.isArray(fields)) this.fields = FieldsList.fromJSON(fields);
    const indexes = get("indexes");
    if (indexes === null) this.indexes = [];
    else if (Array.isArray(indexes)) this.indexes = indexes.map((x) => (typeof x === "string" ? x : ""));
    if (typeof get("created") === "string") this.created = parseDateTime(get("created"));
    if (typeof get("updated") === "string") this.updated = parseDateTime(get("updated"));
    this.viewQuery = decStr(get("viewQuery"), this.viewQuery);
    this.setAuthOptions(decodeAuthOptions(data, this.authOptions()));
  }

  // --- encoding ---

  /** The `_collections` row: JSON columns as Go encodes them (HTML-escaped, struct or sorted key order). */
  toRow(): CollectionRow {
    return {
      id: this.id,
      type: this.type,
      name: this.name,
      system: this.system ? 1 : 0,
      fields: goMarshal(this.fields.map((f) => f.toJSON())),
      indexes: goMarshal(this.indexes ?? []),
      listRule: this.listRule,
      viewRule: this.viewRule,
      createRule: this.createRule,
      updateRule: this.updateRule,
      deleteRule: this.deleteRule,
      options: goMarshal(this.options),
      created: this.created,
      updated: this.updated,
    };
  }

  /**
   * The API JSON: upstream's struct order; views add `viewQuery`, auth collections their options with
   * token secrets and OAuth2 client secrets left out and `oauth2.providers` never null.
   */
  toJSON(): JSONObject {
    const out: JSONObject = {
      id: this.id,
      listRule: this.listRule,
      viewRule: this.viewRule,
      createRule: this.createRule,
      updateRule: this.updateRule,
      deleteRule: this.deleteRule,
      name: this.name,
      type: this.type,
      fields: this.fields.map((f) => f.toJSON()),
      indexes: [...(this.indexes ?? [])],
      created: this.created,
      updated: this.updated,
      system: this.system,
    };
    if (this.isView()) out.viewQuery = this.viewQuery;
    else if (this.isAuth()) Object.assign(out, encodeAuthOptions(this, { hideSecrets: true }));
    return out;
  }

  /** A deep copy, including the stored/new state. */
  clone(): Collection {
    const c = Collection.fromRow(this.toRow() as unknown as { [key: string]: unknown });
    c._isNew = this._isNew;
    c._lastSavedId = this._lastSavedId;
    c._autogeneratedId = this._autogeneratedId;
    return c;
  }

  // --- indexes ---

  /** The index statement named `name` (case-insensitive), or "". */
  getIndex(name: string): string {
    const lower = name.toLowerCase();
    return this.indexes.find((idx) => parseIndex(idx).indexName.toLowerCase() === lower) ?? "";
  }

  /** Adds (or replaces by name) an index written as upstream's AddIndex writes it. */
  addIndex(name: string, unique: boolean, columnsExpr: string, where = ""): void {
    this.removeIndex(name);
    let sql =
      "CREATE " + (unique ? "UNIQUE " : "") + "INDEX `" + name + "` ON `" + this.name + "` (" + columnsExpr + ")";
    if (where !== "") sql += " WHERE " + where;
    this.indexes.push(sql);
  }

  /** Removes the index named `name` (case-insensitive). */
  removeIndex(name: string): void {
    const lower = name.toLowerCase();
    const i = this.indexes.findIndex((idx) => parseIndex(idx).indexName.toLowerCase() === lower);
    if (i >= 0) this.indexes.splice(i, 1);
  }

  // --- defaults (used by the factories and on every save) ---

  /** `pbc_` + crc32(type + name): the id upstream derives for a collection. */
  idChecksum(): string {
    return "pbc_" + crc32Checksum(this.type + this.name);
  }

  /** Sets the checksum id when none is set. */
  initDefaultId(): void {
    if (this.id === "") {
      this.id = this.idChecksum();
      this._autogeneratedId = this.id;
    }
  }

  /** The checksum id this collection got automatically ("" when the id was set by hand). */
  get autogeneratedId(): string {
    return this._autogeneratedId;
  }

  /** Re-points the autogenerated id (after a collision bump at save time). */
  setAutogeneratedId(id: string): void {
    this._autogeneratedId = id;
  }

  /** Ensures the type's system fields exist with their enforced settings (and auth's unique indexes). */
  initDefaultFields(): void {
    if (this.isView()) return; // view fields come from the query
    this.initIdField();
    if (!this.isAuth()) return;
    this.initPasswordField();
    this.initTokenKeyField();
    this.initEmailField();
    this.initEmailVisibilityField();
    this.initVerifiedField();
  }

  private initIdField(): void {
    const field = this.fields.getByName(FIELD_NAME_ID);
    if (field instanceof TextField) {
      field.system = true;
      field.required = true;
      field.primaryKey = true;
      field.hidden = false;
      if (field.pattern === "") field.pattern = DEFAULT_RECORD_ID_PATTERN;
      return;
    }
    const id = new TextField({
      name: FIELD_NAME_ID,
      system: true,
      primaryKey: true,
      required: true,
      min: 15,
      max: 15,
      pattern: DEFAULT_RECORD_ID_PATTERN,
      autogeneratePattern: "[a-z0-9]{15}",
    });
    this.fields = FieldsList.create(id, ...this.fields);
  }

  private initPasswordField(): void {
    const field = this.fields.getByName(FIELD_NAME_PASSWORD);
    if (field instanceof PasswordField) {
      field.system = true;
      field.hidden = true;
      field.required = true;
      return;
    }
    this.fields.add(
      new PasswordField({ name: FIELD_NAME_PASSWORD, system: true, hidden: true, required: true, min: 8 }),
    );
  }

  private initTokenKeyField(): void {
    const field = this.fields.getByName(FIELD_NAME_TOKEN_KEY);
    if (field instanceof TextField) {
      field.system = true;
      field.hidden = true;
      field.required = true;
    } else {
      this.fields.add(
        new TextField({
          name: FIELD_NAME_TOKEN_KEY,
          system: true,
          hidden: true,
          min: 30,
          max: 60,
          required: true,
          autogeneratePattern: "[a-zA-Z0-9]{50}",
        }),
      );
    }
    if (!findSingleColumnUniqueIndex(this.indexes, FIELD_NAME_TOKEN_KEY)) {
      this.indexes.push(
        "CREATE UNIQUE INDEX `" + this.fieldIndexName(FIELD_NAME_TOKEN_KEY) + "` ON `" + this.name + "` (`tokenKey`)",
      );
    }
  }

  private initEmailField(): void {
    const field = this.fields.getByName(FIELD_NAME_EMAIL);
    if (field instanceof EmailField) {
      field.system = true;
      field.hidden = false; // visibility is governed by emailVisibility
    } else {
      this.fields.add(new EmailField({ name: FIELD_NAME_EMAIL, system: true, required: true }));
    }
    if (!findSingleColumnUniqueIndex(this.indexes, FIELD_NAME_EMAIL)) {
      this.indexes.push(
        "CREATE UNIQUE INDEX `" +
          this.fieldIndexName(FIELD_NAME_EMAIL) +
          "` ON `" +
          this.name +
          "` (`email`) WHERE `email` != ''",
      );
    }
  }

  private initEmailVisibilityField(): void {
    const field = this.fields.getByName(FIELD_NAME_EMAIL_VISIBILITY);
    if (field instanceof BoolField) field.system = true;
    else this.fields.add(new BoolField({ name: FIELD_NAME_EMAIL_VISIBILITY, system: true }));
  }

  private initVerifiedField(): void {
    const field = this.fields.getByName(FIELD_NAME_VERIFIED);
    if (field instanceof BoolField) field.system = true;
    else this.fields.add(new BoolField({ name: FIELD_NAME_VERIFIED, system: true }));
  }

  /** `idx_<field>_<collection id or name>`, cut to 64 characters. */
  fieldIndexName(field: string): string {
    let name = "idx_" + field + "_";
    if (this.id !== "") name += this.id;
    else if (this.name !== "") name += this.name;
    else name += pseudorandomString(10, DEFAULT_ID_ALPHABET);
    return name.length > 64 ? name.slice(0, 64) : name;
  }

  /** Clears OAuth2 mapped field names that no longer exist in the collection. */
  unsetMissingOAuth2MappedFields(): void {
    if (!this.isAuth()) return;
    const m = this.oauth2.mappedFields;
    for (const k of ["id", "name", "username", "avatarURL"] as const) {
      if (m[k] !== "" && !this.fields.getByName(m[k])) m[k] = "";
    }
  }
}

/** A new "base" collection with the default `id` field. */
export function newBaseCollection(name: string, id = ""): Collection {
  return Collection.create(COLLECTION_TYPE_BASE, name, id);
}

/** A new "auth" collection with the auth system fields, unique indexes and default options (fresh secrets). */
export function newAuthCollection(name: string, id = ""): Collection {
  return Collection.create(COLLECTION_TYPE_AUTH, name, id);
}

/** A new "view" collection (its fields are inferred from the query when saved). */
export function newViewCollection(name: string, id = ""): Collection {
  return Collection.create(COLLECTION_TYPE_VIEW, name, id);
}
