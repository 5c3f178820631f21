/// <reference path="../pb_data/types.d.ts" />
// State shared between handlers (and workers) lives in $app.store(): a simple per-IP quota.
routerAdd("GET", "/api/myapp/quota", (e) => {
  const key = "quota:" + e.realIP();
  const used = $app.store().setFunc(key, (old) => (old || 0) + 1);

  if (used > 3) {
    throw new TooManyRequestsError("Quota exceeded.");
  }

  return e.json(200, { used: used, left: 3 - used });
});
