/**
 * The catalog methods every driver shares: they only run the dialect's catalog SQL through the
 * driver's own statements (upstream's core/db_table.go asks SQLite the same questions).
 */
import type { Dialect, SqlBindings, TableColumn } from "../../tools/sql/dialect.ts";

export abstract class DbCatalog {
  abstract readonly dialect: Dialect;
  abstract all<T>(sql: string, params?: SqlBindings): Promise<T[]>;
  abstract get<T>(sql: string, params?: SqlBindings): Promise<T | null>;

  async tableColumns(table: string): Promise<TableColumn[]> {
    return this.all<TableColumn>(this.dialect.catalog.tableColumns(table));
  }

  async hasTable(name: string): Promise<boolean> {
    return (await this.get(this.dialect.catalog.hasTable, [name])) !== null;
  }

  async tableIndexes(table: string): Promise<Map<string, string>> {
    const rows = await this.all<{ name: string; sql: string }>(this.dialect.catalog.tableIndexes, [table]);
    return new Map(rows.map((r) => [r.name, r.sql]));
  }
}
