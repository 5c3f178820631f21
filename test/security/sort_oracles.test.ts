/**
 * Attack class: `sort` as an oracle on private emails. Filters only match auth emails under
 * `emailVisibility` (upstream's record_field_resolver_runner.go AfterBuild guard), but upstream
 * sorts by the raw column: a caller who can place records of its own (or knows a public email)
 * reads where a private email falls and narrows it down letter by letter. Here a client sort puts
 * every private email at the same place (as if empty); superusers still sort by the real value.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import PocketBase from "pocketbase";
import type { TestServer } from "../harness.ts";
import { startWithSuperuser } from "./support.ts";

let srv: TestServer;
let su: PocketBase;
const ids: { [email: string]: string } = {};

beforeAll(async () => {
  ({ srv, su } = await startWithSuperuser());
  const users = await su.collections.update("users", { listRule: "", viewRule: "" });
  await su.collections.create({
    name: "posts",
    type: "base",
    listRule: "",
    viewRule: "",
    fields: [{ name: "author", type: "relation", collectionId: users.id, maxSelect: 1 }],
  });
  const pass = { password: "1234567890", passwordConfirm: "1234567890" };
  for (const [email, emailVisibility] of [
    ["aaa.private@example.com", false],
    ["mmm.public@example.com", true],
    ["zzz.private@example.com", false],
  ] as const) {
    ids[email] = (await su.collection("users").create({ email, emailVisibility, ...pass })).id;
    await su.collection("posts").create({ author: ids[email] });
  }
});
afterAll(() => srv?.stop());

const PUBLIC = "mmm.public@example.com";

async function order(pb: PocketBase, collection: string, sort: string, idOf: (r: any) => string): Promise<string[]> {
  const items = await pb.collection(collection).getFullList({ sort });
  return items.map((r) => Object.entries(ids).find(([, id]) => id === idOf(r))![0]);
}

test("a guest sorting users by email cannot place private emails around a public one", async () => {
  const guest = srv.sdk();
  const asc = await order(guest, "users", "email", (r) => r.id);
  const desc = await order(guest, "users", "-email", (r) => r.id);
  // the private ones sort as one block (as if empty): the public email is never between them
  expect(asc.at(-1)).toBe(PUBLIC);
  expect(desc[0]).toBe(PUBLIC);
});

test("a user sorting posts by author.email learns nothing of private emails either", async () => {
  const other = srv.sdk();
  await other.collection("users").authWithPassword("zzz.private@example.com", "1234567890");
  const asc = await order(other, "posts", "author.email", (r) => r.author);
  const lower = await order(other, "posts", "-author.email:lower", (r) => r.author);
  expect(asc.at(-1)).toBe(PUBLIC);
  expect(lower[0]).toBe(PUBLIC);
});

test("a superuser still sorts by the real emails", async () => {
  expect(await order(su, "users", "email", (r) => r.id)).toEqual([
    "aaa.private@example.com",
    PUBLIC,
    "zzz.private@example.com",
  ]);
  expect(await order(su, "posts", "-author.email", (r) => r.author)).toEqual([
    "zzz.private@example.com",
    PUBLIC,
    "aaa.private@example.com",
  ]);
});
