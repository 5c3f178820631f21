/**
 * The app's own record handlers, bound on the same hooks users bind (as upstream registers them):
 * superuser rules, and the clean-up of auth side tables when an auth record changes or goes away.
 */
import type { App } from "./app.ts";
import { ApiError } from "./errors.ts";
import { Record } from "./record.ts";
import { findAuthRecordByEmail } from "./record_query.ts";
import { deleteRecord } from "./record_save.ts";

export const SUPERUSERS = "_superusers";
export const INSTALLER_EMAIL = "__pbinstaller@example.com";
const AUTH_SIDE_TABLES = ["_externalAuths", "_mfas", "_otps", "_authOrigins"];

export function registerRecordSystemHooks(app: App): void {
  // Superusers are always verified; the installer account goes once a real superuser exists.
  const superuserSave = async (e: { record: Record; type: string; next(): Promise<void> }) => {
    e.record.setRaw("verified", true);
    await e.next();
    if (e.type === "create" && e.record.email() !== INSTALLER_EMAIL) {
      const installer = await findAuthRecordByEmail(app, SUPERUSERS, INSTALLER_EMAIL);
      if (installer) await deleteRecord(app, installer);
    }
  };
  app.onRecordCreateExecute(SUPERUSERS).bind({ id: "pbSuperusersRecordSaveExec", priority: -99, func: superuserSave });
  app.onRecordUpdateExecute(SUPERUSERS).bind({ id: "pbSuperusersRecordSaveExec", priority: -99, func: superuserSave });

  app.onRecordDelete(SUPERUSERS).bind({
    id: "pbSuperusersRecordDelete",
    priority: -99,
    func: (e) =>
      app.runInTransaction(async () => {
        const row = await app.db.get<{ n: number }>(
          `SELECT COUNT(*) AS n FROM ${app.db.dialect.quoteIdent(SUPERUSERS)}`,
        );
        if (row!.n === 1) throw new ApiError(400, "You can't delete the only existing superuser");
        await e.next();
      }),
  });

  // Auth records: a password change ends MFA sessions and known origins; a new tokenKey voids OTPs;
  // an unverified → verified upgrade drops pre-existing external auths (and rotates the tokenKey).
  app.onRecordUpdateExecute().bind({
    id: "pbAuthRecordSideTables",
    priority: 99,
    func: async (e) => {
      const r = e.record;
      if (r.collection.type !== "auth") return e.next();
      const oldHash = r.originalValue("password");
      const oldTokenKey = r.originalValue("tokenKey");
      if (!r.originalValue("verified") && r.verified()) {
        // the external auths go with the save or not at all (as upstream); the lock is held for
        // this rare step only — other saves take it just for their own statement
        await app.runInTransaction(async () => {
          if ((await deleteSideRows(app, r, ["_externalAuths"])) > 0) r.refreshTokenKey();
          await e.next();
        });
      } else {
        await e.next();
      }
      const stale = [
        ...(oldHash !== r.get("password") ? ["_authOrigins", "_mfas"] : []),
        ...(oldTokenKey !== r.tokenKey() ? ["_otps"] : []),
      ];
      if (stale.length) await app.runInTransaction(() => deleteSideRows(app, r, stale));
    },
  });

  app.onRecordDeleteExecute().bind({
    id: "pbAuthRecordDeleteSideTables",
    priority: 99,
    func: (e) => {
      if (e.record.collection.type !== "auth" || AUTH_SIDE_TABLES.includes(e.record.collection.name)) return e.next();
      // in the delete's transaction (which the row's delete after it joins), as upstream
      return app.runInTransaction(async () => {
        await e.next();
        await deleteSideRows(app, e.record, AUTH_SIDE_TABLES);
      });
    },
  });
}

/** Deletes the rows of `tables` that point at `record`; returns how many went. */
async function deleteSideRows(app: App, record: Record, tables: string[]): Promise<number> {
  let n = 0;
  for (const t of tables) {
    if (!app.findCollection(t)) continue;
    const q = app.db.dialect.quoteIdent;
    const res = await app.db.run(
      `DELETE FROM ${q(t)} WHERE ${q("collectionRef")} = ? AND ${q("recordRef")} = ?`,
      [record.collection.id, record.originalId || record.id],
    );
    n += res.changes;
  }
  return n;
}
