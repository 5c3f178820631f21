/** The CLI through the real process: flags, help, exit codes, superuser commands, the installer. */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { runPb, startServer, tempDir } from "./harness.ts";

const dirs: string[] = [];
const freshDir = () => {
  const d = tempDir();
  dirs.push(d);
  return join(d, "pb_data");
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("root command", () => {
  test("--version and -v print the version and exit 0", async () => {
    for (const flag of ["--version", "-v"]) {
      const r = await runPb([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^pb version \d+\.\d+\.\d+ \(PocketBase v0\.39\.\d+ compatible\)\n$/);
    }
  });

  test("--help lists commands and global flags, noting flags whose feature lands later", async () => {
    const r = await runPb(["--help"]);
    expect(r.code).toBe(0);
    for (const s of ["serve", "superuser", "--dir", "--encryptionEnv", "--queryTimeout", "--hooksDir", "--automigrate", "--indexFallback"]) {
      expect(r.stdout).toContain(s);
    }
    expect(r.stdout).toMatch(/--hooksPool int/);
    const serve = await runPb(["serve", "--help"]);
    for (const s of ["--http", "--https", "--origins"]) expect(serve.stdout).toContain(s);
  });

  test("unknown flags and commands fail with exit 1 and a clear message", async () => {
    const a = await runPb(["serve", "--nope"]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("unknown flag: --nope");
    const b = await runPb(["frobnicate"]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('unknown command "frobnicate"');
    const c = await runPb(["serve", "--queryTimeout=soon"]);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('invalid argument "soon"');
  });

  test("a bad --encryptionEnv key is refused before anything is written", async () => {
    const dir = freshDir();
    const r = await runPb(["superuser", "upsert", "a@example.com", "1234567890", `--dir=${dir}`, "--encryptionEnv=PB_KEY"], { env: { PB_KEY: "short" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("32 characters");
  });
});

describe("superuser command", () => {
  test("upsert, create, update and delete behave as upstream, failures exit 1", async () => {
    const dir = freshDir();
    const pb = (...args: string[]) => runPb(["superuser", ...args, `--dir=${dir}`]);

    let r = await pb("upsert", "root@example.com", "1234567890");
    expect(r.code).toBe(0);
    const db = () => new Database(join(dir, "data.db"), { readonly: true });
    let row = db().query("SELECT * FROM _superusers WHERE email = 'root@example.com'").get() as Record<string, any>;
    expect(row.password).toMatch(/^\$2a\$10\$/);
    expect(row.verified).toBe(1);
    expect(row.tokenKey).toHaveLength(50);
    expect(row.id).toMatch(/^[a-z0-9]{15}$/);

    r = await pb("create", "root@example.com", "1234567890");
    expect(r.code).toBe(1);
    expect(r.stderr.toLowerCase()).toContain("unique");

    r = await pb("create", "not-an-email", "1234567890");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("invalid email");

    r = await pb("create", "two@example.com");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("missing email and password arguments");

    r = await pb("create", "two@example.com", "short");
    expect(r.code).toBe(1);

    r = await pb("update", "ghost@example.com", "1234567890");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("doesn't exist");

    const before = row.tokenKey;
    r = await pb("upsert", "root@example.com", "abcdefghij");
    expect(r.code).toBe(0);
    row = db().query("SELECT * FROM _superusers WHERE email = 'root@example.com'").get() as Record<string, any>;
    expect(row.tokenKey).not.toBe(before); // a password change invalidates old tokens
    expect(await Bun.password.verify("abcdefghij", row.password)).toBe(true);

    r = await pb("delete", "nobody@example.com");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("missing or already deleted");

    r = await pb("delete", "root@example.com");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("You can't delete the only existing superuser");

    expect((await pb("create", "two@example.com", "1234567890")).code).toBe(0);
    expect((await pb("delete", "root@example.com")).code).toBe(0);
    expect((db().query("SELECT COUNT(*) AS n FROM _superusers").get() as { n: number }).n).toBe(1);
  });
});

describe("superuser otp and ips", () => {
  test("otp refuses while OTP is off, then stores a cost-8 bcrypt of the printed numeric password", async () => {
    const dir = freshDir();
    expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dir}`])).code).toBe(0);
    let r = await runPb(["superuser", "otp", "root@example.com", `--dir=${dir}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("OTP auth is not enabled for the _superusers collection");

    const db = new Database(join(dir, "data.db"));
    const row = db.query("SELECT options FROM _collections WHERE name = '_superusers'").get() as { options: string };
    const options = JSON.parse(row.options);
    options.otp.enabled = true;
    options.mfa.enabled = true;
    db.query("UPDATE _collections SET options = ? WHERE name = '_superusers'").run(JSON.stringify(options));
    db.close();

    r = await runPb(["superuser", "otp", "root@example.com", `--dir=${dir}`]);
    expect(r.code).toBe(0);
    const id = /Id:\s+(\w+)/.exec(r.stdout)![1]!;
    const pass = /Pass:\s+(\d+)/.exec(r.stdout)![1]!;
    expect(pass).toHaveLength(8);
    expect(r.stdout).toContain("Valid: 180s");
    const otp = new Database(join(dir, "data.db"), { readonly: true }).query("SELECT * FROM _otps WHERE id = ?").get(id) as Record<string, string>;
    expect(otp.collectionRef).toBe("pbc_3142635823");
    expect(otp.password).toMatch(/^\$2a\$08\$/);
    expect(await Bun.password.verify(pass, otp.password)).toBe(true);
  });

  test("ips from a second process reaches a live server through .notify and locks superusers out", async () => {
    const srv = await startServer();
    try {
      const dir = srv.dataDir;
      expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dir}`])).code).toBe(0);
      const auth = await srv.sdk().collection("_superusers").authWithPassword("root@example.com", "1234567890");
      const health = async () => (await fetch(`${srv.url}/api/health`, { headers: { Authorization: auth.token } })).status;
      expect(await health()).toBe(200);
      const r = await runPb(["superuser", "ips", "10.1.2.3", "192.168.0.0/16", `--dir=${dir}`]);
      expect(r.code).toBe(0);
      let status = 0;
      for (let i = 0; i < 50 && status !== 403; i++) {
        await Bun.sleep(50);
        status = await health();
      }
      expect(status).toBe(403);
      expect((await runPb(["superuser", "ips", "127.0.0.0/8", `--dir=${dir}`])).code).toBe(0);
      for (let i = 0; i < 50 && status !== 200; i++) {
        await Bun.sleep(50);
        status = await health();
      }
      expect(status).toBe(200);
    } finally {
      await srv.stop();
    }
  });
});

describe("--encryptionEnv", () => {
  test("the settings row is stored AES-encrypted and only opens with the same key", async () => {
    const dir = freshDir();
    const key = "abcdefghijklmnopqrstuvwxyz012345";
    const r = await runPb(["superuser", "upsert", "a@example.com", "1234567890", `--dir=${dir}`, "--encryptionEnv=PB_KEY"], { env: { PB_KEY: key } });
    expect(r.code).toBe(0);
    const row = new Database(join(dir, "data.db"), { readonly: true }).query("SELECT value, typeof(value) AS t FROM _params WHERE id = 'settings'").get() as { value: string; t: string };
    expect(row.t).toBe("text");
    expect(() => JSON.parse(row.value)).toThrow();
    expect(Buffer.from(row.value, "base64").length).toBeGreaterThan(100);
    expect((await runPb(["superuser", "upsert", "a@example.com", "1234567890", `--dir=${dir}`, "--encryptionEnv=PB_KEY"], { env: { PB_KEY: key } })).code).toBe(0);
    const wrong = await runPb(["superuser", "upsert", "a@example.com", "1234567890", `--dir=${dir}`, "--encryptionEnv=PB_KEY"], { env: { PB_KEY: "X".repeat(32) } });
    expect(wrong.code).toBe(1);
    const none = await runPb(["superuser", "upsert", "a@example.com", "1234567890", `--dir=${dir}`]);
    expect(none.code).toBe(1);
  });
});

describe("installer", () => {
  test("a first serve prints the pbinstall link whose token authenticates as the installer superuser", async () => {
    const srv = await startServer();
    try {
      const m = /\/_\/#\/pbinstall\/([\w.-]+)/.exec(srv.output()) ?? (await Bun.sleep(300), /\/_\/#\/pbinstall\/([\w.-]+)/.exec(srv.output()));
      expect(m).not.toBeNull();
      const token = m![1]!;
      const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString());
      expect(claims).toMatchObject({ type: "auth", collectionId: "pbc_3142635823", refreshable: false });
      expect(claims.exp - Date.now() / 1000).toBeGreaterThan(29 * 60);
      expect(claims.exp - Date.now() / 1000).toBeLessThanOrEqual(30 * 60);
      const res = await fetch(`${srv.url}/api/health`, { headers: { Authorization: token } });
      const body = (await res.json()) as any;
      expect(body.data.canBackup).toBe(true);
      // creating a real superuser removes the installer account
      const r = await runPb(["superuser", "create", "real@example.com", "1234567890", `--dir=${srv.dataDir}`]);
      expect(r.code).toBe(0);
      const db = new Database(join(srv.dataDir, "data.db"), { readonly: true });
      const emails = (db.query("SELECT email FROM _superusers").all() as { email: string }[]).map((x) => x.email);
      expect(emails).toEqual(["real@example.com"]);
    } finally {
      await srv.stop();
    }
  });
});
