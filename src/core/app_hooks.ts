/**
 * The one registry of every hook the app fires, as upstream's core.App interface and its On*
 * methods (core/app.go). Tagged hooks are functions: `app.onRecordCreate("posts").bindFunc(...)`
 * binds for one collection, `app.onRecordCreate()` for all. Each hook is declared with the name of
 * its event type (upstream's), so the JS plugin derives its hook globals and the `pb_data/types.d.ts`
 * declarations from here (see `appHookList`).
 */
import { Hook, TaggedHook, type HookEvent, type Tagged } from "../tools/hook.ts";
import type { BootstrapEvent, ServeEvent, TerminateEvent } from "./app.ts";
import type {
  BatchRequestEvent,
  CollectionErrorEvent,
  CollectionEvent,
  CollectionRequestEvent,
  CollectionsImportRequestEvent,
  CollectionsListRequestEvent,
  ModelErrorEvent,
  ModelEvent,
  RecordEnrichEvent,
  RecordErrorEvent,
  RecordEvent,
  RecordRequestEvent,
  RecordsListRequestEvent,
  RecordAuthRequestEvent,
  RecordAuthWithPasswordRequestEvent,
  RecordAuthWithOAuth2RequestEvent,
  RecordAuthRefreshRequestEvent,
  RecordRequestPasswordResetRequestEvent,
  RecordConfirmPasswordResetRequestEvent,
  RecordRequestVerificationRequestEvent,
  RecordConfirmVerificationRequestEvent,
  RecordRequestEmailChangeRequestEvent,
  RecordConfirmEmailChangeRequestEvent,
  RecordCreateOTPRequestEvent,
  RecordAuthWithOTPRequestEvent,
  MailerEvent,
  MailerRecordEvent,
  FileDownloadRequestEvent,
  FileTokenRequestEvent,
  SettingsListRequestEvent,
  SettingsUpdateRequestEvent,
  SettingsReloadEvent,
  BackupEvent,
} from "./events.ts";
import type {
  RealtimeConnectRequestEvent,
  RealtimeMessageEvent,
  RealtimeSubscribeRequestEvent,
} from "./realtime/events.ts";

/**
 * Every hook event type by its (upstream) name. Hooks name their event with a key of this map, so
 * the name a hook reports always is the type it carries (type imports only: no import cycles).
 */
interface HookEvents {
  BootstrapEvent: BootstrapEvent;
  ServeEvent: ServeEvent;
  TerminateEvent: TerminateEvent;
  BackupEvent: BackupEvent;
  ModelEvent: ModelEvent;
  ModelErrorEvent: ModelErrorEvent;
  RecordEnrichEvent: RecordEnrichEvent;
  RecordEvent: RecordEvent;
  RecordErrorEvent: RecordErrorEvent;
  CollectionEvent: CollectionEvent;
  CollectionErrorEvent: CollectionErrorEvent;
  MailerEvent: MailerEvent;
  MailerRecordEvent: MailerRecordEvent;
  RealtimeConnectRequestEvent: RealtimeConnectRequestEvent;
  RealtimeMessageEvent: RealtimeMessageEvent;
  RealtimeSubscribeRequestEvent: RealtimeSubscribeRequestEvent;
  SettingsListRequestEvent: SettingsListRequestEvent;
  SettingsUpdateRequestEvent: SettingsUpdateRequestEvent;
  SettingsReloadEvent: SettingsReloadEvent;
  FileDownloadRequestEvent: FileDownloadRequestEvent;
  FileTokenRequestEvent: FileTokenRequestEvent;
  RecordAuthRequestEvent: RecordAuthRequestEvent;
  RecordAuthWithPasswordRequestEvent: RecordAuthWithPasswordRequestEvent;
  RecordAuthWithOAuth2RequestEvent: RecordAuthWithOAuth2RequestEvent;
  RecordAuthRefreshRequestEvent: RecordAuthRefreshRequestEvent;
  RecordRequestPasswordResetRequestEvent: RecordRequestPasswordResetRequestEvent;
  RecordConfirmPasswordResetRequestEvent: RecordConfirmPasswordResetRequestEvent;
  RecordRequestVerificationRequestEvent: RecordRequestVerificationRequestEvent;
  RecordConfirmVerificationRequestEvent: RecordConfirmVerificationRequestEvent;
  RecordRequestEmailChangeRequestEvent: RecordRequestEmailChangeRequestEvent;
  RecordConfirmEmailChangeRequestEvent: RecordConfirmEmailChangeRequestEvent;
  RecordCreateOTPRequestEvent: RecordCreateOTPRequestEvent;
  RecordAuthWithOTPRequestEvent: RecordAuthWithOTPRequestEvent;
  RecordsListRequestEvent: RecordsListRequestEvent;
  RecordRequestEvent: RecordRequestEvent;
  CollectionsListRequestEvent: CollectionsListRequestEvent;
  CollectionRequestEvent: CollectionRequestEvent;
  CollectionsImportRequestEvent: CollectionsImportRequestEvent;
  BatchRequestEvent: BatchRequestEvent;
}
type EventName = keyof HookEvents;
type TaggedEventName = { [K in EventName]: HookEvents[K] extends HookEvent & Tagged ? K : never }[EventName];

