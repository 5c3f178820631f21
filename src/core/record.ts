/**
 * The Record model: one row of a collection's table, with values normalized by the collection's fields.
 * Full field validation and modifiers arrive with the records API; this covers what auth needs.
 */
import { byteCompare, goMarshal } from "../tools/json.ts";
import { randomString } from "../tools/security/random.ts";
import type { Collection } from "./collection.ts";
import { JSONRaw, PasswordField, type Field } from "./fields/index.ts";

/** The bcrypt cost upstream uses for auth passwords. */
export const PASSWORD_COST = 10;

/** Upstream's datetime text: `YYYY-MM-DD HH:MM:SS.sssZ` in UTC. */
export function nowDateTime(date = new Date()): string {
  return date.toISOString().replace("T", " ");
}

/** A new record id: 15 characters of [a-z0-9], as the default id field autogenerates. */
export function newRecordId(): string {
  return randomString(15, "abcdefghijklmnopqrstuvwxyz0123456789");
}

export class Record {
  /** Field values by name, normalized. */
  private data = new Map<string, unknown>();
  /** The id the row had when loaded; empty for a new record. */
  originalId = "";
  /** The plain password set on this record since loading, to be hashed on save. */
  plainPassword = "";

  constructor(readonly collection: Collection) {
    for (const f of this.fields()) this.data.set(f.name, f.prepareValue(undefined));
  }

  /** Builds a record from a DB row. */
  static fromRow(collection: Collection, row: { [k: string]: unknown }): Record {
    const r = new Record(collection);
    for (const f of r.fields()) {
      if (f.name in row) r.data.set(f.name, f.prepareValue(row[f.name]));
    }
    r.originalId = String(row.id ?? "");
    return r;
  }

  fields(): readonly Field[] {
    return this.collection.fields;
  }

  get id(): string {
    return String(this.data.get("id") ?? "");
  }

  set id(v: string) {
    this.data.set("id", v);
  }

  get isNew(): boolean {
    return this.originalId === "";
  }

  get(name: string): unknown {
    return this.data.get(name);
  }

  getString(name: string): string {
    const v = this.data.get(name);
    return v == null ? "" : String(v);
  }

  set(name: string, value: unknown): void {
    const f = this.collection.fields.getByName(name);
    this.data.set(name, f ? f.prepareValue(value) : value);
  }

  /** The auth record's tokenKey; with the collection secret it signs this record's tokens. */
  tokenKey(): string {
    return this.getString("tokenKey");
  }

  refreshTokenKey(): void {
    this.data.set("tokenKey", randomString(50));
  }

  email(): string {
    return this.getString("email");
  }

  /** Sets a new password: hashed with bcrypt on save, and the tokenKey rotates so old tokens die. */
  async setPassword(plain: string): Promise<void> {
    const field = this.collection.fields.getByName("password");
    const cost = field instanceof PasswordField && field.cost > 0 ? field.cost : PASSWORD_COST;
    this.plainPassword = plain;
    this.data.set("password", await hashPassword(plain, cost));
    if (this.collection.fields.getByName("tokenKey")) this.refreshTokenKey();
  }

  /** Checks `plain` against the stored bcrypt hash (interoperable with Go's `$2a$` hashes). */
  async validatePassword(plain: string): Promise<boolean> {
    const hash = this.getString("password");
    if (!hash) return false;
    try {
      // off the JS thread: a bcrypt check costs ~50 ms
      return await Bun.password.verify(truncate72(plain), hash, "bcrypt");
    } catch {
      return false;
    }
  }

  /** Values as they are written to the table's columns. */
  toRow(): { [k: string]: string | number | null } {
    const row: { [k: string]: string | number | null } = {};
    for (const f of this.fields()) row[f.name] = toColumnValue(this.data.get(f.name));
    return row;
  }

  /**
   * The JSON clients see: collectionId, collectionName and the fields, keys sorted as Go sorts a map.
   * Hidden fields, `password` and `tokenKey` are left out; `email` only when visible to the caller.
   */
  publicExport(opts: { showEmail?: boolean; showHidden?: boolean } = {}): { [k: string]: unknown } {
    const out: { [k: string]: unknown } = {
      collectionId: this.collection.id,
      collectionName: this.collection.name,
    };
    const isAuth = this.collection.type === "auth";
    for (const f of this.fields()) {
      if (f.type === "password") continue;
      if (isAuth && f.name === "tokenKey") continue;
      if (f.hidden && !opts.showHidden) continue;
      if (isAuth && f.name === "email" && !opts.showEmail && !this.data.get("emailVisibility")) continue;
      out[f.name] = this.data.get(f.name);
    }
    const sorted: { [k: string]: unknown } = {};
    for (const k of Object.keys(out).sort(byteCompare)) sorted[k] = out[k];
    return sorted;
  }
}

/** A prepared field value as its column stores it: json raw text (NULL when empty), lists as Go-encoded JSON. */
function toColumnValue(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof JSONRaw) return v.dbValue();
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "string") return v;
  return goMarshal(v);
}

/** Go's bcrypt ignores bytes past 72 while Bun pre-hashes long input; cut to 72 bytes to agree with Go. */
function truncate72(plain: string): string | Uint8Array {
  const bytes = Buffer.from(plain, "utf8");
  return bytes.length <= 72 ? plain : bytes.subarray(0, 72);
}

/** A bcrypt hash with upstream's cost, in the `$2a$` form Go writes (computed off the JS thread). */
export async function hashPassword(plain: string, cost = PASSWORD_COST): Promise<string> {
  const hash = await Bun.password.hash(truncate72(plain), { algorithm: "bcrypt", cost });
  return hash.startsWith("$2b$") ? "$2a$" + hash.slice(4) : hash;
}
