import { expect, test } from "bun:test";
import { dbxQuote } from "./dbx.ts";
import { sqliteDialect } from "./dialect.ts";

test("dbx quoting on SQLite: placeholders, dotted names, already-quoted names and expressions", () => {
  const q = dbxQuote(sqliteDialect);
  expect(q.expand("SELECT [[a.b]], [[c]] FROM {{t}} JOIN {{s.u}}")).toBe("SELECT `a`.`b`, `c` FROM `t` JOIN `s`.`u`");
  expect(q.column("t.*")).toBe("`t`.*");
  expect(q.column("`x`")).toBe("`x`");
  expect(q.column('"x"')).toBe('`"x"`');
  expect(q.column("count(*)")).toBe("count(*)");
  expect(q.table("{{t}}")).toBe("{{t}}");
  expect(dbxQuote(sqliteDialect)).toBe(q);
});
