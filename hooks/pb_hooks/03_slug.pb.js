/// <reference path="../pb_data/types.d.ts" />
// Fill a field before the record is saved: a slug from the title, and the owner from the auth.
onRecordCreateRequest((e) => {
  // helpers must be required inside the handler: handlers cannot see this file's top-level names
  const { slugify } = require(`${__hooks}/lib/text.js`);

  e.record.set("slug", slugify(e.record.getString("title")));
  if (e.auth && !e.hasSuperuserAuth()) {
    e.record.set("owner", e.auth.id);
  }

  e.next();
}, "articles");
