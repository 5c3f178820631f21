/**
 * Attack class: token confusion — tokens presented where they don't belong, forged or tampered
 * JWTs, and tokens that should have died (password change, tokenKey / secret rotation, deletion,
 * expiry, refresh of a non-refreshable token).
 *
 * Expected behaviour is upstream's: core/record_tokens.go (each type signed with the record's
 * tokenKey + that type's collection secret), core/record_query.go FindAuthRecordByToken (type, claims,
 * record and HS256 signature checked), apis/middlewares.go loadAuthToken (only an "auth" token in
 * the Authorization header; anything invalid leaves the request a guest), RequireSuperuserAuth and
 * RequireSameCollectionContextAuth, apis/file.go (protected files read only `?token=` file tokens),
 * apis/record_auth_refresh.go and the confirm-* forms.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import PocketBase from "pocketbase";
import { App } from "../../src/core/app.ts";
import { newAuthCollection, newBaseCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import { FileField } from "../../src/core/fields/index.ts";
import { createSuperuser } from "../../src/core/superusers.ts";
import { type TestServer, testAppConfig } from "../harness.ts";
import { type SmtpServer, linkToken, sentTo, startSmtp } from "../support/smtp.ts";
import { caller, mailTo, PASSWORD, recordAdder, startBuilt } from "./support.ts";

const SLOW = 20_000;

let smtp: SmtpServer;
let srv: TestServer;
let su: PocketBase;
let doc: { id: string; file: string };

// ---------------------------------------------------------------- helpers

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
const b64 = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/** An HS256 token over `claims`, signed with `key`. */
function signHS256(
  claims: { [k: string]: unknown },
  key: string,
  header: { [k: string]: unknown } = { alg: "HS256", typ: "JWT" },
): string {
  const body = `${b64(header)}.${b64(claims)}`;
  return `${body}.${createHmac("sha256", key).update(body).digest("base64url")}`;
}

/** The same token with some claims replaced, keeping the original header and signature. */
function withClaims(token: string, patch: { [k: string]: unknown }): string {
  const [h, , s] = token.split(".");
  return `${h}.${b64({ ...claimsOf(token), ...patch })}.${s}`;
}

const call = caller(() => srv);
const post = (path: string, body: unknown, token = "") => call("POST", path, token, body);
const auth = (token: string) => ({ Authorization: token });

const UNAUTHORIZED = { status: 401, message: "The request requires valid record authorization token.", data: {} };
const NOT_ALLOWED = { status: 403, message: "The authorized record is not allowed to perform this action.", data: {} };
const NOT_FOUND = { status: 404, message: "The requested resource wasn't found.", data: {} };

/** auth-refresh as a probe: 200 for a live session, 401 (the request was a guest) otherwise. */
async function refreshStatus(collection: string, token: string): Promise<number> {
  const r = await post(`/api/collections/${collection}/auth-refresh`, {}, token);
  if (r.status === 401) expect(r.json).toEqual(UNAUTHORIZED);
  return r.status;
}

/** A superuser-only endpoint as a probe: 200 with superuser access, 401 for a guest. */
async function settingsStatus(token: string): Promise<number> {
  const r = await call("GET", "/api/settings", token);
  if (r.status === 401) expect(r.json).toEqual(UNAUTHORIZED);
  return r.status;
}

const fileURL = (query = "") => `/api/files/docs/${doc.id}/${doc.file}${query}`;
async function fileStatus(query = "", headers: { [k: string]: string } = {}): Promise<number> {
  const res = await fetch(srv.url + fileURL(query), { headers });
  const text = await res.text();
  if (res.status === 200) expect(text).toBe("top secret document");
  else expect(text).not.toContain("top secret");
  return res.status;
}

async function login(collection: string, email: string, password = PASSWORD) {
  const r = await post(`/api/collections/${collection}/auth-with-password`, { identity: email, password });
  expect(r.status).toBe(200);
  return r.json as { token: string; record: { id: string; collectionId: string; email: string } };
}

async function fileTokenOf(token: string): Promise<string> {
  const r = await post("/api/files/token", {}, token);
  expect(r.status).toBe(200);
  return r.json.token as string;
}

const byEmail = (collection: string, email: string) =>
  su.collection(collection).getFirstListItem(su.filter("email = {:email}", { email }));

