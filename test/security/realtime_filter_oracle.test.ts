/**
 * Attack class: realtime subscription filters as an oracle. A subscriber sets
 * `options.query.filter` and learns, from whether an event arrives, what the filter matched.
 * Upstream (apis/realtime.go realtimeCanAccessRecord) resolves that filter as a client filter for
 * everyone, superusers included: hidden fields refused, emails only under emailVisibility, and
 * every join into another collection limited by that collection's list rule
 * (core/record_field_resolver.go registerJoin / updateQueryWithCollectionListRule).
 *
 * Each probe pair is a right guess and a wrong guess about a secret; after a write, the right
 * guess must never receive an event that the wrong one does not.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import PocketBase from "pocketbase";
import type { TestServer } from "../harness.ts";
import { startWithSuperuser } from "./support.ts";

let srv: TestServer;
let su: PocketBase;
let postId = "";
let annToken = "";
let bobToken = "";
const HIDDEN_CODE = "k7-right-hidden";
const SECRET_VALUE = "s3-right-secret";
const OWNED_NOTE = "n9-right-owned";
const ANN_EMAIL = "ann@example.com";

beforeAll(async () => {
  ({ srv, su } = await startWithSuperuser());

  const users = await su.collections.getOne("users");
  await su.collections.update("users", {
    listRule: "",
    viewRule: "",
    fields: [...users.fields, { name: "secretNote", type: "text", hidden: true }],
  });
  const posts = await su.collections.create({
    name: "posts",
    type: "base",
    listRule: "",
    viewRule: "",
    fields: [
      { name: "title", type: "text" },
      { name: "hiddenCode", type: "text", hidden: true },
      { name: "author", type: "relation", collectionId: users.id, maxSelect: 1 },
    ],
  });
  // superuser-only: every rule null
  await su.collections.create({
    name: "secrets",
    type: "base",
    fields: [
      { name: "value", type: "text" },
      { name: "post", type: "relation", collectionId: posts.id, maxSelect: 1 },
    ],
  });
  // owner-only
  await su.collections.create({
    name: "owned",
    type: "base",
    listRule: "owner = @request.auth.id",
    viewRule: "owner = @request.auth.id",
    fields: [
      { name: "note", type: "text" },
      { name: "owner", type: "relation", collectionId: users.id, maxSelect: 1 },
      { name: "post", type: "relation", collectionId: posts.id, maxSelect: 1 },
    ],
  });

  const pass = { password: "1234567890", passwordConfirm: "1234567890" };
  const ann = await su
    .collection("users")
    .create({ email: ANN_EMAIL, emailVisibility: false, secretNote: "ann-note", ...pass });
  await su.collection("users").create({ email: "bob@example.com", emailVisibility: false, ...pass });
  const post = await su.collection("posts").create({ title: "hello", hiddenCode: HIDDEN_CODE, author: ann.id });
  postId = post.id;
  await su.collection("secrets").create({ value: SECRET_VALUE, post: post.id });
  await su.collection("owned").create({ note: OWNED_NOTE, owner: ann.id, post: post.id });
  annToken = (await srv.sdk().collection("users").authWithPassword(ANN_EMAIL, "1234567890")).token;
  bobToken = (await srv.sdk().collection("users").authWithPassword("bob@example.com", "1234567890")).token;
});
afterAll(() => srv?.stop());

/** [name, right guess, wrong guess] */
const PROBES: [string, string, string][] = [
  ["hidden field directly", `hiddenCode = '${HIDDEN_CODE}'`, `hiddenCode = 'wrong'`],
  ["password hash through a relation", `author.password ~ '$2a$10$'`, `author.password ~ 'zz$zz'`],
  ["tokenKey through a relation", `author.tokenKey != ''`, `author.tokenKey = ''`],
  ["private email through a relation", `author.email = '${ANN_EMAIL}'`, `author.email = 'wrong@example.com'`],
  ["hidden auth field through a relation", `author.secretNote = 'ann-note'`, `author.secretNote = 'wrong'`],
  [
    "superuser-only collection through a back-relation",
    `secrets_via_post.value = '${SECRET_VALUE}'`,
    `secrets_via_post.value = 'wrong'`,
  ],
  [
    "superuser-only collection through @collection",
    `@collection.secrets.value = '${SECRET_VALUE}'`,
    `@collection.secrets.value = 'wrong'`,
  ],
  [
    "owner-only collection through a back-relation",
    `owned_via_post.note = '${OWNED_NOTE}'`,
    `owned_via_post.note = 'wrong'`,
  ],
  [
    "owner-only collection through @collection",
    `@collection.owned.note = '${OWNED_NOTE}'`,
    `@collection.owned.note = 'wrong'`,
  ],
];

