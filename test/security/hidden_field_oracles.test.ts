/**
 * Attack class: hidden-data oracles through the record API. A guest or a non-owner user tries to
 * learn hidden fields, password hashes, tokenKeys, private emails and rows of collections whose
 * rules forbid them, through `filter` (direct, relation, back-relation, @collection), `sort`,
 * `fields`, `expand`, view by id and @request.* tricks.
 *
 * Expected behaviour is upstream's: apis/record_crud.go (recordsList/recordView, the
 * checkForSuperuserOnlyRuleFields 403 in apis/record_helpers.go), core/record_field_resolver*.go
 * (hidden fields are "non-filterable" for clients → 400; joins into a null-listRule collection are
 * refused; joined collections' list rules apply; `email` only matches when emailVisibility is
 * true), tools/search/sort.go (an unresolvable sort field is an error → 400).
 *
 * The assertion that matters for every probe: a right guess and a wrong guess get the same answer.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { App } from "../../src/core/app.ts";
import { newAuthCollection, newBaseCollection } from "../../src/core/collection.ts";
import { saveCollection } from "../../src/core/collection_save.ts";
import { RelationField, TextField } from "../../src/core/fields/index.ts";
import { createSuperuser } from "../../src/core/superusers.ts";
import { type TestServer, testAppConfig } from "../harness.ts";
import { caller, login, PASSWORD, recordAdder, type Res, startBuilt } from "./support.ts";

const ALICE_EMAIL = "alice.private@example.com";
const BOB_EMAIL = "bob.private@example.com";
const CAROL_EMAIL = "carol.public@example.com";
const POST_SECRET = "post-hidden-RIGHT-guess";
const USER_SECRET = "alice-secret-note-RIGHT";
const VAULT_VALUE = "vault-value-RIGHT";
const ALICE_DIARY = "alice diary RIGHT";

let srv: TestServer;
const ids: { [k: string]: string } = {};
/** Values no guest or non-owner may ever receive (hashes and tokenKeys are filled in at setup). */
const secrets: string[] = [POST_SECRET, USER_SECRET, VAULT_VALUE, ALICE_DIARY, ALICE_EMAIL, BOB_EMAIL];
let aliceHash = "";
let aliceTokenKey = "";
const tokens: { [k: string]: string } = {};
/** Every body answered to a caller without rights over the secrets (swept by the last test). */
const unprivilegedBodies: { who: Who; text: string }[] = [];

async function buildSchema(dataDir: string) {
  const app = new App(await testAppConfig({ dataDir }));
  await app.bootstrap();

  const staff = newAuthCollection("staff");
  await saveCollection(app, staff);

  const users = app.findCollection("users")!;
  users.fields.add(new TextField({ name: "nickname" }), new TextField({ name: "secretNote", hidden: true }));
  users.listRule = users.viewRule = "";
  users.manageRule = "@request.auth.collectionName = 'staff'";
  await saveCollection(app, users);

  const secretsC = newBaseCollection("secrets"); // every rule null: superusers only
  secretsC.fields.add(
    new TextField({ name: "value" }),
    new RelationField({ name: "owner", collectionId: users.id, maxSelect: 1 }),
  );
  await saveCollection(app, secretsC);

  const notes = newBaseCollection("notes");
  notes.fields.add(
    new TextField({ name: "text" }),
    new RelationField({ name: "owner", collectionId: users.id, maxSelect: 1 }),
  );
  notes.listRule = notes.viewRule = "owner = @request.auth.id";
  await saveCollection(app, notes);

  const posts = newBaseCollection("posts");
  posts.fields.add(
    new TextField({ name: "title" }),
    new TextField({ name: "secret", hidden: true }),
    new RelationField({ name: "author", collectionId: users.id, maxSelect: 1 }),
    new RelationField({ name: "note", collectionId: notes.id, maxSelect: 1 }),
    new RelationField({ name: "vault", collectionId: secretsC.id, maxSelect: 1 }),
  );
  posts.listRule = posts.viewRule = "";
  await saveCollection(app, posts);

  const add = recordAdder(app);
  const alice = await add("users", { email: ALICE_EMAIL, nickname: "alice", secretNote: USER_SECRET }, PASSWORD);
  const bob = await add("users", { email: BOB_EMAIL, nickname: "bob", secretNote: "bob-note" }, PASSWORD);
  const carol = await add("users", { email: CAROL_EMAIL, emailVisibility: true, nickname: "carol" }, PASSWORD);
  await add("staff", { email: "sam@example.com" }, PASSWORD);
  aliceHash = alice.getString("password");
  aliceTokenKey = alice.tokenKey();
  expect(aliceHash.startsWith("$2a$10$")).toBe(true);
  expect(aliceTokenKey.length).toBeGreaterThan(20);
  secrets.push(
    aliceHash,
    aliceTokenKey,
    bob.getString("password"),
    bob.tokenKey(),
    carol.getString("password"),
    carol.tokenKey(),
  );

  const vault = await add("secrets", { value: VAULT_VALUE, owner: alice.id });
  const aliceNote = await add("notes", { text: ALICE_DIARY, owner: alice.id });
  const bobNote = await add("notes", { text: "bob's own note", owner: bob.id });
  const post = await add("posts", {
    title: "by alice",
    secret: POST_SECRET,
    author: alice.id,
    note: aliceNote.id,
    vault: vault.id,
  });
  const carolPost = await add("posts", { title: "by carol", secret: "carol-post-secret", author: carol.id });
  Object.assign(ids, {
    carolPost: carolPost.id,
    alice: alice.id,
    bob: bob.id,
    carol: carol.id,
    vault: vault.id,
    aliceNote: aliceNote.id,
    bobNote: bobNote.id,
    post: post.id,
  });

  await createSuperuser(app, "root@example.com", PASSWORD);
  await app.terminate();
}

