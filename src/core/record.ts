/**
 * The Record model: one row of a collection's table, its values normalized by the collection's
 * fields, plus what the API needs around it (original values, expand, visibility, plain passwords).
 * Mirrors upstream's core/record_model.go.
 */
import { byteCompare, goMarshal, sortKeys } from "../tools/json.ts";
import { randomString } from "../tools/security/random.ts";
import type { Collection } from "./collection.ts";
import { JSONRaw, PasswordField, isMultiValuer, type Field } from "./fields/index.ts";
import { applyModifier } from "./record_modifiers.ts";

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

export type ExpandValue = Record | Record[];

export class Record {
  /** Field values by name (prepared), plus custom non-field keys. */
  private data = new Map<string, unknown>();
  /** The values as last loaded or saved; `original()` rebuilds from these. */
  private originalData = new Map<string, unknown>();
  /** Plain passwords set since loading, by password field name (hashed on save). */
  private plainPasswords = new Map<string, string>();
  /** For each password field, the plain text its current hash was made from (to skip re-hashing). */
  private hashedPlain = new Map<string, string>();
  private customVisibility = new Map<string, boolean>();
  private expandData: Map<string, ExpandValue> | null = null;
  private lastSavedId = "";
  /** Show `email` whatever `emailVisibility` says (owner, manager, superuser, auth responses). */
  ignoreEmailVisibility = false;
  /** Include non-field keys in the public export. */
  exportCustomData = false;

  /** `row` (a DB row) gives the values; fields it lacks get their zero values. */
  constructor(
    readonly collection: Collection,
    row?: { [k: string]: unknown },
  ) {
    for (const f of collection.fields) {
      const v = f.prepareValue(row && f.name in row ? row[f.name] : undefined);
      this.data.set(f.name, v);
      this.originalData.set(f.name, v);
    }
  }

  /** Builds a record from a DB row. */
  static fromRow(collection: Collection, row: { [k: string]: unknown }): Record {
    const r = new Record(collection, row);
    r.lastSavedId = r.id;
    return r;
  }

  fields(): readonly Field[] {
    return this.collection.fields;
  }

  get id(): string {
    const v = this.data.get("id");
    return v == null ? "" : String(v);
  }

  set id(v: string) {
    this.data.set("id", v);
  }

  /** True until the record is inserted. */
  get isNew(): boolean {
    return this.lastSavedId === "";
  }

  /** The id the row has in the database (before a pending id change). */
  get originalId(): string {
    return this.lastSavedId;
  }

  /** The value `name` had when last loaded or saved. */
  originalValue(name: string): unknown {
    return this.originalData.get(name);
  }

  /** Marks the record as stored under its current id, its current values the new original ones. */
  markAsSaved(): void {
    this.lastSavedId = this.id;
    for (const f of this.fields()) this.originalData.set(f.name, this.data.get(f.name));
    this.plainPasswords.clear();
    this.hashedPlain.clear();
  }

  /** Forgets the stored state (a failed insert). */
  markAsNew(): void {
    this.lastSavedId = "";
  }

  get(name: string): unknown {
    if (name === "expand") return this.expandObject();
    return this.data.has(name) ? this.data.get(name) : this.originalData.get(name);
  }

  getString(name: string): string {
    const v = this.get(name);
    if (v == null) return "";
    if (v instanceof JSONRaw) return v.raw;
    return typeof v === "object" ? goMarshal(v) : String(v);
  }

  getBool(name: string): boolean {
    const v = this.get(name);
    return v === true || v === 1 || v === "1" || v === "true" || v === "t" || v === "T" || v === "TRUE" || v === "True";
  }

  getNumber(name: string): number {
    const n = Number(this.get(name));
    return Number.isFinite(n) ? n : 0;
  }

  /** The value as a de-duplicated list of non-empty strings (multi and single values alike). */
  getStringSlice(name: string): string[] {
    return toUniqueStrings(this.get(name));
  }

  /**
   * Sets a field (through its modifiers: `title:autogenerate`, `total+`, `tags-`, `+tags`), or a
   * custom key when no field matches. Password fields take the plain text.
   */
  set(key: string, value: unknown): void {
    if (key === "expand") {
      this.setExpand(value && typeof value === "object" ? (value as { [k: string]: ExpandValue }) : {});
      return;
    }
    if (!this.setIfFieldExists(key, value)) this.data.set(key, value);
  }