/** A hook that can be viewed through a tag filter. */
export type TaggedHookFactory<E extends HookEvent & Tagged> = ((...tags: string[]) => TaggedHook<E>) & {
  readonly hook: Hook<E>;
};

/** What the registry knows of one hook. */
export interface HookInfo {
  /** The App member (upstream's method name, lower-camel): `onRecordCreate`. */
  name: string;
  /** Upstream's event type name: `RecordEvent` (`core.RecordEvent` in JS declarations). */
  event: string;
  /** Whether it takes tags (a collection's name or id) to bind for some events only. */
  tagged: boolean;
}

const EVENT_OF = new WeakMap<object, { event: EventName; tagged: boolean }>();

function plain<K extends EventName>(event: K): Hook<HookEvents[K]> {
  const hook = new Hook<HookEvents[K]>();
  EVENT_OF.set(hook, { event, tagged: false });
  return hook;
}

function tagged<K extends TaggedEventName>(event: K): TaggedHookFactory<HookEvents[K]> {
  type E = HookEvents[K];
  const hook = new Hook<E>();
  const factory = Object.assign((...tags: string[]) => new TaggedHook(hook, tags), { hook });
  EVENT_OF.set(factory, { event, tagged: true });
  return factory;
}

export class AppHooks {
  // app lifecycle
  readonly onBootstrap = plain("BootstrapEvent");
  /** Fired once the router is built and before the server listens (JS binds it through routerAdd/routerUse). */
  readonly onServe = plain("ServeEvent");
  readonly onTerminate = plain("TerminateEvent");

  // models (records, collections and plain rows such as settings)
  readonly onModelValidate = tagged("ModelEvent");
  readonly onModelCreate = tagged("ModelEvent");
  readonly onModelCreateExecute = tagged("ModelEvent");
  readonly onModelAfterCreateSuccess = tagged("ModelEvent");
  readonly onModelAfterCreateError = tagged("ModelErrorEvent");
  readonly onModelUpdate = tagged("ModelEvent");
  readonly onModelUpdateExecute = tagged("ModelEvent");
  readonly onModelAfterUpdateSuccess = tagged("ModelEvent");
  readonly onModelAfterUpdateError = tagged("ModelErrorEvent");
  readonly onModelDelete = tagged("ModelEvent");
  readonly onModelDeleteExecute = tagged("ModelEvent");
  readonly onModelAfterDeleteSuccess = tagged("ModelEvent");
  readonly onModelAfterDeleteError = tagged("ModelErrorEvent");

  // records
  readonly onRecordEnrich = tagged("RecordEnrichEvent");
  readonly onRecordValidate = tagged("RecordEvent");
  readonly onRecordCreate = tagged("RecordEvent");
  readonly onRecordCreateExecute = tagged("RecordEvent");
  readonly onRecordAfterCreateSuccess = tagged("RecordEvent");
  readonly onRecordAfterCreateError = tagged("RecordErrorEvent");
  readonly onRecordUpdate = tagged("RecordEvent");
  readonly onRecordUpdateExecute = tagged("RecordEvent");
  readonly onRecordAfterUpdateSuccess = tagged("RecordEvent");
  readonly onRecordAfterUpdateError = tagged("RecordErrorEvent");
  readonly onRecordDelete = tagged("RecordEvent");
  readonly onRecordDeleteExecute = tagged("RecordEvent");
  readonly onRecordAfterDeleteSuccess = tagged("RecordEvent");
  readonly onRecordAfterDeleteError = tagged("RecordErrorEvent");

  // collections
  readonly onCollectionValidate = tagged("CollectionEvent");
  readonly onCollectionCreate = tagged("CollectionEvent");
  readonly onCollectionCreateExecute = tagged("CollectionEvent");
  readonly onCollectionAfterCreateSuccess = tagged("CollectionEvent");
  readonly onCollectionAfterCreateError = tagged("CollectionErrorEvent");
  readonly onCollectionUpdate = tagged("CollectionEvent");
  readonly onCollectionUpdateExecute = tagged("CollectionEvent");
  readonly onCollectionAfterUpdateSuccess = tagged("CollectionEvent");
  readonly onCollectionAfterUpdateError = tagged("CollectionErrorEvent");
  readonly onCollectionDelete = tagged("CollectionEvent");
  readonly onCollectionDeleteExecute = tagged("CollectionEvent");
  readonly onCollectionAfterDeleteSuccess = tagged("CollectionEvent");
  readonly onCollectionAfterDeleteError = tagged("CollectionErrorEvent");