beforeAll(async () => {
  srv = await startBuilt(buildSchema);
  tokens.alice = await login(srv.url, "users", ALICE_EMAIL);
  tokens.bob = await login(srv.url, "users", BOB_EMAIL);
  tokens.sam = await login(srv.url, "staff", "sam@example.com");
  tokens.su = await login(srv.url, "_superusers", "root@example.com");
}, 30_000);
afterAll(() => srv?.stop());

type Who = "guest" | "bob" | "alice" | "sam" | "su";
const call = caller(() => srv);

/** GET `path` with `query` as `who`; bodies seen by guests and bob are kept for the final sweep. */
async function get(
  who: Who,
  path: string,
  query: { [k: string]: string } = {},
  headers: { [k: string]: string } = {},
): Promise<Res> {
  const qs = new URLSearchParams(query).toString();
  const r = await call("GET", `${path}${qs ? "?" + qs : ""}`, who === "guest" ? "" : tokens[who], undefined, headers);
  if (who === "guest" || who === "bob") unprivilegedBodies.push({ who, text: r.text });
  return r;
}

const list = (
  who: Who,
  collection: string,
  query: { [k: string]: string } = {},
  headers: { [k: string]: string } = {},
) => get(who, `/api/collections/${collection}/records`, query, headers);

/** The oracle check: the right guess and the wrong guess are answered identically. */
async function expectSameAnswer(
  who: Who,
  collection: string,
  right: { [k: string]: string },
  wrong: { [k: string]: string },
): Promise<Res> {
  const a = await list(who, collection, right);
  const b = await list(who, collection, wrong);
  expect(a.status).toBe(b.status);
  expect(a.json).toEqual(b.json);
  return a;
}

const GENERIC_400 = { status: 400, message: "Something went wrong while processing your request.", data: {} };

test("filtering by a hidden field answers a right and a wrong guess identically (400)", async () => {
  // control: for a superuser the same probes do discriminate, so they are real oracles
  expect((await list("su", "posts", { filter: `secret = '${POST_SECRET}'` })).json.totalItems).toBe(1);
  expect((await list("su", "posts", { filter: "secret = 'nope'" })).json.totalItems).toBe(0);
  expect((await list("su", "users", { filter: `secretNote = '${USER_SECRET}'` })).json.totalItems).toBe(1);

  for (const who of ["guest", "bob"] as const) {
    const probes: [string, { [k: string]: string }, { [k: string]: string }][] = [
      ["posts", { filter: `secret = '${POST_SECRET}'` }, { filter: "secret = 'nope'" }],
      ["posts", { filter: "secret ~ 'RIGHT'" }, { filter: "secret ~ 'zzzz'" }],
      [
        "posts",
        { filter: `title = 'by alice' && secret = '${POST_SECRET}'` },
        { filter: "title = 'by alice' && secret = 'nope'" },
      ],
      [
        "posts",
        { filter: `title = 'by alice' || secret = '${POST_SECRET}'` },
        { filter: "title = 'by alice' || secret = 'nope'" },
      ],
      ["users", { filter: `secretNote = '${USER_SECRET}'` }, { filter: "secretNote = 'nope'" }],
      ["users", { filter: "secretNote:lower ~ 'right'" }, { filter: "secretNote:lower ~ 'zzzz'" }],
    ];
    for (const [collection, right, wrong] of probes) {
      const r = await expectSameAnswer(who, collection, right, wrong);
      expect(r.json).toEqual(GENERIC_400);
    }
  }
});

