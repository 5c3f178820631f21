/// <reference path="../pb_data/types.d.ts" />
// Route paths are Go ServeMux patterns, as in upstream's router: the most specific pattern wins.

// `{$}` ends the path: this answers "/" only, while pb_public keeps serving every other file.
routerAdd("GET", "/{$}", (e) => {
  return e.html(200, '<h1>Welcome</h1><p><a href="/guide/">Read the guide</a></p>');
});

// A trailing slash matches the folder and everything below it ("/guide/", "/guide/a/b");
// a request for "/guide" is redirected (301) to "/guide/".
routerAdd("GET", "/guide/", (e) => {
  const page = e.request.url.path.slice("/guide/".length) || "index";
  return e.json(200, { page: page });
});

// More specific than the trailing-slash route, so it takes this one path from it.
routerAdd("GET", "/guide/changelog", (e) => {
  return e.json(200, { page: "changelog", version: "1.0.0" });
});