  // record API requests (tagged with the collection)
  readonly onRecordsListRequest = tagged("RecordsListRequestEvent");
  readonly onRecordViewRequest = tagged("RecordRequestEvent");
  readonly onRecordCreateRequest = tagged("RecordRequestEvent");
  readonly onRecordUpdateRequest = tagged("RecordRequestEvent");
  readonly onRecordDeleteRequest = tagged("RecordRequestEvent");

  // collection API requests (not tagged, as upstream)
  readonly onCollectionsListRequest = plain("CollectionsListRequestEvent");
  readonly onCollectionViewRequest = plain("CollectionRequestEvent");
  readonly onCollectionCreateRequest = plain("CollectionRequestEvent");
  readonly onCollectionUpdateRequest = plain("CollectionRequestEvent");
  readonly onCollectionDeleteRequest = plain("CollectionRequestEvent");
  readonly onCollectionsImportRequest = plain("CollectionsImportRequestEvent");
  readonly onBatchRequest = plain("BatchRequestEvent");

  // record auth requests (tagged with the auth collection)
  readonly onRecordAuthRequest = tagged("RecordAuthRequestEvent");
  readonly onRecordAuthWithPasswordRequest = tagged("RecordAuthWithPasswordRequestEvent");
  readonly onRecordAuthWithOAuth2Request = tagged("RecordAuthWithOAuth2RequestEvent");
  readonly onRecordAuthRefreshRequest = tagged("RecordAuthRefreshRequestEvent");
  readonly onRecordRequestPasswordResetRequest = tagged("RecordRequestPasswordResetRequestEvent");
  readonly onRecordConfirmPasswordResetRequest = tagged("RecordConfirmPasswordResetRequestEvent");
  readonly onRecordRequestVerificationRequest = tagged("RecordRequestVerificationRequestEvent");
  readonly onRecordConfirmVerificationRequest = tagged("RecordConfirmVerificationRequestEvent");
  readonly onRecordRequestEmailChangeRequest = tagged("RecordRequestEmailChangeRequestEvent");
  readonly onRecordConfirmEmailChangeRequest = tagged("RecordConfirmEmailChangeRequestEvent");
  readonly onRecordRequestOTPRequest = tagged("RecordCreateOTPRequestEvent");
  readonly onRecordAuthWithOTPRequest = tagged("RecordAuthWithOTPRequestEvent");

  // mails
  readonly onMailerSend = plain("MailerEvent");
  readonly onMailerRecordPasswordResetSend = tagged("MailerRecordEvent");
  readonly onMailerRecordVerificationSend = tagged("MailerRecordEvent");
  readonly onMailerRecordEmailChangeSend = tagged("MailerRecordEvent");
  readonly onMailerRecordOTPSend = tagged("MailerRecordEvent");
  readonly onMailerRecordAuthAlertSend = tagged("MailerRecordEvent");

  // files (tagged with the collection)
  readonly onFileDownloadRequest = tagged("FileDownloadRequestEvent");
  readonly onFileTokenRequest = tagged("FileTokenRequestEvent");

  // realtime (SSE) connections, subscriptions and outgoing messages
  readonly onRealtimeConnectRequest = plain("RealtimeConnectRequestEvent");
  readonly onRealtimeSubscribeRequest = plain("RealtimeSubscribeRequestEvent");
  readonly onRealtimeMessageSend = plain("RealtimeMessageEvent");

  // settings
  readonly onSettingsListRequest = plain("SettingsListRequestEvent");
  readonly onSettingsUpdateRequest = plain("SettingsUpdateRequestEvent");
  readonly onSettingsReload = plain("SettingsReloadEvent");

  // backups
  readonly onBackupCreate = plain("BackupEvent");
  readonly onBackupRestore = plain("BackupEvent");
}

let cachedList: readonly HookInfo[] | null = null;

/**
 * Every hook of the App, in declaration order, read from the registry above (a bare AppHooks:
 * hooks are its only members), so a hook added there is known everywhere without another list.
 */
export function appHookList(): readonly HookInfo[] {
  if (cachedList) return cachedList;
  const hooks = new AppHooks() as unknown as { [name: string]: object };
  const list: HookInfo[] = [];
  for (const name of Object.keys(hooks)) {
    const info = EVENT_OF.get(hooks[name]!);
    if (info) list.push({ name, event: info.event, tagged: info.tagged });
  }
  return (cachedList = Object.freeze(list));
}
