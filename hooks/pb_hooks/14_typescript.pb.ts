/// <reference path="../pb_data/types.d.ts" />
// A .pb.ts file: types are stripped before it runs, so editors can type-check hooks.
interface Summary {
  id: string;
  title: string;
  words: number;
}

routerAdd("GET", "/api/myapp/articles/{id}/summary", (e: core.RequestEvent) => {
  const record = $app.findRecordById("articles", e.request.pathValue("id"));
  const summary: Summary = {
    id: record.id,
    title: record.getString("title"),
    words: record.getString("body").split(/\s+/).filter(Boolean).length,
  };
  return e.json(200, summary);
});