// ---------------------------------------------------------------- setup

async function buildSchema(dataDir: string) {
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  await mailTo(app, smtp.port);

  const users = app.findCollection("users")!;
  users.listRule = "id = @request.auth.id";
  users.viewRule = "id = @request.auth.id";
  users.createRule = "";
  users.updateRule = "id = @request.auth.id";
  users.deleteRule = null;
  users.authAlert.enabled = false;
  await saveCollection(app, users);

  const staff = newAuthCollection("staff");
  staff.authAlert.enabled = false;
  await saveCollection(app, staff);

  const rotators = newAuthCollection("rotators");
  rotators.authAlert.enabled = false;
  rotators.viewRule = "id = @request.auth.id";
  await saveCollection(app, rotators);

  const docs = newBaseCollection("docs");
  docs.fields.add(new FileField({ name: "file", maxSelect: 1, maxSize: 1 << 20, protected: true }));
  docs.listRule = "@request.auth.collectionName = 'users'";
  docs.viewRule = "@request.auth.collectionName = 'users'";
  await saveCollection(app, docs);

  const add = recordAdder(app);
  for (const name of ["ann", "bob", "cat", "dan", "eli", "fio", "gil"])
    await add("users", { email: `${name}@example.com` }, PASSWORD);
  await add("staff", { email: "sam@example.com" }, PASSWORD);
  await add("rotators", { email: "rae@example.com" }, PASSWORD);
  await createSuperuser(app, "root@example.com", PASSWORD);
  await app.terminate();
}

beforeAll(async () => {
  smtp = await startSmtp();
  srv = await startBuilt(buildSchema);
  su = srv.sdk();
  await su.collection("_superusers").authWithPassword("root@example.com", PASSWORD);
  const fd = new FormData();
  fd.append("file", new Blob(["top secret document"], { type: "text/plain" }), "secret.txt");
  const created = await su.collection("docs").create(fd);
  doc = { id: created.id, file: created.file as string };
}, 30_000);

afterAll(async () => {
  await srv?.stop();
  await smtp?.stop();
});

// ---------------------------------------------------------------- tokens of the wrong type

