/// <reference path="../pb_data/types.d.ts" />
// The first example of upstream's docs: a route with a path parameter.
routerAdd("GET", "/hello/{name}", (e) => {
  let name = e.request.pathValue("name");

  return e.json(200, { message: "Hello " + name });
});