  /** Sets `key` if it names a field or a field modifier; returns the field, or null. */
  setIfFieldExists(key: string, value: unknown): Field | null {
    for (const f of this.fields()) {
      if (f.name === key) {
        if (f instanceof PasswordField) this.setPlainPassword(f, value);
        else if (f.type === "autodate") {
          /* autodates are set by the save itself; `set` leaves them alone, as upstream's noop setter */
        } else this.data.set(f.name, f.prepareValue(value));
        return f;
      }
      const next = applyModifier(f, key, value, this.get(f.name));
      if (next !== undefined) {
        this.data.set(f.name, f.prepareValue(next));
        return f;
      }
    }
    return null;
  }

  /** Sets a value as is (no preparation, no modifiers): the stored form, e.g. a password hash. */
  setRaw(key: string, value: unknown): void {
    this.data.set(key, value);
  }

  /** Loads many values through `set`. */
  load(data: { [k: string]: unknown }): void {
    for (const [k, v] of Object.entries(data)) this.set(k, v);
  }

  private setPlainPassword(f: Field, value: unknown): void {
    const plain = value == null ? "" : String(value);
    this.plainPasswords.set(f.name, plain);
  }

  /** The plain password set on `field` since loading ("" when none). */
  getPlainPassword(field = "password"): string {
    return this.plainPasswords.get(field) ?? "";
  }

  /** Forgets a pending plain password (keeps the stored hash), e.g. for random OAuth2 passwords. */
  clearPlainPassword(field = "password"): void {
    this.plainPasswords.delete(field);
  }

  /** Non-field keys set on the record. */
  customData(): { [k: string]: unknown } {
    const out: { [k: string]: unknown } = {};
    for (const [k, v] of this.data) if (!this.collection.fields.getByName(k)) out[k] = v;
    return out;
  }

  // --- auth helpers ---

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

  verified(): boolean {
    return this.getBool("verified");
  }

  /** Sets a new password and hashes it now; the tokenKey rotates on save so old tokens die. */
  async setPassword(plain: string, name = "password"): Promise<void> {
    const field = this.collection.fields.getByName(name);
    this.plainPasswords.set(name, plain);
    this.data.set(name, await hashPassword(plain, passwordCost(field)));
    this.hashedPlain.set(name, plain);
  }

  /** Password fields whose plain value still needs hashing. */
  unhashedPasswords(): [string, string][] {
    return [...this.plainPasswords].filter(([name, plain]) => plain !== "" && this.hashedPlain.get(name) !== plain);
  }

  /** Records that `hash` is the hash of the pending plain password of `name`. */
  setPasswordHash(name: string, hash: string): void {
    this.data.set(name, hash);
    this.hashedPlain.set(name, this.plainPasswords.get(name) ?? "");
  }

  /** Checks `plain` against the stored bcrypt hash (interoperable with Go's `$2a$` hashes). */
  async validatePassword(plain: string, field = "password"): Promise<boolean> {
    const hash = this.get(field);
    if (typeof hash !== "string" || !hash) return false;
    try {
      // off the JS thread: a bcrypt check costs ~50 ms
      return await Bun.password.verify(truncate72(plain), hash, "bcrypt");
    } catch {
      return false;
    }
  }

  // --- copies ---

  /** The record as last loaded or saved. */
  original(): Record {
    const r = new Record(this.collection);
    for (const [k, v] of this.originalData) {
      r.data.set(k, v);
      r.originalData.set(k, v);
    }
    r.lastSavedId = this.lastSavedId;
    if (this.lastSavedId) r.data.set("id", this.lastSavedId);
    return r;
  }

  /** A copy with the current field values but none of the export state (expand, visibility). */
  fresh(): Record {
    const r = this.original();
    for (const f of this.fields()) r.data.set(f.name, this.data.get(f.name));
    for (const [k, v] of this.plainPasswords) r.plainPasswords.set(k, v);
    return r;
  }

  /** A full copy, export state included. */
  clone(): Record {
    const r = this.original();
    for (const [k, v] of this.data) r.data.set(k, v);
    for (const [k, v] of this.plainPasswords) r.plainPasswords.set(k, v);
    for (const [k, v] of this.customVisibility) r.customVisibility.set(k, v);
    r.ignoreEmailVisibility = this.ignoreEmailVisibility;
    r.exportCustomData = this.exportCustomData;
    if (this.expandData) r.expandData = new Map(this.expandData);
    return r;
  }

