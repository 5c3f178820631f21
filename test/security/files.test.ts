/**
 * Attack class: protected files, file tokens, path traversal and stored XSS through uploads.
 *
 * Expected behaviour is upstream's apis/file.go (a protected file needs a `?token=` file token of a
 * record the collection's view rule lets see the record; every refusal is a 404 with an empty
 * message; `thumb` only for listed sizes of images, else the original) and tools/filesystem's
 * Serve (inline only for media/PDF, a sandboxing CSP, forced types for .svg/.js/.css), plus the
 * upload name normalization of tools/filesystem/file.go. Canary files sit in pb_data, in the
 * storage root and next to pb_data: none of them may ever come back.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { App } from "../../src/core/app.ts";
import { newBaseCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import { FileField, RelationField, TextField } from "../../src/core/fields/index.ts";
import { Record } from "../../src/core/record.ts";
import { saveRecord } from "../../src/core/record_save.ts";
import { tempDir, type TestServer, testAppConfig } from "../harness.ts";
import { samplePng } from "../support/images.ts";
import { rawRequest, startWithSuperuser } from "./support.ts";

const NAME_RE = /^[a-z0-9_]+_[a-z0-9]{10}(\.[\w.*\-+=#]+)?$/;
const CANARIES = ["PBDATA-CANARY-5d1c", "OUTSIDE-CANARY-91ab", "STORAGE-CANARY-07ee"];
const FILE_CSP = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox";
const NOT_FOUND = { data: {}, message: "The requested resource wasn't found.", status: 404 };

let srv: TestServer;
let work = "";
let dataDir = "";
let png: Uint8Array<ArrayBuffer>;
const ids: { [k: string]: string } = {};
const keys: { aliceTokenKey: string; fileSecret: string; authSecret: string } = {
  aliceTokenKey: "",
  fileSecret: "",
  authSecret: "",
};
let suToken = "";
let aliceAuth = "";
let bobAuth = "";
let secretRec: { id: string; doc: string };
let pubRec: { id: string; files: string[] };

beforeAll(async () => {
  png = samplePng(60, 40);
  work = tempDir();
  dataDir = join(work, "pb_data");
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();
  const users = app.findCollection("users")!;
  const people: { [email: string]: Record } = {};
  for (const email of ["alice@example.com", "bob@example.com"]) {
    const r = new Record(users);
    r.set("email", email);
    await r.setPassword("1234567890");
    await saveRecord(app, r);
    people[email] = r;
  }
  const priv = newBaseCollection("private");
  priv.fields.add(
    new RelationField({ name: "owner", collectionId: users.id, maxSelect: 1 }),
    new FileField({ name: "doc", maxSelect: 1, protected: true }),
  );
  priv.listRule = priv.viewRule = "owner = @request.auth.id";
  await saveCollection(app, priv);
  const docs = newBaseCollection("docs");
  docs.fields.add(
    new TextField({ name: "title" }),
    new FileField({ name: "files", maxSelect: 20, maxSize: 5 << 20, thumbs: ["50x50"] }),
  );
  docs.listRule = docs.viewRule = docs.createRule = docs.updateRule = "";
  await saveCollection(app, docs);
  const images = newBaseCollection("images");
  images.fields.add(new FileField({ name: "pic", maxSelect: 1, mimeTypes: ["image/png"] }));
  images.listRule = images.viewRule = images.createRule = "";
  await saveCollection(app, images);
  ids.users = users.id;
  ids.private = priv.id;
  ids.docs = docs.id;
  ids.images = images.id;
  ids.alice = people["alice@example.com"]!.id;
  ids.bob = people["bob@example.com"]!.id;
  keys.aliceTokenKey = people["alice@example.com"]!.tokenKey();
  keys.fileSecret = users.fileToken.secret;
  keys.authSecret = users.authToken.secret;
  await app.terminate();
  const { srv: server, su } = await startWithSuperuser(work);
  srv = server;
  suToken = su.authStore.token;
  aliceAuth = (await srv.sdk().collection("users").authWithPassword("alice@example.com", "1234567890")).token;
  bobAuth = (await srv.sdk().collection("users").authWithPassword("bob@example.com", "1234567890")).token;
  secretRec = (await su
    .collection("private")
    .create({ owner: ids.alice, doc: new File(["alice's secret"], "secret.txt") })) as any;
  pubRec = (await srv
    .sdk()
    .collection("docs")
    .create({ title: "pub", files: [new File([png], "pic.png"), new File(["plain text"], "notes.txt")] })) as any;

  writeFileSync(join(dataDir, "canary.txt"), CANARIES[0]!);
  writeFileSync(join(work, "canary.txt"), CANARIES[1]!);
  writeFileSync(join(dataDir, "storage", "canary.txt"), CANARIES[2]!);
});
afterAll(async () => {
  await srv?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const fileUrl = (collection: string, id: string, name: string, query = "") =>
  `${srv.url}/api/files/${collection}/${id}/${encodeURIComponent(name)}${query}`;
const secretUrl = (query = "") => fileUrl("private", secretRec.id, secretRec.doc, query);

async function fileToken(auth: string): Promise<string> {
  const res = await fetch(`${srv.url}/api/files/token`, { method: "POST", headers: { Authorization: auth } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

function b64(v: object | string): string {
  return Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
}

/** An HS256 JWT signed with `key` (or unsigned with alg "none"). */
function jwt(claims: object, key: string | null): string {
  const head = b64({ alg: key === null ? "none" : "HS256", typ: "JWT" }) + "." + b64(claims);
  return key === null ? head + "." : head + "." + createHmac("sha256", key).update(head).digest("base64url");
}

