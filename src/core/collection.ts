/** STUB — owned by the schema work: the Collection model (see the helper brief). */
export class Collection {
  id = "";
  name = "";
  type: "base" | "auth" | "view" = "base";
  system = false;
  fields: any[] = [];
  indexes: string[] = [];
  listRule: string | null = null;
  viewRule: string | null = null;
  createRule: string | null = null;
  updateRule: string | null = null;
  deleteRule: string | null = null;
  options: Record<string, any> = {};
  created = "";
  updated = "";

  static fromRow(row: Record<string, unknown>): Collection {
    const c = new Collection();
    Object.assign(c, {
      ...row,
      system: !!row.system,
      fields: JSON.parse(String(row.fields ?? "[]")),
      indexes: JSON.parse(String(row.indexes ?? "[]")),
      options: JSON.parse(String(row.options ?? "{}")),
    });
    return c;
  }
}
