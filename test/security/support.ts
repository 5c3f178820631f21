/**
 * Helpers shared by the security suite: raw HTTP calls answered as status/text/json, password
 * logins, schemas written straight into a pb_data before the server starts, a server with a
 * logged-in superuser, and a raw-socket request for what fetch would rewrite.
 */
import { expect } from "bun:test";
import { join } from "node:path";
import type PocketBase from "pocketbase";
import type { App } from "../../src/core/app.ts";
import { Record } from "../../src/core/record.ts";
import { saveRecord } from "../../src/core/record_save.ts";
import { startServer, startWithSuperuser as startWithSuperuserIn, tempDir, type TestServer } from "../harness.ts";

/** The password of every account the suite creates, the superuser root@example.com included. */
export const PASSWORD = "1234567890";

/** A response as status, body text and the body parsed as JSON (null when empty or not JSON). */
export interface Res {
  status: number;
  text: string;
  json: any;
}

/**
 * `call(method, path, token?, body?, headers?)` on the server `server()` gives at call time; a body that is not
 * FormData, a string or a stream is sent as JSON.
 */
export function caller(server: () => { url: string }) {
  return async (
    method: string,
    path: string,
    token = "",
    body?: unknown,
    headers: { [k: string]: string } = {},
  ): Promise<Res> => {
    const h: { [k: string]: string } = { ...headers };
    if (token) h.Authorization = token;
    let payload: RequestInit["body"];
    if (body instanceof FormData || typeof body === "string" || body instanceof ReadableStream)
      payload = body as RequestInit["body"];
    else if (body !== undefined) {
      h["Content-Type"] ??= "application/json";
      payload = JSON.stringify(body);
    }
    const res = await fetch(server().url + path, { method, headers: h, body: payload });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    return { status: res.status, text, json };
  };
}

/** Signs in with a password (expecting a 200) and returns the auth token. */
export async function login(
  baseUrl: string,
  collection: string,
  identity: string,
  password = PASSWORD,
): Promise<string> {
  const res = await fetch(`${baseUrl}/api/collections/${collection}/auth-with-password`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ identity, password }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** `add(collection, data, password?)`: saves a new record straight into `app` and returns it. */
export function recordAdder(app: App) {
  return async (collection: string, data: { [k: string]: unknown }, password?: string): Promise<Record> => {
    const r = new Record(app.findCollection(collection)!);
    r.load(data);
    if (password) await r.setPassword(password);
    await saveRecord(app, r);
    return r;
  };
}

/** Fills a pb_data in a fresh temp folder with `build(dataDir)`, then serves it. */
export async function startBuilt(build: (dataDir: string) => Promise<void>): Promise<TestServer> {
  const workDir = tempDir();
  await build(join(workDir, "pb_data"));
  return startServer({ workDir });
}

/** Sends the app's mails to the capturing SMTP server on `smtpPort`, as "Sec Test" at https://app.example.com. */
export async function mailTo(app: App, smtpPort: number): Promise<void> {
  const settings = app.settings();
  settings.smtp = { ...settings.smtp, enabled: true, host: "127.0.0.1", port: smtpPort, username: "", password: "" };
  settings.meta = {
    ...settings.meta,
    appName: "Sec Test",
    appURL: "https://app.example.com",
    senderName: "Sec",
    senderAddress: "noreply@example.com",
  };
  await app.saveSettings(settings);
}

/** The harness's server with the superuser root@example.com / PASSWORD, in `workDir` (a fresh folder by default). */
export function startWithSuperuser(workDir?: string): Promise<{ srv: TestServer; su: PocketBase }> {
  return startWithSuperuserIn({ password: PASSWORD, workDir });
}

/**
 * Writes `request` as is on a new socket to 127.0.0.1:`port` and returns everything read until the server closes it.
 */
export function rawRequest(port: number, request: string): Promise<string> {
  return new Promise<string>((resolve) => {
    let buf = "";
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.write(request);
        },
        data(_s, d) {
          buf += d.toString("latin1");
        },
        close() {
          resolve(buf);
        },
        error() {
          resolve(buf);
        },
      },
    });
  });
}
