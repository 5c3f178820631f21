/**
 * `create`: organizations, permissions, users (bcrypt) and the four posts collections, each in
 * two halves — without a create rule, then with one (upstream's test_create.go).
 *
 * The primary mode fills the real collections (upstream's data set). Posts are also created in the
 * other mode, into a scratch copy (`posts_ka`, emptied before each size) so the data set the later
 * scenarios read stays upstream's size.
 */
import { auth, JSON_HEADERS, type Bench } from "../lib/bench.ts";
import type { HttpRequest } from "../lib/http_client.ts";
import type { Mode } from "../lib/report.ts";
import { createPosts, POSTS } from "../lib/schema.ts";

const SECTION = "create";
export const LOREM =
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Donec sit amet sodales nisl, quis pretium nunc. Suspendisse vel auctor velit, sed luctus lectus. Phasellus rhoncus imperdiet feugiat. Duis et laoreet felis, ut facilisis enim. Quisque aliquet aliquam magna eget eleifend. Duis sed tellus nibh. Nunc ac lacus auctor, scelerisque magna congue, euismod purus. Fusce sollicitudin pharetra egestas. Quisque pulvinar augue nec aliquam placerat. Suspendisse dapibus ornare sodales.";
export const POST_RULE = "@request.auth.id != '' && @request.body.public:isset = true";
const TYPES = ["a", "b", "c", "d"];
export const PASSWORD = "1234567890";

export const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/**
 * The post body upstream sends: a title, the lorem description, alternating public, 2 random types, a random author.
 */
export function postBody(title: string, i: number, users: string[]): string {
  return JSON.stringify({
    title,
    description: LOREM,
    public: i % 2 !== 0,
    type: [pick(TYPES), pick(TYPES)],
    author: users.length ? pick(users) : "",
  });
}

export interface CreateOptions {
  /** false: seed the data set without recording rows (when `create` is not among the scenarios). */
  record: boolean;
}

export async function create(b: Bench, o: CreateOptions = { record: true }): Promise<void> {
  const p = b.profile;
  const mode: Mode = o.record ? b.primary : "keepalive";
  const conc = (c: number) => (o.record ? c : Math.max(c, 50));

  // organizations and permissions
  for (const [collection, run, extra] of [
    ["organizations", p.orgs, (_i: number) => ({})],
    ["permissions", p.perms, (i: number) => ({ active: i % 2 === 0 })],
  ] as const) {
    for (const rule of ["", "@request.body.name != ''"]) {
      await b.api.updateCollection(collection, { createRule: rule });
      const offset = await b.api.count(collection);
      const requests: HttpRequest[] = [];
      for (let i = 0; i < run[0]; i++) {
        requests.push({
          method: "POST",
          path: `/api/collections/${collection}/records`,
          headers: JSON_HEADERS,
          body: JSON.stringify({ name: collection + (i + offset), ...extra(i) }),
        });
      }
      await b.cooldown();
      await b.load({
        section: SECTION,
        name: `${collection} rule=${JSON.stringify(rule)}`,
        requests,
        total: run[0],
        conc: conc(run[1]),
        mode,
        record: o.record,
      });
    }
    await b.api.updateCollection(collection, { createRule: "" });
  }
  b.orgIds = await b.api.randomIds("organizations", 999);
  b.permIds = await b.api.randomIds("permissions", 999);

  // users (bcrypt cost 10 on every create)
  for (const rule of ["", "@request.body.email != '' && @request.body.permissions:length > 0"]) {
    await b.api.updateCollection("users", { createRule: rule });
    const offset = await b.api.count("users");
    const requests: HttpRequest[] = [];
    for (let i = 0; i < p.users[0]; i++) {
      const name = "users" + (i + offset);
      requests.push({
        method: "POST",
        path: "/api/collections/users/records",
        headers: JSON_HEADERS,
        body: JSON.stringify({
          email: `${name}@example.com`,
          username: name,
          name,
          organization: pick(b.orgIds),
          permissions: [pick(b.permIds), pick(b.permIds), pick(b.permIds)],
          password: PASSWORD,
          passwordConfirm: PASSWORD,
        }),
      });
    }
    await b.cooldown();
    await b.load({
      section: SECTION,
      name: `users (bcrypt) rule=${JSON.stringify(rule)}`,
      requests,
      total: p.users[0],
      conc: conc(p.users[1]),
      mode,
      record: o.record,
    });
  }
  await b.api.updateCollection("users", { createRule: "" });
  b.userIds = await b.api.randomIds("users", 999);
  await loginUser(b);

  // posts: the primary mode into the real collections, the other mode into a scratch copy
  const usersId = (await b.api.collection("users")).id;
  const others = o.record ? b.modes.filter((m) => m !== b.primary) : [];
  if (others.length) await createPosts(b.api, "posts_ka", usersId);
  for (const collection of POSTS) {
    const half = p.postsHalf[collection] ?? 0;
    if (!half) continue;
    for (const m of [mode, ...others]) {
      const target = m === mode ? collection : "posts_ka";
      if (target === "posts_ka") await b.api.truncate("posts_ka");
      for (const [rule, token] of [
        ["", ""],
        [POST_RULE, b.userToken],
      ] as const) {
        await b.api.updateCollection(target, { createRule: rule });
        const offset = await b.api.count(target);
        const requests: HttpRequest[] = [];
        for (let i = 0; i < half; i++) {
          requests.push({
            method: "POST",
            path: `/api/collections/${target}/records`,
            headers: { ...JSON_HEADERS, ...auth(token) },
            body: postBody(target + (i + offset), i, b.userIds),
          });
        }
        await b.cooldown();
        const note = target === "posts_ka" ? `into a scratch copy of ${collection}` : "";
        await b.load({
          section: SECTION,
          name: `${collection} ${rule ? "auth + :isset rule" : "no rule"}`,
          requests,
          total: half,
          conc: conc(p.postsConc),
          mode: m,
          note,
          record: o.record,
        });
      }
      await b.api.updateCollection(target, { createRule: "" });
    }
  }
  if (others.length) await b.api.deleteCollection("posts_ka");
}

/** Logs in as the first user (upstream's randomUserAuth takes the first row; users0 is ours). */
export async function loginUser(b: Bench): Promise<void> {
  const r = await b.api.authWithPassword("users", "users0@example.com", PASSWORD);
  b.userToken = r.token;
  b.userId = r.record.id;
  b.userEmail = r.record.email;
}
