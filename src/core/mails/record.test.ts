import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "../app.ts";
import { BoolField, NumberField, TextField } from "../fields/index.ts";
import { Record } from "../record.ts";
import { resolveEmailTemplate } from "./record.ts";

let dir: string;
let app: App;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pb-mails-"));
  app = new App({ dataDir: dir });
  await app.bootstrap();
});
afterAll(async () => {
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

test("placeholders: app meta, visible record fields (escaped unless bool/number/date), given values, one pass", () => {
  const users = app.findCollection("users")!; // an in-memory change only
  users.fields.add(
    new NumberField({ name: "age" }),
    new BoolField({ name: "vip" }),
    new TextField({ name: "secret", hidden: true }),
  );
  const r = new Record(users);
  r.load({ id: "abc", email: "ann@example.com", name: `Ann "<b>{TOKEN}</b>"`, age: 42, vip: true, secret: "s3" });
  const { subject, body } = resolveEmailTemplate(
    app,
    r,
    {
      subject: "{APP_NAME}: hi {RECORD:name}",
      body: "<p>{APP_URL} {TOKEN} {RECORD:id} {RECORD:age} {RECORD:vip} {RECORD:secret} {RECORD:tokenKey} {RECORD:password} {UNKNOWN}</p>",
    },
    { "{TOKEN}": "T0K" },
  );
  expect(subject).toBe("Acme: hi Ann &#34;&lt;b&gt;{TOKEN}&lt;/b&gt;&#34;");
  expect(body).toContain(
    "<p>http://localhost:8090 T0K abc 42 true {RECORD:secret} {RECORD:tokenKey} {RECORD:password} {UNKNOWN}</p>",
  );
  expect(body.trimStart().startsWith("<!DOCTYPE html")).toBe(true);
});
