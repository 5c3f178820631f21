/**
 * Hostile requests against the records, collections and batch APIs over real HTTP: random filters,
 * sorts, `fields`, `expand`, paging, ids, and bodies in every content type. Every answer must be a
 * clean client error or success — never a 5xx, never a non-envelope error, never a dead server.
 * Shared by test/fuzz_http.test.ts (a few hundred cases) and bench/fuzz-http.ts (10,000+).
 */
import { randomFilter, randomSort, seededRandom } from "../../src/tools/search/fuzz_corpus.ts";

type Rng = () => number;
type FuzzBody = string | FormData;

const VOCAB = [
  "id",
  "title",
  "views",
  "tags",
  "author",
  "author.name",
  "coauthors.name",
  "meta",
  "meta.a",
  "published",
  "created",
  "posts_via_author.title",
  "secret",
  "@request.auth.id",
  "@collection.authors.name",
];
const HOSTILE = [
  "",
  " ",
  "'",
  '"',
  "`",
  "\\",
  "%",
  "%%",
  "_",
  "'; DROP TABLE canary; --",
  "1 OR 1=1",
  "\u0000",
  "\u202e",
  "😀",
  "../..",
  "%00",
  "a".repeat(5000),
  "(".repeat(300),
  ")",
  "~",
  "?=",
  "null",
  "true",
  "-1",
  "1e309",
  "9".repeat(400),
  "NaN",
  "0x10",
  "[]",
  "{}",
  '["a"]',
];

function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)]!;
}

function hostile(rng: Rng): string {
  return rng() < 0.5 ? pick(rng, HOSTILE) : pick(rng, HOSTILE) + pick(rng, VOCAB) + pick(rng, HOSTILE);
}

function randomValue(rng: Rng, depth = 0): unknown {
  const r = rng();
  if (r < 0.15) return hostile(rng);
  if (r < 0.25) return Math.floor(rng() * 1e6) * (rng() < 0.5 ? -1 : 1);
  if (r < 0.3) return rng() * 1e300;
  if (r < 0.35) return rng() < 0.5;
  if (r < 0.4) return null;
  if (r < 0.55 && depth < 3) return Array.from({ length: Math.floor(rng() * 4) }, () => randomValue(rng, depth + 1));
  if (r < 0.65 && depth < 3)
    return Object.fromEntries(
      Array.from({ length: Math.floor(rng() * 4) }, () => [hostile(rng), randomValue(rng, depth + 1)]),
    );
  return pick(rng, ["a", "b", "c", "x", "<b>bold</b>", "2024-01-01 10:00:00.000Z", "someid123456789"]);
}

const KEYS = [
  "title",
  "views",
  "views+",
  "views-",
  "tags",
  "tags+",
  "+tags",
  "tags-",
  "author",
  "coauthors",
  "coauthors+",
  "meta",
  "published",
  "body",
  "secret",
  "id",
  "created",
  "title:autogenerate",
  "expand",
  "collectionId",
  "@jsonPayload",
  "password",
  "passwordConfirm",
];

function randomBody(rng: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = Math.floor(rng() * 6);
  for (let i = 0; i < n; i++) out[rng() < 0.8 ? pick(rng, KEYS) : hostile(rng)] = randomValue(rng);
  return out;
}

function encodeBody(rng: Rng, body: Record<string, unknown>): { headers: Record<string, string>; body: FuzzBody } {
  const r = rng();
  if (r < 0.45) return { headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  if (r < 0.55)
    return {
      headers: { "Content-Type": "application/json" },
      body: pick(rng, ["{", "[1]", "null", '"x"', '{"a":', "\u0000", ""]) + hostile(rng),
    };
  if (r < 0.7) {
    const form = new FormData();
    for (const [k, v] of Object.entries(body)) form.append(k, typeof v === "string" ? v : JSON.stringify(v));
    if (rng() < 0.5) form.append("@jsonPayload", rng() < 0.7 ? JSON.stringify(randomBody(rng)) : hostile(rng));
    return { headers: {}, body: form };
  }
  if (r < 0.8) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) params.append(k, typeof v === "string" ? v : JSON.stringify(v));
    return { headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: params.toString() };
  }
  if (r < 0.9)
    return { headers: { "Content-Type": "multipart/form-data; boundary=zzz" }, body: "--zzz\r\nbroken" + hostile(rng) };
  return {
    headers: { "Content-Type": pick(rng, ["text/plain", "application/xml", "image/png", ""]) },
    body: hostile(rng),
  };
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: FuzzBody;
}

