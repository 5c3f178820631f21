/**
 * The hook registrars scripts get (upstream's plugins/jsvm hooksBinds: every On* method of
 * core.App but OnServe) as `pb_data/types.d.ts` advertises them: the list matches upstream's App,
 * and a pb_hooks file binding every advertised name boots, each binding accepted and live.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type PocketBase from "pocketbase";
import type { TestServer } from "./harness.ts";
import { POSTS_MIGRATION, jsWorkDir, startJsServer, superuserClient, writeFiles } from "./support/jsvm.ts";

/** Upstream's core.App hooks (core/app.go) without OnServe, with their event types; tagged ones take tags. */
const UPSTREAM: [string, string, boolean][] = [
  ["onBootstrap", "BootstrapEvent", false],
  ["onTerminate", "TerminateEvent", false],
  ["onBackupCreate", "BackupEvent", false],
  ["onBackupRestore", "BackupEvent", false],
  ...["Model", "Record", "Collection"].flatMap((m): [string, string, boolean][] =>
    [
      "Validate",
      "Create",
      "CreateExecute",
      "AfterCreateSuccess",
      "AfterCreateError",
      "Update",
      "UpdateExecute",
      "AfterUpdateSuccess",
      "AfterUpdateError",
      "Delete",
      "DeleteExecute",
      "AfterDeleteSuccess",
      "AfterDeleteError",
    ].map((a): [string, string, boolean] => [`on${m}${a}`, `${m}${a.endsWith("Error") ? "Error" : ""}Event`, true]),
  ),
  ["onRecordEnrich", "RecordEnrichEvent", true],
  ["onMailerSend", "MailerEvent", false],
  ["onMailerRecordAuthAlertSend", "MailerRecordEvent", true],
  ["onMailerRecordPasswordResetSend", "MailerRecordEvent", true],
  ["onMailerRecordVerificationSend", "MailerRecordEvent", true],
  ["onMailerRecordEmailChangeSend", "MailerRecordEvent", true],
  ["onMailerRecordOTPSend", "MailerRecordEvent", true],
  ["onRealtimeConnectRequest", "RealtimeConnectRequestEvent", false],
  ["onRealtimeMessageSend", "RealtimeMessageEvent", false],
  ["onRealtimeSubscribeRequest", "RealtimeSubscribeRequestEvent", false],
  ["onSettingsListRequest", "SettingsListRequestEvent", false],
  ["onSettingsUpdateRequest", "SettingsUpdateRequestEvent", false],
  ["onSettingsReload", "SettingsReloadEvent", false],
  ["onFileDownloadRequest", "FileDownloadRequestEvent", true],
  ["onFileTokenRequest", "FileTokenRequestEvent", true],
  ["onRecordAuthRequest", "RecordAuthRequestEvent", true],
  ["onRecordAuthWithPasswordRequest", "RecordAuthWithPasswordRequestEvent", true],
  ["onRecordAuthWithOAuth2Request", "RecordAuthWithOAuth2RequestEvent", true],
  ["onRecordAuthRefreshRequest", "RecordAuthRefreshRequestEvent", true],
  ["onRecordRequestPasswordResetRequest", "RecordRequestPasswordResetRequestEvent", true],
  ["onRecordConfirmPasswordResetRequest", "RecordConfirmPasswordResetRequestEvent", true],
  ["onRecordRequestVerificationRequest", "RecordRequestVerificationRequestEvent", true],
  ["onRecordConfirmVerificationRequest", "RecordConfirmVerificationRequestEvent", true],
  ["onRecordRequestEmailChangeRequest", "RecordRequestEmailChangeRequestEvent", true],
  ["onRecordConfirmEmailChangeRequest", "RecordConfirmEmailChangeRequestEvent", true],
  ["onRecordRequestOTPRequest", "RecordCreateOTPRequestEvent", true],
  ["onRecordAuthWithOTPRequest", "RecordAuthWithOTPRequestEvent", true],
  ["onRecordsListRequest", "RecordsListRequestEvent", true],
  ["onRecordViewRequest", "RecordRequestEvent", true],
  ["onRecordCreateRequest", "RecordRequestEvent", true],
  ["onRecordUpdateRequest", "RecordRequestEvent", true],
  ["onRecordDeleteRequest", "RecordRequestEvent", true],
  ["onCollectionsListRequest", "CollectionsListRequestEvent", false],
  ["onCollectionViewRequest", "CollectionRequestEvent", false],
  ["onCollectionCreateRequest", "CollectionRequestEvent", false],
  ["onCollectionUpdateRequest", "CollectionRequestEvent", false],
  ["onCollectionDeleteRequest", "CollectionRequestEvent", false],
  ["onCollectionsImportRequest", "CollectionsImportRequestEvent", false],
  ["onBatchRequest", "BatchRequestEvent", false],
];

