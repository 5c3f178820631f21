/**
 * Attack class: rate limit evasion and spoofed proxy headers.
 *
 * Upstream defines the behaviour: apis/middlewares_rate_limit.go (fixed windows keyed by
 * e.RealIP(), superusers and excludedIPs skipped, counters reset on a settings change),
 * core/event_request.go RealIP (only `settings.trustedProxy.headers` are read, the last header
 * line, right-most valid IP unless `useLeftmostIP`; otherwise the socket address),
 * core/settings_model.go defaults (rate limits off, `*:auth` 2 per 3 s once enabled),
 * apis/middlewares.go (superuserIPs whitelist on e.RealIP()), apis/file.go (superuser file tokens
 * follow the whitelist too) and the activity logger (userIP = RealIP, remoteIP = the socket).
 * A client must never escape a limit or the whitelist by sending proxy headers nobody trusts.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { App } from "../../src/core/app.ts";
import { newBaseCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import { FileField, TextField } from "../../src/core/fields/index.ts";
import { Record } from "../../src/core/record.ts";
import { saveRecord } from "../../src/core/record_save.ts";
import { tempDir, type TestServer, testAppConfig } from "../harness.ts";
import { rawRequest, startWithSuperuser } from "./support.ts";

const SPOOF_HEADERS = [
  "X-Forwarded-For",
  "X-Real-IP",
  "CF-Connecting-IP",
  "True-Client-IP",
  "X-Client-IP",
  "Fastly-Client-IP",
  "Forwarded",
];
const UPSTREAM_DEFAULT_RULES = [
  { label: "*:auth", audience: "", duration: 3, maxRequests: 2 },
  { label: "*:create", audience: "", duration: 5, maxRequests: 20 },
  { label: "/api/batch", audience: "", duration: 1, maxRequests: 3 },
  { label: "/api/", audience: "", duration: 10, maxRequests: 300 },
];

let srv: TestServer;
let work = "";
let suToken = "";
let vault: { id: string; doc: string };

beforeAll(async () => {
  work = tempDir();
  const dataDir = join(work, "pb_data");
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const notes = newBaseCollection("notes");
  notes.fields.add(new TextField({ name: "title" }));
  notes.listRule = notes.viewRule = "";
  await saveCollection(app, notes);
  const vaultC = newBaseCollection("vault");
  vaultC.fields.add(new FileField({ name: "doc", maxSelect: 1, protected: true }));
  await saveCollection(app, vaultC);
  const users = app.findCollection("users")!;
  const alice = new Record(users);
  alice.set("email", "alice@example.com");
  await alice.setPassword("1234567890");
  await saveRecord(app, alice);
  await app.terminate();
  const { srv: server, su } = await startWithSuperuser(work);
  srv = server;
  suToken = su.authStore.token;
  vault = (await su.collection("vault").create({ doc: new File(["vault content"], "vault.txt") })) as any;
});
afterAll(async () => {
  await srv?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function patchSettings(body: object, headers: { [k: string]: string } = {}) {
  const res = await fetch(`${srv.url}/api/settings`, {
    method: "PATCH",
    headers: { Authorization: suToken, "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

/** The client IP the server resolved, from the superuser-only health details. */
async function realIP(headers: { [k: string]: string } = {}): Promise<string> {
  const res = await fetch(`${srv.url}/api/health`, { headers: { Authorization: suToken, ...headers } });
  expect(res.status).toBe(200);
  return ((await res.json()) as any).data.realIP;
}

/** The same, for header lines written exactly as given (repeated lines included). */
async function rawRealIP(headerLines: string[]): Promise<string> {
  const out = await rawRequest(
    srv.port,
    `GET /api/health HTTP/1.1\r\nHost: x\r\nAuthorization: ${suToken}\r\nConnection: close\r\n${headerLines.join("\r\n")}\r\n\r\n`,
  );
  expect(out).toStartWith("HTTP/1.1 200");
  return JSON.parse(out.slice(out.indexOf("\r\n\r\n") + 4)).data.realIP;
}

