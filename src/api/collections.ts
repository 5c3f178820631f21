/**
 * The Collections API (upstream's apis/collection.go and apis/collection_import.go), superusers only:
 * list, view, create, update, delete, truncate, import, and the dashboard's meta routes (scaffolds,
 * OAuth2 providers, view query dry run). Each action fires its request hook around the core call.
 */
import type { App } from "../core/app.ts";
import {
  Collection,
  newAuthCollection,
  newBaseCollection,
  newViewCollection,
  COLLECTION_TYPE_AUTH,
  COLLECTION_TYPE_BASE,
  COLLECTION_TYPE_VIEW,
} from "../core/collection.ts";
import { importCollections } from "../core/collection_import.ts";
import { oauth2ProviderLogo, oauth2Providers } from "../core/collection_oauth2_providers.ts";
import { findCollectionByNameOrId, findCollectionReferences } from "../core/collection_query.ts";
import { deleteCollection, saveCollection, truncateCollection } from "../core/collection_save.ts";
import { ApiError, ValidationErrors, badRequest, forbidden, noRows, notFound, unauthorized } from "../core/errors.ts";
import {
  CollectionRequestEvent,
  CollectionsImportRequestEvent,
  CollectionsListRequestEvent,
  type SearchResult,
} from "../core/events.ts";
import { lookupKey } from "../core/fields/index.ts";
import type { RequestEvent } from "../core/request_event.ts";
import { COLLECTION_LIST_FIELDS, searchTable } from "../core/record_search.ts";
import { dryRunView } from "../core/view.ts";
import { length, newError, required, validateStruct } from "../core/validators/validation.ts";
import { randomString } from "../tools/security/random.ts";
import type { Middleware, Router } from "./router.ts";

/** The id upstream gives its superuser guard, so user middlewares can refer to it. */
export const REQUIRE_SUPERUSER_AUTH_MIDDLEWARE_ID = "pbRequireSuperuserAuth";

/** 401 without auth, 403 for an auth record that is not a superuser (upstream's RequireSuperuserAuth). */
export function requireSuperuserAuth(): Middleware {
  return {
    id: REQUIRE_SUPERUSER_AUTH_MIDDLEWARE_ID,
    func: (e) => {
      if (!e.auth) throw unauthorized("The request requires valid record authorization token.");
      if (!e.hasSuperuserAuth()) throw forbidden("The authorized record is not allowed to perform this action.");
      return e.next();
    },
  };
}

/** Binds every `/api/collections` route (the record routes under it live in records.ts). */
export function bindCollectionsApi(router: Router): void {
  const su = requireSuperuserAuth();
  router.get("/api/collections", collectionsList, su);
  router.post("/api/collections", collectionCreate, su);
  router.put("/api/collections/import", collectionsImport, su);
  router.get("/api/collections/meta/scaffolds", collectionScaffolds, su);
  router.get("/api/collections/meta/oauth2-providers", collectionOAuth2Providers, su);
  router.post("/api/collections/meta/dry-run-view", collectionDryRunView, su);
  router.get("/api/collections/{collection}", collectionView, su);
  router.patch("/api/collections/{collection}", collectionUpdate, su);
  router.delete("/api/collections/{collection}", collectionDelete, su);
  router.delete("/api/collections/{collection}/truncate", collectionTruncate, su);
}

/** Writes the response once the surrounding transaction (if a hook opened one) has committed. */
async function respondAfterTx(app: App, write: () => void): Promise<void> {
  await app.afterTransaction((err) => {
    if (!err) write();
  });
}

/** The body as an object, or the given 400 when it cannot be read. */
async function bodyOr400(e: RequestEvent, message: string): Promise<{ [key: string]: unknown }> {
  try {
    return await e.bindBody();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(message, {}, err);
  }
}

/**
 * Rejects bodies Go's json.Unmarshal would fail to decode into a Collection (a value of the wrong
 * JSON type for a known key), which upstream reports as a formatting error.
 */
function hasDecodableShape(body: { [key: string]: unknown }): boolean {
  const isObj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
  const ok = (key: string, check: (v: unknown) => boolean) => {
    const v = lookupKey(body, key);
    return v === undefined || v === null || check(v);
  };
  const str = (v: unknown) => typeof v === "string";
  return (
    [
      "id",
      "name",
      "type",
      "viewQuery",
      "listRule",
      "viewRule",
      "createRule",
      "updateRule",
      "deleteRule",
      "authRule",
      "manageRule",
    ].every((k) => ok(k, str)) &&
    ok("system", (v) => typeof v === "boolean") &&
    ok("indexes", (v) => Array.isArray(v) && v.every((x) => x === null || typeof x === "string")) &&
    ok("fields", (v) => Array.isArray(v) && v.every((f) => f === null || isObj(f))) &&
    [
      "authAlert",
      "oauth2",
      "passwordAuth",
      "mfa",
      "otp",
      "authToken",
      "passwordResetToken",
      "emailChangeToken",
      "verificationToken",
      "fileToken",
      "verificationTemplate",
      "resetPasswordTemplate",
      "confirmEmailChangeTemplate",
    ].every((k) => ok(k, isObj))
  );
}

