/** The schema the HTTP fuzzers run against (posts/authors/notes/locked plus a canary table); returns record ids. */
import { App } from "../../src/core/app.ts";
import { testAppConfig } from "../harness.ts";
import { newBaseCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import {
  AutodateField,
  BoolField,
  EditorField,
  JSONField,
  NumberField,
  RelationField,
  SelectField,
  TextField,
} from "../../src/core/fields/index.ts";
import { Record } from "../../src/core/record.ts";
import { saveRecord } from "../../src/core/record_save.ts";

export async function buildFuzzSchema(dataDir: string): Promise<string[]> {
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const authors = newBaseCollection("authors");
  authors.fields.add(new TextField({ name: "name" }), new TextField({ name: "secret", hidden: true }));
  authors.listRule = authors.viewRule = "";
  authors.createRule = "@request.auth.id != ''";
  await saveCollection(app, authors);
  const posts = newBaseCollection("posts");
  posts.fields.add(
    new TextField({ name: "title", max: 100 }),
    new NumberField({ name: "views" }),
    new SelectField({ name: "tags", values: ["a", "b", "c"], maxSelect: 3 }),
    new RelationField({ name: "author", collectionId: authors.id, maxSelect: 1 }),
    new RelationField({ name: "coauthors", collectionId: authors.id, maxSelect: 5 }),
    new JSONField({ name: "meta" }),
    new BoolField({ name: "published" }),
    new EditorField({ name: "body" }),
    new AutodateField({ name: "created", onCreate: true }),
  );
  posts.listRule = "published = true || @request.auth.id != ''";
  posts.viewRule = posts.createRule = posts.updateRule = "";
  posts.deleteRule = "views > 10";
  await saveCollection(app, posts);
  const notes = newBaseCollection("notes");
  notes.fields.add(
    new TextField({ name: "text" }),
    new RelationField({ name: "author", collectionId: authors.id, maxSelect: 1, required: true }),
  );
  notes.listRule = notes.viewRule = notes.createRule = "";
  await saveCollection(app, notes);
  const locked = newBaseCollection("locked");
  locked.fields.add(new TextField({ name: "x" }));
  await saveCollection(app, locked);
  await app.db.exec("CREATE TABLE canary (x TEXT); INSERT INTO canary VALUES ('alive');");
  const settings = app.settings();
  settings.batch.enabled = true;
  await app.saveSettings(settings);

  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const a = new Record(authors);
    a.set("name", `author ${i}`);
    await saveRecord(app, a);
    const p = new Record(posts);
    p.load({ title: `post ${i}`, views: i * 5, author: a.id, published: i % 2 === 0, tags: ["a"] });
    await saveRecord(app, p);
    ids.push(a.id, p.id);
  }
  await app.terminate();
  return ids;
}
