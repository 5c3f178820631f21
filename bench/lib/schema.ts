/**
 * Upstream benchmark's schema, created over the collections API with a superuser token:
 * organizations, permissions, users (auth, with username/organization/permissions) and the four
 * posts collections. All rules start as "" (public), as upstream's schema.
 */
import type { Api } from "./api.ts";

export const POSTS = ["posts10k", "posts25k", "posts50k", "posts100k"] as const;

const RULES_OPEN = { listRule: "", viewRule: "", createRule: "", updateRule: "", deleteRule: "" };

/** The posts fields (title, description editor, public, type select a–d ≤3, author → users, created/updated). */
export function postsFields(usersId: string) {
  return [
    { name: "title", type: "text" },
    { name: "description", type: "editor", convertURLs: false },
    { name: "public", type: "bool" },
    { name: "type", type: "select", maxSelect: 3, values: ["a", "b", "c", "d"] },
    { name: "author", type: "relation", collectionId: usersId, maxSelect: 1, cascadeDelete: true },
    { name: "created", type: "autodate", onCreate: true, onUpdate: false },
    { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
  ];
}

export interface SchemaIds {
  organizations: string;
  permissions: string;
  users: string;
}

/**
 * Turns request logs off (`logs.maxDays = 0`), as upstream's harness does "to reduce the load".
 * Returns false when the server has no settings API (then logs stay as they are).
 */
export async function disableRequestLogs(api: Api): Promise<boolean> {
  try {
    await api.call("PATCH", "/api/settings", { logs: { maxDays: 0 } });
    return true;
  } catch {
    return false;
  }
}

export async function createSchema(api: Api): Promise<SchemaIds> {
  const autodates = [
    { name: "created", type: "autodate", onCreate: true, onUpdate: false },
    { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
  ];
  const orgs = await api.createCollection({
    name: "organizations",
    type: "base",
    ...RULES_OPEN,
    fields: [{ name: "name", type: "text" }, ...autodates],
  });
  const perms = await api.createCollection({
    name: "permissions",
    type: "base",
    ...RULES_OPEN,
    fields: [{ name: "name", type: "text" }, { name: "active", type: "bool" }, ...autodates],
  });
  // The default users collection: keep its system fields, add upstream benchmark's own.
  const users = await api.collection("users");
  const keep = (users.fields as { name: string; system?: boolean }[]).filter((f) => f.system);
  const has = (n: string) => keep.some((f) => f.name === n);
  await api.updateCollection("users", {
    ...RULES_OPEN,
    fields: [
      ...keep,
      {
        name: "username",
        type: "text",
        required: true,
        min: 3,
        max: 150,
        pattern: "^[\\w][\\w\\.\\-]*$",
        autogeneratePattern: "users[0-9]{6}",
      },
      {
        name: "organization",
        type: "relation",
        collectionId: orgs.id,
        maxSelect: 1,
        required: true,
        cascadeDelete: true,
      },
      { name: "permissions", type: "relation", collectionId: perms.id, maxSelect: 2147483647, cascadeDelete: true },
      ...autodates.filter((f) => !has(f.name)),
    ],
    indexes: [
      ...(users.indexes as string[]),
      "CREATE UNIQUE INDEX `idx_username_bench` ON `users` (username COLLATE NOCASE)",
    ],
    passwordAuth: { enabled: true, identityFields: ["email", "username"] },
  });
  for (const name of POSTS) await createPosts(api, name, users.id);
  return { organizations: orgs.id, permissions: perms.id, users: users.id };
}

/** A collection with the posts schema (also used for the keep-alive scratch copy and the floor comparison). */
export async function createPosts(api: Api, name: string, usersId: string): Promise<string> {
  const c = await api.createCollection({ name, type: "base", ...RULES_OPEN, fields: postsFields(usersId) });
  return c.id;
}
