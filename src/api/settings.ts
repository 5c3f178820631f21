/**
 * The settings API (upstream's apis/settings.go), superusers only: read and update the app settings
 * (secrets never leave the server), test the S3 and mail configuration, and generate an Apple
 * OAuth2 client secret.
 */
import { createPrivateKey } from "node:crypto";
import { SignJWT } from "jose";
import { findCollectionByNameOrId } from "../core/collection_query.ts";
import { ApiError, ValidationErrors, badRequest } from "../core/errors.ts";
import { SettingsListRequestEvent, SettingsUpdateRequestEvent } from "../core/events.ts";
import { lookupKey } from "../core/fields/index.ts";
import { Record } from "../core/record.ts";
import type { RequestEvent } from "../core/request_event.ts";
import type { S3Config } from "../core/settings.ts";
import { emailFormat } from "../core/validators/is.ts";
import { inList, length, match, max, min, newError, required, validateStruct } from "../core/validators/validation.ts";
import {
  sendRecordAuthAlert,
  sendRecordChangeEmail,
  sendRecordOTP,
  sendRecordPasswordReset,
  sendRecordVerification,
} from "../core/mails/index.ts";
import { formatDateTime } from "../core/fields/index.ts";
import { Filesystem } from "../tools/filesystem/index.ts";
import { pseudorandomString } from "../tools/security/random.ts";
import { requireSuperuserAuth } from "./collections.ts";
import type { Router } from "./router.ts";

export function bindSettingsApi(router: Router): void {
  const su = requireSuperuserAuth();
  router.get("/api/settings", settingsList, su);
  router.patch("/api/settings", settingsSet, su);
  router.post("/api/settings/test/s3", settingsTestS3, su);
  router.post("/api/settings/test/email", settingsTestEmail, su);
  router.post("/api/settings/apple/generate-client-secret", generateAppleClientSecret, su);
}

const LOAD_ERROR = "An error occurred while loading the submitted data.";

/** The request body as an object, or upstream's 400 when it cannot be decoded. */
async function readBody(e: RequestEvent): Promise<{ [key: string]: unknown }> {
  try {
    return await e.bindBody();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(LOAD_ERROR, {}, err);
  }
}

/** Reads string/number form fields the way Go decodes them into a struct (a wrong JSON type fails the decode). */
function formFields<T extends { [key: string]: "string" | "int" }>(
  body: { [key: string]: unknown },
  spec: T,
): { [K in keyof T]: T[K] extends "int" ? number : string } {
  const out: { [key: string]: unknown } = {};
  for (const [key, kind] of Object.entries(spec)) {
    const v = lookupKey(body, key);
    if (v === undefined || v === null) out[key] = kind === "int" ? 0 : "";
    else if (kind === "string" && typeof v === "string") out[key] = v;
    else if (kind === "int" && typeof v === "number" && Number.isInteger(v)) out[key] = v;
    else throw badRequest(LOAD_ERROR);
  }
  return out as { [K in keyof T]: T[K] extends "int" ? number : string };
}

async function settingsList(e: RequestEvent): Promise<void> {
  const event = new SettingsListRequestEvent(e, e.app.settings().clone());
  await e.app.onSettingsListRequest.trigger(event, async (ev) => {
    await ev.app.afterTransaction((err) => {
      if (!err) ev.json(200, ev.settings);
    });
  });
}

async function settingsSet(e: RequestEvent): Promise<void> {
  const app = e.app;
  const event = new SettingsUpdateRequestEvent(e, app.settings().clone(), app.settings().clone());
  const body = await readBody(e);
  if (!hasSettingsShape(body)) throw badRequest(LOAD_ERROR);
  event.newSettings.merge(body);

  await app.onSettingsUpdateRequest.trigger(event, async (ev) => {
    try {
      await ev.app.saveSettings(ev.newSettings);
    } catch (err) {
      const data = err instanceof ValidationErrors ? err.toJSON() : {};
      throw badRequest("An error occurred while saving the new settings.", data, err);
    }
    await ev.app.afterTransaction((err) => {
      if (!err) ev.json(200, ev.app.settings().clone());
    });
  });
}

