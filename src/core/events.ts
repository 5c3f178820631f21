/**
 * Model, record and collection events (upstream core/events.go). Record and collection events are
 * fired from inside the matching model-event chain, so a `onModelCreate` handler wraps a
 * `onRecordCreate` one, as upstream's proxies do.
 */
import { HookEvent, type Tagged } from "../tools/hook.ts";
import type { App } from "./app.ts";
import type { Collection } from "./collection.ts";
import type { FileField } from "./fields/file.ts";
import type { Record as PbRecord } from "./record.ts";
import type { RequestInfo } from "./request_info.ts";
import type { Settings } from "./settings.ts";
import { RequestEvent } from "./request_event.ts";

export type ModelEventType = "create" | "update" | "delete" | "validate";

/** A saved thing: a record, a collection, or a plain table row such as the settings param. */
export type Model = PbRecord | Collection | { tableName(): string; id: string };

export class ModelEvent extends HookEvent implements Tagged {
  constructor(
    public app: App,
    public model: Model,
    public type: ModelEventType,
  ) {
    super();
  }
  tags(): string[] {
    const m = this.model as {
      collection?: Collection;
      fields?: unknown;
      id: string;
      name?: string;
      tableName?: () => string;
    };
    if (m.collection) return [m.collection.name, m.collection.id]; // a record
    if (m.fields !== undefined && m.name !== undefined) return ["_collections"]; // a collection row
    return m.tableName ? [m.tableName()] : [];
  }
}

export class ModelErrorEvent extends ModelEvent {
  constructor(
    app: App,
    model: Model,
    type: ModelEventType,
    public error: unknown,
  ) {
    super(app, model, type);
  }
}

export class RecordEvent extends HookEvent implements Tagged {
  constructor(
    public app: App,
    public record: PbRecord,
    public type: ModelEventType,
  ) {
    super();
  }
  tags(): string[] {
    return [this.record.collection.name, this.record.collection.id];
  }
}

export class RecordErrorEvent extends RecordEvent {
  constructor(
    app: App,
    record: PbRecord,
    type: ModelEventType,
    public error: unknown,
  ) {
    super(app, record, type);
  }
}

export class CollectionEvent extends HookEvent implements Tagged {
  constructor(
    public app: App,
    public collection: Collection,
    public type: ModelEventType,
  ) {
    super();
  }
  tags(): string[] {
    return [this.collection.id, this.collection.name];
  }
}

export class CollectionErrorEvent extends CollectionEvent {
  constructor(
    app: App,
    collection: Collection,
    type: ModelEventType,
    public error: unknown,
  ) {
    super(app, collection, type);
  }
}

/** Fired for every record serialized to a client; handlers may hide or add fields per requester. */
export class RecordEnrichEvent extends HookEvent implements Tagged {
  constructor(
    public app: App,
    public record: PbRecord,
    public requestInfo: RequestInfo,
  ) {
    super();
  }
  tags(): string[] {
    return [this.record.collection.name, this.record.collection.id];
  }
}

