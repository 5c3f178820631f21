/// <reference path="../pb_data/types.d.ts" />
// A global middleware (every route) and a route with its own prioritized middleware.
routerUse((e) => {
  e.response.header().set("X-Powered-By", "pb-hooks");
  return e.next();
});

routerAdd(
  "GET",
  "/api/myapp/timed",
  (e) => {
    return e.json(200, { steps: e.get("steps") });
  },
  new Middleware(
    (e) => {
      e.set("steps", ["outer"]);
      return e.next();
    },
    -100,
    "outerStep",
  ),
  (e) => {
    e.set("steps", e.get("steps").concat(["inner"]));
    return e.next();
  },
);
