/**
 * JS hooks around auth, mail and files: a custom login route answering with
 * $apis.recordAuthResponse, an onRecordAuthRequest hook editing the auth response, the mail client
 * with an onMailerSend hook, and a record file uploaded from a hook with $filesystem.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type PocketBase from "pocketbase";
import type { TestServer } from "./harness.ts";
import { startJsServer, superuserClient } from "./support/jsvm.ts";

const MIGRATION = `migrate((app) => {
  app.save(new Collection({
    type: "base",
    name: "docs",
    listRule: "",
    viewRule: "",
    fields: [
      { type: "text", name: "name" },
      { type: "file", name: "attachment", maxSelect: 1, maxSize: 1000000 },
    ],
  }))
})`;

const HOOKS = `
routerAdd("POST", "/api/myapp/login", (e) => {
  const data = new DynamicModel({ email: "", password: "" })
  e.bindBody(data)
  let record
  try {
    record = $app.findAuthRecordByEmail("users", data.email)
  } catch (err) {
    throw new BadRequestError("Invalid credentials.")
  }
  if (!record.validatePassword(data.password)) {
    throw new BadRequestError("Invalid credentials.")
  }
  return $apis.recordAuthResponse(e, record, "password")
})

onRecordAuthRequest((e) => {
  e.meta = { via: e.authMethod || "refresh", custom: true }
  return e.next()
}, "users")

onMailerSend((e) => {
  $app.store().set("lastMail", e.message.subject + " -> " + e.message.to[0].address)
  // not calling e.next(): nothing is sent
})

routerAdd("POST", "/api/myapp/mail", (e) => {
  const message = new MailerMessage({
    from: { address: $app.settings().meta.senderAddress, name: $app.settings().meta.senderName },
    to: [{ address: "someone@example.com" }],
    subject: "Hello from a hook",
    html: "<p>hi</p>",
  })
  $app.newMailClient().send(message)
  return e.json(200, { last: $app.store().get("lastMail") })
})

routerAdd("POST", "/api/myapp/docs", (e) => {
  const file = $filesystem.fileFromBytes("report body", "report.txt")
  const record = new Record($app.findCollectionByNameOrId("docs"))
  record.set("name", "generated")
  record.set("attachment", file)
  $app.save(record)
  return e.json(200, { id: record.id, attachment: record.getString("attachment") })
})

routerAdd("POST", "/api/myapp/upload", (e) => {
  const files = e.findUploadedFiles("doc")
  const record = new Record($app.findCollectionByNameOrId("docs"))
  record.set("name", files[0].originalName)
  record.set("attachment", files[0])
  $app.save(record)
  return e.json(200, { id: record.id, original: files[0].originalName, size: files[0].size })
})
`;

let srv: TestServer;
let pb: PocketBase;

beforeAll(async () => {
  srv = await startJsServer({ hooks: { "auth.pb.js": HOOKS }, migrations: { "1700000000_docs.js": MIGRATION } });
  pb = await superuserClient(srv);
  await pb
    .collection("users")
    .create({ email: "bob@example.com", password: "1234567890", passwordConfirm: "1234567890" });
}, 30_000);

afterAll(async () => {
  await srv?.stop();
});

test("a custom login route answers with recordAuthResponse; onRecordAuthRequest edits the meta", async () => {
  const r = await fetch(srv.url + "/api/myapp/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "bob@example.com", password: "1234567890" }),
  });
  expect(r.status).toBe(200);
  const body = (await r.json()) as { token: string; record: { email: string }; meta: unknown };
  expect(body.record.email).toBe("bob@example.com");
  expect(body.meta).toEqual({ custom: true, via: "password" });
  // the token works with the SDK
  const client = srv.sdk();
  client.authStore.save(body.token, null);
  const refreshed = await client.collection("users").authRefresh();
  expect(refreshed.record.email).toBe("bob@example.com");
  expect(refreshed.meta).toEqual({ custom: true, via: "refresh" });

  const bad = await fetch(srv.url + "/api/myapp/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email: "bob@example.com", password: "nope" }),
  });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { message: string }).message).toBe("Invalid credentials.");
});

test("the mail client goes through onMailerSend (a hook inside a route)", async () => {
  const r = await fetch(srv.url + "/api/myapp/mail", { method: "POST" });
  expect(await r.json()).toEqual({ last: "Hello from a hook -> someone@example.com" });
});

test("files: fileFromBytes and an uploaded multipart file saved on records", async () => {
  let r = await fetch(srv.url + "/api/myapp/docs", { method: "POST" });
  const created = (await r.json()) as { id: string; attachment: string };
  expect(created.attachment).toMatch(/^report_\w+\.txt$/);
  const url = pb.files.getURL({ collectionId: "", collectionName: "docs", id: created.id }, created.attachment);
  expect(await (await fetch(url)).text()).toBe("report body");

  const form = new FormData();
  form.append("doc", new File(["uploaded content"], "notes.txt", { type: "text/plain" }));
  r = await fetch(srv.url + "/api/myapp/upload", { method: "POST", body: form });
  const up = (await r.json()) as { id: string; original: string; size: number };
  expect(up.original).toBe("notes.txt");
  expect(up.size).toBe(16);
  const rec = await pb.collection("docs").getOne(up.id);
  expect(await (await fetch(pb.files.getURL(rec, rec.attachment))).text()).toBe("uploaded content");
});
