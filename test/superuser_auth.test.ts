/** Superuser auth with the official SDK: the upstream fixture's accounts, our own, and bcrypt interop both ways. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FIXTURE, SHARED_MISSING, TEST_DB, runPb, startServer, type TestServer } from "./harness.ts";
import { withDataDb } from "./support/db.ts";

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());

describe.skipIf(!!SHARED_MISSING)("upstream fixture pb_data", () => {
  if (SHARED_MISSING) test.skip(SHARED_MISSING, () => {});
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer({ fromDataDir: FIXTURE });
  });
  afterAll(() => srv?.stop());

  test("its superuser authenticates with the fixture's password (a Go bcrypt $2a$13$ hash)", async () => {
    const pb = srv.sdk();
    const auth = await pb.collection("_superusers").authWithPassword("test@example.com", "1234567890");
    expect(auth.record).toMatchObject({
      collectionId: "pbc_3142635823",
      collectionName: "_superusers",
      id: "sywbhecnh46rhm0",
      email: "test@example.com",
      verified: true,
    });
    expect(Object.keys(auth.record)).not.toContain("password");
    expect(Object.keys(auth.record)).not.toContain("tokenKey");
    const c = claimsOf(auth.token);
    expect(Object.keys(c)).toEqual(["collectionId", "exp", "id", "refreshable", "type"]);
    expect(c).toMatchObject({ collectionId: "pbc_3142635823", id: "sywbhecnh46rhm0", refreshable: true, type: "auth" });
    const fixtureDuration = JSON.parse(
      (await withDataDb(srv.dataDir, (db) =>
        db.get<{ options: string }>("SELECT options FROM _collections WHERE name='_superusers'"),
      ))!.options,
    ).authToken.duration as number;
    expect(Math.abs(c.exp - (Date.now() / 1000 + fixtureDuration))).toBeLessThan(5);
    expect(pb.authStore.isSuperuser).toBe(true);

    const refreshed = await pb.collection("_superusers").authRefresh();
    expect(refreshed.record.id).toBe("sywbhecnh46rhm0");
    expect(claimsOf(refreshed.token).refreshable).toBe(true);
  });

  test("a token signed with the fixture's secrets (from the corpus) is accepted; wrong passwords are not", async () => {
    // The conformance corpus' long-lived superuser token for sywbhecnh46rhm0.
    const token =
      "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6InN5d2JoZWNuaDQ2cmhtMCIsInR5cGUiOiJhdXRoIiwiY29sbGVjdGlvbklkIjoicGJjXzMxNDI2MzU4MjMiLCJleHAiOjI1MjQ2MDQ0NjEsInJlZnJlc2hhYmxlIjp0cnVlfQ.UXgO3j-0BumcugrFjbd7j0M4MQvbrLggLlcu_YNGjoY";
    const res = await fetch(`${srv.url}/api/health`, { headers: { Authorization: token } });
    // a superuser sees canBackup; backups are SQLite-only, so it is false on PostgreSQL
    expect(((await res.json()) as any).data.canBackup).toBe(TEST_DB === "sqlite");
    const pb = srv.sdk();
    await expect(pb.collection("_superusers").authWithPassword("test@example.com", "wrong")).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      pb.collection("_superusers").authWithPassword("nobody@example.com", "1234567890"),
    ).rejects.toMatchObject({ status: 400 });
  });

  test("auth-refresh without a token is 401; with another collection's token 403", async () => {
    const pb = srv.sdk();
    await expect(pb.collection("_superusers").authRefresh()).rejects.toMatchObject({ status: 401 });
    const su = await pb.collection("_superusers").authWithPassword("test@example.com", "1234567890");
    const res = await fetch(`${srv.url}/api/collections/users/auth-refresh`, {
      method: "POST",
      headers: { Authorization: su.token },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).message).toBe("The request requires auth record from _superusers collection.");
  });
});

describe("our own superusers", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv?.stop());

  test("a CLI-created superuser signs in through the SDK; its hash has upstream's format", async () => {
    expect(
      (await runPb(["superuser", "upsert", "admin@example.com", "s3cret-pass", `--dir=${srv.dataDir}`])).code,
    ).toBe(0);
    const pb = srv.sdk();
    const auth = await pb.collection("_superusers").authWithPassword("admin@example.com", "s3cret-pass");
    expect(auth.record.email).toBe("admin@example.com");
    const hash = (await withDataDb(srv.dataDir, (db) =>
      db.get<{ password: string }>("SELECT password FROM _superusers WHERE email = 'admin@example.com'"),
    ))!.password;
    expect(hash).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
  });

  test("a hash made by Go's x/crypto/bcrypt verifies", async () => {
    // `1234567890` hashed by golang.org/x/crypto/bcrypt at cost 10 (see toolchain notes).
    const goHash = "$2a$10$1ZuBfM8kAcayultgb/OqIep78XSPI1uWFVMgFt5Bw4R0RCA7P8th6";
    expect((await runPb(["superuser", "upsert", "go@example.com", "placeholder-1", `--dir=${srv.dataDir}`])).code).toBe(
      0,
    );
    await withDataDb(srv.dataDir, (db) =>
      db.run("UPDATE _superusers SET password = ? WHERE email = 'go@example.com'", [goHash]),
    );
    const auth = await srv.sdk().collection("_superusers").authWithPassword("go@example.com", "1234567890");
    expect(auth.record.email).toBe("go@example.com");
  });
});