const waitFor = async (cond: () => boolean, ms = 3000) => {
  const until = Date.now() + ms;
  while (!cond() && Date.now() < until) await Bun.sleep(20);
};

/**
 * Subscribes `client` to posts/* once per filter, updates the post as superuser and returns how
 * many events each filter's subscription received (a control subscription without filter tells
 * when delivery is done).
 */
async function eventsPerFilter(client: PocketBase, filters: string[]): Promise<number[]> {
  const counts = filters.map(() => 0);
  let control = 0;
  const unsubs = [await client.collection("posts").subscribe("*", () => control++)];
  for (const [i, filter] of filters.entries()) {
    unsubs.push(await client.collection("posts").subscribe("*", () => counts[i]!++, { filter }));
  }
  await su.collection("posts").update(postId, { title: "hello " + Date.now() });
  await waitFor(() => control >= 1);
  await Bun.sleep(150);
  for (const u of unsubs) await u();
  client.realtime.unsubscribe();
  expect(control).toBe(1);
  return counts;
}

function asUser(token: string): PocketBase {
  const pb = srv.sdk();
  pb.authStore.save(token, null);
  return pb;
}

describe("a subscription filter is no oracle", () => {
  for (const who of ["guest", "another user"] as const) {
    for (const [name, right, wrong] of PROBES) {
      test(`${who}: ${name} (${right})`, async () => {
        const client = who === "guest" ? srv.sdk() : asUser(bobToken);
        const [r, w] = await eventsPerFilter(client, [right, wrong]);
        expect({ right: r, wrong: w }).toEqual({ right: 0, wrong: 0 });
      });
    }
  }
});

test("a filter on visible fields still filters events", async () => {
  const counts = await eventsPerFilter(srv.sdk(), ["title ~ 'hello'", "title = 'nothing like it'", `author.id != ''`]);
  expect(counts).toEqual([1, 0, 1]);
});

test("the owner reaches an owner-only collection through a back-relation (the list rule holds for them)", async () => {
  const counts = await eventsPerFilter(asUser(annToken), [
    `owned_via_post.note = '${OWNED_NOTE}'`,
    `owned_via_post.note = 'wrong'`,
    `@collection.owned.note = '${OWNED_NOTE}'`,
    `@collection.owned.note = 'wrong'`,
  ]);
  // @collection.* stays superuser-only in client filters (upstream's checkForSuperuserOnlyRuleFields)
  expect(counts).toEqual([1, 0, 0, 0]);
});

test("a superuser's subscription filter filters too, as a client filter", async () => {
  const counts = await eventsPerFilter(su, [
    "title = 'nothing like it'",
    "title ~ 'hello'",
    `hiddenCode = '${HIDDEN_CODE}'`,
  ]);
  // upstream resolves the subscription filter without hidden fields even for superusers
  expect(counts).toEqual([0, 1, 0]);
});

test("the same probes on the list API reveal nothing either", async () => {
  const guest = srv.sdk();
  for (const [, right, wrong] of PROBES) {
    const a = await guest
      .collection("posts")
      .getList(1, 10, { filter: right })
      .then(
        (r) => r.totalItems,
        (e) => e.status,
      );
    const b = await guest
      .collection("posts")
      .getList(1, 10, { filter: wrong })
      .then(
        (r) => r.totalItems,
        (e) => e.status,
      );
    expect({ filter: right, result: a }).toEqual({ filter: right, result: b });
  }
});

test("an event's expand and fields carry no hidden field, private email or forbidden record", async () => {
  const bob = asUser(bobToken);
  const got: any[] = [];
  const unsub = await bob.collection("posts").subscribe("*", (e) => got.push(e.record), {
    expand: "author,owned_via_post,secrets_via_post",
    fields:
      "*,hiddenCode,expand.author.email,expand.author.secretNote,expand.author.tokenKey,expand.author.password,expand.owned_via_post,expand.secrets_via_post",
  });
  await su.collection("posts").update(postId, { title: "hello expand" });
  await waitFor(() => got.length >= 1);
  await unsub();
  expect(got).toHaveLength(1);
  const text = JSON.stringify(got[0]);
  for (const secret of [HIDDEN_CODE, SECRET_VALUE, OWNED_NOTE, ANN_EMAIL, "ann-note", "$2a$10$"])
    expect(text).not.toContain(secret);
  expect(got[0].title).toBe("hello expand");
  // the author itself is public, only its private parts are left out
  expect(got[0].expand?.author).toEqual({});
  expect(got[0].expand?.owned_via_post).toBeUndefined();
  expect(got[0].expand?.secrets_via_post).toBeUndefined();
});
