import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "./app.ts";
import { newBaseCollection } from "./collection.ts";
import { saveCollection } from "./collection_save.ts";
import { NumberField, RelationField, TextField } from "./fields/index.ts";
import { Record } from "./record.ts";
import { findRecordById } from "./record_query.ts";
import { deleteRecord, saveRecord } from "./record_save.ts";

let dir: string;
let app: App;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pb-save-"));
  app = new App({ dataDir: dir });
  await app.bootstrap();
  const tags = newBaseCollection("tags");
  tags.fields.add(new TextField({ name: "name" }));
  await saveCollection(app, tags);
  const items = newBaseCollection("items");
  items.fields.add(
    new TextField({ name: "title" }),
    new NumberField({ name: "n" }),
    new RelationField({ name: "tag", collectionId: tags.id, maxSelect: 1, cascadeDelete: true }),
  );
  await saveCollection(app, items);
});
afterAll(async () => {
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

test("a create fires record and model hooks in upstream's order, success after commit", async () => {
  const log: string[] = [];
  const ids: string[] = [];
  const bind = (name: string, hook: { bindFunc(fn: (e: any) => Promise<void>): string }) =>
    ids.push(
      hook.bindFunc(async (e) => {
        log.push(name + ">");
        await e.next();
        log.push("<" + name);
      }),
    );
  bind("recordCreate", app.onRecordCreate("items"));
  bind("modelCreate", app.onModelCreate());
  bind("recordValidate", app.onRecordValidate("items"));
  bind("modelValidate", app.onModelValidate());
  bind("recordExec", app.onRecordCreateExecute("items"));
  bind("modelExec", app.onModelCreateExecute());
  bind("recordOk", app.onRecordAfterCreateSuccess("items"));
  bind("modelOk", app.onModelAfterCreateSuccess());
  bind("otherCollection", app.onRecordCreate("tags"));

  const r = new Record(app.findCollection("items")!);
  r.set("title", "first");
  await saveRecord(app, r);
  expect(log).toEqual([
    "recordCreate>",
    "modelCreate>",
    "recordValidate>",
    "modelValidate>",
    "<modelValidate",
    "<recordValidate",
    "recordExec>",
    "modelExec>",
    "<modelExec",
    "<recordExec",
    "<modelCreate",
    "<recordCreate",
    "recordOk>",
    "modelOk>",
    "<modelOk",
    "<recordOk",
  ]);
  expect(r.isNew).toBe(false);
  expect((await findRecordById(app, "items", r.id))?.getString("title")).toBe("first");
  app.onRecordCreate.hook.unbind(...ids);
  app.onModelCreate.hook.unbind(...ids);
  for (const h of [
    app.onRecordValidate,
    app.onModelValidate,
    app.onRecordCreateExecute,
    app.onModelCreateExecute,
    app.onRecordAfterCreateSuccess,
    app.onModelAfterCreateSuccess,
  ])
    h.hook.unbind(...ids);
});

test("a handler that skips next() prevents the write; a throwing one fires the error hooks", async () => {
  const skip = app.onRecordCreate("items").bindFunc(() => {});
  const r = new Record(app.findCollection("items")!);
  r.set("title", "never");
  await saveRecord(app, r);
  expect(await findRecordById(app, "items", r.id)).toBeNull();
  app.onRecordCreate.hook.unbind(skip);

  const errors: unknown[] = [];
  const boom = app.onRecordCreateExecute("items").bindFunc(() => {
    throw new Error("boom");
  });
  const errHook = app.onRecordAfterCreateError("items").bindFunc(async (e) => {
    errors.push(e.error);
    await e.next();
  });
  const r2 = new Record(app.findCollection("items")!);
  await expect(saveRecord(app, r2)).rejects.toThrow("boom");
  expect(r2.isNew).toBe(true);
  expect((errors[0] as Error).message).toBe("boom");
  app.onRecordCreateExecute.hook.unbind(boom);
  app.onRecordAfterCreateError.hook.unbind(errHook);
});

test("inside a transaction success hooks wait for the commit, and a rollback fires error hooks instead", async () => {
  const seen: string[] = [];
  const ok = app.onRecordAfterCreateSuccess("items").bindFunc(async (e) => {
    seen.push("ok:" + e.record.getString("title"));
    await e.next();
  });
  const bad = app.onRecordAfterCreateError("items").bindFunc(async (e) => {
    seen.push("err:" + e.record.getString("title"));
    await e.next();
  });
  await app.runInTransaction(async () => {
    const r = new Record(app.findCollection("items")!);
    r.set("title", "in-tx");
    await saveRecord(app, r);
    expect(seen).toEqual([]);
  });
  expect(seen).toEqual(["ok:in-tx"]);
  await expect(
    app.runInTransaction(async () => {
      const r = new Record(app.findCollection("items")!);
      r.set("title", "rolled-back");
      await saveRecord(app, r);
      throw new Error("abort");
    }),
  ).rejects.toThrow("abort");
  expect(seen).toEqual(["ok:in-tx", "err:rolled-back"]);
  expect(await app.db.get("SELECT COUNT(*) AS n FROM items WHERE title = 'rolled-back'")).toEqual({ n: 0 });
  app.onRecordAfterCreateSuccess.hook.unbind(ok);
  app.onRecordAfterCreateError.hook.unbind(bad);
});

test("updates fire update hooks; deletes cascade to records whose required list empties", async () => {
  const tag = new Record(app.findCollection("tags")!);
  tag.set("name", "t");
  await saveRecord(app, tag);
  const item = new Record(app.findCollection("items")!);
  item.set("title", "tagged");
  item.set("tag", tag.id);
  await saveRecord(app, item);
  const types: string[] = [];
  const h = app.onRecordDelete().bindFunc(async (e) => {
    types.push(`${e.record.collection.name}:${e.type}`);
    await e.next();
  });
  item.set("n+", 5);
  await saveRecord(app, item);
  expect((await findRecordById(app, "items", item.id))?.getNumber("n")).toBe(5);
  await deleteRecord(app, tag);
  expect(types).toEqual(["tags:delete", "items:delete"]);
  expect(await findRecordById(app, "items", item.id)).toBeNull();
  app.onRecordDelete.hook.unbind(h);
});
