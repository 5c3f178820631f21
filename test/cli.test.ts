/** The CLI through the real process: flags, help, exit codes, superuser commands, the installer. */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { ensureBuilt } from "../build.ts";
import { findSendmailPath } from "../src/tools/mailer/index.ts";
import { REPO, runPb, startServer, tempDir, type TestServer } from "./harness.ts";
import { withDb } from "./support/db.ts";

const dirs: string[] = [];
const freshDir = () => {
  const d = tempDir();
  dirs.push(d);
  return join(d, "pb_data");
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The server's output once it matches `re` (the installer lines follow the banner a moment later). */
async function outputMatching(srv: TestServer, re: RegExp): Promise<string> {
  for (let i = 0; i < 500 && !re.test(srv.output()) && srv.proc.exitCode === null; i++) await Bun.sleep(20);
  return srv.output();
}

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
    for (const s of [
      "serve",
      "superuser",
      "--dir",
      "--encryptionEnv",
      "--queryTimeout",
      "--hooksDir",
      "--automigrate",
      "--indexFallback",
    ]) {
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

  test("serve --reusePort is refused without a PostgreSQL --db, before anything is written", async () => {
    const dir = freshDir();
    const r = await runPb(["serve", "--reusePort", `--dir=${dir}`, "--http=127.0.0.1:0"], { env: { PB_DB_URL: "" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--reusePort needs --db=postgres://");
    expect(existsSync(dir)).toBe(false);
  });

  test("a bad --encryptionEnv key is refused before anything is written", async () => {
    const dir = freshDir();
    const r = await runPb(
      ["superuser", "upsert", "a@example.com", "1234567890", `--dir=${dir}`, "--encryptionEnv=PB_KEY"],
      { env: { PB_KEY: "short" } },
    );
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
    const get = (sql: string) => withDb(join(dir, "data.db"), (db) => db.get<Record<string, any>>(sql));
    let row = (await get("SELECT * FROM _superusers WHERE email = 'root@example.com'"))!;
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
    row = (await get("SELECT * FROM _superusers WHERE email = 'root@example.com'"))!;
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
    expect((await get("SELECT COUNT(*) AS n FROM _superusers"))!.n).toBe(1);
  });
});

describe("superuser otp and ips", () => {
  test("otp refuses while OTP is off, then stores a cost-8 bcrypt of the printed numeric password", async () => {
    const dir = freshDir();
    expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dir}`])).code).toBe(0);
    let r = await runPb(["superuser", "otp", "root@example.com", `--dir=${dir}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("OTP auth is not enabled for the _superusers collection");

    await withDb(join(dir, "data.db"), async (db) => {
      const row = (await db.get<{ options: string }>("SELECT options FROM _collections WHERE name = '_superusers'"))!;
      const options = JSON.parse(row.options);
      options.otp.enabled = true;
      options.mfa.enabled = true;
      await db.run("UPDATE _collections SET options = ? WHERE name = '_superusers'", [JSON.stringify(options)]);
    });

    r = await runPb(["superuser", "otp", "root@example.com", `--dir=${dir}`]);
    expect(r.code).toBe(0);
    const id = /Id:\s+(\w+)/.exec(r.stdout)![1]!;
    const pass = /Pass:\s+(\d+)/.exec(r.stdout)![1]!;
    expect(pass).toHaveLength(8);
    expect(r.stdout).toContain("Valid: 180s");
    const otp = (await withDb(join(dir, "data.db"), (db) =>
      db.get<Record<string, string>>("SELECT * FROM _otps WHERE id = ?", [id]),
    ))!;
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
      const health = async () =>
        (await fetch(`${srv.url}/api/health`, { headers: { Authorization: auth.token } })).status;
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
    const r = await runPb(
      ["superuser", "upsert", "a@example.com", "1234567890", `--dir=${dir}`, "--encryptionEnv=PB_KEY"],
      { env: { PB_KEY: key } },
    );
    expect(r.code).toBe(0);
    const row = (await withDb(join(dir, "data.db"), (db) =>
      db.get<{ value: string; t: string }>("SELECT value, typeof(value) AS t FROM _params WHERE id = 'settings'"),
    ))!;
    expect(row.t).toBe("text");
    expect(() => JSON.parse(row.value)).toThrow();
    expect(Buffer.from(row.value, "base64").length).toBeGreaterThan(100);
    expect(
      (
        await runPb(["superuser", "upsert", "a@example.com", "1234567890", `--dir=${dir}`, "--encryptionEnv=PB_KEY"], {
          env: { PB_KEY: key },
        })
      ).code,
    ).toBe(0);
    const wrong = await runPb(
      ["superuser", "upsert", "a@example.com", "1234567890", `--dir=${dir}`, "--encryptionEnv=PB_KEY"],
      { env: { PB_KEY: "X".repeat(32) } },
    );
    expect(wrong.code).toBe(1);
    const none = await runPb(["superuser", "upsert", "a@example.com", "1234567890", `--dir=${dir}`]);
    expect(none.code).toBe(1);
  });
});

describe("installer", () => {
  test("a first serve prints the pbinstall link whose token authenticates as the installer superuser", async () => {
    const srv = await startServer();
    try {
      const m =
        /\/_\/#\/pbinstall\/([\w.-]+)/.exec(srv.output()) ??
        (await Bun.sleep(300), /\/_\/#\/pbinstall\/([\w.-]+)/.exec(srv.output()));
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
      const emails = (
        await withDb(join(srv.dataDir, "data.db"), (db) => db.all<{ email: string }>("SELECT email FROM _superusers"))
      ).map((x) => x.email);
      expect(emails).toEqual(["real@example.com"]);
    } finally {
      await srv.stop();
    }
  });
});

describe("subcommand help, help and completion", () => {
  const superuserSubs = ["upsert", "create", "update", "delete", "otp", "ips"];
  const migrateSubs = ["up", "down", "create", "collections", "history-sync"];

  test("each superuser and migrate subcommand's --help prints its own usage line and an example", async () => {
    const up = await runPb(["superuser", "upsert", "--help"]);
    expect(up.code).toBe(0);
    expect(up.stdout).toStartWith("Creates, or updates if email exists, a single superuser\n\nUsage:\n");
    expect(up.stdout).toContain("Usage:\n  pb superuser upsert EMAIL PASS [flags]\n\nExamples:\n");
    expect(up.stdout).toContain("  pb superuser upsert test@example.com 1234567890\n");
    const create = await runPb(["migrate", "create", "--help"]);
    expect(create.code).toBe(0);
    expect(create.stdout).toContain("Usage:\n  pb migrate create name [flags]\n\nExamples:\n  pb migrate create ");
    // nothing ran: --help on `migrate create` must not ask to write a file
    expect(create.stderr).toBe("");
    for (const [cmd, subs] of [
      ["superuser", superuserSubs],
      ["migrate", migrateSubs],
    ] as const) {
      for (const sub of subs) {
        const r = await runPb([cmd, sub, "--help"]);
        expect([cmd, sub, r.code]).toEqual([cmd, sub, 0]);
        const usage = `Usage:\\n  pb ${cmd} ${sub}( [^\\n]+)? \\[flags\\]\\n\\nExamples:\\n  pb ${cmd} ${sub}\\b`;
        expect(r.stdout).toMatch(new RegExp(usage));
      }
    }
  });

  test("`pb help [command [sub]]` prints what --help prints; the root help lists help and completion", async () => {
    const root = await runPb(["help"]);
    expect(root.code).toBe(0);
    expect(root.stdout).toBe((await runPb(["--help"])).stdout);
    expect(root.stdout).toMatch(/\n  completion +Generate the autocompletion script/);
    expect(root.stdout).toMatch(/\n  help +Help about any command/);
    const otp = await runPb(["superuser", "otp", "--help"]);
    expect((await runPb(["help", "superuser", "otp"])).stdout).toBe(otp.stdout);
    expect((await runPb(["help", "serve"])).stdout).toContain("pb serve [domain(s)] [flags]");
  });

  test("`pb completion bash` is a script bash completes commands, subcommands and flags with", async () => {
    const r = await runPb(["completion", "bash"]);
    expect(r.code).toBe(0);
    // the script's own function, driven the way bash's programmable completion calls it
    const complete = async (...words: string[]) => {
      const script = `${r.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
_pb_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const p = Bun.spawn(["bash", "-c", script], { stdout: "pipe", stderr: "pipe" });
      const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
      expect(code).toBe(0);
      return out.trim().split("\n").sort();
    };
    expect(await complete("pb", "su")).toEqual(["superuser"]);
    expect(await complete("pb", "superuser", "")).toEqual(["create", "delete", "ips", "otp", "update", "upsert"]);
    expect(await complete("pb", "migrate", "h")).toEqual(["history-sync"]);
    expect(await complete("pb", "serve", "--ht")).toEqual(["--http", "--https"]);
    expect(await complete("pb", "completion", "")).toEqual(["bash", "fish", "powershell", "zsh"]);
  });

  test("zsh, fish and powershell scripts name every command; an unknown shell exits 1", async () => {
    for (const shell of ["zsh", "fish", "powershell"]) {
      const r = await runPb(["completion", shell]);
      expect([shell, r.code]).toEqual([shell, 0]);
      for (const w of ["serve", "superuser", "migrate", "upsert", "history-sync", "http"]) {
        expect([shell, r.stdout.includes(w)]).toEqual([shell, true]);
      }
    }
    const bad = await runPb(["completion", "tcsh"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown shell "tcsh"');
    expect((await runPb(["completion"])).stdout).toContain("pb completion [bash|zsh|fish|powershell]");
  });
});

describe("serve addresses, hints and a clean stop", () => {
  test("--http without a usable host:port exits 1 with 'invalid address'", async () => {
    for (const addr of ["notanaddress", "30103", "::1:8090", "127.0.0.1:99999"]) {
      const r = await runPb(["serve", `--http=${addr}`, `--dir=${freshDir()}`]);
      expect([addr, r.code]).toEqual([addr, 1]);
      expect(r.stderr).toContain(`invalid address "${addr}"`);
      expect(r.stderr).not.toContain("ENOENT");
    }
    expect((await runPb(["serve", "--http=30103", `--dir=${freshDir()}`])).stderr).toContain('did you mean ":30103"');
  });

  test("--http with a host name that does not resolve exits 1 with Go's 'no such host'", async () => {
    const r = await runPb(["serve", "--http=notanaddress.invalid:8090", `--dir=${freshDir()}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("listen tcp: lookup notanaddress.invalid: no such host");
  });

  // an IPv6 loopback is absent in some containers
  const ipv6 = (() => {
    try {
      const s = Bun.listen({ hostname: "::1", port: 0, socket: { data() {} } });
      s.stop(true);
      return true;
    } catch {
      return false;
    }
  })();
  if (!ipv6) test.skip("the IPv6 banner: skipped: this machine has no IPv6 loopback (::1)", () => {});
  test.skipIf(!ipv6)("an IPv6 address prints bracketed in the banner and the installer link", async () => {
    const srv = await startServer({ args: ["--http=[::1]:0"] });
    try {
      expect(srv.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
      const out = await outputMatching(srv, /pbinstall/);
      expect(out).toContain(`REST API:  ${srv.url}/api/`);
      expect(out).toMatch(/http:\/\/\[::1\]:\d+\/_\/#\/pbinstall\//);
      expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);
    } finally {
      await srv.stop();
    }
  });

  test("the first-start superuser hint names the command as it was run", async () => {
    const srv = await startServer();
    try {
      // harness runs `<bun> --max-http-header-size=… <repo>/src/main.ts serve`
      const cmd = `${process.execPath} ${join(REPO, "src/main.ts")}`;
      expect(await outputMatching(srv, /running: /)).toContain(`running: ${cmd} superuser upsert EMAIL PASS)`);
    } finally {
      await srv.stop();
    }
    const work = tempDir();
    dirs.push(work);
    symlinkSync(await ensureBuilt("host"), join(work, "pb"));
    const bin = await startServer({ binary: "./pb", workDir: join(work), cwd: work });
    try {
      expect(await outputMatching(bin, /running: /)).toContain("running: ./pb superuser upsert EMAIL PASS)");
    } finally {
      await bin.stop();
    }
  });

  // the server looks in /usr/sbin and /usr/bin first, which the test cannot hide
  const systemSendmail = findSendmailPath().startsWith("/usr/") ? "skipped: this machine has a system sendmail" : "";
  if (systemSendmail) test.skip(`the missing-sendmail warning: ${systemSendmail}`, () => {});
  test.skipIf(!!systemSendmail)(
    "without SMTP nor sendmail, the warning is said once at start, not per login alert",
    async () => {
      const work = tempDir();
      dirs.push(work);
      const dataDir = join(work, "pb_data");
      expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dataDir}`])).code).toBe(0);
      // a PATH with bun only, so no sendmail can be found there either
      const env = { PATH: dirname(process.execPath) };
      const srv = await startServer({ workDir: work, env });
      try {
        const login = async (ua: string) => {
          const res = await fetch(`${srv.url}/api/collections/_superusers/auth-with-password`, {
            method: "POST",
            headers: { "content-type": "application/json", "user-agent": ua },
            body: JSON.stringify({ identity: "root@example.com", password: "1234567890" }),
          });
          expect(res.status).toBe(200);
        };
        // the first login records its origin; each new origin after it sends a login alert
        for (const ua of ["first-browser", "second-browser", "third-browser"]) await login(ua);
      } finally {
        await srv.stop({ keep: true });
      }
      const out = srv.output();
      expect(out.split("no sendmail executable was found").length - 1).toBe(1);
      expect(out).toContain("Enable SMTP in the dashboard (Settings → Mail settings)");
      expect(out).not.toContain("Failed to send login alert");
    },
  );

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`a ${signal} stop leaves data.db and auxiliary.db without -wal or -shm files`, async () => {
      const srv = await startServer();
      try {
        const su = await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${srv.dataDir}`]);
        expect(su.code).toBe(0);
        const pb = srv.sdk();
        await pb.collection("_superusers").authWithPassword("root@example.com", "1234567890");
        await pb.collections.create({ name: "notes", type: "base", fields: [{ name: "title", type: "text" }] });
        await pb.collection("notes").create({ title: "kept" });
        // WAL mode while running: the files exist, so their absence afterwards means something
        expect(readdirSync(srv.dataDir)).toEqual(expect.arrayContaining(["data.db-wal", "auxiliary.db-wal"]));
      } catch (e) {
        await srv.stop();
        throw e;
      }
      expect(await srv.stop({ keep: true, signal })).toBe(0);
      try {
        expect(readdirSync(srv.dataDir).filter((f) => /-(wal|shm)$/.test(f))).toEqual([]);
        expect(await withDb(join(srv.dataDir, "data.db"), (db) => db.all("SELECT title FROM notes"))).toEqual([
          { title: "kept" },
        ]);
      } finally {
        rmSync(srv.workDir, { recursive: true, force: true });
      }
    });
  }
});