describe("tokens of the wrong type", () => {
  /** ann's tokens of every type; the one-time ones come from the real mails. */
  const ann = { id: "", auth: "", file: "", verification: "", passwordReset: "", emailChange: "" };

  beforeAll(async () => {
    const a = await login("users", "ann@example.com");
    ann.id = a.record.id;
    ann.auth = a.token;
    ann.file = await fileTokenOf(a.token);
    expect((await post("/api/collections/users/request-verification", { email: "ann@example.com" })).status).toBe(204);
    ann.verification = linkToken(
      await smtp.waitFor((m) => sentTo("ann@example.com")(m) && m.html.includes("confirm-verification")),
      "confirm-verification",
    );
    expect((await post("/api/collections/users/request-password-reset", { email: "ann@example.com" })).status).toBe(
      204,
    );
    ann.passwordReset = linkToken(
      await smtp.waitFor((m) => sentTo("ann@example.com")(m) && m.html.includes("confirm-password-reset")),
      "confirm-password-reset",
    );
    expect(
      (await post("/api/collections/users/request-email-change", { newEmail: "ann.new@example.com" }, a.token)).status,
    ).toBe(204);
    ann.emailChange = linkToken(await smtp.waitFor(sentTo("ann.new@example.com")), "confirm-email-change");
  }, SLOW);

  test(
    "file, verification, password-reset and email-change tokens are refused as auth tokens",
    async () => {
      const expectedTypes = {
        file: "file",
        verification: "verification",
        passwordReset: "passwordReset",
        emailChange: "emailChange",
      };
      for (const [kind, type] of Object.entries(expectedTypes)) {
        const token = ann[kind as keyof typeof expectedTypes];
        expect(claimsOf(token)).toMatchObject({ id: ann.id, type });
        for (const header of [token, `Bearer ${token}`]) {
          expect(await refreshStatus("users", header)).toBe(401);
          expect((await call("GET", `/api/collections/users/records/${ann.id}`, header)).json).toEqual(NOT_FOUND);
          expect(
            (
              await post(
                "/api/collections/users/request-email-change",
                { newEmail: "x-" + kind + "@example.com" },
                header,
              )
            ).json,
          ).toEqual(UNAUTHORIZED);
          expect((await post("/api/files/token", {}, header)).status).toBe(401);
        }
      }
      // the genuine auth token is accepted by the same requests
      expect(await refreshStatus("users", ann.auth)).toBe(200);
      expect((await call("GET", `/api/collections/users/records/${ann.id}`, ann.auth)).status).toBe(200);
    },
    SLOW,
  );

  test(
    "auth and file tokens are refused by confirm-verification, confirm-password-reset and confirm-email-change",
    async () => {
      for (const token of [ann.auth, ann.file]) {
        const ver = await post("/api/collections/users/confirm-verification", { token });
        expect(ver.status).toBe(400);
        expect(ver.json.data.token.code).toBe("validation_invalid_token_claims");
        const reset = await post("/api/collections/users/confirm-password-reset", {
          token,
          password: "hijacked-pass",
          passwordConfirm: "hijacked-pass",
        });
        expect(reset.status).toBe(400);
        expect(reset.json.data.token.code).toBe("validation_invalid_token");
        const change = await post("/api/collections/users/confirm-email-change", { token, password: PASSWORD });
        expect(change.status).toBe(400);
        expect(change.json.data.token.code).toBe("validation_invalid_token_payload");
      }
      // and with the claims a confirm-* form looks for grafted on, the signature no longer matches
      const grafted = withClaims(ann.auth, { type: "verification", email: "ann@example.com" });
      expect((await post("/api/collections/users/confirm-verification", { token: grafted })).json.data.token.code).toBe(
        "validation_invalid_token",
      );

      const after = await su.collection("users").getOne(ann.id);
      expect([after.email, after.verified]).toEqual(["ann@example.com", false]);
      expect(await refreshStatus("users", ann.auth)).toBe(200); // password (and tokenKey) unchanged
    },
    SLOW,
  );

  test(
    "verification, password-reset and email-change tokens are not interchangeable",
    async () => {
      const confirmReset = (token: string) =>
        post("/api/collections/users/confirm-password-reset", {
          token,
          password: "hijacked-pass",
          passwordConfirm: "hijacked-pass",
        });
      const confirmVerification = (token: string) => post("/api/collections/users/confirm-verification", { token });
      const confirmChange = (token: string) =>
        post("/api/collections/users/confirm-email-change", { token, password: PASSWORD });

      for (const token of [ann.verification, ann.emailChange])
        expect((await confirmReset(token)).json.data.token.code).toBe("validation_invalid_token");
      for (const token of [ann.passwordReset, ann.emailChange])
        expect((await confirmVerification(token)).json.data.token.code).toBe("validation_invalid_token");
      for (const token of [ann.verification, ann.passwordReset])
        expect((await confirmChange(token)).json.data.token.code).toBe("validation_invalid_token_payload");
      // a newEmail claim grafted onto the verification token does not make it an email-change token
      const grafted = withClaims(ann.verification, { type: "emailChange", newEmail: "evil@example.com" });
      expect((await confirmChange(grafted)).json.data.token.code).toBe("validation_invalid_token");

      const after = await su.collection("users").getOne(ann.id);
      expect([after.email, after.verified]).toEqual(["ann@example.com", false]);
      expect(
        (await post("/api/collections/users/auth-with-password", { identity: "ann@example.com", password: PASSWORD }))
          .status,
      ).toBe(200);

      // each token does work where it belongs (so the refusals above were about the type)
      expect((await confirmVerification(ann.verification)).status).toBe(204);
      expect((await confirmChange(ann.emailChange)).status).toBe(204);
      const changed = await su.collection("users").getOne(ann.id);
      expect([changed.email, changed.verified]).toEqual(["ann.new@example.com", true]);
    },
    SLOW,
  );

  test(
    "protected files open only with a file token in ?token=, never with an auth or one-time token",
    async () => {
      const fio = await login("users", "fio@example.com");
      const file = await fileTokenOf(fio.token);
      expect(claimsOf(file)).toMatchObject({ type: "file", id: fio.record.id });
      expect(await fileStatus(`?token=${file}`)).toBe(200);

      expect(await fileStatus(`?token=${fio.token}`)).toBe(404);
      expect(await fileStatus("", auth(fio.token))).toBe(404);
      expect(await fileStatus("", auth(file))).toBe(404);
      expect(await fileStatus(`?token=${withClaims(fio.token, { type: "file" })}`)).toBe(404);
      expect(await fileStatus(`?token=${withClaims(file, { exp: claimsOf(file).exp + 86400 * 365 })}`)).toBe(404);
      expect((await call("GET", fileURL())).json).toEqual(NOT_FOUND);
      // the file token is no auth token either
      expect(await refreshStatus("users", file)).toBe(401);
    },
    SLOW,
  );
});