test("an auth record's password hash and tokenKey cannot be probed with a filter", async () => {
  expect((await list("su", "users", { filter: `tokenKey = '${aliceTokenKey}'` })).json.totalItems).toBe(1);
  for (const who of ["guest", "bob"] as const) {
    const probes: [{ [k: string]: string }, { [k: string]: string }][] = [
      [{ filter: "password ~ '$2a$10$'" }, { filter: "password ~ 'zzzz'" }],
      [{ filter: `password = '${aliceHash}'` }, { filter: "password = 'nope'" }],
      [{ filter: "password:length > 10" }, { filter: "password:length > 1000" }],
      [{ filter: `tokenKey = '${aliceTokenKey}'` }, { filter: "tokenKey = 'nope'" }],
      [{ filter: `tokenKey ~ '${aliceTokenKey.slice(0, 3)}'` }, { filter: "tokenKey ~ '!!!'" }],
    ];
    for (const [right, wrong] of probes)
      expect((await expectSameAnswer(who, "users", right, wrong)).json).toEqual(GENERIC_400);
  }
});

test("a relation's password, tokenKey and hidden fields cannot be probed through another collection", async () => {
  expect((await list("su", "posts", { filter: `author.tokenKey = '${aliceTokenKey}'` })).json.totalItems).toBe(1);
  for (const who of ["guest", "bob"] as const) {
    const probes: [{ [k: string]: string }, { [k: string]: string }][] = [
      [{ filter: "author.password ~ '$2a$10$'" }, { filter: "author.password ~ 'zzzz'" }],
      [{ filter: "author.password ?~ '$2a'" }, { filter: "author.password ?~ 'zzzz'" }],
      [{ filter: `author.tokenKey = '${aliceTokenKey}'` }, { filter: "author.tokenKey = 'nope'" }],
      [{ filter: `author.secretNote = '${USER_SECRET}'` }, { filter: "author.secretNote = 'nope'" }],
      [{ filter: `vault.value = '${VAULT_VALUE}'` }, { filter: "vault.value = 'nope'" }],
    ];
    for (const [right, wrong] of probes) {
      const r = await expectSameAnswer(who, "posts", right, wrong);
      expect(r.status).toBe(400);
      expect(r.json.status).toBe(400);
    }
  }
});

test("a back-relation reaches neither hidden fields nor rows the joined collection's rules hide", async () => {
  // owner-only notes: alice finds herself through her own note, superusers find her too…
  expect(
    (await list("alice", "users", { filter: `notes_via_owner.text = '${ALICE_DIARY}'` })).json.items.map(
      (u: any) => u.id,
    ),
  ).toEqual([ids.alice]);
  expect((await list("su", "users", { filter: `notes_via_owner.text = '${ALICE_DIARY}'` })).json.totalItems).toBe(1);
  // …but bob and guests get the same empty page for the right and the wrong text
  for (const who of ["guest", "bob"] as const) {
    const r = await expectSameAnswer(
      who,
      "users",
      { filter: `notes_via_owner.text = '${ALICE_DIARY}'` },
      { filter: "notes_via_owner.text = 'nope'" },
    );
    expect(r.status).toBe(200);
    expect(r.json.totalItems).toBe(0);
    expect(r.json.items).toEqual([]);
    // a hidden field of the back-related collection, and a collection without a list rule at all
    const hidden = await expectSameAnswer(
      who,
      "users",
      { filter: `posts_via_author.secret = '${POST_SECRET}'` },
      { filter: "posts_via_author.secret = 'nope'" },
    );
    expect(hidden.json).toEqual(GENERIC_400);
    const locked = await expectSameAnswer(
      who,
      "users",
      { filter: `secrets_via_owner.value = '${VAULT_VALUE}'` },
      { filter: "secrets_via_owner.value = 'nope'" },
    );
    expect(locked.json).toEqual(GENERIC_400);
  }
});