async function expect404(res: Response, label: string) {
  const text = await res.text();
  expect([label, res.status]).toEqual([label, 404]);
  for (const c of CANARIES) expect(text).not.toContain(c);
  expect(text).not.toContain("alice's secret");
  expect(text).not.toContain("SQLite format 3");
  const body = JSON.parse(text);
  expect(body.status).toBe(404);
  expect(body.data).toEqual({});
}

/** Sends the request line exactly as written (fetch would resolve `..` and re-encode). */
async function rawGet(path: string): Promise<{ status: number; text: string }> {
  const out = await rawRequest(srv.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0);
  return { status, text: out };
}

/** Every file below `dir`, relative to it. */
function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as any[])
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath ?? d.path, d.name)))
    .sort();
}

test("a protected file without a token, with an auth token, or with a garbage token is a 404", async () => {
  await expect404(await fetch(secretUrl()), "no token");
  // the Authorization header is ignored for protected files: only ?token= counts
  await expect404(await fetch(secretUrl(), { headers: { Authorization: aliceAuth } }), "Authorization header");
  await expect404(await fetch(secretUrl(`?token=${aliceAuth}`)), "auth token as ?token");
  await expect404(await fetch(secretUrl(`?token=${suToken}`)), "superuser auth token as ?token");
  for (const t of ["garbage", "a.b.c", "", "null", "eyJhbGciOiJub25lIn0.e30."]) {
    await expect404(await fetch(secretUrl(`?token=${encodeURIComponent(t)}`)), `token ${t}`);
  }
  // a guest asking for a file token is refused outright
  const res = await fetch(`${srv.url}/api/files/token`, { method: "POST" });
  expect(res.status).toBe(401);
  expect(((await res.json()) as any).status).toBe(401);
});

test("a file token works only for records its owner may view", async () => {
  const bobToken = await fileToken(bobAuth);
  await expect404(await fetch(secretUrl(`?token=${bobToken}`)), "bob's token on alice's file");
  const aliceToken = await fileToken(aliceAuth);
  let res = await fetch(secretUrl(`?token=${aliceToken}`));
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("alice's secret");
  // superusers pass every rule
  res = await fetch(secretUrl(`?token=${await fileToken(suToken)}`));
  expect(res.status).toBe(200);
  // the token can't be moved to another record of the same collection owned by bob
  const bobRec = (await fetch(`${srv.url}/api/collections/private/records`, {
    method: "POST",
    headers: { Authorization: suToken },
    body: (() => {
      const f = new FormData();
      f.append("owner", ids.bob!);
      f.append("doc", new File(["bob's secret"], "bob.txt"));
      return f;
    })(),
  }).then((r) => r.json())) as { id: string; doc: string };
  await expect404(
    await fetch(fileUrl("private", bobRec.id, bobRec.doc, `?token=${aliceToken}`)),
    "alice's token on bob's file",
  );
  expect((await fetch(fileUrl("private", bobRec.id, bobRec.doc, `?token=${bobToken}`))).status).toBe(200);
});