// ---------------------------------------------------------------- across auth collections

describe("tokens across auth collections", () => {
  test(
    "a users token does not open superuser-only endpoints",
    async () => {
      const bob = await login("users", "bob@example.com");
      for (const [method, path] of [
        ["GET", "/api/settings"],
        ["PATCH", "/api/settings"],
        ["GET", "/api/collections"],
        ["GET", "/api/logs"],
        ["GET", "/api/backups"],
        ["POST", `/api/collections/users/impersonate/${bob.record.id}`],
      ] as const) {
        const r = await call(method, path, bob.token, method === "GET" ? undefined : {});
        expect([method, path, r.status]).toEqual([method, path, 403]);
        expect(r.json).toEqual(NOT_ALLOWED);
      }
      const list = await call("GET", "/api/collections/_superusers/records", bob.token);
      expect(list.status).toBe(403);
      expect(list.text).not.toContain("root@example.com");
    },
    SLOW,
  );

  test(
    "an auth token is accepted only by its own collection's auth routes",
    async () => {
      const bob = await login("users", "bob@example.com");
      const sam = await login("staff", "sam@example.com");
      const cases: [string, string, string][] = [
        ["_superusers", bob.token, "users"],
        ["staff", bob.token, "users"],
        ["users", su.authStore.token, "_superusers"],
        ["users", sam.token, "staff"],
      ];
      for (const [route, token, owner] of cases) {
        const r = await post(`/api/collections/${route}/auth-refresh`, {}, token);
        expect(r.status).toBe(403);
        expect(r.json).toEqual({
          status: 403,
          message: `The request requires auth record from ${owner} collection.`,
          data: {},
        });
      }
      const change = await post(
        "/api/collections/users/request-email-change",
        { newEmail: "sam.new@example.com" },
        sam.token,
      );
      expect(change.status).toBe(403);
    },
    SLOW,
  );

  test(
    "claims re-pointed at another collection or record (original signature) are refused",
    async () => {
      const bob = await login("users", "bob@example.com");
      const sam = await login("staff", "sam@example.com");
      const root = await byEmail("_superusers", "root@example.com");
      const cat = await byEmail("users", "cat@example.com");

      expect(await settingsStatus(withClaims(bob.token, { collectionId: root.collectionId, id: root.id }))).toBe(401);
      expect(await settingsStatus(withClaims(bob.token, { collectionId: root.collectionId }))).toBe(401);
      expect(
        await refreshStatus(
          "staff",
          withClaims(bob.token, { collectionId: sam.record.collectionId, id: sam.record.id }),
        ),
      ).toBe(401);
      expect(await refreshStatus("users", withClaims(bob.token, { id: cat.id }))).toBe(401);
      expect(
        await refreshStatus(
          "users",
          withClaims(sam.token, { collectionId: bob.record.collectionId, id: bob.record.id }),
        ),
      ).toBe(401);
    },
    SLOW,
  );

  test(
    "an auth record id cannot be reused in another auth collection",
    async () => {
      const bob = await byEmail("users", "bob@example.com");
      const r = await post(
        "/api/collections/staff/records",
        { id: bob.id, email: "twin@example.com", password: PASSWORD, passwordConfirm: PASSWORD },
        su.authStore.token,
      );
      expect(r.status).toBe(400);
      expect(r.json.data.id.code).toBe("validation_invalid_auth_id");
      expect((await su.collection("staff").getList(1, 1, { filter: 'email = "twin@example.com"' })).totalItems).toBe(0);
    },
    SLOW,
  );
});

// ---------------------------------------------------------------- forged tokens

