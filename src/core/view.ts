/**
 * View collections (upstream's core/view.go): the SQL VIEW behind a view collection, the fields
 * inferred from its SELECT, the dry run the dashboard uses, and the re-save of views whose inferred
 * fields changed after another collection changed.
 *
 * The view query is the user's SQL in the running engine's dialect. On PostgreSQL three things differ
 * from SQLite: a failed statement aborts the whole transaction (so every attempt that may fail runs in
 * a savepoint), a subquery in FROM needs an alias, and a table, column or view another view reads
 * cannot be dropped (so those views are detached first and recreated afterwards, see
 * `detachDependentViews`; SQLite just lets them break).
 */
import type { App } from "./app.ts";
import { newViewCollection, type Collection } from "./collection.ts";
import { findAllCollections } from "./collection_query.ts";
import { BoolField, FieldsList, JSONField, NumberField, RelationField, TextField, type Field } from "./fields/index.ts";
import { Record } from "./record.ts";
import { pseudorandomString, randomString } from "../tools/security/random.ts";
import type { TableColumn } from "../tools/sql/dialect.ts";

/** True when a failed statement aborts the surrounding transaction (PostgreSQL; SQLite carries on). */
function failureAbortsTransaction(app: App): boolean {
  return app.db.dialect.name === "postgres";
}

/**
 * Runs `fn` so that a statement failing inside it leaves the caller's transaction usable: in a
 * SAVEPOINT rolled back on failure where the engine needs it (PostgreSQL, inside a transaction).
 */
export async function attempt<T>(app: App, fn: () => Promise<T>): Promise<T> {
  if (!failureAbortsTransaction(app) || !app.db.inTransaction) return fn();
  // exec, not run: the driver puts each write of a transaction under a savepoint of its own, and
  // releasing that one would release ours, opened after it, too
  const name = "pb_view_sp_" + pseudorandomString(8);
  await app.db.exec(`SAVEPOINT ${name}`);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await app.db.exec(`ROLLBACK TO SAVEPOINT ${name}`);
    await app.db.exec(`RELEASE SAVEPOINT ${name}`);
    throw err;
  }
  await app.db.exec(`RELEASE SAVEPOINT ${name}`);
  return result;
}

/** ` AS alias` for a subquery in FROM: PostgreSQL (before 16) requires one, SQLite's text stays upstream's. */
function subqueryAlias(app: App, alias: string): string {
  return app.db.dialect.name === "postgres" ? ` AS ${app.db.dialect.quoteIdent(alias)}` : "";
}

// --- tokenizer (upstream's tools/tokenizer) -----------------------------------------------------------

const WHITESPACE = ["\t", "\n", "\v", "\f", "\r", " ", "\u0085", "\u00a0"];

/** Options of `tokenize`. */
export interface TokenizeOptions {
  separators: string[];
  /** Keep the separator at the end of each token. */
  keepSeparator?: boolean;
}

/**
 * Splits `s` on separators outside quotes (' " `) and parentheses, trimming whitespace (other than
 * the separators) and dropping empty tokens. Throws on an unbalanced quote or parenthesis.
 */
export function tokenize(s: string, opts: TokenizeOptions): string[] {
  const seps = new Set(opts.separators);
  const cutset = WHITESPACE.filter((w) => !seps.has(w));
  const trim = (t: string) => {
    let a = 0;
    let b = t.length;
    while (a < b && cutset.includes(t[a]!)) a++;
    while (b > a && cutset.includes(t[b - 1]!)) b--;
    return t.slice(a, b);
  };
  const chars = [...s];
  const tokens: string[] = [];
  let i = 0;
  while (i < chars.length) {
    let buf = "";
    let depth = 0;
    let quote = "";
    let prev = "";
    for (; i < chars.length; i++) {
      const ch = chars[i]!;
      if (prev !== "\\") {
        if (ch === "(" && quote === "") depth++;
        else if (ch === ")" && depth > 0 && quote === "") depth--;
        else if (ch === "'" || ch === '"' || ch === "`") {
          if (quote === ch) quote = "";
          else if (quote === "") quote = ch;
        }
      }
      if (seps.has(ch) && depth === 0 && quote === "") {
        if (opts.keepSeparator) buf += ch;
        i++;
        break;
      }
      prev = ch;
      buf += ch;
    }
    if (depth > 0 || quote !== "")
      throw new Error(`unbalanced parenthesis or quoted expression: ${JSON.stringify(buf)}`);
    const token = trim(buf);
    if (token !== "") tokens.push(token);
  }
  return tokens;
}

