/// <reference path="../pb_data/types.d.ts" />
// Several writes that succeed or fail together.
routerAdd(
  "POST",
  "/api/myapp/articles/{id}/clone",
  (e) => {
    const id = e.request.pathValue("id");
    let copy;

    $app.runInTransaction((txApp) => {
      const original = txApp.findRecordById("articles", id);

      copy = new Record(original.collection(), {
        title: original.getString("title") + " (copy)",
        body: original.getString("body"),
        owner: original.getString("owner"),
      });
      txApp.save(copy);

      original.set("views+", 1); // the number field modifier
      txApp.save(original);
    });

    return e.json(200, copy);
  },
  $apis.requireSuperuserAuth(),
);