test("@collection and @request in a client filter or sort are refused the same whatever the guess", async () => {
  for (const who of ["guest", "bob"] as const) {
    const coll = await expectSameAnswer(
      who,
      "posts",
      { filter: `@collection.secrets.value = '${VAULT_VALUE}'` },
      { filter: "@collection.secrets.value = 'nope'" },
    );
    expect(coll.json).toEqual({ status: 403, message: "Only superusers can filter by @collection.", data: {} });
    const sort = await expectSameAnswer(
      who,
      "posts",
      { sort: "@collection.secrets.value" },
      { sort: "-@collection.secrets.value" },
    );
    expect(sort.status).toBe(403);
    const req = await expectSameAnswer(
      who,
      "notes",
      { filter: `@request.auth.id = '${ids.alice}'` },
      { filter: "@request.auth.id = 'nope'" },
    );
    expect(req.json).toEqual({ status: 403, message: "Only superusers can filter by @request.", data: {} });
    // other spellings slip past the 403 text check but still resolve to nothing usable
    for (const spelling of ["@COLLECTION.secrets.value", "@Collection.secrets.value", "@collection .secrets.value"]) {
      const r = await expectSameAnswer(
        who,
        "posts",
        { filter: `${spelling} = '${VAULT_VALUE}'` },
        { filter: `${spelling} = 'nope'` },
      );
      expect(r.status).toBe(400);
    }
  }
  // percent-encoding is decoded before the check
  const enc = await fetch(
    `${srv.url}/api/collections/posts/records?filter=%40collection%2Esecrets%2Evalue%3D%27${VAULT_VALUE}%27`,
  );
  expect(enc.status).toBe(403);
});

test("a private email cannot be confirmed by a filter, directly or through a relation", async () => {
  // control: public emails and superusers do match, so these probes would discriminate if allowed
  expect(
    (await list("guest", "users", { filter: `email = '${CAROL_EMAIL}'` })).json.items.map((u: any) => u.id),
  ).toEqual([ids.carol]);
  expect((await list("su", "users", { filter: `email = '${ALICE_EMAIL}'` })).json.totalItems).toBe(1);
  expect((await list("su", "posts", { filter: `author.email = '${ALICE_EMAIL}'` })).json.totalItems).toBe(1);

  for (const who of ["guest", "bob"] as const) {
    const probes: [string, { [k: string]: string }, { [k: string]: string }][] = [
      ["users", { filter: `email = '${ALICE_EMAIL}'` }, { filter: "email = 'wrong@example.com'" }],
      ["users", { filter: "email ~ 'alice.private'" }, { filter: "email ~ 'zzzz'" }],
      ["users", { filter: `email:lower = '${ALICE_EMAIL}'` }, { filter: "email:lower = 'wrong@example.com'" }],
      ["users", { filter: `email != '${ALICE_EMAIL}'` }, { filter: "email != 'wrong@example.com'" }],
      [
        "users",
        { filter: `id = '${ids.alice}' && email ~ 'alice'` },
        { filter: `id = '${ids.alice}' && email ~ 'zzzz'` },
      ],
      ["posts", { filter: `author.email = '${ALICE_EMAIL}'` }, { filter: "author.email = 'wrong@example.com'" }],
      ["posts", { filter: "author.email ?~ 'alice'" }, { filter: "author.email ?~ 'zzzz'" }],
    ];
    for (const [collection, right, wrong] of probes) {
      const r = await expectSameAnswer(who, collection, right, wrong);
      expect(r.status).toBe(200);
      // only carol (public) may ever match an email condition
      for (const item of r.json.items) expect([ids.carol, ids.carolPost]).toContain(item.id);
    }
  }
});

test("sorting by a hidden field or a relation's hidden field is refused, not applied", async () => {
  const ok = await list("su", "posts", { sort: "-secret" });
  expect(ok.status).toBe(200);
  expect(ok.json.items.map((p: any) => p.secret)).toEqual([POST_SECRET, "carol-post-secret"]);
  for (const who of ["guest", "bob"] as const) {
    for (const [collection, field] of [
      ["posts", "secret"],
      ["posts", "author.password"],
      ["posts", "author.tokenKey"],
      ["posts", "author.secretNote"],
      ["posts", "vault.value"],
      ["users", "password"],
      ["users", "tokenKey"],
      ["users", "secretNote"],
      ["users", "posts_via_author.secret"],
    ] as const) {
      const r = await expectSameAnswer(who, collection, { sort: field }, { sort: `-${field}` });
      expect(r.json).toEqual(GENERIC_400);
    }
  }
});

