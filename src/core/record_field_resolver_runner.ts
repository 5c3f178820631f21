/**
 * The walk behind RecordFieldResolver.resolve: one identifier, split on dots, followed through
 * relations, back-relations, `@collection`, `@request.*` and json paths to an SQL operand.
 *
 * Alongside the joins of the main query it builds a correlated "multi-match" subquery listing every
 * value the identifier can take for the current row; the filter builder uses it to make plain
 * operators mean "all values match" on multi-valued paths (`?=` and friends skip it: "any value").
 */
import {
  buildFilterExpr,
  columnify,
  FilterError,
  MultiMatchSubquery,
  NullFallback,
  type ResolverResult,
  type SqlParams,
} from "../tools/search/index.ts";
import { goMarshal } from "../tools/json.ts";
import type { Dialect } from "../tools/sql/dialect.ts";
import type { Collection } from "./collection.ts";
import { findSingleColumnUniqueIndex } from "./collection_index.ts";
import {
  isMultiValuer,
  JSONRaw,
  parseGoFloat,
  RelationField,
  toGoString,
  toUniqueStringSlice,
  type Field,
} from "./fields/index.ts";
import type { RecordFieldResolver } from "./record_field_resolver.ts";

/** How many relation hops one identifier may take. */
export const MAX_NESTED_RELS = 6;

const EACH = "each";
const ISSET = "isset";
const LENGTH = "length";
const LOWER = "lower";
const CHANGED = "changed";
const MODIFIERS = new Set([EACH, ISSET, LENGTH, LOWER, CHANGED]);

/** `@request.auth.*` fields resolved from the auth record itself, without a join. */
const PLAIN_AUTH_FIELDS = new Set(
  ["id", "collectionId", "collectionName", "email", "emailVisibility", "verified"].map((f) => "@request.auth." + f),
);

const VIA_RE = /^(\w+)_via_(\w+)$/;

const NULL_RESULT = (): ResolverResult => ({ identifier: "NULL", type: "null" });

/** `prop:modifier` → [prop, modifier]; anything but exactly one known modifier is kept as the name. */
export function splitModifier(combined: string): [string, string] {
  const parts = combined.split(":");
  if (parts.length !== 2) return [combined, ""];
  if (!MODIFIERS.has(parts[1]!)) throw new FilterError(`unknown modifier in ${JSON.stringify(combined)}`);
  return [parts[0]!, parts[1]!];
}

/** `column IN (<ids>)`, with the ids bound as one JSON array so the SQL text does not depend on their count. */
function inIds(column: string, ids: string[], params: SqlParams): string {
  const d = params.dialect;
  return `${d.quoteColumn(column)} IN (SELECT ${d.quoteIdent("value")} FROM ${d.jsonEachParam(params.add(JSON.stringify(ids)))})`;
}

