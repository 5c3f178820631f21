/** Global HTTP behaviour over real sockets: health, envelopes, CORS, headers, limits, static files, shutdown. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runPb, startServer, tempDir, type TestServer } from "./harness.ts";
import { withDb } from "./support/db.ts";

let srv: TestServer;
let suToken = "";

beforeAll(async () => {
  const work = tempDir();
  const pub = join(work, "pb_public");
  mkdirSync(join(pub, "docs"), { recursive: true });
  writeFileSync(join(pub, "index.html"), "<h1>spa</h1>");
  writeFileSync(join(pub, "app.js"), "console.log(1)");
  writeFileSync(join(pub, "docs", "index.html"), "<h1>docs</h1>");
  writeFileSync(join(work, "secret.txt"), "outside");
  expect(
    (await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${join(work, "pb_data")}`])).code,
  ).toBe(0);
  srv = await startServer({ workDir: work, args: [`--publicDir=${pub}`] });
  const res = await fetch(`${srv.url}/api/collections/_superusers/auth-with-password`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ identity: "root@example.com", password: "1234567890" }),
  });
  suToken = ((await res.json()) as any).token;
});
afterAll(() => srv?.stop());

const get = (path: string, init?: RequestInit) => fetch(srv.url + path, { redirect: "manual", ...init });

describe("health", () => {
  test("guest: exact upstream bytes and security headers", async () => {
    const res = await get("/api/health");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('{"message":"API is healthy.","code":200,"data":{}}\n');
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-xss-protection")).toBe("1; mode=block");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
    expect(res.headers.get("vary")).toBe("Origin");
  });

  test("HEAD answers without a body", async () => {
    const res = await get("/api/health", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  test("superuser: diagnostics with sorted keys; a proxy header is noticed", async () => {
    const res = await get("/api/health", {
      headers: { Authorization: `Bearer ${suToken}`, "CF-Connecting-IP": "1.2.3.4" },
    });
    expect(await res.text()).toBe(
      '{"message":"API is healthy.","code":200,"data":{"canBackup":true,"possibleProxyHeader":"CF-Connecting-IP","realIP":"127.0.0.1"}}\n',
    );
  });

  test("garbage, tampered and expired tokens make the request a guest, never an error", async () => {
    const [h, p] = suToken.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    const expired = [
      h,
      Buffer.from(JSON.stringify({ ...claims, exp: 1 })).toString("base64url"),
      suToken.split(".")[2],
    ].join(".");
    for (const t of ["garbage", "a.b.c", `${suToken}x`, expired, "Bearer ", "x".repeat(9000)]) {
      const res = await get("/api/health", { headers: { Authorization: t } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('{"message":"API is healthy.","code":200,"data":{}}\n');
    }
  });
});

describe("errors", () => {
  test("unmatched non-GET requests get the 404 envelope", async () => {
    for (const method of ["POST", "DELETE", "PATCH", "PUT"]) {
      const res = await get("/api/nothing/here", { method });
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('{"data":{},"message":"The requested resource wasn\'t found.","status":404}\n');
    }
  });

  test("malformed JSON, wrong content type and validation failures are 400 envelopes", async () => {
    const post = (body: string, type = "application/json") =>
      get("/api/collections/_superusers/auth-with-password", {
        method: "POST",
        headers: { "Content-Type": type },
        body,
      });
    let res = await post('{"identity":');
    expect(res.status).toBe(400);
    expect((await res.json()) as any).toEqual({
      data: {},
      message: "An error occurred while loading the submitted data.",
      status: 400,
    });
    res = await post("identity=x", "text/plain");
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).message).toBe("An error occurred while loading the submitted data.");
    res = await post('{"identity":"","password":""}');
    expect(res.status).toBe(400);
    expect(await res.text()).toBe(
      '{"data":{"identity":{"code":"validation_required","message":"Cannot be blank."},"password":{"code":"validation_required","message":"Cannot be blank."}},"message":"An error occurred while validating the submitted data.","status":400}\n',
    );
    res = await post('{"identity":"root@example.com","password":"wrong-password"}');
    expect(res.status).toBe(400);
    expect((await res.json()) as any).toEqual({ data: {}, message: "Failed to authenticate.", status: 400 });
    res = await post("[1,2]");
    expect(res.status).toBe(400);
  });

  test("missing and non-auth collections are 404s with upstream's messages", async () => {
    const res = await get("/api/collections/missing/auth-with-password", { method: "POST" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).message).toBe("Missing or invalid collection context.");
  });

  test("bodies over 32 MiB are refused with 413, declared or streamed", async () => {
    const big = new Uint8Array((32 << 20) + 10);
    let res = await get("/api/collections/_superusers/auth-with-password", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: big,
    });
    expect(res.status).toBe(413);
    expect((await res.json()) as any).toEqual({ data: {}, message: "Request entity too large.", status: 413 });
    const chunk = new Uint8Array(1 << 20);
    let sent = 0;
    const stream = new ReadableStream({
      pull(c) {
        if (sent++ >= 40) return c.close();
        c.enqueue(chunk);
      },
    });
    res = await get("/api/collections/_superusers/auth-with-password", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: stream,
    });
    expect(res.status).toBe(413);
  });
});

describe("CORS", () => {
  test("preflight from any origin answers 204 with the allowed methods and echoed headers", async () => {
    const res = await get("/api/collections/users/records", {
      method: "OPTIONS",
      headers: {
        Origin: "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toBe("GET,HEAD,PUT,PATCH,POST,DELETE");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization,content-type");
    expect(res.headers.get("vary")).toBe("Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  });

  test("--origins restricts which origins get allow headers", async () => {
    const s = await startServer({ args: ["--origins=https://good.example.com,https://*.trusted.com"] });
    try {
      const ask = (origin: string) => fetch(`${s.url}/api/health`, { headers: { Origin: origin } });
      expect((await ask("https://good.example.com")).headers.get("access-control-allow-origin")).toBe(
        "https://good.example.com",
      );
      expect((await ask("https://a.trusted.com")).headers.get("access-control-allow-origin")).toBe(
        "https://a.trusted.com",
      );
      const bad = await ask("https://evil.com");
      expect(bad.status).toBe(200);
      expect(bad.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await s.stop();
    }
  });
});

describe("pb_public", () => {
  test("files, SPA fallback, canonical redirects, no escape from the folder", async () => {
    let res = await get("/app.js");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("console.log(1)");
    expect(res.headers.get("last-modified")).not.toBeNull();
    res = await get("/some/client/route");
    expect(await res.text()).toBe("<h1>spa</h1>");
    res = await get("/docs");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/docs/");
    res = await get("/docs/");
    expect(await res.text()).toBe("<h1>docs</h1>");
    res = await get("/docs/index.html");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/docs/");
    res = await get("/app.js/");
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("/app.js");
    for (const p of ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt"]) {
      const r = await get(p);
      expect(await r.text()).not.toContain("outside");
    }
    res = await get("/app.js", { headers: { Range: "bytes=0-6" } });
    expect(res.status).toBe(206);
    expect(await res.text()).toBe("console");
  });

  test("without index fallback a missing file is a 404 envelope", async () => {
    const s = await startServer({ args: ["--indexFallback=false"] });
    try {
      const res = await fetch(`${s.url}/nope.txt`);
      expect(res.status).toBe(404);
      expect((await res.json()) as any).toEqual({ data: {}, message: "File not found.", status: 404 });
    } finally {
      await s.stop();
    }
  });
});

describe("shutdown", () => {
  test("SIGTERM lets an in-flight request finish, exits 0 and closes the database cleanly", async () => {
    const work = tempDir();
    expect(
      (await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${join(work, "pb_data")}`])).code,
    ).toBe(0);
    const s = await startServer({ workDir: work });
    const inflight = fetch(`${s.url}/api/collections/_superusers/auth-with-password`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ identity: "root@example.com", password: "1234567890" }),
    });
    await Bun.sleep(15); // the bcrypt check is under way
    s.proc.kill("SIGTERM");
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).token).toBeString();
    expect(await s.proc.exited).toBe(0);
    // a clean close checkpoints the WAL into data.db and removes it
    const wal = join(s.dataDir, "data.db-wal");
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    await s.stop();
  });
});

describe("real IP", () => {
  test("proxy headers count only when configured in settings.trustedProxy", async () => {
    const work = tempDir();
    const dataDir = join(work, "pb_data");
    expect((await runPb(["superuser", "upsert", "root@example.com", "1234567890", `--dir=${dataDir}`])).code).toBe(0);
    const ask = async (s: TestServer) => {
      const auth = await s.sdk().collection("_superusers").authWithPassword("root@example.com", "1234567890");
      const res = await fetch(`${s.url}/api/health`, {
        headers: { Authorization: auth.token, "X-Real-IP": "203.0.113.7", "X-Forwarded-For": "10.0.0.1, 198.51.100.2" },
      });
      return ((await res.json()) as any).data.realIP;
    };
    let s = await startServer({ workDir: work });
    expect(await ask(s)).toBe("127.0.0.1");
    await s.stop({ keep: true });

    await withDb(join(dataDir, "data.db"), async (db) => {
      const row = (await db.get<{ value: Uint8Array }>("SELECT value FROM _params WHERE id = 'settings'"))!;
      const settings = JSON.parse(Buffer.from(row.value).toString());
      settings.trustedProxy = { headers: ["X-Forwarded-For"], useLeftmostIP: false };
      await db.run("UPDATE _params SET value = ? WHERE id = 'settings'", [Buffer.from(JSON.stringify(settings))]);
    });
    s = await startServer({ workDir: work });
    expect(await ask(s)).toBe("198.51.100.2");
    await s.stop();
  });
});