/** One random request; `tokens` are Authorization values to mix in (guest when none chosen). */
export function randomRequest(rng: Rng, ids: string[], tokens: string[]): FuzzRequest {
  const collection =
    rng() < 0.85
      ? pick(rng, ["posts", "authors", "notes", "locked", "users", "_superusers"])
      : encodeURIComponent(hostile(rng));
  const id = rng() < 0.6 && ids.length ? pick(rng, ids) : encodeURIComponent(hostile(rng));
  const auth: Record<string, string> = rng() < 0.6 && tokens.length ? { Authorization: pick(rng, tokens) } : {};
  const q = new URLSearchParams();
  if (rng() < 0.6) q.set("filter", rng() < 0.7 ? randomFilter(rng, VOCAB) : hostile(rng));
  if (rng() < 0.4) q.set("sort", rng() < 0.7 ? randomSort(rng, VOCAB) : hostile(rng));
  if (rng() < 0.3)
    q.set(
      "fields",
      pick(rng, [
        "id",
        "*",
        "title:excerpt(5,true)",
        "expand.author.name",
        "id,title:excerpt(",
        "x:nope(1)",
        hostile(rng),
      ]),
    );
  if (rng() < 0.3)
    q.set(
      "expand",
      pick(rng, ["author", "coauthors", "author.x", "posts_via_author", "a.b.c.d.e.f.g.h", hostile(rng)]),
    );
  if (rng() < 0.3) q.set("page", hostile(rng));
  if (rng() < 0.3) q.set("perPage", pick(rng, ["0", "-5", "1001", "abc", "1.5", "99999999999999999999"]));
  if (rng() < 0.2) q.set("skipTotal", pick(rng, ["1", "true", "nope", ""]));
  const qs = q.toString() ? `?${q}` : "";
  const r = rng();
  const base = `/api/collections/${collection}/records`;
  if (r < 0.35) return { method: "GET", path: base + qs, headers: auth };
  if (r < 0.45) return { method: "GET", path: `${base}/${id}${qs}`, headers: auth };
  if (r < 0.65) {
    const b = encodeBody(rng, randomBody(rng));
    return { method: "POST", path: base + qs, headers: { ...auth, ...b.headers }, body: b.body };
  }
  if (r < 0.8) {
    const b = encodeBody(rng, randomBody(rng));
    return { method: "PATCH", path: `${base}/${id}${qs}`, headers: { ...auth, ...b.headers }, body: b.body };
  }
  if (r < 0.87) return { method: "DELETE", path: `${base}/${id}`, headers: auth };
  if (r < 0.95) {
    const requests = Array.from({ length: Math.floor(rng() * 4) }, () => ({
      method: pick(rng, ["POST", "PATCH", "PUT", "DELETE", "GET", hostile(rng)]),
      url: pick(rng, [base, `${base}/${id}`, hostile(rng)]),
      body: randomBody(rng),
    }));
    return {
      method: "POST",
      path: "/api/batch",
      headers: { ...auth, "Content-Type": "application/json" },
      body: JSON.stringify(rng() < 0.8 ? { requests } : randomValue(rng)),
    };
  }
  return { method: "GET", path: `/api/collections${qs}`, headers: auth };
}

export interface FuzzStats {
  cases: number;
  byStatus: Map<number, number>;
  failures: string[];
}

/** Sends `count` random requests (`concurrency` at a time) and checks every answer. */
export async function runHttpFuzz(
  url: string,
  count: number,
  seed: number,
  ids: string[],
  tokens: string[],
  concurrency = 8,
): Promise<FuzzStats> {
  const rng = seededRandom(seed);
  const stats: FuzzStats = { cases: 0, byStatus: new Map(), failures: [] };
  const queue = Array.from({ length: count }, () => randomRequest(rng, ids, tokens));
  const worker = async () => {
    for (let req = queue.shift(); req; req = queue.shift()) {
      stats.cases++;
      let res: Response;
      try {
        res = await fetch(url + req.path, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          redirect: "manual",
        });
      } catch (err) {
        stats.failures.push(`${req.method} ${req.path.slice(0, 120)}: request failed: ${(err as Error).message}`);
        continue;
      }
      const text = await res.text();
      stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
      if (res.status >= 500)
        stats.failures.push(`${req.method} ${req.path.slice(0, 120)} → ${res.status} ${text.slice(0, 200)}`);
      else if (res.status >= 400) {
        let ok = false;
        try {
          const body = JSON.parse(text);
          ok =
            body.status === res.status &&
            typeof body.message === "string" &&
            body.data &&
            typeof body.data === "object";
        } catch {
          ok = false;
        }
        if (!ok)
          stats.failures.push(
            `${req.method} ${req.path.slice(0, 120)} → ${res.status} without the envelope: ${text.slice(0, 200)}`,
          );
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return stats;
}