// --- the SQL view ---------------------------------------------------------------------------------------

/**
 * Drops the SQL view `name` if it exists. Views reading it go with it on PostgreSQL (CASCADE: it
 * refuses otherwise), where SQLite leaves them broken; callers that want them back detach them first.
 */
export async function deleteView(app: App, name: string): Promise<void> {
  const cascade = app.db.dialect.name === "postgres" ? " CASCADE" : "";
  await app.db.run(`DROP VIEW IF EXISTS ${app.db.dialect.quoteIdent(name)}${cascade}`);
}

/** A view dropped out of the way of a change to what it reads, with the text that recreates it. */
export interface DetachedView {
  name: string;
  sql: string;
}

/**
 * The views reading `relation`, directly or through other views, deepest last (pg_rewrite rules and
 * their pg_depend entries; a view's own rule depends on the view itself and is left out).
 */
const PG_DEPENDENT_VIEWS = `
WITH RECURSIVE dependents(oid, depth) AS (
  SELECT r.ev_class, 1 FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
  WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
    AND d.refobjid = to_regclass(quote_ident(CAST(? AS text))) AND r.ev_class <> d.refobjid
  UNION ALL
  SELECT r.ev_class, dependents.depth + 1 FROM dependents
  JOIN pg_catalog.pg_depend d ON d.refobjid = dependents.oid
    AND d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
  JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
  WHERE r.ev_class <> dependents.oid AND dependents.depth < 64
)
SELECT c.relname::text AS name, pg_catalog.pg_get_viewdef(c.oid) AS def
FROM dependents JOIN pg_catalog.pg_class c ON c.oid = dependents.oid
WHERE c.relkind = 'v'
GROUP BY c.oid, c.relname
ORDER BY max(dependents.depth), c.oid`;

/**
 * Drops the views that read `relation` (a table or view about to lose a column or be dropped) and
 * returns how to recreate them. PostgreSQL refuses such a change while a view depends on it, where
 * SQLite makes it and leaves the view broken; nothing to do on SQLite.
 */
export async function detachDependentViews(app: App, relation: string): Promise<DetachedView[]> {
  if (app.db.dialect.name !== "postgres") return [];
  const rows = await app.db.all<{ name: string; def: string }>(PG_DEPENDENT_VIEWS, [relation]);
  const views = rows.map((r) => ({
    name: r.name,
    sql: `CREATE VIEW ${app.db.dialect.quoteIdent(r.name)} AS ${trimChars(r.def.trim(), ";")}`,
  }));
  for (const v of [...views].reverse()) await deleteView(app, v.name);
  return views;
}

/**
 * Recreates detached views in their order. One whose text no longer runs (it read a dropped column
 * or table) stays dropped: SQLite's broken view, and the view collection re-save reports it.
 */
export async function reattachViews(app: App, views: DetachedView[]): Promise<void> {
  for (const v of views) {
    try {
      await attempt(app, () => app.db.run(v.sql));
    } catch {
      // left dropped, see above
    }
  }
}

/** Runs `change` on `relation` with the views reading it detached, then recreates them. */
export async function withDependentViewsDetached<T>(app: App, relation: string, change: () => Promise<T>): Promise<T> {
  const views = await detachDependentViews(app, relation);
  const result = await change();
  await reattachViews(app, views);
  return result;
}

/** A SELECT as a view takes it: trimmed of spaces and semicolons; several statements are rejected. */
export function normalizeViewSelectQuery(query: string): string {
  const q = trimChars(query.trim(), ";");
  if (tokenizeSafe(q, [";"]).length > 1) throw new Error("multiple statements are not supported");
  return q;
}

function tokenizeSafe(s: string, separators: string[]): string[] {
  try {
    return tokenize(s, { separators });
  } catch {
    return [];
  }
}

