/**
 * data.db: the `_params` and `_collections` tables, then the system collections (`_mfas`, `_otps`,
 * `_externalAuths`, `_authOrigins`, `_superusers`) and the default `users` auth collection.
 */
import type { App } from "../src/core/app.ts";
import { registerSystemMigration, type Migration } from "../src/core/migrations_runner.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { dbxQuote } from "../src/tools/sql/dbx.ts";
import type { Dialect } from "../src/tools/sql/dialect.ts";
import {
  COLLECTION_NAME_AUTH_ORIGINS,
  COLLECTION_NAME_EXTERNAL_AUTHS,
  COLLECTION_NAME_MFAS,
  COLLECTION_NAME_OTPS,
  COLLECTION_NAME_SUPERUSERS,
  newAuthCollection,
  newBaseCollection,
  type Collection,
} from "../src/core/collection.ts";
import { AutodateField, EmailField, FileField, PasswordField, TextField } from "../src/core/fields/index.ts";

// Upstream's statement texts, whitespace included: SQLite keeps table bodies verbatim in sqlite_master.
const PARAMS_SQL = [
  "",
  "\t\tCREATE TABLE {{_params}} (",
  "\t\t\t[[id]]      TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,",
  "\t\t\t[[value]]   JSON DEFAULT NULL,",
  "\t\t\t[[created]] TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,",
  "\t\t\t[[updated]] TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL",
  "\t\t);",
  "\t",
].join("\n");

const COLLECTIONS_SQL = [
  "",
  "\t\t\tCREATE TABLE {{_collections}} (",
  "\t\t\t\t[[id]]         TEXT PRIMARY KEY DEFAULT ('r'||lower(hex(randomblob(7)))) NOT NULL,",
  "\t\t\t\t[[system]]     BOOLEAN DEFAULT FALSE NOT NULL,",
  '\t\t\t\t[[type]]       TEXT DEFAULT "base" NOT NULL,',
  "\t\t\t\t[[name]]       TEXT UNIQUE NOT NULL,",
  '\t\t\t\t[[fields]]     JSON DEFAULT "[]" NOT NULL,',
  '\t\t\t\t[[indexes]]    JSON DEFAULT "[]" NOT NULL,',
  "\t\t\t\t[[listRule]]   TEXT DEFAULT NULL,",
  "\t\t\t\t[[viewRule]]   TEXT DEFAULT NULL,",
  "\t\t\t\t[[createRule]] TEXT DEFAULT NULL,",
  "\t\t\t\t[[updateRule]] TEXT DEFAULT NULL,",
  "\t\t\t\t[[deleteRule]] TEXT DEFAULT NULL,",
  '\t\t\t\t[[options]]    JSON DEFAULT "{}" NOT NULL,',
  "\t\t\t\t[[created]]    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL,",
  "\t\t\t\t[[updated]]    TEXT DEFAULT (strftime('%Y-%m-%d %H:%M:%fZ')) NOT NULL",
  "\t\t\t);",
  "",
  "\t\t\tCREATE INDEX IF NOT EXISTS idx__collections_type on {{_collections}} ([[type]]);",
  "\t\t",
].join("\n");

/**
 * `_params` and `_collections` for engines other than SQLite: the same columns and defaults, written
 * through the dialect (JSON as text, bools as 0/1, the hidden insertion-order column).
 */
function systemTablesSql(d: Dialect): string {
  const q = d.quoteIdent;
  const text = d.columnType("text").replace(/ NOT NULL DEFAULT ''$/, ""); // TEXT with the engine's collation
  const ts = `${text} NOT NULL DEFAULT (${d.timestampDefault})`;
  const table = (name: string, cols: string[]) =>
    `CREATE TABLE ${q(name)} (${[...cols, ...(d.rowidColumn ? [d.rowidColumn] : [])].join(", ")});`;
  return [
    table("_params", [
      `${q("id")} ${d.columnType("textPrimaryKey")}`,
      `${q("value")} ${d.columnType("json")}`,
      `${q("created")} ${ts}`,
      `${q("updated")} ${ts}`,
    ]),
    table("_collections", [
      `${q("id")} ${d.columnType("textPrimaryKey")}`,
      `${q("system")} ${d.columnType("bool")}`,
      `${q("type")} ${text} NOT NULL DEFAULT 'base'`,
      `${q("name")} ${text} UNIQUE NOT NULL`,
      `${q("fields")} ${text} NOT NULL DEFAULT '[]'`,
      `${q("indexes")} ${text} NOT NULL DEFAULT '[]'`,
      ...["listRule", "viewRule", "createRule", "updateRule", "deleteRule"].map((r) => `${q(r)} ${text} DEFAULT NULL`),
      `${q("options")} ${text} NOT NULL DEFAULT '{}'`,
      `${q("created")} ${ts}`,
      `${q("updated")} ${ts}`,
    ]),
    `CREATE INDEX IF NOT EXISTS ${q("idx__collections_type")} ON ${q("_collections")} (${q("type")});`,
  ].join("\n");
}

/** Records may only be read by their owner (the auth record they belong to). */
const OWNER_RULE =
  "@request.auth.id != '' && recordRef = @request.auth.id && collectionRef = @request.auth.collectionId";

/** The `collectionRef`/`recordRef` pair every auth-helper collection starts with. */
function addRefFields(col: Collection): void {
  col.fields.add(
    new TextField({ name: "collectionRef", system: true, required: true }),
    new TextField({ name: "recordRef", system: true, required: true }),
  );
}

