/**
 * Request counts and concurrencies. `full` is upstream's workload (pocketbase/benchmarks);
 * `quick` keeps every scenario's shape at smaller counts (a minute or two); `smoke` is for the
 * harness's own test (seconds).
 */

/** [requests, concurrency] */
export type Run = readonly [number, number];

export interface Profile {
  name: "full" | "quick" | "smoke";
  orgs: Run;
  perms: Run;
  users: Run;
  /** Records per half (no rule, then the auth rule) of each posts collection. */
  postsHalf: { [collection: string]: number };
  postsConc: number;
  authPassword: Run[];
  authRefresh: Run[];
  getOne: Run[];
  /** Collections the list scenarios run on. */
  searchCollections: string[];
  simpleA: Run;
  simpleB: Run;
  mixedPatches: number;
  /** expand and list-rule variants. */
  variant: Run;
  custom: Run[];
  deletePosts: Run;
  deleteCascade: Run;
  floor: { create: Run; getOne: Run; list: Run; rounds: number };
  startupRuns: number;
  /** Pause between scenarios (upstream: 2 s). */
  cooldownMs: number;
  realtimeClients: number;
}

export const FULL: Profile = {
  name: "full",
  orgs: [50, 10],
  perms: [25, 5],
  users: [250, 50],
  postsHalf: { posts10k: 5000, posts25k: 12500, posts50k: 25000, posts100k: 50000 },
  postsConc: 500,
  authPassword: [
    [250, 250],
    [250, 10],
  ],
  authRefresh: [
    [1000, 1000],
    [1000, 100],
  ],
  getOne: [
    [1000, 1000],
    [1000, 100],
  ],
  searchCollections: ["posts10k", "posts25k", "posts50k", "posts100k"],
  simpleA: [1000, 1],
  simpleB: [1000, 1000],
  mixedPatches: 300,
  variant: [100, 10],
  custom: [
    [500, 500],
    [500, 50],
    [500, 1],
  ],
  deletePosts: [100, 10],
  deleteCascade: [100, 10],
  floor: { create: [10000, 500], getOne: [20000, 100], list: [3000, 100], rounds: 3 },
  startupRuns: 11,
  cooldownMs: 1000,
  realtimeClients: 10000,
};

export const QUICK: Profile = {
  name: "quick",
  orgs: [50, 10],
  perms: [25, 5],
  users: [50, 50],
  postsHalf: { posts10k: 500, posts25k: 1250, posts50k: 2500, posts100k: 5000 },
  postsConc: 500,
  authPassword: [
    [50, 50],
    [50, 10],
  ],
  authRefresh: [
    [1000, 1000],
    [1000, 100],
  ],
  getOne: [
    [1000, 1000],
    [1000, 100],
  ],
  searchCollections: ["posts10k", "posts100k"],
  simpleA: [200, 1],
  simpleB: [1000, 1000],
  mixedPatches: 100,
  variant: [30, 10],
  custom: [
    [500, 500],
    [500, 50],
    [200, 1],
  ],
  deletePosts: [20, 10],
  deleteCascade: [20, 10],
  floor: { create: [3000, 500], getOne: [10000, 100], list: [1500, 100], rounds: 3 },
  startupRuns: 5,
  cooldownMs: 100,
  realtimeClients: 2000,
};

export const SMOKE: Profile = {
  ...QUICK,
  name: "smoke",
  orgs: [5, 5],
  perms: [5, 5],
  users: [3, 3],
  postsHalf: { posts10k: 20, posts25k: 20, posts50k: 20, posts100k: 20 },
  postsConc: 10,
  authPassword: [[3, 3]],
  authRefresh: [[20, 10]],
  getOne: [[20, 10]],
  searchCollections: ["posts10k"],
  simpleA: [10, 1],
  simpleB: [20, 10],
  mixedPatches: 5,
  variant: [5, 5],
  custom: [[20, 10]],
  deletePosts: [3, 3],
  deleteCascade: [2, 2],
  floor: { create: [50, 10], getOne: [50, 10], list: [20, 10], rounds: 1 },
  startupRuns: 1,
  cooldownMs: 0,
  realtimeClients: 20,
};

export const PROFILES = { full: FULL, quick: QUICK, smoke: SMOKE };
