import { expect, test } from "bun:test";
import { Collection } from "../core/collection.ts";
import { NumberField, TextField } from "../core/fields/index.ts";
import { diffMaps, diffTemplate, EmptyTemplateError, marshalIndent } from "./migrate_templates.ts";
import { normalizeCollectionName } from "./automigrate.ts";
import { buildQuery, finalize } from "./dbx.ts";
import { sqliteDialect } from "../tools/sql/dialect.ts";
import { snakeCase } from "../cli/migrate.ts";

test("marshalIndent writes Go's MarshalIndent(v, '  ', '  ') with sorted keys and no HTML escaping", () => {
  expect(marshalIndent({ b: 1, a: { d: [], c: "<x>&" } })).toBe(
    '{\n    "a": {\n      "c": "<x>&",\n      "d": []\n    },\n    "b": 1\n  }',
  );
});

test("diffMaps: changed keys, nested maps diffed, removed keys null, excluded keys skipped", () => {
  expect(
    diffMaps({ a: 1, b: { x: 1, y: 2 }, c: 3, fields: [] }, { a: 1, b: { x: 1, y: 3 }, d: 4, fields: [1] }, "fields"),
  ).toEqual({ b: { y: 3 }, d: 4, c: null });
});

test("diffTemplate: an update with a rule change, an added and a removed field", () => {
  const old = Collection.create("base", "notes");
  old.fields.add(new TextField({ name: "body" }), new TextField({ name: "gone" }));
  const next = old.clone();
  next.listRule = "";
  next.fields.removeByName("gone");
  next.fields.add(new NumberField({ name: "score" }));
  const t = diffTemplate(next, old);
  expect(t).toStartWith(
    `/// <reference path="../pb_data/types.d.ts" />\nmigrate((app) => {\n  const collection = app.findCollectionByNameOrId("${old.id}")\n\n  // update collection data\n  unmarshal({\n    "listRule": ""\n  }, collection)`,
  );
  expect(t).toContain(`collection.fields.removeById("${old.fields.getByName("gone")!.id}")`);
  expect(t).toContain(`collection.fields.addAt(2, new Field({`);
  expect(t).toContain(`// update collection data\n  unmarshal({\n    "listRule": null\n  }, collection)`);
  expect(() => diffTemplate(next, next.clone())).toThrow(EmptyTemplateError);
});

test("automigrate file names and migrate create names", () => {
  expect(normalizeCollectionName("mytest")).toBe("mytest_");
  expect(normalizeCollectionName("posts")).toBe("posts");
  expect(snakeCase("AddPostsTable")).toBe("add_posts_table");
  expect(snakeCase("myTestDB")).toBe("my_test_db");
  expect(snakeCase("with spaces-and.dots")).toBe("with_spaces_and_dots");
});

test("dbx: expressions and builders become parameterised SQL", () => {
  const q = buildQuery(sqliteDialect, {
    kind: "select",
    select: ["id", "count(*) as n"],
    from: ["posts"],
    where: {
      __dbx: "and",
      list: [
        { __dbx: "hash", h: { status: "active", deleted: null, kind: ["a", "b"] } },
        { __dbx: "like", col: "title", values: ["50%"], left: true, right: true },
        { __dbx: "exp", sql: "views > {:min}", params: { min: 5 } },
      ],
    },
    groupBy: ["id"],
    orderBy: ["n DESC"],
    limit: 10,
  });
  const f = finalize(sqliteDialect, q.sql, q.params);
  expect(f.sql).toBe(
    "SELECT `id`, count(*) as n FROM `posts` WHERE ((`deleted` IS NULL) AND (`kind` IN (?, ?)) AND (`status`=?)) AND (`title` LIKE ?) AND (views > ?) GROUP BY `id` ORDER BY `n` DESC LIMIT 10",
  );
  expect(f.args).toEqual(["a", "b", "active", "%50\\%%", 5]);
  expect(() => finalize(sqliteDialect, "SELECT {:missing}", {})).toThrow('Named parameter "missing" is not found');
});
