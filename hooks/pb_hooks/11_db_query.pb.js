/// <reference path="../pb_data/types.d.ts" />
// Raw queries with the dbx builder: bound parameters and typed rows (DynamicModel + arrayOf).
routerAdd("GET", "/api/myapp/stats", (e) => {
  const rows = arrayOf(
    new DynamicModel({
      action: "",
      total: 0,
    }),
  );

  $app
    .db()
    .select("action", "count(*) as total")
    .from("audit")
    .where($dbx.exp("collection = {:collection}", { collection: "articles" }))
    .groupBy("action")
    .orderBy("action ASC")
    .all(rows);

  const top = new DynamicModel({ title: "", views: 0 });
  try {
    $app.db().newQuery("SELECT title, views FROM articles ORDER BY views DESC LIMIT 1").one(top);
  } catch (err) {
    // sql: no rows in result set
  }

  return e.json(200, { actions: rows, top: top });
});