const listNotes = (headers: { [k: string]: string } = {}) =>
  fetch(`${srv.url}/api/collections/notes/records`, { headers });
const login = (password: string, headers: { [k: string]: string } = {}) =>
  fetch(`${srv.url}/api/collections/users/auth-with-password`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ identity: "alice@example.com", password }),
  });

async function expect429(res: Response, label: string) {
  const body = (await res.json()) as any;
  expect([label, res.status]).toEqual([label, 429]);
  expect(body).toEqual({ data: {}, message: "Too Many Requests.", status: 429 });
}

/** A different spoofed client address in one of the usual proxy headers, per call. */
function spoof(i: number): { [k: string]: string } {
  const ip = `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
  const name = SPOOF_HEADERS[i % SPOOF_HEADERS.length]!;
  return { [name]: name === "Forwarded" ? `for=${ip}` : ip };
}

test("upstream defaults: rate limits are off, so password guesses are only ever 400s", async () => {
  const settings = (await (
    await fetch(`${srv.url}/api/settings`, { headers: { Authorization: suToken } })
  ).json()) as any;
  expect(settings.rateLimits.enabled).toBe(false);
  expect(settings.rateLimits.rules).toEqual(UPSTREAM_DEFAULT_RULES);
  expect(settings.trustedProxy).toEqual({ headers: [], useLeftmostIP: false });
  expect(settings.superuserIPs).toEqual([]);
  for (let i = 0; i < 8; i++) {
    const res = await login(`wrong-${i}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ data: {}, message: "Failed to authenticate.", status: 400 });
  }
  expect((await login("1234567890")).status).toBe(200);
});

test("once enabled, the default *:auth rule stops password brute force, spoofed headers or not", async () => {
  await patchSettings({ rateLimits: { enabled: true } });
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await login(`guess-${i}`, spoof(i));
    statuses.push(res.status);
    if (res.status === 429) await expect429(res, `guess ${i}`);
  }
  // 2 per 3 s: the first two are judged, everything after is refused before the password is checked
  expect(statuses).toEqual([400, 400, 429, 429, 429, 429]);
  await expect429(await login("1234567890", spoof(99)), "right password while limited");
  await patchSettings({ rateLimits: { enabled: false } });
  expect((await login("1234567890")).status).toBe(200);
});

test("without a trusted proxy, X-Forwarded-For / X-Real-IP / CF-Connecting-IP can't escape a limit or claim an excluded IP", async () => {
  await patchSettings({
    trustedProxy: { headers: [], useLeftmostIP: false },
    rateLimits: {
      enabled: true,
      excludedIPs: ["198.18.0.1", "203.0.113.0/24"],
      rules: [{ label: "notes:list", maxRequests: 3, duration: 60, audience: "" }],
    },
  });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await listNotes(spoof(i))).status);
  expect(statuses).toEqual([200, 200, 200]);
  for (let i = 3; i < 3 + SPOOF_HEADERS.length * 2; i++)
    await expect429(await listNotes(spoof(i)), JSON.stringify(spoof(i)));
  // claiming an excluded address through any header changes nothing
  for (const name of SPOOF_HEADERS) {
    await expect429(
      await listNotes({ [name]: name === "Forwarded" ? "for=203.0.113.9" : "203.0.113.9" }),
      `excluded via ${name}`,
    );
  }
  await expect429(
    await listNotes({ "X-Forwarded-For": "203.0.113.9, 198.18.0.1", "X-Real-IP": "198.18.0.1" }),
    "several headers at once",
  );
  expect(
    await realIP({ "X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9", "CF-Connecting-IP": "203.0.113.9" }),
  ).toBe("127.0.0.1");
  // superusers are never limited (upstream skips them), guests stay limited
  expect((await listNotes({ Authorization: suToken })).status).toBe(200);
  await expect429(await listNotes(), "plain guest");
});