  // --- expand ---

  expand(): Map<string, ExpandValue> {
    return (this.expandData ??= new Map());
  }

  private expandObject(): { [k: string]: ExpandValue } {
    return Object.fromEntries(this.expandData ?? []);
  }

  setExpand(expand: { [k: string]: ExpandValue } | Map<string, ExpandValue>): void {
    this.expandData = new Map(expand instanceof Map ? expand : Object.entries(expand));
  }

  /** Merges another expand into this one, merging nested expands of records present in both. */
  mergeExpand(other: Map<string, ExpandValue>): void {
    if (other.size === 0) return;
    const mine = this.expand();
    for (const [key, incoming] of other) {
      const old = mine.get(key);
      if (!old) {
        mine.set(key, incoming);
        continue;
      }
      const oldList = Array.isArray(old) ? [...old] : [old];
      const newList = Array.isArray(incoming) ? incoming : [incoming];
      const byId = new Map(oldList.map((r) => [r.id, r]));
      for (const rec of newList) {
        const existing = byId.get(rec.id);
        if (existing) existing.mergeExpand(rec.expand());
        else oldList.push(rec);
      }
      mine.set(key, Array.isArray(old) || Array.isArray(incoming) || oldList.length === 0 ? oldList : oldList[0]!);
    }
  }

  /** The expanded relation of `field`: one record for single relations. */
  expandedOne(field: string): Record | null {
    const v = this.expandData?.get(field);
    return Array.isArray(v) ? (v[0] ?? null) : (v ?? null);
  }

  expandedAll(field: string): Record[] {
    const v = this.expandData?.get(field);
    return v ? (Array.isArray(v) ? v : [v]) : [];
  }

  // --- visibility and export ---

  hide(...names: string[]): this {
    for (const n of names) this.customVisibility.set(n, false);
    return this;
  }

  unhide(...names: string[]): this {
    for (const n of names) this.customVisibility.set(n, true);
    return this;
  }

  /**
   * The JSON clients see, keys sorted as Go sorts a map: visible fields, collectionId,
   * collectionName and expand. `password` and `tokenKey` never; `email` per emailVisibility.
   */
  publicExport(): { [k: string]: unknown } {
    if (this.exportCustomData) return this.publicExportWithCustomData();
    // the collection's keys in their sorted order, filtered: no per-record sort
    const out: { [k: string]: unknown } = {};
    const fields = this.collection.fields;
    const isAuth = this.collection.type === "auth";
    const vis = this.customVisibility;
    for (const i of exportOrder(fields)) {
      if (i === COLLECTION_ID) {
        if (vis.get("collectionId") ?? true) out.collectionId = this.collection.id;
      } else if (i === COLLECTION_NAME) {
        if (vis.get("collectionName") ?? true) out.collectionName = this.collection.name;
      } else if (i === EXPAND) {
        if ((vis.get("expand") ?? true) && this.expandData) out.expand = this.expandObject();
      } else {
        const f = fields[i]!;
        if (!(vis.get(f.name) ?? !f.hidden)) continue;
        if (isAuth && (f.name === "password" || f.name === "tokenKey")) continue;
        if (isAuth && f.name === "email" && !this.ignoreEmailVisibility && !this.getBool("emailVisibility")) continue;
        out[f.name] = this.get(f.name);
      }
    }
    return out;
  }

  /** publicExport with the non-field keys too (`exportCustomData`). */
  private publicExportWithCustomData(): { [k: string]: unknown } {
    const out: { [k: string]: unknown } = {};
    for (const f of this.fields()) {
      const visible = this.customVisibility.get(f.name) ?? !f.hidden;
      if (visible) out[f.name] = this.get(f.name);
    }
    if (this.exportCustomData) {
      for (const [k, v] of Object.entries(this.customData())) {
        if (this.customVisibility.get(k) ?? true) out[k] = v;
      }
    }
    if (this.collection.type === "auth") {
      delete out.password;
      delete out.tokenKey;
      if (!this.ignoreEmailVisibility && !this.getBool("emailVisibility")) delete out.email;
    }
    if (this.customVisibility.get("collectionId") ?? true) out.collectionId = this.collection.id;
    if (this.customVisibility.get("collectionName") ?? true) out.collectionName = this.collection.name;
    if ((this.customVisibility.get("expand") ?? true) && this.expandData) out.expand = this.expandObject();
    return sortKeys(out);
  }