// --- the body's shape ----------------------------------------------------------------------------

type Shape = "string" | "int" | "bool" | "strings" | { [key: string]: Shape } | { list: Shape };

const S3_SHAPE: Shape = {
  enabled: "bool",
  bucket: "string",
  region: "string",
  endpoint: "string",
  accessKey: "string",
  secret: "string",
  forcePathStyle: "bool",
};
const SETTINGS_SHAPE: Shape = {
  superuserIPs: "strings",
  smtp: {
    enabled: "bool",
    port: "int",
    host: "string",
    username: "string",
    password: "string",
    authMethod: "string",
    tls: "bool",
    localName: "string",
  },
  backups: { cron: "string", cronMaxKeep: "int", s3: S3_SHAPE },
  s3: S3_SHAPE,
  meta: {
    accentColor: "string",
    appName: "string",
    appURL: "string",
    senderName: "string",
    senderAddress: "string",
    hideControls: "bool",
  },
  rateLimits: {
    rules: { list: { label: "string", audience: "string", duration: "int", maxRequests: "int" } },
    excludedIPs: "strings",
    enabled: "bool",
  },
  trustedProxy: { headers: "strings", useLeftmostIP: "bool" },
  batch: { enabled: "bool", maxRequests: "int", timeout: "int", maxBodySize: "int" },
  logs: { maxDays: "int", minLevel: "int", logIP: "bool", logAuthId: "bool" },
};

/** False when Go's json.Unmarshal would fail on a known key (a value of the wrong JSON type). */
function matchesShape(v: unknown, shape: Shape): boolean {
  if (v === null || v === undefined) return true;
  if (shape === "string") return typeof v === "string";
  if (shape === "bool") return typeof v === "boolean";
  if (shape === "int") return typeof v === "number" && Number.isInteger(v);
  if (shape === "strings") return Array.isArray(v) && v.every((x) => x === null || typeof x === "string");
  if ("list" in shape && Object.keys(shape).length === 1 && typeof shape.list === "object") {
    return Array.isArray(v) && v.every((x) => matchesShape(x, shape.list as Shape));
  }
  if (typeof v !== "object" || Array.isArray(v)) return false;
  return Object.entries(shape as { [key: string]: Shape }).every(([k, s]) =>
    matchesShape(lookupKey(v as { [key: string]: unknown }, k), s),
  );
}

function hasSettingsShape(body: { [key: string]: unknown }): boolean {
  return matchesShape(body, SETTINGS_SHAPE);
}

// --- S3 test -------------------------------------------------------------------------------------

async function settingsTestS3(e: RequestEvent): Promise<void> {
  const form = formFields(await readBody(e), { filesystem: "string" });
  const errs = validateStruct([["filesystem", form.filesystem, required, inList("storage", "backups")]]);
  if (errs) throw badRequest("Failed to test the S3 filesystem.", errs.toJSON(), errs);
  const settings = e.app.settings();
  const config: S3Config = form.filesystem === "backups" ? settings.backups.s3 : settings.s3;
  try {
    await testS3(config);
  } catch (err) {
    throw badRequest("Failed to test the S3 filesystem. Raw error: \n" + (err as Error).message, {}, err);
  }
  e.noContent(204);
}

/** Uploads and deletes a small file in the bucket (checks write, list and delete access). */
export async function testS3(config: S3Config): Promise<void> {
  if (!config.enabled) throw new Error("S3 storage filesystem is not enabled");
  const fs = Filesystem.s3(config);
  try {
    const prefix = "pb_settings_test_" + pseudorandomString(5);
    try {
      await fs.upload(Buffer.from("test"), prefix + "/test.txt", { contentType: "text/plain; charset=utf-8" });
    } catch (err) {
      throw new Error(`failed to upload a test file: ${(err as Error).message}`);
    }
    const failed = await fs.deletePrefix(prefix);
    if (failed.length > 0) throw new Error(`failed to delete a test file: ${failed[0]!.message}`);
  } finally {
    fs.close();
  }
}

// --- test email ----------------------------------------------------------------------------------