test("`fields` cannot pick password, tokenKey, hidden fields or private emails", async () => {
  const pick = "id,password,tokenKey,email,secretNote,passwordConfirm";
  for (const who of ["guest", "bob"] as const) {
    const r = await list(who, "users", { fields: pick, sort: "nickname" });
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(r.json.items.map((u: any) => [u.id, u]));
    expect(byId[ids.alice]).toEqual({ id: ids.alice });
    expect(byId[ids.carol]).toEqual({ id: ids.carol, email: CAROL_EMAIL });
    if (who === "guest") expect(byId[ids.bob]).toEqual({ id: ids.bob });
    const one = await get(who, `/api/collections/users/records/${ids.alice}`, { fields: `*,${pick}` });
    expect(one.status).toBe(200);
    expect(Object.keys(one.json).sort()).toEqual([
      "avatar",
      "collectionId",
      "collectionName",
      "created",
      "emailVisibility",
      "id",
      "name",
      "nickname",
      "updated",
      "verified",
    ]);
    const posts = await list(who, "posts", {
      expand: "author",
      fields: "id,secret,expand.author.password,expand.author.tokenKey,expand.author.email,expand.author.secretNote",
    });
    expect(posts.status).toBe(200);
    const alicePost = posts.json.items.find((p: any) => p.id === ids.post);
    expect(alicePost).toEqual({ id: ids.post, expand: { author: {} } });
  }
});

test("expanding into a record the caller may not view returns no expand", async () => {
  for (const who of ["guest", "bob", "alice"] as const) {
    const r = await get(who, `/api/collections/posts/records/${ids.post}`, { expand: "vault" });
    expect(r.status).toBe(200);
    expect(r.json.expand).toBeUndefined();
    expect(r.json.vault).toBe(ids.vault); // the id itself is a plain field of posts
  }
  for (const who of ["guest", "bob"] as const) {
    const r = await get(who, `/api/collections/posts/records/${ids.post}`, { expand: "note,author.notes_via_owner" });
    expect(r.status).toBe(200);
    expect(r.json.expand?.note).toBeUndefined();
    expect(r.json.expand.author.id).toBe(ids.alice);
    expect(r.json.expand.author.email).toBeUndefined();
    // upstream initialises an empty expand on the author; alice's note must not be in it
    expect(r.json.expand.author.expand ?? {}).toEqual({});
  }
  // the owner does get her note: the guard is the rule, not a blanket refusal
  const mine = await get("alice", `/api/collections/posts/records/${ids.post}`, {
    expand: "note,author.notes_via_owner",
  });
  expect(mine.json.expand.note.text).toBe(ALICE_DIARY);
  expect(mine.json.expand.author.expand.notes_via_owner.map((n: any) => n.id)).toEqual([ids.aliceNote]);
  expect(mine.json.expand.author.email).toBe(ALICE_EMAIL);
});

test("viewing a forbidden record answers an existing and a made-up id identically", async () => {
  const fake = "abcdefghijklmno";
  for (const who of ["guest", "bob"] as const) {
    const a = await get(who, `/api/collections/secrets/records/${ids.vault}`);
    const b = await get(who, `/api/collections/secrets/records/${fake}`);
    expect(a.json).toEqual({ status: 403, message: "Only superusers can perform this action.", data: {} });
    expect(b.json).toEqual(a.json);
    const c = await get(who, `/api/collections/notes/records/${ids.aliceNote}`);
    const d = await get(who, `/api/collections/notes/records/${fake}`);
    expect(c.json).toEqual({ status: 404, message: "The requested resource wasn't found.", data: {} });
    expect(d.json).toEqual(c.json);
    // the list endpoint of the locked collection as well
    expect((await list(who, "secrets")).json).toEqual(a.json);
    expect((await list(who, "secrets", { filter: `value = '${VAULT_VALUE}'` })).json).toEqual(a.json);
  }
  expect((await get("alice", `/api/collections/notes/records/${ids.aliceNote}`)).json.text).toBe(ALICE_DIARY);
});

