/// <reference path="../pb_data/types.d.ts" />
// An audit trail: every successful create, update and delete of an article is recorded.
onRecordAfterCreateSuccess((e) => {
  const audit = new Record($app.findCollectionByNameOrId("audit"));
  audit.set("action", "create");
  audit.set("collection", e.record.collection().name);
  audit.set("record", e.record.id);
  audit.set("changes", { title: e.record.getString("title") });
  $app.save(audit);

  e.next();
}, "articles");

onRecordUpdate((e) => {
  // compare with the stored state before the update is written
  const before = e.record.original();
  const changes = {};
  for (const field of ["title", "body", "views"]) {
    if (before.get(field) !== e.record.get(field)) {
      changes[field] = { from: before.get(field), to: e.record.get(field) };
    }
  }

  e.next(); // the update itself; throws (and skips the audit) if it fails

  const audit = new Record($app.findCollectionByNameOrId("audit"), {
    action: "update",
    collection: "articles",
    record: e.record.id,
    changes: changes,
  });
  $app.save(audit);
}, "articles");

onRecordAfterDeleteSuccess((e) => {
  $app.save(
    new Record($app.findCollectionByNameOrId("audit"), {
      action: "delete",
      collection: "articles",
      record: e.record.id,
    }),
  );

  e.next();
}, "articles");