/** A body value as a list (absent → empty; a non-list → one item). */
function toList(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? [...v] : [v];
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Walks `keys` into request data (objects by key, arrays by index, raw JSON decoded); undefined when missing. */
function extractNested(data: unknown, keys: string[]): { found: boolean; value: unknown } {
  let cur = data;
  for (const key of keys) {
    if (cur instanceof JSONRaw) {
      try {
        cur = JSON.parse(cur.raw);
      } catch {
        return { found: false, value: undefined };
      }
    }
    if (Array.isArray(cur)) {
      if (!/^[+-]?\d+$/.test(key)) return { found: false, value: undefined };
      const idx = Number(key);
      if (idx < 0 || idx >= cur.length) return { found: false, value: undefined };
      cur = cur[idx];
    } else if (cur !== null && typeof cur === "object" && !(cur instanceof Uint8Array)) {
      if (!hasOwn(cur, key)) return { found: false, value: undefined };
      cur = (cur as { [k: string]: unknown })[key];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: cur };
}

/** Resolves one identifier; a fresh runner per call. */
export class RecordFieldRunner {
  private props: string[] = [];
  private activeCollectionName = "";
  private activeTableAlias = "";
  /** `@request.*` paths resolve missing fields to NULL instead of failing. */
  private nullifyMissingField = false;
  private withMultiMatch = false;
  private multiMatchActiveTableAlias = "";
  private multiMatch!: MultiMatchSubquery;

  constructor(
    private readonly resolver: RecordFieldResolver,
    private readonly fieldName: string,
    private readonly params: SqlParams,
  ) {}

  /** How the query is rendered (the params' dialect). */
  private get d(): Dialect {
    return this.params.dialect;
  }

  /** Iterates a column normalized to a JSON array (a plain value is one item). */
  private jsonEach(column: string): string {
    return this.d.jsonEach(this.d.quoteColumn(column));
  }

  /** The item count of a column holding a JSON array or a plain value ('' and NULL count as 0). */
  private jsonArrayLength(column: string): string {
    return this.d.jsonArrayLength(this.d.quoteColumn(column));
  }

  /** A JSON path of a column, also on non-JSON values (read as `{"pb": value}`). */
  private jsonExtract(column: string, path: string): string {
    return this.d.jsonExtract(this.d.quoteColumn(column), path);
  }

  run(): ResolverResult {
    const r = this.resolver;
    if (!r.allowedFields.some((p) => p.test(this.fieldName))) {
      throw new FilterError(`failed to resolve field ${JSON.stringify(this.fieldName)}`);
    }
    this.prepare();

    if (this.props[0] === "@collection") return this.processCollectionField();

    if (this.props[0] === "@request") {
      if (!r.requestInfo) return NULL_RESULT();
      if (this.fieldName.startsWith("@request.auth.")) return this.processRequestAuthField();

      if (this.fieldName.startsWith("@request.body.") && this.props.length > 2) {
        const [name, modifier] = splitModifier(this.props[2]!);
        const bodyField = r.baseCollection.fields.getByName(name);
        if (!bodyField) return this.resolveStaticRequestField(this.props.slice(1));
        if (bodyField instanceof RelationField && this.props.length > 3)
          return this.processRequestBodyRelationField(bodyField);
        if (this.props.length === 3) {
          switch (modifier) {
            case EACH:
              return this.processRequestBodyEach(bodyField);
            case LENGTH:
              return this.processRequestBodyLength(bodyField);
            case LOWER:
              return this.processRequestBodyLower(bodyField);
            case CHANGED:
              return this.processRequestBodyChanged(bodyField);
          }
        }
      }
      return this.resolveStaticRequestField(this.props.slice(1));
    }

    return this.processActiveProps();
  }

  private prepare(): void {
    const r = this.resolver;
    this.props = this.fieldName.split(".");
    this.activeCollectionName = r.baseCollection.name;
    this.activeTableAlias = r.baseCollectionAlias || columnify(this.activeCollectionName);
    this.nullifyMissingField = this.props[0] === "@request";
    this.multiMatch = new MultiMatchSubquery(
      this.activeTableAlias,
      columnify(this.activeCollectionName),
      "__mm_" + this.activeTableAlias,
    );
    this.multiMatchActiveTableAlias = this.multiMatch.fromTableAlias;
    this.withMultiMatch = false;
  }

  // --- @collection ------------------------------------------------------------------------------

  /** `@collection.<nameOrId>[:alias].<path>`: an unconditioned join, always multi-valued. */
  private processCollectionField(): ResolverResult {
    if (this.props.length < 3)
      throw new FilterError(`invalid @collection field path in ${JSON.stringify(this.fieldName)}`);
    const raw = this.props[1]!;
    const sep = raw.indexOf(":");
    const nameOrId = sep < 0 ? raw : raw.slice(0, sep);
    const alias = sep < 0 ? "" : raw.slice(sep + 1);
    const collection = this.resolver.findCollection(nameOrId);
    if (!collection)
      throw new FilterError(
        `failed to load collection ${JSON.stringify(raw)} from field path ${JSON.stringify(this.fieldName)}`,
      );

    this.activeCollectionName = collection.name;
    this.activeTableAlias =
      columnify(alias !== "" ? "__collection_alias_" + alias : "__collection_" + collection.name) +
      this.resolver.joinAliasSuffix;
    this.withMultiMatch = true;

    this.resolver.registerJoin(columnify(collection.name), this.activeTableAlias);

    this.multiMatchActiveTableAlias = "__mm_" + this.activeTableAlias;
    this.multiMatch.joins.push({ table: columnify(collection.name), alias: this.multiMatchActiveTableAlias });

    this.props = this.props.slice(2);
    return this.processActiveProps();
  }

  // --- @request.auth ----------------------------------------------------------------------------

  private processRequestAuthField(): ResolverResult {
    const auth = this.resolver.requestInfo?.auth;
    if (!auth) return NULL_RESULT();
    if (PLAIN_AUTH_FIELDS.has(this.fieldName)) return this.resolveStaticRequestField(this.props.slice(1));

    // any other auth field: join the auth record's own row and walk from there
    const collection = auth.collection;
    this.activeCollectionName = collection.name;
    this.activeTableAlias = "__auth_" + columnify(collection.name) + this.resolver.joinAliasSuffix;
    this.resolver.registerJoin(
      columnify(collection.name),
      this.activeTableAlias,
      `${this.d.quoteColumn(this.activeTableAlias + ".id")} = ${this.params.add(auth.id)}`,
    );

    this.multiMatchActiveTableAlias = "__mm_" + this.activeTableAlias;
    this.multiMatch.joins.push({
      table: columnify(collection.name),
      alias: this.multiMatchActiveTableAlias,
      on: `${this.d.quoteColumn(this.multiMatchActiveTableAlias + ".id")} = ${this.params.add(auth.id)}`,
    });

    this.props = this.props.slice(2);
    return this.processActiveProps();
  }

  // --- @request.body.<field> with modifiers ------------------------------------------------------

  private body(): { [key: string]: unknown } {
    return this.resolver.requestInfo?.body ?? {};
  }

  /**
   * `:changed` ≡ `(@request.body.f:isset = true && @request.body.f != f)`, spliced in after the comparison is built.
   */
  private processRequestBodyChanged(field: Field): ResolverResult {
    const name = field.name;
    const aliasExpr = buildFilterExpr(
      `@request.body.${name}:isset = true && @request.body.${name} != ${name}`,
      this.resolver,
      this.params,
    );
    const placeholder = `@changed@${name}${this.params.alias("@")}@`;
    return {
      identifier: placeholder,
      nullFallback: NullFallback.Disabled,
      type: "bool",
      afterBuild: (expr) => expr.replaceAll(placeholder, aliasExpr),
    };
  }

  private processRequestBodyLower(field: Field): ResolverResult {
    const v = toGoString(this.body()[field.name]);
    const ph = this.params.add(v);
    return { identifier: this.d.lower(ph), params: { [ph]: v }, type: "text" };
  }

  private processRequestBodyLength(field: Field): ResolverResult {
    if (!isMultiValuer(field))
      throw new FilterError(`field ${JSON.stringify(field.name)} doesn't support multivalue operations`);
    return { identifier: String(toList(this.body()[field.name]).length), type: "number" };
  }

  private processRequestBodyEach(field: Field): ResolverResult {
    if (!isMultiValuer(field))
      throw new FilterError(`field ${JSON.stringify(field.name)} doesn't support multivalue operations`);
    const raw = goMarshal(toList(this.body()[field.name]));
    const ph = this.params.add(raw);
    const jeAlias = "__dataEach_je_" + columnify(field.name) + this.resolver.joinAliasSuffix;
    this.resolver.registerJoin(this.d.jsonEachParam(ph), jeAlias);
    const result: ResolverResult = {
      identifier: this.d.quoteColumn(jeAlias + ".value"),
      params: { [ph]: raw },
      type: "text",
    };

    if (field.isMultiple()) this.withMultiMatch = true;
    if (this.withMultiMatch) {
      const jeAlias2 = "__mm_" + jeAlias;
      this.multiMatch.joins.push({ table: this.d.jsonEachParam(this.params.add(raw)), alias: jeAlias2 });
      this.multiMatch.valueIdentifier = this.d.quoteColumn(jeAlias2 + ".value");
      result.multiMatch = this.multiMatch;
    }
    return result;
  }

  /** `@request.body.<relation>.<path>`: joins the submitted related records. */
  private processRequestBodyRelationField(field: RelationField): ResolverResult {
    const relCollection = this.resolver.findCollection(field.collectionId);
    if (!relCollection) {
      throw new FilterError(
        `failed to load collection ${JSON.stringify(field.collectionId)} from data field ${JSON.stringify(field.name)}`,
      );
    }
    const body = this.body();
    const ids = Object.keys(body).length > 0 ? toUniqueStringSlice(body[field.name]) : [];
    if (ids.length === 0) return NULL_RESULT();

    this.activeCollectionName = relCollection.name;
    this.activeTableAlias = columnify(`__data_${relCollection.name}_${field.name}`) + this.resolver.joinAliasSuffix;
    this.resolver.registerJoin(
      relCollection.name,
      this.activeTableAlias,
      inIds(this.activeTableAlias + ".id", ids, this.params),
    );

    if (field.isMultiple()) this.withMultiMatch = true;

    this.multiMatchActiveTableAlias = "__mm_" + this.activeTableAlias;
    this.multiMatch.joins.push({
      table: relCollection.name,
      alias: this.multiMatchActiveTableAlias,
      on: inIds(this.multiMatchActiveTableAlias + ".id", ids, this.params),
    });

    this.props = this.props.slice(3);
    return this.processActiveProps();
  }

  // --- static @request values ------------------------------------------------------------------

  /** The request data a static `@request.*` path reads (the auth record exported with every field). */
  private staticRequestInfo(): { [key: string]: unknown } {
    const ri = this.resolver.requestInfo!;
    let auth: { [key: string]: unknown } | null = null;
    if (ri.auth) {
      auth = { collectionId: ri.auth.collection.id, collectionName: ri.auth.collection.name };
      for (const f of ri.auth.collection.fields) {
        if (f.name === "password" || f.name === "tokenKey") continue;
        auth[f.name] = ri.auth.get(f.name);
      }
    }
    return { context: ri.context, method: ri.method, query: ri.query, headers: ri.headers, body: ri.body, auth };
  }

  private resolveStaticRequestField(path: string[]): ResolverResult {
    if (path.length === 0) throw new FilterError("at least one path key should be provided");
    const keys = [...path];
    const [lastProp, modifier] = splitModifier(keys[keys.length - 1]!);
    keys[keys.length - 1] = lastProp;

    const { found, value: raw } = extractNested(this.staticRequestInfo(), keys);
    if (modifier === ISSET) return { identifier: found ? "TRUE" : "FALSE", type: "bool" };

    let value: unknown = found ? raw : undefined;
    let real = false;
    if (typeof value === "string") {
      // numeric strings of a number field compare as numbers (multipart bodies are all strings)
      const f = this.resolver.baseCollection.fields.getByName(lastProp);
      if (f?.type === "number") {
        const n = parseGoFloat(value);
        if (n !== null) value = n;
      }
    } else if (value instanceof JSONRaw) {
      value = value.goString();
    } else if (value !== null && value !== undefined && typeof value === "object" && !(value instanceof Uint8Array)) {
      value = goMarshal(value);
    } else if (typeof value === "bigint") {
      value = Number(value);
    }
    if (typeof value === "number") {
      real = true; // decoded JSON numbers are Go float64s
      if (!Number.isFinite(value)) value = null; // SQLite has no NaN/Inf to compare with
    }

    if (modifier !== "" && modifier !== LOWER)
      throw new FilterError(`invalid modifier sequence ${lastProp}:${modifier}`);
    if (value === null || value === undefined) return NULL_RESULT();

    const ph = this.params.add(value, { real });
    if (modifier === LOWER) return { identifier: this.d.lower(ph), params: { [ph]: value }, type: "text" };
    const type = typeof value === "number" || typeof value === "boolean" ? "number" : "text";
    return { identifier: ph, params: { [ph]: value }, type };
  }

  // --- collection field paths --------------------------------------------------------------------

  private processActiveProps(): ResolverResult {
    const r = this.resolver;
    const total = this.props.length;

    for (let i = 0; i < total; i++) {
      const prop = this.props[i]!;
      const collection = r.findCollection(this.activeCollectionName);
      if (!collection) throw new FilterError(`failed to resolve field ${JSON.stringify(prop)}`);

      if (i === total - 1) return this.finalize(collection, prop);

      const field = collection.fields.getByName(prop);
      if (field?.hidden && !r.allowHiddenFields) throw new FilterError(`non-filterable field ${JSON.stringify(prop)}`);

      // json and geoPoint fields: the rest of the path is a JSON path
      if (field && (field.type === "json" || field.type === "geoPoint")) {
        let path = "";
        this.props.slice(i + 1).forEach((p, j) => {
          if (/^\d+$/.test(p)) path += `[${columnify(p)}]`;
          else path += (j > 0 ? "." : "") + columnify(p);
        });
        const column = this.activeTableAlias + "." + columnify(prop);
        const result: ResolverResult = {
          nullFallback: NullFallback.Disabled,
          identifier: this.jsonExtract(column, path),
          type: "json",
          jsonSource: { expr: this.d.quoteColumn(column), path },
        };
        if (this.withMultiMatch) {
          const mmColumn = this.multiMatchActiveTableAlias + "." + columnify(prop);
          this.multiMatch.valueIdentifier = this.jsonExtract(mmColumn, path);
          this.multiMatch.valueJsonSource = { expr: this.d.quoteColumn(mmColumn), path };
          result.multiMatch = this.multiMatch;
        }
        return result;
      }

      if (i >= MAX_NESTED_RELS) throw new FilterError(`max nested relations reached for field ${JSON.stringify(prop)}`);

      if (!field) {
        const back = this.processBackRelation(collection, prop);
        if (back) return back;
        continue;
      }

      if (!(field instanceof RelationField))
        throw new FilterError(`field ${JSON.stringify(prop)} is not a valid relation`);
      const relCollection = r.findCollection(field.collectionId);
      if (!relCollection) throw new FilterError(`failed to load field ${JSON.stringify(prop)} collection`);

      // `rel.id` of a single relation is the column itself: no join needed
      if (!field.isMultiple() && i === total - 2 && this.props[i + 1] === "id")
        return this.finalize(collection, field.name);

      const cleanField = columnify(field.name);
      const prefixed = this.activeTableAlias + "." + cleanField;
      const newAlias = this.activeTableAlias + "_" + cleanField + r.joinAliasSuffix;
      const newCollection = relCollection.name;

      if (!field.isMultiple()) {
        r.registerJoin(
          columnify(newCollection),
          newAlias,
          `${this.d.quoteColumn(newAlias + ".id")} = ${this.d.quoteColumn(prefixed)}`,
        );
      } else {
        const je = "__je_" + newAlias;
        r.registerJoin(this.jsonEach(prefixed), je);
        r.registerJoin(
          columnify(newCollection),
          newAlias,
          `${this.d.quoteColumn(newAlias + ".id")} = ${this.d.quoteColumn(je + ".value")}`,
        );
      }
      this.activeCollectionName = newCollection;
      this.activeTableAlias = newAlias;

      // the same hop inside the multi-match subquery
      if (field.isMultiple()) this.withMultiMatch = true;
      const newAlias2 = this.multiMatchActiveTableAlias + "_" + cleanField;
      const prefixed2 = this.multiMatchActiveTableAlias + "." + cleanField;
      if (!field.isMultiple()) {
        this.multiMatch.joins.push({
          table: columnify(newCollection),
          alias: newAlias2,
          on: `${this.d.quoteColumn(newAlias2 + ".id")} = ${this.d.quoteColumn(prefixed2)}`,
        });
      } else {
        const je2 = this.multiMatchActiveTableAlias + "_" + cleanField + "_je";
        this.multiMatch.joins.push(
          { table: this.jsonEach(prefixed2), alias: je2 },
          {
            table: columnify(newCollection),
            alias: newAlias2,
            on: `${this.d.quoteColumn(newAlias2 + ".id")} = ${this.d.quoteColumn(je2 + ".value")}`,
          },
        );
      }
      this.multiMatchActiveTableAlias = newAlias2;
    }

    throw new FilterError(`failed to resolve field ${JSON.stringify(this.fieldName)}`);
  }

  /**
   * `<collection>_via_<relationField>`: the records of another collection pointing at this one.
   * Returns a result only when the path must stop (NULL for `@request.*` paths); otherwise the
   * join is registered and the walk continues from the back-related collection.
   */
  private processBackRelation(collection: Collection, prop: string): ResolverResult | null {
    const r = this.resolver;
    const missing = (message: string): ResolverResult => {
      if (this.nullifyMissingField) return NULL_RESULT();
      throw new FilterError(message);
    };

    const m = VIA_RE.exec(prop);
    if (!m) return missing(`failed to resolve field ${JSON.stringify(prop)}`);
    const backCollection = r.findCollection(m[1]!);
    if (!backCollection) return missing(`failed to load back relation field ${JSON.stringify(prop)} collection`);
    const backField = backCollection.fields.getByName(m[2]!);
    if (!backField) return missing(`missing back relation field ${JSON.stringify(m[2])}`);
    if (!(backField instanceof RelationField)) return missing(`invalid back relation field ${JSON.stringify(m[2])}`);
    if (backField.hidden && !r.allowHiddenFields)
      throw new FilterError(`non-filterable back relation field ${JSON.stringify(backField.name)}`);
    if (backField.collectionId !== collection.id) {
      return missing(`invalid collection reference of a back relation field ${JSON.stringify(backField.name)}`);
    }

    const cleanProp = columnify(prop);
    const cleanBack = columnify(backField.name);
    const newAlias = this.activeTableAlias + "_" + cleanProp + r.joinAliasSuffix;
    const newCollection = columnify(backCollection.name);
    const multiple = backField.isMultiple();

    if (!multiple) {
      r.registerJoin(
        newCollection,
        newAlias,
        `${this.d.quoteColumn(newAlias + "." + cleanBack)} = ${this.d.quoteColumn(this.activeTableAlias + ".id")}`,
      );
    } else {
      const je = "__je_" + newAlias;
      r.registerJoin(
        newCollection,
        newAlias,
        `${this.d.quoteColumn(this.activeTableAlias + ".id")} IN (SELECT ${this.d.quoteColumn(je + ".value")} FROM ${this.jsonEach(newAlias + "." + cleanBack)} ${this.d.quoteIdent(je)})`,
      );
    }
    this.activeCollectionName = newCollection;
    this.activeTableAlias = newAlias;

    // a single back-relation is multi-valued unless its field is unique
    if (multiple) this.withMultiMatch = true;
    else if (!this.withMultiMatch)
      this.withMultiMatch = findSingleColumnUniqueIndex(backCollection.indexes, backField.name) === null;

    const newAlias2 = this.multiMatchActiveTableAlias + "_" + cleanProp + r.joinAliasSuffix;
    if (!multiple) {
      this.multiMatch.joins.push({
        table: newCollection,
        alias: newAlias2,
        on: `${this.d.quoteColumn(newAlias2 + "." + cleanBack)} = ${this.d.quoteColumn(this.multiMatchActiveTableAlias + ".id")}`,
      });
    } else {
      const je2 = "__je_" + newAlias2;
      this.multiMatch.joins.push({
        table: newCollection,
        alias: newAlias2,
        on: `${this.d.quoteColumn(this.multiMatchActiveTableAlias + ".id")} IN (SELECT ${this.d.quoteColumn(je2 + ".value")} FROM ${this.jsonEach(newAlias2 + "." + cleanBack)} ${this.d.quoteIdent(je2)})`,
      });
    }
    this.multiMatchActiveTableAlias = newAlias2;
    return null;
  }

  /** The last path segment: a field of `collection`, with its modifier. */
  private finalize(collection: Collection, prop: string): ResolverResult {
    const r = this.resolver;
    const [name, modifier] = splitModifier(prop);
    const field = collection.fields.getByName(name);
    if (!field) {
      if (this.nullifyMissingField) return NULL_RESULT();
      throw new FilterError(`unknown field ${JSON.stringify(name)}`);
    }
    if (field.hidden && !r.allowHiddenFields) throw new FilterError(`non-filterable field ${JSON.stringify(name)}`);

    const clean = columnify(field.name);
    const column = this.activeTableAlias + "." + clean;
    const mmColumn = this.multiMatchActiveTableAlias + "." + clean;

    if (modifier === LENGTH && isMultiValuer(field)) {
      const result: ResolverResult = { identifier: this.jsonArrayLength(column), type: "number" };
      if (this.withMultiMatch) {
        this.multiMatch.valueIdentifier = this.jsonArrayLength(mmColumn);
        result.multiMatch = this.multiMatch;
      }
      return result;
    }

    if (modifier === EACH && isMultiValuer(field)) {
      const jeAlias = "__je_" + this.activeTableAlias + "_" + clean + r.joinAliasSuffix;
      r.registerJoin(this.jsonEach(column), jeAlias);
      const result: ResolverResult = { identifier: this.d.quoteColumn(jeAlias + ".value"), type: "text" };
      if (field.isMultiple()) this.withMultiMatch = true;
      if (this.withMultiMatch) {
        const jeAlias2 = "__je_" + this.multiMatchActiveTableAlias + "_" + clean + r.joinAliasSuffix;
        this.multiMatch.joins.push({ table: this.jsonEach(mmColumn), alias: jeAlias2 });
        this.multiMatch.valueIdentifier = this.d.quoteColumn(jeAlias2 + ".value");
        result.multiMatch = this.multiMatch;
      }
      return result;
    }

    const result: ResolverResult = {
      identifier: this.d.quoteColumn(column),
      type: field.type === "number" || field.type === "bool" ? "numberColumn" : "textColumn",
    };
    if (this.withMultiMatch) {
      this.multiMatch.valueIdentifier = this.d.quoteColumn(mmColumn);
      result.multiMatch = this.multiMatch;
    }

    // client filters may only match auth emails their owners made public
    const emailVisibility =
      field.name === "email" && !r.allowHiddenFields && collection.isAuth()
        ? this.d.quoteColumn(this.activeTableAlias + ".emailVisibility")
        : "";
    if (emailVisibility) result.afterBuild = (expr) => `((${expr}) AND (${this.d.isTrue(emailVisibility)}))`;

    // json values compare through json_extract so top-level primitives behave like SQL values
    if (field.type === "json") {
      result.nullFallback = NullFallback.Disabled;
      result.identifier = this.jsonExtract(column, "");
      result.type = "json";
      result.jsonSource = { expr: this.d.quoteColumn(column), path: "" };
      if (this.withMultiMatch) {
        this.multiMatch.valueIdentifier = this.jsonExtract(mmColumn, "");
        this.multiMatch.valueJsonSource = { expr: this.d.quoteColumn(mmColumn), path: "" };
      }
    }

    if (modifier === LOWER) {
      result.identifier = this.d.lower(result.identifier);
      result.type = "text";
      result.jsonSource = undefined;
      if (this.withMultiMatch) {
        this.multiMatch.valueIdentifier = this.d.lower(this.multiMatch.valueIdentifier);
        this.multiMatch.valueJsonSource = undefined;
      }
    }
    // and sort only by those too: ordering by private emails would let a caller who can add
    // records of its own locate another's email letter by letter (upstream sorts by the raw email)
    if (emailVisibility)
      result.sortIdentifier = `(CASE WHEN ${this.d.isTrue(emailVisibility)} THEN ${result.identifier} END)`;
    return result;
  }
}
