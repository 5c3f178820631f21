/**
 * Every hook the app fires, as upstream's `app.OnXxx()` methods. Tagged hooks are functions:
 * `app.onRecordCreate("posts").bindFunc(...)` binds for one collection, `app.onRecordCreate()` for all.
 */
import { Hook, TaggedHook, type HookEvent, type Tagged } from "../tools/hook.ts";
import {
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

/** A hook that can be viewed through a tag filter. */
export type TaggedHookFactory<E extends HookEvent & Tagged> = ((...tags: string[]) => TaggedHook<E>) & { readonly hook: Hook<E> };

function tagged<E extends HookEvent & Tagged>(): TaggedHookFactory<E> {
  const hook = new Hook<E>();
  return Object.assign((...tags: string[]) => new TaggedHook(hook, tags), { hook });
}

export class AppHooks {
  // models (records, collections and plain rows such as settings)
  readonly onModelValidate = tagged<ModelEvent>();
  readonly onModelCreate = tagged<ModelEvent>();
  readonly onModelCreateExecute = tagged<ModelEvent>();
  readonly onModelAfterCreateSuccess = tagged<ModelEvent>();
  readonly onModelAfterCreateError = tagged<ModelErrorEvent>();
  readonly onModelUpdate = tagged<ModelEvent>();
  readonly onModelUpdateExecute = tagged<ModelEvent>();
  readonly onModelAfterUpdateSuccess = tagged<ModelEvent>();
  readonly onModelAfterUpdateError = tagged<ModelErrorEvent>();
  readonly onModelDelete = tagged<ModelEvent>();
  readonly onModelDeleteExecute = tagged<ModelEvent>();
  readonly onModelAfterDeleteSuccess = tagged<ModelEvent>();
  readonly onModelAfterDeleteError = tagged<ModelErrorEvent>();

  // records
  readonly onRecordEnrich = tagged<RecordEnrichEvent>();
  readonly onRecordValidate = tagged<RecordEvent>();
  readonly onRecordCreate = tagged<RecordEvent>();
  readonly onRecordCreateExecute = tagged<RecordEvent>();
  readonly onRecordAfterCreateSuccess = tagged<RecordEvent>();
  readonly onRecordAfterCreateError = tagged<RecordErrorEvent>();
  readonly onRecordUpdate = tagged<RecordEvent>();
  readonly onRecordUpdateExecute = tagged<RecordEvent>();
  readonly onRecordAfterUpdateSuccess = tagged<RecordEvent>();
  readonly onRecordAfterUpdateError = tagged<RecordErrorEvent>();
  readonly onRecordDelete = tagged<RecordEvent>();
  readonly onRecordDeleteExecute = tagged<RecordEvent>();
  readonly onRecordAfterDeleteSuccess = tagged<RecordEvent>();
  readonly onRecordAfterDeleteError = tagged<RecordErrorEvent>();

  // collections
  readonly onCollectionValidate = tagged<CollectionEvent>();
  readonly onCollectionCreate = tagged<CollectionEvent>();
  readonly onCollectionCreateExecute = tagged<CollectionEvent>();
  readonly onCollectionAfterCreateSuccess = tagged<CollectionEvent>();
  readonly onCollectionAfterCreateError = tagged<CollectionErrorEvent>();
  readonly onCollectionUpdate = tagged<CollectionEvent>();
  readonly onCollectionUpdateExecute = tagged<CollectionEvent>();
  readonly onCollectionAfterUpdateSuccess = tagged<CollectionEvent>();
  readonly onCollectionAfterUpdateError = tagged<CollectionErrorEvent>();
  readonly onCollectionDelete = tagged<CollectionEvent>();
  readonly onCollectionDeleteExecute = tagged<CollectionEvent>();
  readonly onCollectionAfterDeleteSuccess = tagged<CollectionEvent>();
  readonly onCollectionAfterDeleteError = tagged<CollectionErrorEvent>();

  // record API requests (tagged with the collection)
  readonly onRecordsListRequest = tagged<RecordsListRequestEvent>();
  readonly onRecordViewRequest = tagged<RecordRequestEvent>();
  readonly onRecordCreateRequest = tagged<RecordRequestEvent>();
  readonly onRecordUpdateRequest = tagged<RecordRequestEvent>();
  readonly onRecordDeleteRequest = tagged<RecordRequestEvent>();

  // collection API requests (not tagged, as upstream)
  readonly onCollectionsListRequest = new Hook<CollectionsListRequestEvent>();
  readonly onCollectionViewRequest = new Hook<CollectionRequestEvent>();
  readonly onCollectionCreateRequest = new Hook<CollectionRequestEvent>();
  readonly onCollectionUpdateRequest = new Hook<CollectionRequestEvent>();
  readonly onCollectionDeleteRequest = new Hook<CollectionRequestEvent>();
  readonly onCollectionsImportRequest = new Hook<CollectionsImportRequestEvent>();
  readonly onBatchRequest = new Hook<BatchRequestEvent>();

  // record auth requests (tagged with the auth collection)
  readonly onRecordAuthRequest = tagged<RecordAuthRequestEvent>();
  readonly onRecordAuthWithPasswordRequest = tagged<RecordAuthWithPasswordRequestEvent>();
  readonly onRecordAuthWithOAuth2Request = tagged<RecordAuthWithOAuth2RequestEvent>();
  readonly onRecordAuthRefreshRequest = tagged<RecordAuthRefreshRequestEvent>();
  readonly onRecordRequestPasswordResetRequest = tagged<RecordRequestPasswordResetRequestEvent>();
  readonly onRecordConfirmPasswordResetRequest = tagged<RecordConfirmPasswordResetRequestEvent>();
  readonly onRecordRequestVerificationRequest = tagged<RecordRequestVerificationRequestEvent>();
  readonly onRecordConfirmVerificationRequest = tagged<RecordConfirmVerificationRequestEvent>();
  readonly onRecordRequestEmailChangeRequest = tagged<RecordRequestEmailChangeRequestEvent>();
  readonly onRecordConfirmEmailChangeRequest = tagged<RecordConfirmEmailChangeRequestEvent>();
  readonly onRecordRequestOTPRequest = tagged<RecordCreateOTPRequestEvent>();
  readonly onRecordAuthWithOTPRequest = tagged<RecordAuthWithOTPRequestEvent>();

  // mails
  readonly onMailerSend = new Hook<MailerEvent>();
  readonly onMailerRecordPasswordResetSend = tagged<MailerRecordEvent>();
  readonly onMailerRecordVerificationSend = tagged<MailerRecordEvent>();
  readonly onMailerRecordEmailChangeSend = tagged<MailerRecordEvent>();
  readonly onMailerRecordOTPSend = tagged<MailerRecordEvent>();
  readonly onMailerRecordAuthAlertSend = tagged<MailerRecordEvent>();

  // files (tagged with the collection)
  readonly onFileDownloadRequest = tagged<FileDownloadRequestEvent>();
  readonly onFileTokenRequest = tagged<FileTokenRequestEvent>();

  // settings
  readonly onSettingsListRequest = new Hook<SettingsListRequestEvent>();
  readonly onSettingsUpdateRequest = new Hook<SettingsUpdateRequestEvent>();
  readonly onSettingsReload = new Hook<SettingsReloadEvent>();

  // backups
  readonly onBackupCreate = new Hook<BackupEvent>();
  readonly onBackupRestore = new Hook<BackupEvent>();
}
