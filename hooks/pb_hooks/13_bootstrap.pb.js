/// <reference path="../pb_data/types.d.ts" />
// Code that needs the database runs after e.next() of onBootstrap.
onBootstrap((e) => {
  e.next();

  const settings = $app.settings();
  if (settings.meta.appName === "Acme") {
    settings.meta.appName = "Hooks Example";
    $app.save(settings);
  }
});