test("expired, forged, unsigned and wrongly typed file tokens are refused", async () => {
  const now = Math.floor(Date.now() / 1000);
  const claims = { id: ids.alice, type: "file", collectionId: ids.users };
  const fileKey = keys.aliceTokenKey + keys.fileSecret;
  // control: a token signed like the server signs them works
  expect((await fetch(secretUrl(`?token=${jwt({ ...claims, exp: now + 120 }, fileKey)}`))).status).toBe(200);
  const bad: [string, string][] = [
    ["expired", jwt({ ...claims, exp: now - 5 }, fileKey)],
    ["not yet valid", jwt({ ...claims, exp: now + 120, nbf: now + 60 }, fileKey)],
    ["wrong key", jwt({ ...claims, exp: now + 120 }, "not-the-key")],
    ["only the collection secret", jwt({ ...claims, exp: now + 120 }, keys.fileSecret)],
    ["alg none", jwt({ ...claims, exp: now + 120 }, null)],
    ["auth type with the file key", jwt({ ...claims, type: "auth", exp: now + 120 }, fileKey)],
    ["file type with the auth key", jwt({ ...claims, exp: now + 120 }, keys.aliceTokenKey + keys.authSecret)],
    ["another user's id", jwt({ ...claims, id: ids.bob, exp: now + 120 }, fileKey)],
    ["missing type", jwt({ id: ids.alice, collectionId: ids.users, exp: now + 120 }, fileKey)],
  ];
  for (const [label, token] of bad) await expect404(await fetch(secretUrl(`?token=${token}`)), label);
});

test("a file token is not an auth token, and a password change revokes issued file tokens", async () => {
  const token = await fileToken(aliceAuth);
  // as Authorization it makes the request a guest's
  let res = await fetch(`${srv.url}/api/files/token`, { method: "POST", headers: { Authorization: token } });
  expect(res.status).toBe(401);
  res = await fetch(`${srv.url}/api/collections/users/records/${ids.alice}`, { headers: { Authorization: token } });
  expect(res.status).toBe(404);
  expect((await fetch(secretUrl(`?token=${token}`))).status).toBe(200);
  // changing the password renews the tokenKey: the old file token must stop working
  res = await fetch(`${srv.url}/api/collections/users/records/${ids.alice}`, {
    method: "PATCH",
    headers: { Authorization: aliceAuth, "Content-Type": "application/json" },
    body: JSON.stringify({ oldPassword: "1234567890", password: "0987654321", passwordConfirm: "0987654321" }),
  });
  expect(res.status).toBe(200);
  await expect404(await fetch(secretUrl(`?token=${token}`)), "file token after password change");
  aliceAuth = (await srv.sdk().collection("users").authWithPassword("alice@example.com", "0987654321")).token;
  expect((await fetch(secretUrl(`?token=${await fileToken(aliceAuth)}`))).status).toBe(200);
});

test("path traversal in the file name never serves anything outside the record's folder", async () => {
  const id = pubRec.id;
  const [img] = pubRec.files;
  const probes = [
    `../../../canary.txt`,
    `../../../../canary.txt`,
    `..%2f..%2f..%2fcanary.txt`,
    `..%2F..%2F..%2F..%2Fcanary.txt`,
    `%2e%2e%2f%2e%2e%2f%2e%2e%2fcanary.txt`,
    `%2e%2e/%2e%2e/%2e%2e/canary.txt`,
    `..%252f..%252f..%252fcanary.txt`,
    `..\\..\\..\\canary.txt`,
    `%2e%2e%5c%2e%2e%5c%2e%2e%5ccanary.txt`,
    `${img}%00.png`,
    `canary.txt%00${img}`,
    `%2Fetc%2Fpasswd`,
    `/etc/passwd`,
    `%2F${encodeURIComponent(join(dataDir, "canary.txt"))}`,
    `${img}/..%2f..%2f..%2f..%2fdata.db`,
    `..%2f..%2f..%2fdata.db`,
    `..%2f..%2fcanary.txt`,
    `C:%5Cwindows%5Cwin.ini`,
  ];
  for (const p of probes) {
    const res = await rawGet(`/api/files/docs/${id}/${p}`);
    expect([p, res.status]).toEqual([p, 404]);
    for (const c of CANARIES) expect([p, res.text.includes(c)]).toEqual([p, false]);
    expect(res.text).not.toContain("SQLite format 3");
  }
});