test("an owner-only list counts only the caller's rows whatever the filter guesses", async () => {
  const own = await list("bob", "notes", { perPage: "1" });
  expect(own.status).toBe(200);
  expect(own.json.totalItems).toBe(1);
  expect(own.json.totalPages).toBe(1);
  expect(own.json.items.map((n: any) => n.id)).toEqual([ids.bobNote]);
  const probes: [{ [k: string]: string }, { [k: string]: string }][] = [
    [{ filter: `text = '${ALICE_DIARY}'` }, { filter: "text = 'nope'" }],
    [{ filter: `owner = '${ids.alice}'` }, { filter: "owner = 'abcdefghijklmno'" }],
    [{ filter: `owner.email = '${ALICE_EMAIL}'` }, { filter: "owner.email = 'wrong@example.com'" }],
  ];
  for (const [right, wrong] of probes) {
    const r = await expectSameAnswer("bob", "notes", right, wrong);
    expect(r.json.totalItems).toBe(0);
  }
  const guest = await list("guest", "notes");
  expect(guest.status).toBe(200);
  expect(guest.json.totalItems).toBe(0);
  expect((await list("alice", "notes")).json.totalItems).toBe(1);
  expect((await list("su", "notes")).json.totalItems).toBe(2);
}, 15_000);

test("@request tricks in the query, headers or cookies do not stand in for auth", async () => {
  // the SDK's pb_auth cookie, a ?token= query and lookalike headers carrying alice's token are ignored
  const cookie = `pb_auth=${encodeURIComponent(JSON.stringify({ token: tokens.alice, record: { id: ids.alice } }))}`;
  const tries: [{ [k: string]: string }, { [k: string]: string }][] = [
    [{}, { Cookie: cookie }],
    [{ token: tokens.alice! }, {}],
    [{ "@request.auth.id": ids.alice!, "auth.id": ids.alice! }, {}],
    [{}, { "X-Authorization": tokens.alice!, "X-Auth-Id": ids.alice!, "Proxy-Authorization": tokens.alice! }],
  ];
  for (const [query, headers] of tries) {
    const r = await list("guest", "notes", query, headers);
    expect(r.status).toBe(200);
    expect(r.json.totalItems).toBe(0);
    const v = await get("guest", `/api/collections/notes/records/${ids.aliceNote}`, query, headers);
    expect(v.status).toBe(404);
  }
  // @request.* in a client sort or filter is a superuser-only feature, also in its `query`/`headers` forms
  for (const q of [
    { filter: "@request.query.x = 'y'" },
    { sort: "@request.headers.host" },
    { filter: "@request.auth.email != ''" },
  ] as { [k: string]: string }[]) {
    const r = await list("bob", "users", q);
    expect(r.status).toBe(403);
    expect(r.json.message).toBe("Only superusers can filter by @request.");
  }
});

test("the owner and a manageRule manager do see private emails; others don't", async () => {
  const self = await get("alice", `/api/collections/users/records/${ids.alice}`);
  expect(self.json.email).toBe(ALICE_EMAIL);
  const managed = await list("sam", "users", { sort: "nickname" });
  expect(managed.json.items.map((u: any) => u.email)).toEqual([ALICE_EMAIL, BOB_EMAIL, CAROL_EMAIL]);
  const managedOne = await get("sam", `/api/collections/users/records/${ids.bob}`);
  expect(managedOne.json.email).toBe(BOB_EMAIL);
  // hidden fields stay hidden even for managers and owners
  expect(managed.text).not.toContain(USER_SECRET);
  expect(self.json.secretNote).toBeUndefined();
  expect(self.json.password).toBeUndefined();
  expect(self.json.tokenKey).toBeUndefined();
  for (const who of ["guest", "bob"] as const) {
    const r = await list(who, "users", { sort: "nickname" });
    expect(r.json.items.map((u: any) => u.email)).toEqual([
      undefined,
      who === "bob" ? BOB_EMAIL : undefined,
      CAROL_EMAIL,
    ]);
  }
});

test("no answer given to a guest or a non-owner ever carried a secret", async () => {
  // a last broad read of everything reachable, so the sweep also stands alone
  for (const who of ["guest", "bob"] as const) {
    await list(who, "users", { fields: "*" });
    await list(who, "posts", { expand: "author,note,vault,author.notes_via_owner,author.posts_via_author" });
    await list(who, "notes", { expand: "owner" });
    await get(who, `/api/collections/users/records/${ids.alice}`, { expand: "notes_via_owner,posts_via_author" });
  }
  expect(unprivilegedBodies.length).toBeGreaterThan(7);
  for (const { who, text } of unprivilegedBodies) {
    for (const s of secrets) {
      if (who === "bob" && s === BOB_EMAIL) continue; // his own email is his to see
      expect(text.includes(s) ? `${who} got ${s} in ${text.slice(0, 300)}` : "").toBe("");
    }
  }
  const health = await fetch(`${srv.url}/api/health`);
  expect(health.status).toBe(200);
});