/** The submitted data merged into `collection`, or upstream's 400 for undecodable data. */
function mergeOr400(collection: Collection, body: { [key: string]: unknown }): void {
  if (!hasDecodableShape(body)) throw badRequest("Failed to load the submitted data due to invalid formatting.");
  try {
    collection.mergeJSON(body);
  } catch (err) {
    throw badRequest("Failed to load the submitted data due to invalid formatting.", {}, err);
  }
}

/** A write failure as upstream reports it: validation errors as data, anything else in the message. */
function saveError(base: string, err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof ValidationErrors) return badRequest(base, err.toJSON(), err);
  return badRequest(`${base} Raw error: \n${(err as Error)?.message ?? String(err)}`, {}, err);
}

// --- list ----------------------------------------------------------------------------------------------

async function collectionsList(e: RequestEvent) {
  const q = e.url.searchParams;
  const param = (name: string) => q.get(name) ?? undefined;
  // only the collection columns (not fields, rules or options) can be filtered and sorted by
  const page = await searchTable(
    e.app,
    "_collections",
    {
      filter: param("filter"),
      sort: param("sort"),
      page: param("page"),
      perPage: param("perPage"),
      skipTotal: param("skipTotal"),
    },
    COLLECTION_LIST_FIELDS,
  );
  const collections = page.items.map((row) => Collection.fromRow(row));
  const result: SearchResult<Collection> = { ...page, items: collections };
  const event = new CollectionsListRequestEvent(e, collections, result);
  await e.app.onCollectionsListRequest.trigger(event, (ev) =>
    respondAfterTx(ev.app, () => {
      const r = ev.result;
      ev.json(200, {
        items: r.items,
        page: r.page,
        perPage: r.perPage,
        totalItems: r.totalItems,
        totalPages: r.totalPages,
      });
    }),
  );
}

// --- view, create, update, delete, truncate --------------------------------------------------------------

async function collectionView(e: RequestEvent) {
  const collection = e.app.findCollection(e.params.collection ?? "");
  if (!collection) throw notFound("", {}, noRows());
  await e.app.onCollectionViewRequest.trigger(new CollectionRequestEvent(e, collection), (ev) =>
    respondAfterTx(ev.app, () => ev.json(200, ev.collection)),
  );
}

async function collectionCreate(e: RequestEvent) {
  const body = await bodyOr400(e, "Failed to load the collection type data due to invalid formatting.");
  const type = lookupKey(body, "type") ?? "";
  const name = lookupKey(body, "name") ?? "";
  if (typeof type !== "string" || typeof name !== "string") {
    throw badRequest("Failed to load the collection type data due to invalid formatting.");
  }
  // the type's scaffold (default fields, fresh secrets), then the submitted data on top
  const collection = Collection.create(type, name);
  mergeOr400(collection, body);
  await e.app.onCollectionCreateRequest.trigger(new CollectionRequestEvent(e, collection), async (ev) => {
    try {
      await saveCollection(ev.app, ev.collection);
    } catch (err) {
      throw saveError("Failed to create collection.", err);
    }
    await respondAfterTx(ev.app, () => ev.json(200, ev.collection));
  });
}

async function collectionUpdate(e: RequestEvent) {
  const collection = await findCollectionByNameOrId(e.app, e.params.collection ?? "");
  if (!collection) throw notFound("", {}, noRows());
  const body = await bodyOr400(e, "Failed to load the submitted data due to invalid formatting.");
  mergeOr400(collection, body);
  await e.app.onCollectionUpdateRequest.trigger(new CollectionRequestEvent(e, collection), async (ev) => {
    try {
      await saveCollection(ev.app, ev.collection);
    } catch (err) {
      throw saveError("Failed to update collection.", err);
    }
    await respondAfterTx(ev.app, () => ev.json(200, ev.collection));
  });
}

async function collectionDelete(e: RequestEvent) {
  const cached = e.app.findCollection(e.params.collection ?? "");
  if (!cached) throw notFound("", {}, noRows());
  await e.app.onCollectionDeleteRequest.trigger(new CollectionRequestEvent(e, cached.clone()), async (ev) => {
    try {
      await deleteCollection(ev.app, ev.collection);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      let message = "Failed to delete collection";
      const refs = await findCollectionReferences(ev.app, ev.collection, ev.collection.id);
      if (refs.size > 0)
        message += " probably due to existing reference in " + [...refs.keys()].map((c) => c.name).join(", ");
      throw badRequest(message, err instanceof ValidationErrors ? err.toJSON() : {}, err);
    }
    await respondAfterTx(ev.app, () => ev.noContent(204));
  });
}