test("with trustedProxy.headers, clients are told apart by the right-most valid IP of that header only", async () => {
  await patchSettings({
    trustedProxy: { headers: ["X-Forwarded-For"], useLeftmostIP: false },
    rateLimits: {
      enabled: true,
      excludedIPs: [],
      rules: [{ label: "notes:list", maxRequests: 2, duration: 60, audience: "" }],
    },
  });
  const h = (xff: string) => ({ "X-Forwarded-For": xff });
  expect((await listNotes(h("6.6.6.6, 198.51.100.1"))).status).toBe(200);
  expect((await listNotes(h("7.7.7.7, 198.51.100.1"))).status).toBe(200);
  // a different left part is the same client to a trusting server: still limited
  await expect429(await listNotes(h("8.8.8.8, 198.51.100.1")), "same right-most IP");
  await expect429(
    await listNotes({ ...h("198.51.100.1"), "X-Real-IP": "198.51.100.77" }),
    "untrusted X-Real-IP ignored",
  );
  // another client behind the proxy has its own counter
  expect((await listNotes(h("198.51.100.2"))).status).toBe(200);

  expect(await realIP(h("6.6.6.6, 198.51.100.3"))).toBe("198.51.100.3");
  expect(await realIP(h("198.51.100.4, not-an-ip"))).toBe("198.51.100.4");
  expect(await realIP(h(" 198.51.100.5 ,, "))).toBe("198.51.100.5");
  expect(await realIP(h("garbage, <script>, 999.1.1.1"))).toBe("127.0.0.1");
  expect(await realIP(h("2001:db8::1"))).toBe("2001:0db8:0000:0000:0000:0000:0000:0001");
  expect(await realIP({ "X-Real-IP": "198.51.100.6", "CF-Connecting-IP": "198.51.100.6" })).toBe("127.0.0.1");
  // two lines: the last one is the proxy's, its right-most IP wins
  expect(await rawRealIP(["X-Forwarded-For: 198.51.100.10", "X-Forwarded-For: 6.6.6.6, 198.51.100.11"])).toBe(
    "198.51.100.11",
  );

  // several trusted headers: the first configured one present wins
  await patchSettings({ trustedProxy: { headers: ["CF-Connecting-IP", "X-Forwarded-For"], useLeftmostIP: false } });
  expect(await realIP({ "CF-Connecting-IP": "198.51.100.20", "X-Forwarded-For": "198.51.100.21" })).toBe(
    "198.51.100.20",
  );
  expect(await realIP({ "X-Forwarded-For": "198.51.100.21" })).toBe("198.51.100.21");
  expect(await realIP({ "CF-Connecting-IP": "junk", "X-Forwarded-For": "198.51.100.22" })).toBe("198.51.100.22");
});

test("useLeftmostIP takes the first valid IP of the header", async () => {
  await patchSettings({
    trustedProxy: { headers: ["X-Forwarded-For"], useLeftmostIP: true },
    rateLimits: { enabled: false },
  });
  expect(await realIP({ "X-Forwarded-For": "198.51.100.7, 10.0.0.1, 10.0.0.2" })).toBe("198.51.100.7");
  expect(await realIP({ "X-Forwarded-For": "garbage, 198.51.100.8, 10.0.0.1" })).toBe("198.51.100.8");
  expect(await realIP({ "X-Forwarded-For": "nothing, valid" })).toBe("127.0.0.1");
});

let trustedMarker = "";

test("request logs keep the socket IP when the spoofed header isn't trusted", async () => {
  await patchSettings({ trustedProxy: { headers: [], useLeftmostIP: false }, rateLimits: { enabled: false } });
  const marker = "untrusted" + Date.now();
  expect(
    (
      await fetch(`${srv.url}/api/collections/notes/records?m=${marker}`, {
        headers: { "X-Forwarded-For": "203.0.113.66", "X-Real-IP": "203.0.113.66", "CF-Connecting-IP": "203.0.113.66" },
      })
    ).status,
  ).toBe(200);
  // and the same request through a trusted X-Real-IP, checked by the next test from the same batch
  await patchSettings({ trustedProxy: { headers: ["X-Real-IP"], useLeftmostIP: false } });
  trustedMarker = "trusted" + Date.now();
  expect(
    (
      await fetch(`${srv.url}/api/collections/notes/records?m=${trustedMarker}`, {
        headers: { "X-Real-IP": "203.0.113.67" },
      })
    ).status,
  ).toBe(200);
  await patchSettings({ trustedProxy: { headers: [], useLeftmostIP: false } });

  const log = await findLog(marker);
  expect(log.data.userIP).toBe("127.0.0.1");
  expect(log.data.remoteIP).toBe("127.0.0.1");
  expect(JSON.stringify(log)).not.toContain("203.0.113.66");
});