function trimChars(s: string, cutset: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && cutset.includes(s[a]!)) a++;
  while (b > a && cutset.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** The columns of a table or view (throws when it is missing or, for a view, broken). */
async function tableInfo(app: App, name: string): Promise<TableColumn[]> {
  const rows = await app.tableInfo(name);
  if (rows.length === 0) throw new Error(`empty table info probably due to invalid or missing table ${name}`);
  return rows;
}

/**
 * (Re)creates the SQL view `name` as `CREATE VIEW name AS SELECT * FROM (<query>)`; a query that
 * only fails when read (a missing table or column) is caught and the view dropped again.
 */
export async function saveView(app: App, name: string, selectQuery: string): Promise<void> {
  await deleteView(app, name);
  const query = normalizeViewSelectQuery(selectQuery);
  // run() compiles only the first statement: a query that closes the wrapping parenthesis and
  // hides a `;` from the splitter (e.g. behind a quote in a comment) can't run a second statement
  await attempt(app, async () => {
    await app.db.run(
      `CREATE VIEW ${app.db.dialect.quoteIdent(name)} AS SELECT * FROM (${query})${subqueryAlias(app, "_pb_view_src")}`,
    );
    try {
      await tableInfo(app, name);
    } catch (err) {
      await deleteView(app, name);
      throw err;
    }
  });
}

/** The columns a SELECT produces, read from a throwaway view. */
async function queryTableInfo(app: App, query: string): Promise<TableColumn[]> {
  const temp = "_temp_" + pseudorandomString(6);
  try {
    await saveView(app, temp, query);
    return await tableInfo(app, temp);
  } finally {
    await deleteView(app, temp);
  }
}

/**
 * Wraps the query so that its `id` column is TEXT (a view's records need string ids):
 * `SELECT CAST(`id` as TEXT) `id`,`other` FROM (<query>)`; queries already giving a TEXT id pass as they are.
 */
export async function normalizeViewQueryId(app: App, query: string): Promise<string> {
  const q = trimChars(query.trim(), ";");
  const info = await queryTableInfo(app, q);
  const quote = (name: string) => app.db.dialect.quoteIdent(name);
  if (info.some((row) => row.name.toLowerCase() === "id" && row.type.toUpperCase() === "TEXT")) return q;
  const parsed = parseIdentifiers(q);
  const columns = parsed.columns.map((col) =>
    col.alias === "id" ? `CAST(${quote(col.alias)} as TEXT) ${quote(col.alias)}` : quote(col.alias),
  );
  return `SELECT ${columns.join(",")} FROM (${q})${subqueryAlias(app, "_pb_view_id")}`;
}

// --- fields from a query ------------------------------------------------------------------------------

interface Identifier {
  original: string;
  alias: string;
}

const JOIN_RE =
  /\s+(full\s+outer\s+join|left\s+outer\s+join|right\s+outer\s+join|full\s+join|cross\s+join|inner\s+join|outer\s+join|left\s+join|right\s+join|join)\s+?/gi;
const DISCARD_RE = /\s+(where|group\s+by|having|order|limit|with)\s+?/gi;
const COMMENTS_RE = /(\/\*[\s\S]*?\*\/)|(--.+$)/gm;

/** Upstream's loose SELECT reader: the selected columns (with aliases) and the FROM/JOIN tables. */
function parseIdentifiers(selectQuery: string): { columns: Identifier[]; tables: Identifier[] } {
  let str = trimChars(selectQuery.trim(), ";");
  str = str.replace(COMMENTS_RE, " ");
  str = str.replace(JOIN_RE, " __pb_join__ ");
  str = str.replace(DISCARD_RE, " __pb_discard__ ");

  const tokens = tokenize(str, { separators: [",", " ", "\n", "\t"], keepSeparator: true });
  let skip = false;
  let partType = "";
  let active: string[] | null = null;
  const selectParts: string[] = [];
  const fromParts: string[] = [];
  const joinParts: string[] = [];

  for (const token of tokens) {
    const trimmed = token.trim().toLowerCase();
    switch (trimmed) {
      case "select":
        skip = false;
        partType = "select";
        active = selectParts;
        break;
      case "distinct":
        break;
      case "from":
        skip = false;
        partType = "from";
        active = fromParts;
        break;
      case "__pb_join__":
        skip = false;
        if (partType === "join") joinParts.push(",");
        partType = "join";
        active = joinParts;
        break;
      case "__pb_discard__":
        skip = true;
        break;
      default:
        if (partType === "join" && trimmed === "on") skip = true;
        if (!skip && active) active.push(" ", token);
    }
  }

  return {
    columns: extractIdentifiers(selectParts.join("")),
    tables: [...extractIdentifiers(fromParts.join("")), ...extractIdentifiers(joinParts.join(""))],
  };
}

function extractIdentifiers(raw: string): Identifier[] {
  return tokenize(raw, { separators: [","] }).map((item) =>
    identifierFromParts(tokenize(item, { separators: [" ", "\n", "\t"] })),
  );
}

function identifierFromParts(parts: string[]): Identifier {
  let original: string;
  let alias: string;
  switch (parts.length) {
    case 3:
      if (parts[1]!.toLowerCase() !== "as") throw new Error(`invalid identifier part - expected "as", got ${parts[1]}`);
      original = parts[0]!;
      alias = parts[2]!;
      break;
    case 2:
      original = parts[0]!;
      alias = parts[1]!;
      break;
    case 1: {
      const sub = parts[0]!.split(".");
      original = parts[0]!;
      alias = sub[sub.length - 1]!;
      break;
    }
    default:
      throw new Error(`invalid identifier parts [${parts.join(" ")}]`);
  }
  return { original: trimRawIdentifier(original, '`"[];'), alias: trimRawIdentifier(alias, "`\"[];'") };
}

function trimRawIdentifier(raw: string, cutset: string): string {
  return raw
    .split(".")
    .map((p) => trimChars(p, cutset))
    .join(".");
}

/** A field suggested for a view column, with the collection field it was copied from (if any). */
export interface QueryField {
  field: Field;
  collection?: Collection;
  original?: Field;
}

/** The field of a column nothing is known about: a TEXT primary key for `id`, else json. */
function defaultViewField(name: string): Field {
  if (name === "id") return defaultViewIdField();
  return new JSONField({ name, maxSize: 1 }); // the size is unused for views
}

function defaultViewIdField(): Field {
  return new TextField({ name: "id", system: true, required: true, primaryKey: true, pattern: "^[a-z0-9]+$" });
}

const CAST_RE = /^cast\s*\([\s\S]*\s+as\s+(\w+)\s*\)$/i;

/** PostgreSQL's own casts: `CAST(x AS <type>)` with any type name and `x::<type>` (a length or precision allowed). */
const PG_CAST_RE = /^cast\s*\([\s\S]*\s+as\s+([a-z_][a-z0-9_ ]*?)\s*(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?\s*\)$/i;
const PG_COLON_CAST_RE = /::\s*([a-z_][a-z0-9_]*)\s*(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?$/i;

const PG_FLOAT_TYPES = new Set(["real", "float", "float4", "float8", "double precision", "decimal", "numeric"]);
const PG_INT_TYPES = new Set(["int", "integer", "int2", "int4", "int8", "smallint", "bigint"]);
const PG_TEXT_TYPES = new Set(["text", "varchar", "character varying", "char", "character", "bpchar", "name"]);
const PG_BOOL_TYPES = new Set(["bool", "boolean"]);

/** The field of a PostgreSQL type name (lower case; as a cast names it or as format_type prints it). */
function fieldOfPgType(type: string, name: string): Field | null {
  const t = type
    .trim()
    .replace(/\s*\(.*\)$/, "")
    .replace(/\s+/g, " ")
    .toLowerCase();
  if (PG_FLOAT_TYPES.has(t)) return new NumberField({ name });
  if (PG_INT_TYPES.has(t)) return new NumberField({ name, onlyInt: true });
  if (PG_TEXT_TYPES.has(t)) return new TextField({ name });
  if (PG_BOOL_TYPES.has(t)) return new BoolField({ name });
  return null;
}

/** The field a PostgreSQL cast of a column expression says (`CAST(x AS bigint)`, `x::float8`), or null. */
function pgCastField(expr: string, name: string): Field | null {
  const m = PG_CAST_RE.exec(expr) ?? PG_COLON_CAST_RE.exec(expr);
  return m ? fieldOfPgType(m[1]!, name) : null;
}

/**
 * On PostgreSQL, the field of a column nothing else told about, from the type the server gives it in
 * the view (an expression such as `sum(n)` or `a > b` is typed there): numbers and bools get their
 * fields; text and everything else stay json, as on SQLite (whose view columns carry no usable type).
 */
function fieldOfCatalogType(type: string, name: string): Field | null {
  const field = fieldOfPgType(type, name);
  return field && field.type !== "text" ? field : null;
}

/** Suggested fields per column alias, from the SELECT's column expressions and known collections. */
export async function parseQueryToFields(app: App, selectQuery: string): Promise<Map<string, QueryField>> {
  const parsed = parseIdentifiers(selectQuery);
  const collections = await findCollectionsByIdentifiers(app, parsed.tables);
  const mainTable = parsed.tables[0];
  const pg = app.db.dialect.name === "postgres";
  const result = new Map<string, QueryField>();

  for (const col of parsed.columns) {
    if (col.alias === "*") {
      throw new Error(
        "wildcard columns (*) are not supported - manually type the collection field names you want the view query to have",
      );
    }
    const lower = col.original.toLowerCase();
    if (col.alias === "id") {
      result.set(col.alias, { field: defaultViewIdField() });
      continue;
    }
    if (lower.startsWith("count(")) {
      result.set(col.alias, { field: new NumberField({ name: col.alias, onlyInt: true }) });
      continue;
    }
    if (lower.startsWith("total(")) {
      result.set(col.alias, { field: new NumberField({ name: col.alias }) });
      continue;
    }
    const cast = CAST_RE.exec(lower);
    if (cast) {
      const to = cast[1]!;
      let field: Field | null = null;
      if (to === "real" || to === "decimal" || to === "numeric") field = new NumberField({ name: col.alias });
      else if (to === "int" || to === "integer") field = new NumberField({ name: col.alias, onlyInt: true });
      else if (to === "text") field = new TextField({ name: col.alias });
      else if (to === "boolean" || to === "bool") field = new BoolField({ name: col.alias });
      if (field) {
        result.set(col.alias, { field });
        continue;
      }
    }
    if (pg) {
      const field = pgCastField(lower, col.alias);
      if (field) {
        result.set(col.alias, { field });
        continue;
      }
    }

    const parts = col.original.split(".");
    let fieldName: string;
    let collection: Collection | undefined;
    if (parts.length === 2) {
      fieldName = parts[1]!;
      collection = collections.get(parts[0]!);
    } else {
      fieldName = parts[0]!;
      collection = mainTable ? collections.get(mainTable.alias) : undefined;
    }
    if (!collection) {
      result.set(col.alias, { field: defaultViewField(col.alias) });
      continue;
    }
    const field = collection.fields.find((f) => f.name.toLowerCase() === fieldName.toLowerCase());
    if (!field) {
      result.set(col.alias, { field: defaultViewField(col.alias), collection });
      continue;
    }
    if (fieldName.toLowerCase() === "id") {
      // another collection's id under another alias: a single relation to it
      result.set(col.alias, {
        field: new RelationField({ name: col.alias, maxSelect: 1, collectionId: collection.id }),
        collection,
      });
      continue;
    }
    const clone = field.clone();
    clone.id = "_clone_" + pseudorandomString(4);
    clone.name = col.alias;
    result.set(col.alias, { original: field, field: clone, collection });
  }
  return result;
}

/** The collections named by the FROM/JOIN tables, keyed by the table alias. */
async function findCollectionsByIdentifiers(app: App, tables: Identifier[]): Promise<Map<string, Collection>> {
  const result = new Map<string, Collection>();
  const names = tables.filter((t) => !t.alias.includes("(")).map((t) => t.original);
  if (names.length === 0) return result;
  const all = (await findAllCollections(app)).filter((c) => names.includes(c.name));
  for (const table of tables) {
    for (const c of all) if (c.name === table.original) result.set(table.alias, c);
  }
  return result;
}

/**
 * The fields of a view made from `selectQuery`: one per column, copied from the source collection
 * field when the column maps to one, else inferred (see the spec §4). Throws when the query is
 * invalid or has no `id` column.
 */
export function createViewFields(app: App, selectQuery: string): Promise<FieldsList> {
  return attempt(app, () => inferViewFields(app, selectQuery));
}

async function inferViewFields(app: App, selectQuery: string): Promise<FieldsList> {
  const suggested = await parseQueryToFields(app, selectQuery);
  const info = await queryTableInfo(app, selectQuery);
  const result = new FieldsList();
  let hasId = false;
  const pg = app.db.dialect.name === "postgres";
  for (const row of info) {
    if (row.name === "id") hasId = true;
    let known = suggested.get(row.name);
    if (!known && pg) {
      // PostgreSQL folds an unquoted alias to lower case (`AS myTitle` names the column mytitle)
      for (const [alias, qf] of suggested) if (alias.toLowerCase() === row.name) known = qf;
      if (known) known.field.name = row.name;
    }
    let field = known?.field ?? defaultViewField(row.name);
    if (pg && row.name !== "id" && field.type === "json" && !known?.original) {
      field = fieldOfCatalogType(row.type, row.name) ?? field;
    }
    result.add(field);
  }
  if (!hasId) {
    throw new Error("missing required id column (you can use `(ROW_NUMBER() OVER()) as id` if you don't have one)");
  }
  return result;
}

/** What `dryRunView` returns: the inferred fields and a few records of the view. */
export interface DryRunViewResult {
  fields: FieldsList;
  sample: Record[];
}

/**
 * Tries a view query without saving anything: infers its fields, checks their settings and reads up
 * to `sampleSize` records, which must have non-empty unique ids. Throws with the reason otherwise.
 */
export function dryRunView(app: App, selectQuery: string, sampleSize: number): Promise<DryRunViewResult> {
  return attempt(app, () => tryView(app, selectQuery, sampleSize));
}

async function tryView(app: App, selectQuery: string, sampleSize: number): Promise<DryRunViewResult> {
  const query = normalizeViewSelectQuery(selectQuery);
  const fields = await createViewFields(app, query);
  const tempName = "temp_view_" + randomString(5);
  const temp = newViewCollection(tempName);
  temp.fields = fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const err = await f.validateSettings(app, temp);
    if (err) throw new Error(`invalid field ${JSON.stringify(f.name)} (${i}): ${err.message}`);
  }

  let normalized: string;
  try {
    normalized = await normalizeViewQueryId(app, query);
  } catch (err) {
    throw new Error(`failed to normalize view query id: ${(err as Error).message}`);
  }

  let rows: { [key: string]: unknown }[];
  try {
    rows = await app.db.all(
      `SELECT ${app.db.dialect.quoteIdent(tempName)}.* FROM (SELECT * FROM (${normalized})${subqueryAlias(app, "_pb_view_src")}) AS ${app.db.dialect.quoteIdent(tempName)} LIMIT ${Math.trunc(sampleSize)}`,
    );
  } catch (err) {
    throw new Error(`failed to retrieve query records: ${(err as Error).message}`);
  }
  const sample = rows.map((row) => Record.fromRow(temp, row));
  const ids = new Set<string>();
  for (const r of sample) {
    if (r.id === "") throw new Error("the query could return records with empty or invalid ids");
    if (ids.has(r.id)) throw new Error("the query could return records with non-unique ids");
    ids.add(r.id);
  }
  return { fields, sample };
}

/** A field list's JSON with the ids cleared (view field ids of copies are random). */
function fieldsWithoutIds(fields: readonly Field[]): string {
  return JSON.stringify(
    fields.map((f) => {
      const json = f.toJSON();
      json.id = "";
      return json;
    }),
  ).toLowerCase();
}

/**
 * Re-saves every view (except `excludeIds`) whose inferred fields differ from its stored ones, e.g.
 * after a source collection renamed or dropped a column. Returns the failures ("[view] reason"),
 * "" when there were none; a view whose query no longer works is reported here.
 */
export async function resaveViewsWithChangedFields(
  app: App,
  save: (c: Collection) => Promise<void>,
  ...excludeIds: string[]
): Promise<string> {
  const failures: string[] = [];
  for (const view of await findAllCollections(app, "view")) {
    if (excludeIds.includes(view.id)) continue;
    try {
      await attempt(app, async () => {
        const fresh = await createViewFields(app, view.viewQuery);
        if (fieldsWithoutIds(fresh) !== fieldsWithoutIds(view.fields)) await save(view);
      });
    } catch (err) {
      failures.push(`[${view.name}] ${(err as Error).message}`);
    }
  }
  return failures.join("\n");
}