async function collectionTruncate(e: RequestEvent) {
  const collection = e.app.findCollection(e.params.collection ?? "");
  if (!collection) throw notFound("", {}, noRows());
  if (collection.isView())
    throw badRequest("View collections cannot be truncated since they don't store their own records.");
  try {
    await truncateCollection(e.app, collection);
  } catch (err) {
    if (err instanceof ApiError && err.status !== 400) throw err;
    throw badRequest(
      "Failed to truncate collection (most likely due to required cascade delete record references).",
      err instanceof ValidationErrors ? err.toJSON() : {},
      err,
    );
  }
  e.noContent(204);
}

// --- import ------------------------------------------------------------------------------------------------

async function collectionsImport(e: RequestEvent) {
  const body = await bodyOr400(e, "An error occurred while loading the submitted data.");
  const rawCollections = lookupKey(body, "collections");
  const rawDeleteMissing = lookupKey(body, "deleteMissing");
  const badShape =
    (rawCollections !== undefined && rawCollections !== null && !Array.isArray(rawCollections)) ||
    (Array.isArray(rawCollections) &&
      rawCollections.some((c) => c !== null && (typeof c !== "object" || Array.isArray(c)))) ||
    (rawDeleteMissing !== undefined && rawDeleteMissing !== null && typeof rawDeleteMissing !== "boolean");
  if (badShape) throw badRequest("An error occurred while loading the submitted data.");
  const collections = ((rawCollections as ({ [key: string]: unknown } | null)[] | null) ?? []).map((c) => c ?? {});
  const deleteMissing = rawDeleteMissing === true;

  const invalid = validateStruct([["collections", collections, required]]);
  if (invalid) throw badRequest("An error occurred while validating the submitted data.", invalid.toJSON(), invalid);

  const event = new CollectionsImportRequestEvent(e, collections, deleteMissing);
  await e.app.onCollectionsImportRequest.trigger(event, async (ev) => {
    try {
      // as upstream, the submitted flag (not the event's) decides
      await importCollections(ev.app, ev.collectionsData, deleteMissing);
    } catch (err) {
      const validation =
        err instanceof ValidationErrors
          ? err
          : (err as Error)?.cause instanceof ValidationErrors
            ? ((err as Error).cause as ValidationErrors)
            : null;
      if (validation) throw badRequest("Failed to import collections.", validation.toJSON(), err);
      const raw = new ValidationErrors({
        collections: newError(
          "validation_collections_import_failure",
          "Failed to import the collections configuration. Raw error:\n" + ((err as Error)?.message ?? String(err)),
        ),
      });
      throw badRequest("Failed to import collections.", raw.toJSON(), err);
    }
    await respondAfterTx(ev.app, () => ev.noContent(204));
  });
}

// --- meta ----------------------------------------------------------------------------------------------------

async function collectionScaffolds(e: RequestEvent) {
  // a random id gives the default index names a unique suffix, then the id itself is cleared
  const randomId = randomString(10, "abcdefghijklmnopqrstuvwxyz0123456789");
  const scaffolds: { [type: string]: Collection } = {
    [COLLECTION_TYPE_AUTH]: newAuthCollection("", randomId),
    [COLLECTION_TYPE_BASE]: newBaseCollection("", randomId),
    [COLLECTION_TYPE_VIEW]: newViewCollection("", randomId),
  };
  for (const c of Object.values(scaffolds)) c.id = "";
  e.json(200, scaffolds);
}

async function collectionOAuth2Providers(e: RequestEvent) {
  e.json(
    200,
    oauth2Providers().map((p) => ({ name: p.name, displayName: p.displayName, logo: oauth2ProviderLogo(p) })),
  );
}

async function collectionDryRunView(e: RequestEvent) {
  if (!e.hasSuperuserAuth()) throw forbidden();
  const body = await bodyOr400(e, "An error occurred while loading the submitted data.");
  const rawQuery = lookupKey(body, "query");
  if (rawQuery !== undefined && rawQuery !== null && typeof rawQuery !== "string") {
    throw badRequest("An error occurred while loading the submitted data.");
  }
  const query = typeof rawQuery === "string" ? rawQuery : "";
  const invalid = validateStruct([["query", query, required, length(0, 5000)]]);
  if (invalid) throw badRequest("An error occurred while validating the submitted data.", invalid.toJSON(), invalid);

  let result;
  try {
    result = await e.app.runInTransaction(() => dryRunView(e.app, query, 10));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest("Invalid view query. Raw error: \n" + ((err as Error)?.message ?? String(err)), {}, err);
  }
  e.json(200, { fields: result.fields, sample: result.sample });
}
