/**
 * The filter/sort/search toolkit: parse upstream's filter language, build parameterized SQL through
 * a FieldResolver, and page through results. Knows nothing of collections or the app.
 */
export * from "./errors.ts";
export * from "./parser.ts";
export * from "./resolver.ts";
export * from "./filter.ts";
export * from "./sort.ts";
export * from "./sql.ts";
export * from "./macros.ts";
export * from "./functions.ts";
export * from "./provider.ts";
export type { OperandType } from "./typed.ts";
