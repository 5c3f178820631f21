/// <reference path="../pb_data/types.d.ts" />
// The collections the example hooks use: articles (with an owner) and an audit trail.
migrate(
  (app) => {
    const articles = new Collection({
      type: "base",
      name: "articles",
      listRule: "",
      viewRule: "",
      createRule: "@request.auth.id != ''",
      updateRule: "owner = @request.auth.id",
      deleteRule: "owner = @request.auth.id",
      fields: [
        { type: "text", name: "title", required: true, max: 200 },
        { type: "text", name: "slug" },
        { type: "editor", name: "body" },
        { type: "number", name: "views" },
        { type: "text", name: "internalNote" },
        { type: "relation", name: "owner", collectionId: "_pb_users_auth_", maxSelect: 1 },
        { type: "autodate", name: "created", onCreate: true },
        { type: "autodate", name: "updated", onCreate: true, onUpdate: true },
      ],
    });
    app.save(articles);

    const audit = new Collection({
      type: "base",
      name: "audit",
      fields: [
        { type: "text", name: "action" },
        { type: "text", name: "collection" },
        { type: "text", name: "record" },
        { type: "json", name: "changes" },
        { type: "autodate", name: "created", onCreate: true },
      ],
    });
    app.save(audit);
  },
  (app) => {
    app.delete(app.findCollectionByNameOrId("audit"));
    app.delete(app.findCollectionByNameOrId("articles"));
  },
);
