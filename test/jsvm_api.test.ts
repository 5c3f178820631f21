/**
 * The breadth of the JS API, each answered by a route of a real pb_hooks file: $security,
 * $filepath, $os, toString/toBytes, DateTime, $template, the record query builder with
 * arrayOf(new Record), unmarshal, cookies, console, process, Buffer, and clear "not supported"
 * errors for what this server does not provide.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type PocketBase from "pocketbase";
import type { TestServer } from "./harness.ts";
import { POSTS_MIGRATION, startJsServer, superuserClient } from "./support/jsvm.ts";

const HOOKS = `
routerAdd("GET", "/security", (e) => {
  const token = $security.createJWT({ sub: "abc" }, "secret-key", 60)
  const claims = $security.parseJWT(token, "secret-key")
  const key = "0123456789abcdef0123456789abcdef"
  const enc = $security.encrypt("hello", key)
  let badJWT = ""
  try { $security.parseJWT(token, "other") } catch (err) { badJWT = "rejected" }
  return e.json(200, {
    md5: $security.md5("abc"),
    sha256: $security.sha256("abc"),
    hs256: $security.hs256("data", "key"),
    equal: [$security.equal("a", "a"), $security.equal("a", "b")],
    random: $security.randomString(12).length,
    alphabet: /^[ab]+$/.test($security.randomStringWithAlphabet(20, "ab")),
    byRegex: /^[a-c]{3}-\\d{2}$/.test($security.randomStringByRegex("[a-c]{3}-\\\\d{2}")),
    sub: claims.sub,
    badJWT,
    decrypted: $security.decrypt(enc, key),
  })
})

routerAdd("GET", "/filepath", (e) => e.json(200, {
  join: $filepath.join("a", "b/../c", "d.txt"),
  base: $filepath.base("/x/y/z.tar.gz"),
  dir: $filepath.dir("a"),
  ext: $filepath.ext("z.tar.gz"),
  split: $filepath.split("/x/y/z"),
  rel: $filepath.rel("/a/b", "/a/c/d"),
  match: [$filepath.match("*.js", "a.js"), $filepath.match("*.js", "a/b.js")],
  clean: $filepath.clean("//a/./b/../c/"),
}))

routerAdd("POST", "/os", (e) => {
  const dir = $os.tempDir() + "/pbjs-" + $security.randomString(6)
  $os.mkdirAll(dir + "/sub", 0o755)
  $os.writeFile(dir + "/sub/a.txt", "héllo", 0o644)
  const bytes = $os.readFile(dir + "/sub/a.txt")
  const info = $os.stat(dir + "/sub/a.txt")
  const entries = $os.readDir(dir).map((d) => d.name() + (d.isDir() ? "/" : ""))
  const walked = []
  $filepath.walk(dir, (path, fi, err) => { walked.push($filepath.rel(dir, path)) })
  let missing = ""
  try { $os.readFile(dir + "/nope") } catch (err) { missing = err.message }
  $os.removeAll(dir)
  let echo = ""
  try { echo = toString($os.cmd("echo", "from", "cmd").output()).trim() } catch (err) { echo = "no echo: " + err.message }
  return e.json(200, {
    text: toString(bytes),
    byteCount: bytes.length,
    size: info.size(),
    isDir: info.isDir(),
    entries,
    walked,
    missing: missing.includes("no such file or directory"),
    env: $os.getenv("PB_JS_TEST_ENV"),
    echo,
  })
})

routerAdd("GET", "/conversions", (e) => e.json(200, {
  str: toString(toBytes("héllo")),
  bytes: toBytes("hi"),
  num: toString(12),
  obj: toString({ b: 1, a: [1, 2] }),
  nul: toString(null),
  buffer: Buffer.from("hello").toString("base64"),
  hex: Buffer.from("6869", "hex").toString(),
  env: typeof process.env.PATH,
}))

routerAdd("GET", "/datetime", (e) => {
  const d = new DateTime("2024-01-02 03:04:05.678Z")
  const later = d.add(90 * 60 * 1e9)
  return e.json(200, {
    string: d.string(),
    unix: d.unix(),
    later: later.string(),
    plusDays: d.addDate(0, 1, 1).string(),
    before: d.before(later),
    equal: d.equal(new DateTime("2024-01-02T03:04:05.678Z")),
    zero: new DateTime("garbage").isZero(),
    tz: new DateTime("2024-01-02 10:00:00", "Europe/Berlin").string(),
    json: JSON.parse(JSON.stringify({ d })),
    nowType: typeof new DateTime().unix(),
  })
})

routerAdd("GET", "/template", (e) => {
  const html = $template.addFuncs({ upper: (s) => String(s).toUpperCase() }).loadString(
    '{{define "item"}}<li>{{.}}</li>{{end}}' +
    '<h1>{{.title}}</h1>{{if .items}}<ul>{{range $i, $x := .items}}{{template "item" $x}}{{end}}</ul>{{else}}none{{end}}' +
    '{{with .user}}<p>{{.name | upper}}</p>{{end}}<p>{{len .items}} {{printf "%05.1f" .score}} {{raw .safe}}</p>'
  ).render({ title: "<b>Hi</b>", items: ["a", "b&c"], user: { name: "ann" }, score: 3.14159, safe: "<i>ok</i>" })
  return e.html(200, html)
})

routerAdd("GET", "/template-funcs", (e) => {
  const t = $template.addFuncs({ upper: (s) => String(s).toUpperCase() })
  return e.string(200, t.loadFiles(__hooks + "/views/layout.html", __hooks + "/views/page.html").render({ name: "Bo" }))
})

routerAdd("GET", "/query", (e) => {
  const records = arrayOf(new Record)
  $app.recordQuery("posts").andWhere($dbx.hashExp({ views: 7 })).orderBy("title ASC").limit(10).all(records)
  const one = new Record
  $app.recordQuery("posts").where($dbx.exp("title = {:t}", { t: "q2" })).one(one)
  const titles = arrayOf(new DynamicModel({ title: "" }))
  $app.db().select("title").from("posts").where($dbx.in("title", "q1", "q2")).orderBy("title DESC").all(titles)
  const res = $app.db().newQuery("UPDATE posts SET views = views + 1 WHERE views = {:v}").bind({ v: 7 }).execute()
  return e.json(200, {
    records: records.map((r) => r.getString("title")),
    isRecord: records[0] instanceof Record,
    one: one.get("title"),
    oneCollection: one.collection().name,
    titles: titles.map((t) => t.title),
    affected: res.rowsAffected(),
    count: $app.countRecords("posts", $dbx.hashExp({ views: 8 })),
    all: $app.findAllRecords("posts", $dbx.like("title", "q")).length,
    byIds: $app.findRecordsByIds("posts", [one.id]).length,
    firstByData: $app.findFirstRecordByData("posts", "title", "q1").getString("title"),
  })
})

routerAdd("GET", "/collection", (e) => {
  const c = $app.findCollectionByNameOrId("posts")
  const fields = []
  for (const f of c.fields) fields.push(f.name + ":" + f.type())
  unmarshal({ listRule: "views > 0" }, c)
  const title = c.fields.getByName("title")
  return e.json(200, {
    name: c.name,
    isBase: c.isBase(),
    fields,
    fieldCount: c.fields.length,
    listRule: c.listRule,
    cachedRule: $app.findCachedCollectionByNameOrId("posts").listRule,
    titleRequired: title.required,
    titleClass: title instanceof TextField,
    indexes: c.indexes.length,
  })
})

routerAdd("GET", "/cookies", (e) => {
  e.setCookie(new Cookie({ name: "session", value: "xyz", path: "/", httpOnly: true, sameSite: 2, maxAge: 60 }))
  let incoming = ""
  try { incoming = e.request.cookie("color").value } catch (err) { incoming = "missing" }
  return e.json(200, { incoming, ua: e.request.userAgent(), q: e.request.url.query().get("x") })
})

routerAdd("GET", "/unsupported", (e) => {
  const msgs = []
  for (const fn of [
    () => $app.unsafeWithoutHooks(),
    () => $app.auxDB(),
    () => $os.openRoot("/tmp"),
    () => $app.rootCmd.addCommand({}),
  ]) {
    try { fn(); msgs.push("no error") } catch (err) { msgs.push(err.message) }
  }
  return e.json(200, { msgs })
})

routerAdd("GET", "/logger", (e) => {
  console.log("console from a hook", { a: 1 })
  $app.logger().with("k", "v").error("error from a hook", "n", 1)
  return e.noContent(204)
})
`;

let srv: TestServer;
let pb: PocketBase;

beforeAll(async () => {
  srv = await startJsServer(
    {
      hooks: {
        "api.pb.js": HOOKS,
        "views/layout.html": `<main>{{template "content" .}}</main>`,
        "views/page.html": `{{define "content"}}Hello {{.name | upper}}{{end}}`,
      },
      migrations: { "1700000000_posts.js": POSTS_MIGRATION },
    },
    { env: { PB_JS_TEST_ENV: "from-env" } },
  );
  pb = await superuserClient(srv);
  for (const [title, views] of [
    ["q1", 7],
    ["q2", 7],
    ["q3", 1],
  ] as const)
    await pb.collection("posts").create({ title, views });
}, 30_000);

afterAll(async () => {
  await srv?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = async (path: string, init?: RequestInit): Promise<any> => {
  const r = await fetch(srv.url + path, init);
  const text = await r.text();
  if (r.status >= 400) throw new Error(`${path}: ${r.status} ${text}\n${srv.output()}`);
  return text ? JSON.parse(text) : null;
};

test("$security", async () => {
  expect(await json("/security")).toEqual({
    md5: "900150983cd24fb0d6963f7d28e17f72",
    sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    hs256: "5031fe3d989c6d1537a013fa6e739da23463fdaec3b70137d828e36ace221bd0",
    equal: [true, false],
    random: 12,
    alphabet: true,
    byRegex: true,
    sub: "abc",
    badJWT: "rejected",
    decrypted: "hello",
  });
});

test("$filepath (Go semantics)", async () => {
  expect(await json("/filepath")).toEqual({
    join: "a/c/d.txt",
    base: "z.tar.gz",
    dir: ".",
    ext: ".gz",
    split: ["/x/y/", "z"],
    rel: "../c/d",
    match: [true, false],
    clean: "/a/c",
  });
});

test("$os files, walk, env and cmd", async () => {
  expect(await json("/os", { method: "POST" })).toEqual({
    text: "héllo",
    byteCount: 6,
    size: 6,
    isDir: false,
    entries: ["sub/"],
    walked: [".", "sub", "sub/a.txt"],
    missing: true,
    env: "from-env",
    echo: "from cmd",
  });
});

test("toString/toBytes, Buffer and process", async () => {
  expect(await json("/conversions")).toEqual({
    str: "héllo",
    bytes: "aGk=",
    num: "12",
    obj: '{"b":1,"a":[1,2]}',
    nul: "",
    buffer: "aGVsbG8=",
    hex: "hi",
    env: "string",
  });
});

test("DateTime", async () => {
  expect(await json("/datetime")).toEqual({
    string: "2024-01-02 03:04:05.678Z",
    unix: 1704164645,
    later: "2024-01-02 04:34:05.678Z",
    plusDays: "2024-02-03 03:04:05.678Z",
    before: true,
    equal: true,
    zero: true,
    tz: "2024-01-02 09:00:00.000Z",
    json: { d: "2024-01-02 03:04:05.678Z" },
    nowType: "number",
  });
});

test("$template: pipelines, range, define/template, escaping, raw, funcs, files", async () => {
  const r = await fetch(srv.url + "/template");
  expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(await r.text()).toBe(
    "<h1>&lt;b&gt;Hi&lt;/b&gt;</h1><ul><li>a</li><li>b&amp;c</li></ul><p>ANN</p><p>2 003.1 <i>ok</i></p>",
  );
  const r2 = await fetch(srv.url + "/template-funcs");
  expect(await r2.text()).toBe("<main>Hello BO</main>");
});

test("the record query builder, arrayOf(new Record), .one(new Record), raw queries", async () => {
  expect(await json("/query")).toEqual({
    records: ["q1", "q2"],
    isRecord: true,
    one: "q2",
    oneCollection: "posts",
    titles: ["q2", "q1"],
    affected: 2,
    count: 2,
    all: 3,
    byIds: 1,
    firstByData: "q1",
  });
});

test("collections: fields iteration, unmarshal on a copy, field classes", async () => {
  const c = await json("/collection");
  expect(c.name).toBe("posts");
  expect(c.isBase).toBe(true);
  expect(c.fields).toContain("title:text");
  expect(c.fieldCount).toBe(c.fields.length);
  expect(c.listRule).toBe("views > 0");
  expect(c.cachedRule).toBe(""); // findCollectionByNameOrId gives a copy
  expect(c.titleRequired).toBe(true);
  expect(c.titleClass).toBe(true);
  expect(c.indexes).toBe(0);
});

test("cookies and request helpers", async () => {
  const r = await fetch(srv.url + "/cookies?x=1", {
    headers: { Cookie: "color=blue; other=1", "User-Agent": "tester" },
  });
  expect(await r.json()).toEqual({ incoming: "blue", ua: "tester", q: "1" });
  expect(r.headers.get("set-cookie")).toBe("session=xyz; Path=/; Max-Age=60; HttpOnly; SameSite=Lax");
});

test("unsupported APIs fail with a clear message", async () => {
  const { msgs } = await json("/unsupported");
  expect(msgs).toHaveLength(4);
  for (const m of msgs) expect(m).toContain("not supported");
});

test("console prints from workers; $app.logger() writes to the app's logs", async () => {
  await fetch(srv.url + "/logger");
  await Bun.sleep(100);
  expect(srv.output()).toContain("console from a hook { a: 1 }");
  let items: { message: string; data: unknown; level: number }[] = [];
  for (let i = 0; i < 100 && items.length === 0; i++) {
    items = (await pb.logs.getList(1, 10, { filter: `message = "error from a hook"` })).items as never;
    if (!items.length) await Bun.sleep(100);
  }
  expect(items[0]!.level).toBe(8);
  expect(items[0]!.data).toEqual({ k: "v", n: 1 });
}, 20_000);
