/**
 * RecordFieldResolver: what a filter identifier means for a collection (upstream's
 * core/record_field_resolver.go). It resolves plain fields, relation paths (joins), back-relations,
 * `@collection.*`, `@request.*` and modifiers into SQL operands, collects the joins they need and,
 * for client filters, the list rules of every collection reached through a join.
 *
 * The per-identifier walk lives in record_field_resolver_runner.ts.
 */
import {
  buildFilterExpr,
  FilterError,
  type FieldResolver,
  type Join,
  type ResolverResult,
  type SelectQuery,
  type SqlParams,
} from "../tools/search/index.ts";
import type { App } from "./app.ts";
import type { Collection } from "./collection.ts";
import type { RequestInfo } from "./request_info.ts";
import { RecordFieldRunner } from "./record_field_resolver_runner.ts";

/** A join whose collection's list rule must also hold (client filters only). */
interface RuleJoin {
  collection: Collection;
  tableAlias: string;
}

/** Resolves filter/sort identifiers of one collection; use one instance per query. */
export class RecordFieldResolver implements FieldResolver {
  /** The joins the resolved identifiers need, by alias. */
  joins: Join[] = [];
  /** Collections reached through client-filter joins, whose list rules get ANDed in `updateQuery`. */
  listRuleJoins: RuleJoin[] = [];
  /** Appended to join aliases so a list-rule sub-resolver cannot clash with the outer query. */
  joinAliasSuffix = "";
  /** The alias of the base collection's table ("" = its name). */
  baseCollectionAlias = "";
  /** The patterns an identifier must match to be resolved at all. */
  allowedFields: RegExp[] = DEFAULT_ALLOWED_FIELDS;

  constructor(
    readonly app: App,
    public baseCollection: Collection,
    /** The request the rule is checked for; null resolves every `@request.*` to NULL. */
    readonly requestInfo: RequestInfo | null,
    /**
     * True for API rules and internal queries: hidden fields may be used and joined collections'
     * list rules are not enforced. False for non-superuser client filters.
     */
    public allowHiddenFields: boolean,
  ) {}

  resolve(field: string, params: SqlParams): ResolverResult {
    return new RecordFieldRunner(this, field, params).run();
  }

  /** The collection with this name or id (the base collection itself included), or null. */
  findCollection(nameOrId: string): Collection | null {
    if (nameOrId === this.baseCollection.name || nameOrId === this.baseCollection.id) return this.baseCollection;
    return this.app.findCollection(nameOrId);
  }

  /** Like findCollection, but throws FilterError. */
  loadCollection(nameOrId: string): Collection {
    const c = this.findCollection(nameOrId);
    if (!c) throw new FilterError(`missing collection ${JSON.stringify(nameOrId)}`);
    return c;
  }

  /**
   * Registers (or replaces, by alias) a join. For client filters, a joined collection must have a
   * non-null list rule, which is then enforced for that alias.
   */
  registerJoin(table: string, alias: string, on?: string): void {
    if (!this.allowHiddenFields) {
      // table expressions such as json_each(...) are not collections
      const c = table.includes("(") ? null : this.findCollection(table);
      if (c) {
        if (c.listRule === null) {
          throw new FilterError(
            `${JSON.stringify(c.name)} fields can be accessed only when allowHiddenFields is enabled or by superusers`,
          );
        }
        const existing = this.listRuleJoins.find((j) => j.tableAlias === alias);
        if (existing) existing.collection = c;
        else this.listRuleJoins.push({ collection: c, tableAlias: alias });
      }
    }
    const join: Join = { table, alias, on };
    const i = this.joins.findIndex((j) => j.alias === alias);
    if (i >= 0) this.joins[i] = join;
    else this.joins.push(join);
  }

  /** Adds the collected joins (with DISTINCT, since joins can repeat rows) and the joined collections' list rules. */
  updateQuery(query: SelectQuery): void {
    if (this.joins.length > 0) {
      query.distinct = true;
      for (const j of this.joins) query.leftJoin(j);
    }
    for (const rj of this.listRuleJoins) this.applyCollectionListRule(rj.collection, rj.tableAlias, query);
  }

  /**
   * ANDs `alias.id = '' OR (<listRule>)` into the query, resolved for the joined alias.
   * The empty-id alternative keeps "a.x != '' || b.y != ''" true when relation `a` is merely empty.
   */
  private applyCollectionListRule(c: Collection, alias: string, query: SelectQuery): void {
    if (this.allowHiddenFields || c.listRule === null || c.listRule === "") return;
    const sub = new RecordFieldResolver(this.app, c, this.requestInfo, true);
    sub.baseCollectionAlias = alias;
    sub.joinAliasSuffix = query.params.alias("__lr");
    let expr: string;
    try {
      // the newlines end any `//` comment of the rule
      expr = buildFilterExpr(`id='' || (\n${c.listRule}\n)`, sub, query.params);
    } catch (err) {
      throw new FilterError(
        `failed to build ${JSON.stringify(c.name)} ListRule join subquery filter expression: ${(err as Error).message}`,
      );
    }
    query.andWhere(expr);
    if (sub.joins.length > 0) {
      query.distinct = true;
      for (const j of sub.joins) query.leftJoin(j);
    }
  }
}

/** Which identifiers a record filter may use at all. */
const DEFAULT_ALLOWED_FIELDS: RegExp[] = [
  /^\w+[\w.:]*$/,
  /^@request\.context$/,
  /^@request\.method$/,
  /^@request\.auth\.[\w.:]*\w+$/,
  /^@request\.body\.[\w.:]*\w+$/,
  /^@request\.query\.[\w.:]*\w+$/,
  /^@request\.headers\.[\w.:]*\w+$/,
  /^@collection\.\w+(:\w+)?\.[\w.:]*\w+$/,
];
