/// <reference path="../pb_data/types.d.ts" />
// A scheduled job: every night, prune audit entries older than 30 days.
cronAdd("pruneAudit", "0 3 * * *", () => {
  const cutoff = new DateTime().addDate(0, 0, -30);

  const old = $app.findRecordsByFilter("audit", "created < {:cutoff}", "", 0, 0, { cutoff: cutoff.string() });
  for (const record of old) {
    $app.delete(record);
  }

  $app.logger().info("pruned audit entries", "count", old.length);
});