/** A request event about one collection (tagged with it); shares the wrapped request's state. */
export class CollectionRequestEvent extends RequestEvent {
  constructor(
    parent: RequestEvent,
    public collection: Collection,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
}

/** View, create, update and delete of one record through the API. */
export class RecordRequestEvent extends RequestEvent implements Tagged {
  constructor(
    parent: RequestEvent,
    public collection: Collection,
    public record: PbRecord | null,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
  tags(): string[] {
    return [this.collection.name, this.collection.id];
  }
}

/** A page of records or collections as the list APIs return it. */
export interface SearchResult<T = unknown> {
  page: number;
  perPage: number;
  totalItems: number;
  totalPages: number;
  items: T[];
}

export class RecordsListRequestEvent extends RequestEvent implements Tagged {
  constructor(
    parent: RequestEvent,
    public collection: Collection,
    public records: PbRecord[],
    public result: SearchResult<PbRecord>,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
  tags(): string[] {
    return [this.collection.name, this.collection.id];
  }
}

export class CollectionsListRequestEvent extends RequestEvent {
  constructor(
    parent: RequestEvent,
    public collections: Collection[],
    public result: SearchResult<Collection>,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
}

export class CollectionsImportRequestEvent extends RequestEvent {
  constructor(
    parent: RequestEvent,
    public collectionsData: Record<string, unknown>[],
    public deleteMissing: boolean,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
}

/** One sub-request of `POST /api/batch`. */
export interface BatchRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export class BatchRequestEvent extends RequestEvent {
  constructor(
    parent: RequestEvent,
    public batch: BatchRequest[],
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
}

/** Base of the auth request events: the request plus the auth collection and (maybe) the record. */
export class RecordAuthBaseRequestEvent extends RequestEvent implements Tagged {
  constructor(
    parent: RequestEvent,
    public collection: Collection,
    public record: PbRecord | null,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
  tags(): string[] {
    return [this.collection.name, this.collection.id];
  }
}

/**
 * Every successful auth response (password, OAuth2, OTP, refresh, impersonate): token, meta and record can be replaced.
 */
export class RecordAuthRequestEvent extends RecordAuthBaseRequestEvent {
  constructor(
    parent: RequestEvent,
    collection: Collection,
    record: PbRecord,
    public token: string,
    public meta: unknown,
    public authMethod: string,
  ) {
    super(parent, collection, record);
  }
}

export class RecordAuthWithPasswordRequestEvent extends RecordAuthBaseRequestEvent {
  constructor(
    parent: RequestEvent,
    collection: Collection,
    record: PbRecord | null,
    public identity: string,
    public identityField: string,
    public password: string,
  ) {
    super(parent, collection, record);
  }
}

/** The user data an OAuth2 provider returned. */
export interface OAuth2User {
  id: string;
  name: string;
  username: string;
  email: string;
  avatarURL: string;
  accessToken: string;
  refreshToken: string;
  expiry: string;
  rawUser: Record<string, unknown>;
}

export class RecordAuthWithOAuth2RequestEvent extends RecordAuthBaseRequestEvent {
  constructor(
    parent: RequestEvent,
    collection: Collection,
    record: PbRecord | null,
    public providerName: string,
    public providerClient: unknown,
    public oAuth2User: OAuth2User,
    public createData: Record<string, unknown>,
    public isNewRecord: boolean,
  ) {
    super(parent, collection, record);
  }
}

export class RecordAuthRefreshRequestEvent extends RecordAuthBaseRequestEvent {}
export class RecordRequestPasswordResetRequestEvent extends RecordAuthBaseRequestEvent {}
export class RecordConfirmPasswordResetRequestEvent extends RecordAuthBaseRequestEvent {}
export class RecordRequestVerificationRequestEvent extends RecordAuthBaseRequestEvent {}
export class RecordConfirmVerificationRequestEvent extends RecordAuthBaseRequestEvent {}

export class RecordRequestEmailChangeRequestEvent extends RecordAuthBaseRequestEvent {
  constructor(
    parent: RequestEvent,
    collection: Collection,
    record: PbRecord | null,
    public newEmail: string,
  ) {
    super(parent, collection, record);
  }
}
export class RecordConfirmEmailChangeRequestEvent extends RecordRequestEmailChangeRequestEvent {}

export class RecordCreateOTPRequestEvent extends RecordAuthBaseRequestEvent {
  constructor(
    parent: RequestEvent,
    collection: Collection,
    record: PbRecord | null,
    public password: string,
  ) {
    super(parent, collection, record);
  }
}

export class RecordAuthWithOTPRequestEvent extends RecordAuthBaseRequestEvent {
  constructor(
    parent: RequestEvent,
    collection: Collection,
    record: PbRecord | null,
    public otp: PbRecord,
  ) {
    super(parent, collection, record);
  }
}

/** A message about to be sent (`onMailerSend`); `message` may be edited. */
export interface MailerMessage {
  from: { address: string; name: string };
  to: { address: string; name: string }[];
  bcc: { address: string; name: string }[];
  cc: { address: string; name: string }[];
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  attachments: Record<string, unknown>;
  inlineAttachments: Record<string, unknown>;
}

export class MailerEvent extends HookEvent {
  constructor(
    public app: App,
    public mailer: unknown,
    public message: MailerMessage,
  ) {
    super();
  }
}

/** A system email about a record (verification, reset, email change, OTP, login alert). */
export class MailerRecordEvent extends MailerEvent implements Tagged {
  constructor(
    app: App,
    mailer: unknown,
    message: MailerMessage,
    public record: PbRecord,
    public meta: Record<string, unknown>,
  ) {
    super(app, mailer, message);
  }
  tags(): string[] {
    return [this.record.collection.name, this.record.collection.id];
  }
}

/** `POST /api/files/token`: the auth record and the file token it gets (replaceable). */
export class FileTokenRequestEvent extends RequestEvent implements Tagged {
  constructor(
    parent: RequestEvent,
    public record: PbRecord,
    public token: string,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
  tags(): string[] {
    return [this.record.collection.name, this.record.collection.id];
  }
}

/**
 * `GET /api/files/{collection}/{recordId}/{filename}`: which blob is served (`servedPath`) under
 * which name (`servedName`); `thumbError` says why a requested thumb fell back to the original.
 */
export class FileDownloadRequestEvent extends RequestEvent implements Tagged {
  thumbError: Error | null = null;
  constructor(
    parent: RequestEvent,
    public collection: Collection,
    public record: PbRecord,
    public fileField: FileField,
    public servedPath: string,
    public servedName: string,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
  tags(): string[] {
    return [this.collection.name, this.collection.id];
  }
}

/** `GET /api/settings`: `settings` is a copy that handlers may change before it is sent (masked). */
export class SettingsListRequestEvent extends RequestEvent {
  constructor(
    parent: RequestEvent,
    public settings: Settings,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
}

/** `PATCH /api/settings`: `newSettings` (the submitted data over a copy of the current ones) is saved. */
export class SettingsUpdateRequestEvent extends RequestEvent {
  constructor(
    parent: RequestEvent,
    public oldSettings: Settings,
    public newSettings: Settings,
  ) {
    super(parent.app, parent.request, parent.realIP, parent.state);
  }
}

/** Fired after the app settings were saved or reloaded; `app.settings()` holds the new ones. */
export class SettingsReloadEvent extends HookEvent {
  constructor(public app: App) {
    super();
  }
}

/**
 * A backup being created or restored: `name` is the backup file (empty on create = generated);
 * `exclude` lists the pb_data entries (relative paths) left out of the archive or the restore.
 */
export class BackupEvent extends HookEvent {
  constructor(
    public app: App,
    public name: string,
    public exclude: string[],
  ) {
    super();
  }
}
