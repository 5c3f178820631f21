import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "./app.ts";
import { newBaseCollection, newViewCollection } from "./collection.ts";
import { deleteCollection, saveCollection } from "./collection_save.ts";
import { FileField, TextField } from "./fields/index.ts";
import { Record } from "./record.ts";
import {
  findFileFieldByFile,
  findRecordByViewFile,
  newFilesystem,
  newUploadFile,
  recordBaseFilesPath,
  settleFileDeletes,
} from "./record_files.ts";
import { findRecordById } from "./record_query.ts";
import { deleteRecord, saveRecord } from "./record_save.ts";

let dir: string;
let app: App;

const storage = (...parts: string[]) => join(dir, "storage", ...parts);
const listDir = (p: string) => (existsSync(p) ? readdirSync(p).sort() : []);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pb-files-"));
  app = new App({ dataDir: dir });
  await app.bootstrap();
  const docs = newBaseCollection("docs");
  docs.fields.add(
    new TextField({ name: "title" }),
    new FileField({ name: "file", maxSelect: 1 }),
    new FileField({ name: "files", maxSelect: 3 }),
  );
  docs.indexes = ["CREATE UNIQUE INDEX idx_docs_title ON docs (title) WHERE title != ''"];
  await saveCollection(app, docs);
});
afterAll(async () => {
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

describe("saving records with files", () => {
  test("uploads are stored under the record's folder and their names saved", async () => {
    const r = new Record(app.findCollection("docs")!);
    r.set("file", await newUploadFile(new File(["one"], "One File.txt")));
    r.set("files", [await newUploadFile(new File(["a"], "a.txt")), await newUploadFile(new File(["b"], "b.txt"))]);
    await saveRecord(app, r);
    expect(r.get("file")).toMatch(/^one_file_[a-z0-9]{10}\.txt$/);
    const saved = (await findRecordById(app, "docs", r.id))!;
    expect(saved.get("file")).toBe(r.get("file"));
    expect(saved.getStringSlice("files")).toHaveLength(2);
    expect(listDir(storage(r.collection.id, r.id)).filter((n) => !n.endsWith(".attrs"))).toEqual(
      [r.getString("file"), ...saved.getStringSlice("files")].sort(),
    );
    expect(recordBaseFilesPath(r)).toBe(`${r.collection.id}/${r.id}`);
    expect(findFileFieldByFile(saved, r.getString("file"))?.name).toBe("file");
    expect(findFileFieldByFile(saved, "nope.txt")).toBeNull();
  });

  test("web Files set by hooks get normalized names too", async () => {
    const r = new Record(app.findCollection("docs")!);
    r.set("file", new File(["x"], "From Hook.txt"));
    await saveRecord(app, r);
    expect(r.get("file")).toMatch(/^from_hook_[a-z0-9]{10}\.txt$/);
    expect(existsSync(storage(r.collection.id, r.id, r.getString("file")))).toBe(true);
  });

  test("a failed INSERT deletes the uploads it wrote", async () => {
    const c = app.findCollection("docs")!;
    const first = new Record(c);
    first.set("title", "unique");
    await saveRecord(app, first);
    const dup = new Record(c);
    dup.set("title", "unique");
    dup.set("file", await newUploadFile(new File(["dup"], "dup.txt")));
    await expect(saveRecord(app, dup)).rejects.toThrow();
    expect(existsSync(storage(c.id, dup.id))).toBe(false);
    // the record keeps its upload for a retry
    expect(dup.get("file")).toBeInstanceOf(File);
  });

  test("a rollback after a successful write deletes the uploads; a commit deletes dropped files", async () => {
    const c = app.findCollection("docs")!;
    const r = new Record(c);
    r.set("files", [
      await newUploadFile(new File(["keep"], "keep.txt")),
      await newUploadFile(new File(["drop"], "drop.txt")),
    ]);
    await saveRecord(app, r);
    const [keep, drop] = r.getStringSlice("files") as [string, string];
    // a thumb-like folder of the dropped file goes with it
    await newFilesystem(app).upload(new Uint8Array([1]), `${recordBaseFilesPath(r)}/thumbs_${drop}/10x10_${drop}`);

    const id = app.onRecordUpdateExecute("docs").bindFunc(async (e) => {
      await e.next();
      throw new Error("boom after the write");
    });
    const failing = (await findRecordById(app, c, r.id))!;
    failing.set("files", [keep, await newUploadFile(new File(["new"], "new.txt"))]);
    // saves run outside any transaction (as upstream); inside one, the failure rolls the write back
    await expect(app.runInTransaction(() => saveRecord(app, failing))).rejects.toThrow("boom");
    app.onRecordUpdateExecute.hook.unbind(id);
    expect((await findRecordById(app, c, r.id))!.getStringSlice("files")).toEqual([keep, drop]);
    expect(
      listDir(storage(c.id, r.id))
        .filter((n) => !n.endsWith(".attrs"))
        .sort(),
    ).toEqual([drop, keep, `thumbs_${drop}`].sort());

    const ok = (await findRecordById(app, c, r.id))!;
    ok.set("files-", drop);
    await saveRecord(app, ok);
    expect(listDir(storage(c.id, r.id)).filter((n) => !n.endsWith(".attrs"))).toEqual([keep]);
  });

  test("deleting a record, then a collection, removes their folders", async () => {
    const c = app.findCollection("docs")!;
    const r = new Record(c);
    r.set("file", await newUploadFile(new File(["bye"], "bye.txt")));
    await saveRecord(app, r);
    expect(existsSync(storage(c.id, r.id))).toBe(true);
    await deleteRecord(app, r);
    await settleFileDeletes();
    expect(existsSync(storage(c.id, r.id))).toBe(false);

    const tmp = newBaseCollection("tmpfiles");
    tmp.fields.add(new FileField({ name: "f" }));
    await saveCollection(app, tmp);
    const t = new Record(app.findCollection("tmpfiles")!);
    t.set("f", await newUploadFile(new File(["t"], "t.txt")));
    await saveRecord(app, t);
    expect(existsSync(storage(tmp.id))).toBe(true);
    await deleteCollection(app, app.findCollection("tmpfiles")!);
    await settleFileDeletes();
    expect(existsSync(storage(tmp.id))).toBe(false);
  });

  test("a view's file resolves to the source record", async () => {
    const c = app.findCollection("docs")!;
    const r = new Record(c);
    r.set("title", "viewed");
    r.set("files", [await newUploadFile(new File(["v"], "v.txt"))]);
    await saveRecord(app, r);
    const view = newViewCollection("docs_view");
    view.viewQuery = "SELECT id, title, files AS attachments FROM docs";
    await saveCollection(app, view);
    const v = app.findCollection("docs_view")!;
    const name = r.getStringSlice("files")[0]!;
    expect((await findRecordByViewFile(app, v, "attachments", name))?.id).toBe(r.id);
    expect(await findRecordByViewFile(app, v, "attachments", "missing.txt")).toBeNull();
    expect(await findRecordByViewFile(app, v, "title", name)).toBeNull();
  });
});
