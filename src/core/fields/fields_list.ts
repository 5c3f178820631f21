/**
 * FieldsList: a collection's ordered fields with upstream's add/replace rules
 * (core/fields_list.go). A field added without an id gets `type + crc32(name)` (with a numeric
 * suffix on collision) and replaces an existing field of the same name, keeping that field's id;
 * a field with an id replaces the field with the same id.
 */
import { defaultFieldId, fieldFromJSON, type Field } from "./field.ts";

/** A collection's ordered fields (an Array with upstream's add/replace and lookup helpers). */
export class FieldsList extends Array<Field> {
  // map/filter/slice return plain arrays: a derived list is not a collection's field list
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** A list holding `fields`, normalized as if added one by one. */
  static create(...fields: Field[]): FieldsList {
    const list = new FieldsList();
    list.add(...fields);
    return list;
  }

  /** Builds a list from stored JSON (an array of field objects, or one object). */
  static fromJSON(json: unknown): FieldsList {
    const list = new FieldsList();
    list.addMarshaledJSON(json);
    return list;
  }

  /** Adds (or replaces, see the class note) each field, appending new ones. */
  add(...fields: Field[]): void {
    for (const f of fields) this.addOne(-1, f);
  }

  /** Like `add` but moves/inserts the fields at `pos` (past the end means append). */
  addAt(pos: number, ...fields: Field[]): void {
    const total = this.length;
    fields.forEach((f, i) => {
      if (pos < 0) this.addOne(-1, f);
      else if (pos > total) this.addOne(total + i, f);
      else this.addOne(pos + i, f);
    });
  }

  /** Adds fields from JSON: an array of field objects, a single object, or their JSON text. */
  addMarshaledJSON(json: unknown): void {
    const data = typeof json === "string" ? (json === "" ? [] : JSON.parse(json)) : json;
    if (data === null || data === undefined) return;
    const items = Array.isArray(data) ? data : [data];
    this.add(...items.map((item) => fieldFromJSON(item)));
  }

  getById(id: string): Field | undefined {
    return this.find((f) => f.id === id);
  }

  getByName(name: string): Field | undefined {
    return this.find((f) => f.name === name);
  }

  removeById(id: string): void {
    const i = this.findIndex((f) => f.id === id);
    if (i >= 0) this.splice(i, 1);
  }

  removeByName(name: string): void {
    const i = this.findIndex((f) => f.name === name);
    if (i >= 0) this.splice(i, 1);
  }

  /** The field names in order. */
  fieldNames(): string[] {
    return Array.from(this, (f) => f.name);
  }

  /** A deep copy. */
  clone(): FieldsList {
    const list = new FieldsList();
    for (const f of this) list.push(f.clone());
    return list;
  }

  /** The stored form: each field's sorted-key JSON, in order. */
  toJSON(): { [key: string]: unknown }[] {
    return Array.from(this, (f) => f.toJSON());
  }

  private addOne(pos: number, field: Field): void {
    const replaceInPlace = pos < 0;
    if (pos < 0 || pos > this.length) pos = this.length;

    let replaceByName = false;
    if (field.id === "") {
      replaceByName = true;
      const base = defaultFieldId(field.type, field.name);
      let id = base;
      for (let i = 2; i < 1000 && this.getById(id); i++) id = base + i;
      field.id = id;
    }

    for (let i = 0; i < this.length; i++) {
      const existing = this[i]!;
      const match = replaceByName ? field.name !== "" && existing.name === field.name : existing.id === field.id;
      if (!match) continue;
      if (replaceByName) field.id = existing.id; // keep the original id
      if (replaceInPlace) {
        this[i] = field;
        return;
      }
      this.splice(i, 1);
      if (pos > this.length) pos = this.length;
      break;
    }
    this.splice(pos, 0, field);
  }
}