const TEST_TEMPLATES = ["verification", "password-reset", "email-change", "otp", "login-alert"];

async function settingsTestEmail(e: RequestEvent): Promise<void> {
  const app = e.app;
  const form = formFields(await readBody(e), { email: "string", template: "string", collection: "string" });
  // read before the (synchronous) rules run
  const formCollection = form.collection === "" ? null : await findCollectionByNameOrId(app, form.collection);
  const errs = validateStruct([
    [
      "collection",
      form.collection,
      length(1, 255),
      (v) => {
        if (v === "") return null;
        return formCollection?.isAuth()
          ? null
          : newError("validation_invalid_auth_collection", "Must be a valid auth collection id or name.");
      },
    ],
    ["email", form.email, required, length(1, 255), emailFormat],
    ["template", form.template, required, inList(...TEST_TEMPLATES)],
  ]);
  if (errs) throw badRequest("Failed to send the test email.", errs.toJSON(), errs);

  const collection = formCollection ?? (await findCollectionByNameOrId(app, form.collection || "_superusers"));
  if (!collection) throw badRequest("Failed to send the test email. Raw error: \nmissing collection");
  const record = new Record(collection);
  for (const f of collection.fields) {
    if (f.hidden) continue;
    record.set(f.name, `__pb_test_${f.name}__`);
  }
  record.refreshTokenKey();
  record.set("email", form.email);
  try {
    switch (form.template) {
      case "verification":
        await sendRecordVerification(app, record);
        break;
      case "password-reset":
        await sendRecordPasswordReset(app, record);
        break;
      case "email-change":
        await sendRecordChangeEmail(app, record, form.email);
        break;
      case "otp":
        await sendRecordOTP(app, record, "_PB_TEST_OTP_ID_", "123456");
        break;
      case "login-alert":
        await sendRecordAuthAlert(app, record, formatDateTime(new Date()) + " - TEST_IP TEST_USER_AGENT");
        break;
    }
  } catch (err) {
    throw badRequest(
      "Failed to send the test email. Raw error: \n" + (err instanceof Error ? err.message : String(err)),
      {},
      err,
    );
  }
  e.noContent(204);
}

// --- Apple client secret -------------------------------------------------------------------------

const PRIVATE_KEY_RE = /-----BEGIN PRIVATE KEY----[\s\S]+-----END PRIVATE KEY-----/m;

async function generateAppleClientSecret(e: RequestEvent): Promise<void> {
  const form = formFields(await readBody(e), {
    clientId: "string",
    teamId: "string",
    keyId: "string",
    privateKey: "string",
    duration: "int",
  });
  const errs = validateStruct([
    ["clientId", form.clientId, required],
    ["teamId", form.teamId, required, length(10, 10)],
    ["keyId", form.keyId, required, length(10, 10)],
    ["privateKey", form.privateKey, required, match(PRIVATE_KEY_RE)],
    ["duration", form.duration, required, min(1), max(15777000)],
  ]);
  if (errs) throw badRequest("Invalid client secret data.", errs.toJSON(), errs);
  let secret: string;
  try {
    secret = await appleClientSecret(form);
  } catch (err) {
    throw badRequest(
      "Failed to generate client secret. Raw error: \n" + (err instanceof Error ? err.message : String(err)),
      {},
      err,
    );
  }
  e.json(200, { secret });
}

/** An ES256 JWT Apple accepts as the OAuth2 client secret (upstream's AppleClientSecretCreate). */
export async function appleClientSecret(opts: {
  clientId: string;
  teamId: string;
  keyId: string;
  privateKey: string;
  duration: number;
}): Promise<string> {
  const key = createPrivateKey(opts.privateKey.trim());
  if (key.asymmetricKeyType !== "ec") throw new Error("key is not a valid ECDSA private key");
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: opts.teamId,
    sub: opts.clientId,
    aud: ["https://appleid.apple.com"],
    exp: now + opts.duration,
    iat: now,
  })
    .setProtectedHeader({ alg: "ES256", kid: opts.keyId, typ: "JWT" })
    .sign(key);
}