function addSystemTimestamps(col: Collection): void {
  col.fields.add(
    new AutodateField({ name: "created", system: true, onCreate: true }),
    new AutodateField({ name: "updated", system: true, onCreate: true, onUpdate: true }),
  );
}

/** Saves `_mfas`: the MFA sessions in progress. */
export async function createMFAsCollection(app: App): Promise<void> {
  const col = newBaseCollection(COLLECTION_NAME_MFAS);
  col.system = true;
  col.listRule = OWNER_RULE;
  col.viewRule = OWNER_RULE;
  addRefFields(col);
  col.fields.add(new TextField({ name: "method", system: true, required: true }));
  addSystemTimestamps(col);
  col.addIndex("idx_mfas_collectionRef_recordRef", false, "collectionRef,recordRef");
  await saveCollection(app, col);
}

/** Saves `_otps`: issued one-time passwords (hashed with a low bcrypt cost: short-lived and rate limited). */
export async function createOTPsCollection(app: App): Promise<void> {
  const col = newBaseCollection(COLLECTION_NAME_OTPS);
  col.system = true;
  col.listRule = OWNER_RULE;
  col.viewRule = OWNER_RULE;
  addRefFields(col);
  col.fields.add(
    new PasswordField({ name: "password", system: true, hidden: true, required: true, cost: 8 }),
    new TextField({ name: "sentTo", system: true, hidden: true }),
  );
  addSystemTimestamps(col);
  col.addIndex("idx_otps_collectionRef_recordRef", false, "collectionRef, recordRef");
  await saveCollection(app, col);
}

/** Saves `_authOrigins`: the devices/locations an auth record logged in from. */
export async function createAuthOriginsCollection(app: App): Promise<void> {
  const col = newBaseCollection(COLLECTION_NAME_AUTH_ORIGINS);
  col.system = true;
  col.listRule = OWNER_RULE;
  col.viewRule = OWNER_RULE;
  col.deleteRule = OWNER_RULE;
  addRefFields(col);
  col.fields.add(new TextField({ name: "fingerprint", system: true, required: true }));
  addSystemTimestamps(col);
  col.addIndex("idx_authOrigins_unique_pairs", true, "collectionRef, recordRef, fingerprint");
  await saveCollection(app, col);
}

/** Saves `_externalAuths`: OAuth2 identities linked to auth records. */
export async function createExternalAuthsCollection(app: App): Promise<void> {
  const col = newBaseCollection(COLLECTION_NAME_EXTERNAL_AUTHS);
  col.system = true;
  col.listRule = OWNER_RULE;
  col.viewRule = OWNER_RULE;
  col.deleteRule = OWNER_RULE;
  addRefFields(col);
  col.fields.add(
    new TextField({ name: "provider", system: true, required: true }),
    new TextField({ name: "providerId", system: true, required: true }),
  );
  addSystemTimestamps(col);
  col.addIndex("idx_externalAuths_record_provider", true, "collectionRef, recordRef, provider");
  col.addIndex("idx_externalAuths_collection_provider", true, "collectionRef, provider, providerId");
  await saveCollection(app, col);
}

/** Saves `_superusers`: dashboard admins; their auth tokens live one day. */
export async function createSuperusersCollection(app: App): Promise<void> {
  const col = newAuthCollection(COLLECTION_NAME_SUPERUSERS);
  col.system = true;
  col.fields.add(new EmailField({ name: "email", system: true, required: true }));
  addSystemTimestamps(col);
  col.authToken.duration = 86400;
  await saveCollection(app, col);
}

/** Saves the default `users` auth collection (not a system one: users may change or delete it). */
export async function createUsersCollection(app: App): Promise<void> {
  const col = newAuthCollection("users", "_pb_users_auth_");
  const ownerRule = "id = @request.auth.id";
  col.listRule = ownerRule;
  col.viewRule = ownerRule;
  col.createRule = "";
  col.updateRule = ownerRule;
  col.deleteRule = ownerRule;
  col.fields.add(
    new TextField({ name: "name", max: 255 }),
    new FileField({
      name: "avatar",
      maxSelect: 1,
      mimeTypes: ["image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"],
    }),
    new AutodateField({ name: "created", onCreate: true }),
    new AutodateField({ name: "updated", onCreate: true, onUpdate: true }),
  );
  col.oauth2.mappedFields.name = "name";
  col.oauth2.mappedFields.avatarURL = "avatar";
  await saveCollection(app, col);
}

export const migration: Migration = {
  file: "1640988000_init.go",
  async up(app) {
    if (app.db.dialect.name === "sqlite") {
      // several statements (the table, then its index): exec runs them all
      await app.db.exec(dbxQuote(app.db.dialect).expand(PARAMS_SQL));
      await app.db.exec(dbxQuote(app.db.dialect).expand(COLLECTIONS_SQL));
    } else {
      await app.db.exec(systemTablesSql(app.db.dialect));
    }
    await createMFAsCollection(app);
    await createOTPsCollection(app);
    await createExternalAuthsCollection(app);
    await createAuthOriginsCollection(app);
    await createSuperusersCollection(app);
    await createUsersCollection(app);
  },
  async down(app) {
    // upstream's list leaves `_externalAuths` behind, which breaks a later re-run; drop it as well
    const tables = [
      "users",
      "_superusers",
      "_mfas",
      "_otps",
      "_externalAuths",
      "_authOrigins",
      "_params",
      "_collections",
    ];
    for (const name of tables) await app.db.run(`DROP TABLE ${app.db.dialect.quoteIdent(name)}`);
  },
};

registerSystemMigration(migration);
