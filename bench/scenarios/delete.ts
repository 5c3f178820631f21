/**
 * `delete`: random posts of each collection with and without a delete rule, then cascades — users
 * (with their posts) and organizations (with their users and posts) (upstream's test_delete.go).
 * Cascades consume the data set, so they run once, in the primary mode, and come last.
 */
import { auth, type Bench } from "../lib/bench.ts";
import type { HttpRequest } from "../lib/http_client.ts";
import { POSTS } from "../lib/schema.ts";

const SECTION = "delete";

export async function deleteScenario(b: Bench): Promise<void> {
  const p = b.profile;
  const token = auth(b.userToken);
  const del = (col: string, ids: string[]): HttpRequest[] =>
    ids.map((id) => ({ method: "DELETE", path: `/api/collections/${col}/records/${id}`, headers: token }));

  for (const col of POSTS) {
    for (const rule of ["", "@request.auth.id != ''"]) {
      await b.api.updateCollection(col, { deleteRule: rule });
      for (const m of b.modesFor("all")) {
        const ids = await b.api.randomIds(col, p.deletePosts[0]);
        if (!ids.length) continue;
        await b.cooldown();
        await b.load({
          section: SECTION,
          name: `${col} rule=${JSON.stringify(rule)}`,
          requests: del(col, ids),
          total: ids.length,
          conc: p.deletePosts[1],
          mode: m,
        });
      }
    }
    await b.api.updateCollection(col, { deleteRule: "" });
  }

  // users, cascading to their posts (not the user whose token the other scenarios use)
  const users = (await b.api.randomIds("users", p.deleteCascade[0] + 1))
    .filter((id) => id !== b.userId)
    .slice(0, p.deleteCascade[0]);
  await b.cooldown();
  await b.load({
    section: SECTION,
    name: "users, cascading to their posts",
    requests: del("users", users),
    total: users.length,
    conc: p.deleteCascade[1],
    mode: b.primary,
  });

  const orgs = await b.api.randomIds("organizations", p.deleteCascade[0]);
  await b.cooldown();
  await b.load({
    section: SECTION,
    name: "organizations, cascading to users and posts",
    requests: del("organizations", orgs),
    total: orgs.length,
    conc: p.deleteCascade[1],
    mode: b.primary,
  });
}
