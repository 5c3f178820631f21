/// <reference path="../pb_data/types.d.ts" />
// A route only authenticated users of the "users" collection may call ($apis middleware).
routerAdd(
  "GET",
  "/api/myapp/me",
  (e) => {
    const record = e.auth;

    return e.json(200, {
      id: record.id,
      email: record.email(),
      collection: record.collection().name,
    });
  },
  $apis.requireAuth("users"),
);