test("traversal in the collection and record segments, other records' files and sidecars are 404s", async () => {
  const [img, txt] = pubRec.files as [string, string];
  const paths = [
    `/api/files/..%2F..%2F/${pubRec.id}/canary.txt`,
    `/api/files/docs/..%2F..%2F/canary.txt`,
    `/api/files/docs/..%2F..%2F..%2F/canary.txt`,
    `/api/files/..%2F${ids.docs}/${pubRec.id}/${img}`,
    `/api/files/docs/${pubRec.id}%2F..%2F..%2F/canary.txt`,
    `/api/files/%2e%2e/%2e%2e/canary.txt`,
    `/api/files/docs/%2e%2e/canary.txt`,
    `/api/files/docs/${pubRec.id}/${encodeURIComponent(`thumbs_${img}/50x50_${img}`)}`,
    // the upstream-compatible sidecar next to every stored file
    `/api/files/docs/${pubRec.id}/${img}.attrs`,
    // a record's file asked for through another record or collection
    `/api/files/docs/${secretRec.id}/${secretRec.doc}`,
    `/api/files/private/${pubRec.id}/${img}`,
    `/api/files/docs/${pubRec.id}/${secretRec.doc}`,
    `/api/files/users/${ids.alice}/${txt}`,
  ];
  for (const p of paths) {
    const res = await rawGet(p);
    expect([p, res.status]).toEqual([p, 404]);
    for (const c of CANARIES) expect(res.text).not.toContain(c);
    expect(res.text).not.toContain("alice's secret");
    expect(res.text).not.toContain("user.content_type");
  }
});

test("?thumb= with traversal, huge, malformed values or on non-images serves the original, never an error", async () => {
  const [img, txt] = pubRec.files as [string, string];
  const before = walk(join(dataDir, "storage"));
  const thumbs = [
    "../../canary.txt",
    "..%2f..%2fcanary.txt",
    "99999x99999",
    "0x0",
    "-1x-1",
    "abc",
    "100x100%00",
    "50x50/../../x",
    "1e9x1e9",
    "50x50\r\nX-Injected: 1",
    "x".repeat(5000),
    "100x100f../../",
  ];
  for (const t of thumbs) {
    let res = await fetch(fileUrl("docs", pubRec.id, img, `?thumb=${encodeURIComponent(t)}`));
    expect([t, res.status]).toEqual([t, 200]);
    expect(res.headers.get("x-injected")).toBeNull();
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
    res = await fetch(fileUrl("docs", pubRec.id, txt, `?thumb=${encodeURIComponent(t)}`));
    expect([t, res.status]).toEqual([t, 200]);
    expect(await res.text()).toBe("plain text");
  }
  // a listed size on a non-image is the original as well
  const res = await fetch(fileUrl("docs", pubRec.id, txt, "?thumb=50x50"));
  expect(await res.text()).toBe("plain text");
  // no thumb was written for any of those
  expect(walk(join(dataDir, "storage"))).toEqual(before);
  // a listed size on the image makes exactly one thumb, inside the record's folder
  const thumb = await fetch(fileUrl("docs", pubRec.id, img, "?thumb=50x50"));
  expect(thumb.status).toBe(200);
  expect(thumb.headers.get("content-disposition")).toBe(`inline; filename=50x50_${img}`);
  const added = walk(join(dataDir, "storage")).filter((p) => !before.includes(p));
  expect(added).toEqual(
    [
      `${ids.docs}/${pubRec.id}/thumbs_${img}/50x50_${img}`,
      `${ids.docs}/${pubRec.id}/thumbs_${img}/50x50_${img}.attrs`,
    ].sort(),
  );
  expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);
});

