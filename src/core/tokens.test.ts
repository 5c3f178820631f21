import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newJWT } from "../tools/security/jwt.ts";
import { App } from "./app.ts";
import { Record } from "./record.ts";
import { saveRecord } from "./record_save.ts";
import {
  findAuthRecordByToken,
  findAuthRecordByTokenOrError,
  newAuthToken,
  newEmailChangeToken,
  newFileToken,
  newPasswordResetToken,
  newStaticAuthToken,
  newVerificationToken,
  TokenError,
} from "./tokens.ts";

let dir: string;
let app: App;
let user: Record;
const claimsOf = (t: string) => JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString());
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pb-tokens-"));
  app = new App({ dataDir: dir });
  await app.bootstrap();
  user = new Record(app.findCollection("users")!);
  user.set("email", "ann@example.com");
  await user.setPassword("1234567890");
  await saveRecord(app, user);
});
afterAll(async () => {
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

test("each token type: its claims, its duration and its own secret", async () => {
  const c = user.collection;
  const cases: [string, string, { [k: string]: unknown }, number][] = [
    [newAuthToken(user), "auth", { refreshable: true }, c.authToken.duration],
    [newStaticAuthToken(user, 0), "auth", { refreshable: false }, c.authToken.duration],
    [newStaticAuthToken(user, 42), "auth", { refreshable: false }, 42],
    [newVerificationToken(user), "verification", { email: "ann@example.com" }, c.verificationToken.duration],
    [newPasswordResetToken(user), "passwordReset", { email: "ann@example.com" }, c.passwordResetToken.duration],
    [
      newEmailChangeToken(user, "new@example.com"),
      "emailChange",
      { email: "ann@example.com", newEmail: "new@example.com" },
      c.emailChangeToken.duration,
    ],
    [newFileToken(user), "file", {}, c.fileToken.duration],
  ];
  for (const [token, type, extra, duration] of cases) {
    const claims = claimsOf(token);
    expect(claims).toEqual({ collectionId: c.id, exp: claims.exp, id: user.id, type, ...extra });
    expect(Math.abs(claims.exp - (now() + duration))).toBeLessThanOrEqual(1);
    expect((await findAuthRecordByToken(app, token, type as "auth"))?.id).toBe(user.id);
    // checked against another type, it is refused
    const other = type === "auth" ? "file" : "auth";
    expect(await findAuthRecordByToken(app, token, other as "auth")).toBeNull();
  }
});

test("refused: a token signed with another type's secret, expired, or after the tokenKey changed", async () => {
  const c = user.collection;
  const forged = newJWT({ id: user.id, collectionId: c.id, type: "auth" }, user.tokenKey() + c.fileToken.secret, 60);
  expect(await findAuthRecordByTokenOrError(app, forged, "auth")).toBeInstanceOf(TokenError);
  const expired = newJWT({ id: user.id, collectionId: c.id, type: "auth" }, user.tokenKey() + c.authToken.secret, -10);
  expect(((await findAuthRecordByTokenOrError(app, expired)) as TokenError).message).toBe("token is expired");
  expect(
    ((await findAuthRecordByTokenOrError(app, newJWT({ id: user.id, type: "auth" }, "k", 60))) as TokenError).message,
  ).toBe("missing or invalid token claims");

  const token = newAuthToken(user);
  user.refreshTokenKey();
  await saveRecord(app, user);
  expect(await findAuthRecordByToken(app, token, "auth")).toBeNull();
  expect((await findAuthRecordByToken(app, newAuthToken(user), "auth"))?.id).toBe(user.id);
});

test("a token accepted once is still refused after its tokenKey, its secret or its time changes", async () => {
  const token = newAuthToken(user);
  expect((await findAuthRecordByToken(app, token, "auth"))?.id).toBe(user.id);
  expect((await findAuthRecordByToken(app, token, "auth"))?.id).toBe(user.id); // the remembered path
  expect(await findAuthRecordByToken(app, token, "file")).toBeNull(); // still its own type only
  user.refreshTokenKey();
  await saveRecord(app, user);
  expect(await findAuthRecordByToken(app, token, "auth")).toBeNull();

  const again = newAuthToken(user);
  expect((await findAuthRecordByToken(app, again, "auth"))?.id).toBe(user.id);
  const c = app.findCollection("users")!;
  c.authToken.secret = "x".repeat(50); // the in-memory collection the lookup uses
  expect(await findAuthRecordByToken(app, again, "auth")).toBeNull();

  const short = newJWT(
    { id: user.id, collectionId: c.id, type: "auth", refreshable: true },
    user.tokenKey() + c.authToken.secret,
    2,
  );
  expect((await findAuthRecordByToken(app, short, "auth"))?.id).toBe(user.id); // exp is at least 1 s ahead
  await Bun.sleep(2100);
  expect(((await findAuthRecordByTokenOrError(app, short, "auth")) as TokenError).message).toBe("token is expired");
});