  toJSON(): { [k: string]: unknown } {
    return this.publicExport();
  }

  /** Values as they are written to the table's columns. */
  toRow(): { [k: string]: string | number | null } {
    const row: { [k: string]: string | number | null } = {};
    for (const f of this.fields()) row[f.name] = toColumnValue(this.data.get(f.name));
    return row;
  }

  /**
   * Resolves the modifiers in a request body against this record (without changing it), as
   * upstream's ReplaceModifiers: keys applied shortest first, each modified field under its name.
   */
  replaceModifiers(body: { [k: string]: unknown }): { [k: string]: unknown } {
    const out: { [k: string]: unknown } = { ...body };
    const copy = this.fresh();
    const keys = Object.keys(body).sort((a, b) => a.length - b.length);
    for (const k of keys) {
      const f = copy.setIfFieldExists(k, body[k]);
      if (!f) continue;
      delete out[k];
      out[f.name] = f instanceof PasswordField ? copy.getPlainPassword(f.name) : copy.get(f.name);
    }
    return out;
  }
}

const COLLECTION_ID = -1;
const COLLECTION_NAME = -2;
const EXPAND = -3;
const exportOrders = new WeakMap<readonly Field[], { names: string[]; order: number[] }>();

/**
 * The exported keys of a record of these fields in byte-wise order: field indexes and the three
 * extra keys (negative). Remembered per fields list, checked against its current names (a list
 * may be edited in place).
 */
function exportOrder(fields: readonly Field[]): number[] {
  const cached = exportOrders.get(fields);
  if (cached && cached.names.length === fields.length && cached.names.every((n, i) => fields[i]!.name === n))
    return cached.order;
  const names = fields.map((f) => f.name);
  const keys: [string, number][] = [
    ["collectionId", COLLECTION_ID],
    ["collectionName", COLLECTION_NAME],
    ["expand", EXPAND],
    ...names.map((n, i): [string, number] => [n, i]),
  ];
  // fields can't take these names; were one to, the collection's value wins (as when assigned last)
  const seen = new Set<string>();
  const order = keys
    .filter(([k]) => (seen.has(k) ? false : (seen.add(k), true)))
    .sort((a, b) => byteCompare(a[0], b[0]))
    .map(([, i]) => i);
  exportOrders.set(fields, { names, order });
  return order;
}

/** A prepared field value as its column stores it: json raw text (NULL when empty), lists as Go-encoded JSON. */
function toColumnValue(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (v instanceof JSONRaw) return v.dbValue();
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "string") return v;
  return goMarshal(v);
}

/** spf13/cast + lo.Uniq: a value as unique non-empty strings. */
export function toUniqueStrings(v: unknown): string[] {
  let list: unknown[];
  if (v == null || v === "") list = [];
  else if (Array.isArray(v)) list = v;
  else if (typeof v === "string" && v.startsWith("[")) {
    try {
      const parsed = JSON.parse(v);
      list = Array.isArray(parsed) ? parsed : [v];
    } catch {
      list = [v];
    }
  } else list = [v];
  const out: string[] = [];
  for (const item of list) {
    const s =
      item == null ? "" : typeof item === "string" ? item : typeof item === "object" ? goMarshal(item) : String(item);
    if (s !== "" && !out.includes(s)) out.push(s);
  }
  return out;
}

/** True when `f` holds several values (select/relation/file with maxSelect > 1). */
export function isMultiple(f: Field): boolean {
  return isMultiValuer(f) && f.isMultiple();
}

function passwordCost(field: Field | undefined): number {
  return field instanceof PasswordField && field.cost > 0 ? field.cost : PASSWORD_COST;
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

/** Hashes every pending plain password of `record` with its field's cost. */
export async function hashPendingPasswords(record: Record): Promise<void> {
  for (const [name, plain] of record.unhashedPasswords()) {
    record.setPasswordHash(name, await hashPassword(plain, passwordCost(record.collection.fields.getByName(name))));
  }
}
