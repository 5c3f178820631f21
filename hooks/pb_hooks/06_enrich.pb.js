/// <reference path="../pb_data/types.d.ts" />
// Shape what clients see: hide an internal field from everyone but superusers and add a
// computed one (onRecordEnrich runs for API responses, realtime messages and enrichRecord(s)).
onRecordEnrich((e) => {
  if (!e.requestInfo.auth || !e.requestInfo.auth.isSuperuser()) {
    e.record.hide("internalNote");
  }

  e.record.withCustomData(true);
  e.record.set("readingMinutes", Math.max(1, Math.ceil(e.record.getString("body").split(/\s+/).length / 200)));

  e.next();
}, "articles");
