/// <reference path="../pb_data/types.d.ts" />
// Calling another service: $http.send is synchronous to the script (it blocks only this handler).
routerAdd(
  "POST",
  "/api/myapp/forward",
  (e) => {
    const body = e.requestInfo().body;

    const res = $http.send({
      url: body.url,
      method: "POST",
      body: JSON.stringify({ text: body.text }),
      headers: { "content-type": "application/json" },
      timeout: 10, // seconds
    });

    if (res.statusCode >= 400) {
      throw new BadRequestError("The remote service refused the request.");
    }

    return e.json(200, { status: res.statusCode, reply: res.json });
  },
  $apis.requireSuperuserAuth(),
);