test("?download= forces an attachment only for true values; non-media is always an attachment", async () => {
  const [img, txt] = pubRec.files as [string, string];
  for (const [q, disposition] of [
    ["?download=1", "attachment"],
    ["?download=true", "attachment"],
    ["?download=T", "attachment"],
    ["?download=0", "inline"],
    ["?download=false", "inline"],
    ["?download=yes%0D%0ASet-Cookie:%20x=1", "inline"],
    ["", "inline"],
  ] as const) {
    const res = await fetch(fileUrl("docs", pubRec.id, img, q));
    expect([q, res.status, res.headers.get("content-disposition")]).toEqual([
      q,
      200,
      `${disposition}; filename=${img}`,
    ]);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-security-policy")).toBe(FILE_CSP);
  }
  for (const q of ["", "?download=0", "?download=1"]) {
    const res = await fetch(fileUrl("docs", pubRec.id, txt, q));
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename=${txt}`);
  }
});

/** A multipart body written byte for byte (FormData would escape the file name). */
function rawMultipart(
  field: string,
  files: { name: string; type: string; content: string | Uint8Array }[],
  extra: { [k: string]: string } = {},
) {
  const boundary = "----pbSecBoundary" + Math.random().toString(36).slice(2);
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(extra))
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="`),
      Buffer.from(f.name, "utf8"),
      Buffer.from(`"\r\nContent-Type: ${f.type}\r\n\r\n`),
    );
    chunks.push(Buffer.from(f.content), Buffer.from("\r\n"));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

test("hostile upload names are stored under normalized names inside the record's folder", async () => {
  const pbDataBefore = walk(dataDir).filter((p) => !p.startsWith("storage/") && !p.includes(".db"));
  const workBefore = readdirSync(work).sort();
  const names = [
    "../../x",
    "../../../canary.txt",
    "../../../pb_data/data.db",
    ".htaccess",
    "..",
    "a".repeat(1000) + ".txt",
    "\u202Egnp.exe",
    "evil\u0000.txt",
    "x\r\nContent-Type: text/html.txt",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "%2e%2e%2fx.txt",
    "thumbs_x/50x50_x",
  ];
  const { body, type } = rawMultipart(
    "files",
    names.map((name) => ({ name, type: "text/plain", content: "hostile" })),
    { title: "hostile names" },
  );
  const res = await fetch(`${srv.url}/api/collections/docs/records`, {
    method: "POST",
    headers: { "Content-Type": type },
    body,
  });
  expect(res.status).toBe(200);
  const rec = (await res.json()) as { id: string; files: string[] };
  expect(rec.files).toHaveLength(names.length);
  const folder = join(dataDir, "storage", ids.docs!, rec.id);
  for (const name of rec.files) {
    expect(name).toMatch(NAME_RE);
    expect(name.length).toBeLessThanOrEqual(100 + 1 + 10 + 21);
    expect(readFileSync(join(folder, name), "utf8")).toBe("hostile");
    const served = await fetch(fileUrl("docs", rec.id, name));
    expect(await served.text()).toBe("hostile");
  }
  expect(rec.files[3]).toMatch(/^[a-z0-9]{10}_[a-z0-9]{10}\.htaccess$/);
  // the record's folder holds exactly the uploads and their sidecars
  expect(walk(folder)).toEqual(rec.files.flatMap((n) => [n, n + ".attrs"]).sort());
  // nothing appeared anywhere else, and the canaries are untouched
  expect(walk(dataDir).filter((p) => !p.startsWith("storage/") && !p.includes(".db"))).toEqual(pbDataBefore);
  expect(readdirSync(work).sort()).toEqual(workBefore);
  expect(readFileSync(join(dataDir, "canary.txt"), "utf8")).toBe(CANARIES[0]!);
  expect(readFileSync(join(work, "canary.txt"), "utf8")).toBe(CANARIES[1]!);
  expect(readFileSync(join(dataDir, "storage", "canary.txt"), "utf8")).toBe(CANARIES[2]!);
});

test("a file type the field's mimeTypes forbid is refused whatever its name and declared type", async () => {
  const html = "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
  const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>';
  for (const f of [
    { name: "evil.png", type: "image/png", content: html },
    { name: "evil.png", type: "image/png", content: svg },
    { name: "evil.html", type: "text/html", content: html },
    { name: "evil", type: "image/png", content: "MZ\x90\x00 not a png" },
  ]) {
    const { body, type } = rawMultipart("pic", [f]);
    const res = await fetch(`${srv.url}/api/collections/images/records`, {
      method: "POST",
      headers: { "Content-Type": type },
      body,
    });
    const json = (await res.json()) as any;
    expect([f.name, res.status]).toEqual([f.name, 400]);
    expect(json.data.pic.code).toBe("validation_invalid_mime_type");
  }
  expect(walk(join(dataDir, "storage", ids.images!))).toEqual([]);
  const { body, type } = rawMultipart("pic", [{ name: "real.png", type: "application/octet-stream", content: png }]);
  const res = await fetch(`${srv.url}/api/collections/images/records`, {
    method: "POST",
    headers: { "Content-Type": type },
    body,
  });
  expect(res.status).toBe(200);
  const total = ((await (await fetch(`${srv.url}/api/collections/images/records`)).json()) as any).totalItems;
  expect(total).toBe(1);
});

test("stored HTML, SVG and script files are served as sandboxed attachments, never as inline pages", async () => {
  const html = "<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>';
  const rec = (await srv
    .sdk()
    .collection("docs")
    .create({
      title: "xss",
      files: [
        new File([html], "evil.html", { type: "text/html" }),
        new File([svg], "evil.svg"),
        new File([html], "looks.png", { type: "image/png" }),
        new File(["alert(1)"], "evil.js"),
        new File([html], "evil.xhtml"),
      ],
    })) as any as { id: string; files: string[] };
  const expectedType: { [ext: string]: RegExp } = {
    html: /^text\/html/,
    svg: /^image\/svg\+xml$/,
    png: /^text\/html/, // sniffed from the bytes, not taken from the name or the client
    js: /^text\/javascript$/,
    xhtml: /^text\/html/,
  };
  for (const name of rec.files) {
    const ext = name.slice(name.lastIndexOf(".") + 1);
    for (const q of ["", "?download=0", "?download=false", "?thumb=50x50", "?thumb=100x100"]) {
      const res = await fetch(fileUrl("docs", rec.id, name, q));
      expect([name, q, res.status]).toEqual([name, q, 200]);
      expect([name, q, res.headers.get("content-disposition")]).toEqual([name, q, `attachment; filename=${name}`]);
      expect(res.headers.get("content-type")).toMatch(expectedType[ext]!);
      expect(res.headers.get("content-security-policy")).toBe(FILE_CSP);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      await res.arrayBuffer();
    }
  }
  // a real image stays inline (and sandboxed)
  const img = await fetch(fileUrl("docs", pubRec.id, pubRec.files[0]!));
  expect(img.headers.get("content-disposition")).toStartWith("inline;");
  expect(img.headers.get("content-security-policy")).toBe(FILE_CSP);
  expect(img.headers.get("x-frame-options")).toBeNull();
});

test("after every probe the server is healthy and the canary files were never touched", async () => {
  const res = await fetch(`${srv.url}/api/health`);
  expect(res.status).toBe(200);
  expect(((await res.json()) as any).message).toBe("API is healthy.");
  expect(readFileSync(join(dataDir, "canary.txt"), "utf8")).toBe(CANARIES[0]!);
  expect(readFileSync(join(work, "canary.txt"), "utf8")).toBe(CANARIES[1]!);
  expect(readFileSync(join(dataDir, "storage", "canary.txt"), "utf8")).toBe(CANARIES[2]!);
  expect(srv.output()).not.toMatch(/TypeError|RangeError|Unhandled|panic/);
});
