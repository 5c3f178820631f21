/**
 * The field registry: importing this module registers all 14 upstream field types.
 * Adding a field type is adding one file here and importing it below.
 */
export * from "./field.ts";
export * from "./fields_list.ts";
export * from "./cast.ts";
export * from "./datetime.ts";
export * from "./text.ts";
export * from "./number.ts";
export * from "./bool.ts";
export * from "./email.ts";
export * from "./url.ts";
export * from "./editor.ts";
export * from "./date.ts";
export * from "./autodate.ts";
export * from "./select.ts";
export * from "./file.ts";
export * from "./relation.ts";
export * from "./json.ts";
export * from "./password.ts";
export * from "./geo_point.ts";
export * from "./validate.ts";
export { generateFromPattern } from "../validators/regex.ts";
