/// <reference path="../pb_data/types.d.ts" />
// Refuse a write with a field error, the way the API reports validation failures.
onRecordValidate((e) => {
  const title = e.record.getString("title");
  if (title.toLowerCase().includes("spam")) {
    throw new BadRequestError("Failed to validate the article.", {
      title: new ValidationError("validation_spam", "The title looks like spam."),
    });
  }

  e.next();
}, "articles");