test("request logs behind a trusted proxy: userIP from the header, remoteIP still the socket", async () => {
  const log = await findLog(trustedMarker);
  expect(log.data.userIP).toBe("203.0.113.67");
  expect(log.data.remoteIP).toBe("127.0.0.1");
});

async function findLog(marker: string): Promise<any> {
  const until = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${srv.url}/api/logs?filter=${encodeURIComponent(`data.url ~ "${marker}"`)}`, {
      headers: { Authorization: suToken },
    });
    expect(res.status).toBe(200);
    const items = ((await res.json()) as any).items;
    if (items.length === 1) return items[0];
    if (Date.now() > until) throw new Error(`no log for ${marker}`);
    await Bun.sleep(200);
  }
}

// last: it locks the test's superuser out for good
test("the superuser IP whitelist can't be bypassed with spoofed headers (API and file tokens)", async () => {
  const fileToken = (
    (await (
      await fetch(`${srv.url}/api/files/token`, { method: "POST", headers: { Authorization: suToken } })
    ).json()) as any
  ).token as string;
  const fileUrl = `${srv.url}/api/files/vault/${vault.id}/${vault.doc}?token=${fileToken}`;
  expect((await fetch(fileUrl)).status).toBe(200);

  // phase 1: only X-Real-IP is trusted
  await patchSettings({ superuserIPs: ["10.9.9.9"], trustedProxy: { headers: ["X-Real-IP"], useLeftmostIP: false } });
  const settings = (h: { [k: string]: string } = {}) =>
    fetch(`${srv.url}/api/settings`, { headers: { Authorization: suToken, ...h } });
  let res = await settings();
  expect(res.status).toBe(403);
  expect(((await res.json()) as any).status).toBe(403);
  for (const name of SPOOF_HEADERS.filter((n) => n !== "X-Real-IP")) {
    expect([name, (await settings({ [name]: name === "Forwarded" ? "for=10.9.9.9" : "10.9.9.9" })).status]).toEqual([
      name,
      403,
    ]);
  }
  expect((await settings({ "X-Real-IP": "10.9.9.9" })).status).toBe(200);
  expect((await settings({ "X-Real-IP": "10.9.9.8" })).status).toBe(403);
  // a superuser file token follows the same whitelist
  expect((await fetch(fileUrl)).status).toBe(404);
  expect((await fetch(fileUrl, { headers: { "X-Forwarded-For": "10.9.9.9" } })).status).toBe(404);
  expect((await fetch(fileUrl, { headers: { "X-Real-IP": "10.9.9.9" } })).status).toBe(200);

  // phase 2: nothing trusted any more; no header helps
  await patchSettings({ trustedProxy: { headers: [], useLeftmostIP: false } }, { "X-Real-IP": "10.9.9.9" });
  for (const name of SPOOF_HEADERS) {
    expect([name, (await settings({ [name]: name === "Forwarded" ? "for=10.9.9.9" : "10.9.9.9" })).status]).toEqual([
      name,
      403,
    ]);
  }
  expect(
    (await settings({ "X-Forwarded-For": "10.9.9.9", "X-Real-IP": "10.9.9.9", "CF-Connecting-IP": "10.9.9.9" })).status,
  ).toBe(403);
  expect((await fetch(fileUrl, { headers: { "X-Real-IP": "10.9.9.9" } })).status).toBe(404);
  // the lockout is for superusers only: guests and users go on as before
  expect((await listNotes()).status).toBe(200);
  expect((await login("1234567890")).status).toBe(200);
});
