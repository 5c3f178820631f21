/// <reference path="../pb_data/types.d.ts" />
// An async route: the code after `await` runs before the response is sent (host calls such as
// $http.send block only this handler, so the awaited result is ready at once). A rejection — a
// throw after an await, or a failed call — answers like a thrown error.
routerAdd(
  "POST",
  "/api/myapp/async-forward",
  async (e) => {
    const body = e.requestInfo().body;

    const res = await $http.send({
      url: body.url,
      method: "POST",
      body: JSON.stringify({ text: body.text }),
      headers: { "content-type": "application/json" },
      timeout: 10, // seconds
    });

    if (res.statusCode >= 400) {
      throw new BadRequestError("The remote service refused the request.");
    }

    return e.json(200, { status: res.statusCode, reply: res.json, async: true });
  },
  $apis.requireSuperuserAuth(),
);