describe("forged tokens", () => {
  test(
    "unsigned tokens (alg none, empty or missing signature) are refused",
    async () => {
      const claims = claimsOf(su.authStore.token);
      const [h, p] = su.authStore.token.split(".") as [string, string];
      const forged = [
        `${b64({ alg: "none", typ: "JWT" })}.${p}.`,
        `${b64({ alg: "None", typ: "JWT" })}.${p}.`,
        `${b64({ alg: "NONE" })}.${b64({ ...claims, exp: claims.exp + 3600 })}.`,
        `${h}.${p}.`,
        `${h}.${p}`,
        `${h}.${p}..`,
        `${p}`,
        ".",
        "..",
      ];
      for (const token of forged) expect([token, await settingsStatus(token)]).toEqual([token, 401]);
      expect(await settingsStatus(su.authStore.token)).toBe(200);
    },
    SLOW,
  );

  test(
    "HS256 tokens signed with a guessed or empty secret are refused",
    async () => {
      const root = await byEmail("_superusers", "root@example.com");
      const claims = { ...claimsOf(su.authStore.token) };
      for (const key of [
        "",
        "secret",
        "pocketbase",
        root.collectionId,
        root.id,
        "undefined",
        "null",
        "00000000000000000000000000000000",
      ]) {
        expect([key, await settingsStatus(signHS256(claims, key))]).toEqual([key, 401]);
      }
    },
    SLOW,
  );

  test(
    "changed claims or header with the original signature, or a re-encoded signature, are refused",
    async () => {
      const token = su.authStore.token;
      const claims = claimsOf(token);
      const [h, p, s] = token.split(".") as [string, string, string];
      const tampered = [
        withClaims(token, { exp: claims.exp + 86400 * 365 }),
        withClaims(token, { refreshable: !claims.refreshable }),
        withClaims(token, { type: "file" }),
        withClaims(token, { extra: 1 }),
        withClaims(token, { exp: undefined }), // an exp-less token would never expire
        `${b64({ alg: "HS512", typ: "JWT" })}.${p}.${s}`,
        `${b64({ alg: "RS256", typ: "JWT" })}.${p}.${s}`,
        `${b64({ alg: "HS256", typ: "JWT", kid: "../../x" })}.${p}.${s}`,
        `${h}.${p}.${s.slice(0, -2)}`,
        `${h}.${p}.${s.startsWith("A") ? "B" : "A"}${s.slice(1)}`, // (the last char has 2 unused bits: flip the first)
        `${h}.${p}.${s}AAAA`,
        // the same signature bytes, padded standard base64 with junk after the padding (upstream: illegal base64)
        `${h}.${p}.${Buffer.from(s, "base64url").toString("base64")}xx`,
        `${h}.${p}.${s}=`,
      ];
      for (const t of tampered) expect([t, await settingsStatus(t)]).toEqual([t, 401]);
      expect(await settingsStatus(token)).toBe(200);
    },
    SLOW,
  );

  test(
    "malformed Authorization values never cause an error",
    async () => {
      const junk = [
        "Bearer",
        "Bearer ",
        "Bearer  x",
        "x.y.z",
        "a.b.c.d",
        `${b64("[]")}.${b64("[]")}.x`,
        `${b64("null")}.${b64("null")}.x`,
        `${b64({})}.${b64({ id: 1, type: [], collectionId: {} })}.x`,
        "%00",
        "é".repeat(300),
      ];
      for (const token of junk) {
        const r = await post("/api/collections/users/auth-refresh", {}, token);
        expect([token, r.status]).toEqual([token, 401]);
      }
    },
    SLOW,
  );

  test(
    "an expired token is refused",
    async () => {
      const eli = await byEmail("users", "eli@example.com");
      const short = await su.collection("users").impersonate(eli.id, 1);
      const token = short.authStore.token;
      expect(claimsOf(token).exp).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 2);
      expect(await refreshStatus("users", token)).toBe(200); // alive until it expires
      await Bun.sleep(2100);
      expect(await refreshStatus("users", token)).toBe(401);
      expect((await call("GET", `/api/collections/users/records/${eli.id}`, token)).json).toEqual(NOT_FOUND);
    },
    SLOW,
  );
});

