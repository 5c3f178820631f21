/**
 * `search`: getOne, then per posts collection the plain lists (one client; many clients; with
 * skipTotal; alongside concurrent PATCHes), expands, and the list-rule variants with and without an
 * index and skipTotal (upstream's test_search.go). All requests carry a user token, as upstream's.
 */
import { auth, JSON_HEADERS, type Bench } from "../lib/bench.ts";
import type { HttpRequest } from "../lib/http_client.ts";

const SECTION = "search";

interface Variant {
  name: string;
  query: string;
  rule: string;
  /** Index on this column of the collection, or none. */
  index?: "author" | "description";
}

const q = "?perPage=20";
const qs = "?perPage=20&skipTotal=1";

/** upstream's list scenarios after simpleA/B/C and mixed, in their order. */
export const VARIANTS: Variant[] = [
  { name: "expand author", query: `${q}&expand=author`, rule: "" },
  { name: "expand author (fields)", query: `${q}&expand=author&fields=id,collectionId,expand.author.id`, rule: "" },
  { name: "expand author.permissions", query: `${q}&expand=author.permissions`, rule: "" },
  {
    name: "expand author.permissions (fields)",
    query: `${q}&expand=author.permissions&fields=id,collectionId,expand.author.id,expand.author.expand.permissions.id`,
    rule: "",
  },
  { name: "rule @request.auth.id != ''", query: q, rule: "@request.auth.id != ''" },
  { name: "rule author = @request.auth.id (no index)", query: q, rule: "author = @request.auth.id" },
  { name: "rule author = @request.auth.id (index)", query: q, rule: "author = @request.auth.id", index: "author" },
  {
    name: "rule author = @request.auth.id (index, skipTotal)",
    query: qs,
    rule: "author = @request.auth.id",
    index: "author",
  },
  { name: "rule author.id = @request.auth.id (no index)", query: q, rule: "author.id = @request.auth.id" },
  {
    name: "rule author.id = @request.auth.id (index)",
    query: q,
    rule: "author.id = @request.auth.id",
    index: "author",
  },
  {
    name: "rule author.id = @request.auth.id (index, skipTotal)",
    query: qs,
    rule: "author.id = @request.auth.id",
    index: "author",
  },
  { name: "rule description ~ 'ipsum dolor' (no index)", query: q, rule: "description ~ 'ipsum dolor'" },
  {
    name: "rule description ~ 'ipsum dolor' (index)",
    query: q,
    rule: "description ~ 'ipsum dolor'",
    index: "description",
  },
  {
    name: "rule description ~ 'ipsum dolor' (index, skipTotal)",
    query: qs,
    rule: "description ~ 'ipsum dolor'",
    index: "description",
  },
  { name: "rule type:each != 'c'", query: q, rule: "type:each != 'c'" },
  { name: "rule type:each != 'c' (skipTotal)", query: qs, rule: "type:each != 'c'" },
  { name: "rule type:each ?!= 'c'", query: q, rule: "type:each ?!= 'c'" },
  { name: "rule type:each ?!= 'c' (skipTotal)", query: qs, rule: "type:each ?!= 'c'" },
  { name: "rule author.organization.name != 'test'", query: q, rule: "author.organization.name != 'test'" },
  {
    name: "rule author.organization.name != 'test' (skipTotal)",
    query: qs,
    rule: "author.organization.name != 'test'",
  },
  { name: "rule author.permissions.active = true", query: q, rule: "author.permissions.active = true" },
  { name: "rule author.permissions.active = true (skipTotal)", query: qs, rule: "author.permissions.active = true" },
  { name: "rule author.permissions.active ?= true", query: q, rule: "author.permissions.active ?= true" },
  { name: "rule author.permissions.active ?= true (skipTotal)", query: qs, rule: "author.permissions.active ?= true" },
];

export async function search(b: Bench): Promise<void> {
  const p = b.profile;
  const token = auth(b.userToken);

  for (const m of b.modesFor("all")) {
    for (const [n, c] of p.getOne) {
      await b.cooldown();
      await b.load({
        section: SECTION,
        name: "getOne users/{id}",
        requests: [{ method: "GET", path: `/api/collections/users/records/${b.userId}`, headers: token }],
        total: n,
        conc: c,
        mode: m,
      });
    }
  }

  for (const col of p.searchCollections) {
    const base = `/api/collections/${col}/records`;
    const list = (query: string): HttpRequest[] => [{ method: "GET", path: base + query, headers: token }];
    let current = { rule: "", index: "" };
    const setup = async (rule: string, index = "") => {
      if (rule === current.rule && index === current.index) return;
      const indexes = index ? [`CREATE INDEX \`idx_bench_${index}_${col}\` ON \`${col}\` (\`${index}\`)`] : [];
      await b.api.updateCollection(col, { listRule: rule, indexes });
      current = { rule, index };
    };
    await setup("");
    const rows = await b.api.count(col);
    const tag = `${col} (${rows.toLocaleString("en-US")} rows)`;

    for (const m of b.modesFor("all")) {
      await b.cooldown();
      await b.load({
        section: SECTION,
        name: `${tag} list`,
        requests: list(q),
        total: p.simpleA[0],
        conc: p.simpleA[1],
        mode: m,
      });
      await b.cooldown();
      await b.load({
        section: SECTION,
        name: `${tag} list`,
        requests: list(q),
        total: p.simpleB[0],
        conc: p.simpleB[1],
        mode: m,
      });
      await b.cooldown();
      await b.load({
        section: SECTION,
        name: `${tag} list skipTotal`,
        requests: list(qs),
        total: p.simpleB[0],
        conc: p.simpleB[1],
        mode: m,
      });

      // mixed: the many-clients list while PATCHes of random records run alongside
      const ids = await b.api.randomIds(col, p.mixedPatches);
      const patches: HttpRequest[] = ids.map((id) => ({
        method: "PATCH",
        path: `${base}/${id}`,
        headers: { ...JSON_HEADERS, ...token },
        body: JSON.stringify({ title: "update" + id }),
      }));
      await b.cooldown();
      await Promise.all([
        b.load({
          section: SECTION,
          name: `${tag} list, with PATCHes alongside`,
          requests: list(q),
          total: p.simpleB[0],
          conc: p.simpleB[1],
          mode: m,
          note: "server CPU/req includes the PATCHes",
        }),
        b.load({
          section: SECTION,
          name: `${tag} (the PATCHes alongside)`,
          requests: patches,
          total: patches.length,
          conc: patches.length,
          mode: m,
          measureCpu: false,
        }),
      ]);
    }

    // expands and rule variants: DB-bound at 10 clients, so the primary mode only
    for (const v of VARIANTS) {
      await setup(v.rule, v.index ?? "");
      await b.cooldown();
      await b.load({
        section: SECTION,
        name: `${col} ${v.name}`,
        requests: list(v.query),
        total: p.variant[0],
        conc: p.variant[1],
        mode: b.primary,
      });
    }
    await setup("");
  }
}
