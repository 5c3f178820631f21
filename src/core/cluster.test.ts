/**
 * The cluster core on a real PostgreSQL, two Apps in one process standing for two nodes: the bus
 * (own messages skipped, a batch past NOTIFY's limit through the outbox, request/response and its
 * timeout), one leader and a hand-over, migrations and setup run once when nodes start together,
 * cache notices, and a rate limit counted across nodes. test/cluster.test.ts runs real processes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PG_MISSING_MESSAGE, postgresInstalled, startPostgres, type PgCluster } from "../../test/support/pg.ts";
import { App } from "./app.ts";
import { type ClusterNode, clusterNode, isClusterLeader, joinCluster } from "./cluster.ts";
import { newBaseCollection } from "./collection.ts";
import { saveCollection } from "./collection_save.ts";

const HAVE_PG = postgresInstalled();
if (!HAVE_PG) test.skip(PG_MISSING_MESSAGE, () => {});

async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

describe.skipIf(!HAVE_PG)("cluster nodes on one PostgreSQL", () => {
  let pg: PgCluster;
  let dir: string;
  const apps: App[] = [];
  let a: App, b: App;
  let na: ClusterNode, nb: ClusterNode;

  const newApp = () => {
    const app = new App({ dataDir: join(dir, `node${apps.length}`), dbUrl: url });
    apps.push(app);
    return app;
  };
  let url = "";

  beforeAll(async () => {
    pg = await startPostgres();
    url = await pg.createDatabase();
    dir = mkdtempSync(join(tmpdir(), "pb-cluster-"));
    a = newApp();
    b = newApp();
    // nodes starting together: setup and system migrations must run once, not race
    await Promise.all([a.bootstrap(), b.bootstrap()]);
    [na, nb] = (await Promise.all([joinCluster(a), joinCluster(b)])) as [ClusterNode, ClusterNode];
  }, 60_000);

  afterAll(async () => {
    for (const app of apps) await app.terminate().catch(() => {});
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("four nodes bootstrapping one fresh database together all succeed (setup, migrations, settings)", async () => {
    for (let round = 0; round < 3; round++) {
      const fresh = await pg.createDatabase();
      const four = Array.from(
        { length: 4 },
        (_, i) => new App({ dataDir: join(dir, `race${round}_${i}`), dbUrl: fresh }),
      );
      const results = await Promise.allSettled(four.map((app) => app.bootstrap()));
      for (const app of four) await app.terminate();
      expect(
        results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason)),
      ).toEqual([]);
    }
  }, 60_000);

  test("each system migration was applied once", async () => {
    const rows = await a.db.all<{ file: string; n: number }>(
      `SELECT "file", COUNT(*) AS n FROM "_migrations" GROUP BY "file" HAVING COUNT(*) > 1`,
    );
    expect(rows).toEqual([]);
    expect(Number((await a.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "_migrations"`))!.n)).toBeGreaterThan(0);
  });

  test("a broadcast reaches the other node only; a batch past 7,500 bytes goes through the outbox", async () => {
    const atA: unknown[] = [];
    const atB: unknown[] = [];
    na.on("t.echo", (d) => void atA.push(d));
    nb.on("t.echo", (d) => void atB.push(d));
    const big = "x".repeat(20_000);
    na.publish("t.echo", { n: 1 });
    na.publish("t.echo", { big });
    await waitFor("both messages at B", () => atB.length === 2);
    expect(atB).toEqual([{ n: 1 }, { big }]);
    expect(atA).toEqual([]);
    const outbox = await a.auxDb.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "_cluster_outbox"`);
    expect(Number(outbox!.n)).toBe(1);
  });

  test("a request is answered by the node it names; no answer is undefined after the timeout", async () => {
    nb.onRequest("t.double", (d) => (d as number) * 2);
    expect(await na.request(nb.id, "t.double", 21)).toBe(42);
    const started = Date.now();
    expect(await na.request("nosuchnode", "t.double", 1, 300)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  test("a request is answered while a slow broadcast is being handled (it does not queue behind it)", async () => {
    let slowDone = false;
    nb.on("t.slow", async () => {
      await Bun.sleep(1_500);
      slowDone = true;
    });
    na.publish("t.slow", null);
    await Bun.sleep(50);
    expect(await na.request(nb.id, "t.double", 2, 1_000)).toBe(4);
    expect(slowDone).toBe(false);
    await waitFor("the slow handler", () => slowDone);
  });

  test("a collection created on one node is known to the other within a second", async () => {
    const c = newBaseCollection("shared_posts");
    await saveCollection(a, c);
    await waitFor("B to know shared_posts", () => b.findCollection("shared_posts") !== null, 1_000);
  });

  test("a rate limit count is shared: both nodes add to one window", async () => {
    const counts: number[] = [];
    for (let i = 0; i < 3; i++) {
      counts.push(await na.countRequest("t.key", 60));
      counts.push(await nb.countRequest("t.key", 60));
    }
    expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
    // a window of 0 s has always ended: every request opens a new one
    expect(await na.countRequest("t.short", 0)).toBe(1);
    expect(await nb.countRequest("t.short", 0)).toBe(1);
  });

  test("exactly one node leads; when it leaves, the other takes over", async () => {
    await waitFor("a leader", () => na.leader || nb.leader);
    expect(na.leader && nb.leader).toBe(false);
    const [leader, follower] = na.leader ? [a, b] : [b, a];
    expect(isClusterLeader(follower)).toBe(false);
    await leader.terminate();
    expect(clusterNode(leader)).toBeNull();
    await waitFor("the follower to lead", () => clusterNode(follower)!.leader, 5_000);
    expect(isClusterLeader(follower)).toBe(true);
  });
});