const DECL = /^declare function (on[A-Z]\w*)\(handler: \(e: core\.(\w+)\) => void(, \.\.\.tags: string\[\])?\): void;$/;

/** The hook declarations of a types.d.ts: [name, event type, tagged]. */
function advertised(typesFile: string): [string, string, boolean][] {
  return typesFile
    .split("\n")
    .map((l) => DECL.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!, m[3] !== undefined]);
}

let srv: TestServer;
let su: PocketBase;
let hooks: [string, string, boolean][];

beforeAll(async () => {
  // first boot (no hooks): pb_data/types.d.ts is written
  const workDir = jsWorkDir({ migrations: { "1_posts.js": POSTS_MIGRATION } });
  const first = await startJsServer({}, { workDir });
  await first.stop({ keep: true });
  hooks = advertised(readFileSync(join(workDir, "pb_data", "types.d.ts"), "utf8"));

  // second boot: a hooks file binding every advertised name, each handler counting its calls
  const lines = hooks.map(
    ([name, , tagged]) =>
      `${name}((e) => { const k = "fired:${name}"; e.app.store().set(k, (e.app.store().get(k) || 0) + 1); e.next() }${tagged ? `, "posts"` : ""})`,
  );
  writeFiles(join(workDir, "pb_hooks"), {
    "all.pb.js": `/// <reference path="../pb_data/types.d.ts" />\n${lines.join("\n")}\nrouterAdd("GET", "/fired", (e) => e.json(200, Object.fromEntries(Object.entries(e.app.store().getAll()).filter(([k]) => k.startsWith("fired:")))))\n`,
  });
  srv = await startJsServer({}, { workDir });
  su = await superuserClient(srv);
});

afterAll(async () => {
  await srv?.stop();
});

test("types.d.ts declares upstream's App hooks (without onServe), with their event types and tags", () => {
  const byName = (a: [string, string, boolean], b: [string, string, boolean]) => a[0].localeCompare(b[0]);
  expect([...hooks].sort(byName)).toEqual([...UPSTREAM].sort(byName));
  expect(hooks).toHaveLength(82);
});

test("a hooks file binding every advertised hook boots, and the bindings are live", async () => {
  expect(srv.output()).not.toContain("not supported");
  const guest = srv.sdk();
  await guest.collection("posts").subscribe("*", () => {});
  await su.collection("posts").create({ title: "one" });
  await su.collection("posts").getList(1, 10);
  await su.settings.getAll();
  await guest.realtime.unsubscribe();

  const fired = (await (await fetch(`${srv.url}/fired`)).json()) as { [k: string]: number };
  for (const name of [
    "onBootstrap",
    "onRecordCreateRequest",
    "onRecordCreate",
    "onRecordAfterCreateSuccess",
    "onModelCreate",
    "onRecordsListRequest",
    "onRecordEnrich",
    "onSettingsListRequest",
    "onRealtimeConnectRequest",
    "onRealtimeSubscribeRequest",
    "onRealtimeMessageSend",
  ]) {
    expect({ name, fired: (fired[`fired:${name}`] ?? 0) > 0 }).toEqual({ name, fired: true });
  }
});