// ---------------------------------------------------------------- token lifetime

describe("token lifetime", () => {
  test(
    "auth and file tokens die when the password changes",
    async () => {
      const gil = await login("users", "gil@example.com");
      const other = await login("users", "gil@example.com");
      const file = await fileTokenOf(gil.token);
      expect(await fileStatus(`?token=${file}`)).toBe(200);

      const upd = await call("PATCH", `/api/collections/users/records/${gil.record.id}`, gil.token, {
        oldPassword: PASSWORD,
        password: "gil-new-pass-1",
        passwordConfirm: "gil-new-pass-1",
      });
      expect(upd.status).toBe(200);
      for (const token of [gil.token, other.token]) expect(await refreshStatus("users", token)).toBe(401);
      expect(await fileStatus(`?token=${file}`)).toBe(404);
      expect((await login("users", "gil@example.com", "gil-new-pass-1")).record.id).toBe(gil.record.id);
    },
    SLOW,
  );

  test(
    "tokens die when a superuser rotates the record's tokenKey",
    async () => {
      const cat = await login("users", "cat@example.com");
      const file = await fileTokenOf(cat.token);
      expect(await refreshStatus("users", cat.token)).toBe(200);
      const rotate = await call("PATCH", `/api/collections/users/records/${cat.record.id}`, su.authStore.token, {
        tokenKey: "rotated" + "k".repeat(40),
      });
      expect(rotate.status).toBe(200);
      expect(rotate.text).not.toContain("rotatedk");
      expect(await refreshStatus("users", cat.token)).toBe(401);
      expect(await fileStatus(`?token=${file}`)).toBe(404);
      expect(await refreshStatus("users", (await login("users", "cat@example.com")).token)).toBe(200);
    },
    SLOW,
  );

  test(
    "rotating a collection's auth token secret ends every session of that collection only",
    async () => {
      const rae = await login("rotators", "rae@example.com");
      const bob = await login("users", "bob@example.com");
      expect(await refreshStatus("rotators", rae.token)).toBe(200);
      const upd = await call("PATCH", "/api/collections/rotators", su.authStore.token, {
        authToken: { secret: "n".repeat(50), duration: 1209600 },
      });
      expect(upd.status).toBe(200);
      expect(await refreshStatus("rotators", rae.token)).toBe(401);
      expect(await refreshStatus("users", bob.token)).toBe(200);
      expect(await refreshStatus("rotators", (await login("rotators", "rae@example.com")).token)).toBe(200);
    },
    SLOW,
  );

  test(
    "auth-refresh does not turn a non-refreshable (impersonate) token into a longer-lived one",
    async () => {
      const eli = await byEmail("users", "eli@example.com");
      const client = await su.collection("users").impersonate(eli.id, 100);
      const token = client.authStore.token;
      expect(claimsOf(token)).toMatchObject({ type: "auth", refreshable: false });
      const r = await post("/api/collections/users/auth-refresh", {}, token);
      expect(r.status).toBe(200);
      expect(r.json.token).toBe(token);
      expect(r.json.record.id).toBe(eli.id);
      // a regular token is renewed (the control)
      const normal = await login("users", "eli@example.com");
      await Bun.sleep(1100);
      const renewed = await post("/api/collections/users/auth-refresh", {}, normal.token);
      expect(claimsOf(renewed.json.token)).toMatchObject({ refreshable: true });
      expect(claimsOf(renewed.json.token).exp).toBeGreaterThan(claimsOf(normal.token).exp);
    },
    SLOW,
  );

  test(
    "a deleted record's token is refused, even after a record with the same id is created again",
    async () => {
      const dan = await login("users", "dan@example.com");
      await su.collection("users").delete(dan.record.id);
      expect(await refreshStatus("users", dan.token)).toBe(401);
      const again = await su
        .collection("users")
        .create({ id: dan.record.id, email: "dan@example.com", password: PASSWORD, passwordConfirm: PASSWORD });
      expect(again.id).toBe(dan.record.id);
      expect(await refreshStatus("users", dan.token)).toBe(401);
    },
    SLOW,
  );
});

test("the server is still healthy after the hostile requests", async () => {
  const r = await call("GET", "/api/health");
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ message: "API is healthy.", code: 200 });
});
