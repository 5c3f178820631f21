/** Replaces the pre-v0.32 default auth-alert e-mail body with the current one where it is still the default. */
import type { App } from "../src/core/app.ts";
import { registerSystemMigration, type Migration } from "../src/core/migrations_runner.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { findAllCollections } from "../src/core/collection_query.ts";
import { COLLECTION_TYPE_AUTH } from "../src/core/collection.ts";
import { DEFAULT_AUTH_ALERT_TEMPLATE, OLD_AUTH_ALERT_TEMPLATE_BODY } from "../src/core/collection_auth_templates.ts";

async function swapBody(app: App, from: string, to: string): Promise<void> {
  for (const c of await findAllCollections(app, COLLECTION_TYPE_AUTH)) {
    if (c.authAlert.emailTemplate.body !== from) continue;
    c.authAlert.emailTemplate.body = to;
    await saveCollection(app, c);
  }
}

export const migration: Migration = {
  file: "1763020353_update_default_auth_alert_templates.go",
  up: (app) => swapBody(app, OLD_AUTH_ALERT_TEMPLATE_BODY, DEFAULT_AUTH_ALERT_TEMPLATE.body),
  down: (app) => swapBody(app, DEFAULT_AUTH_ALERT_TEMPLATE.body, OLD_AUTH_ALERT_TEMPLATE_BODY),
};

registerSystemMigration(migration);
