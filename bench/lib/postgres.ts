/**
 * The PostgreSQL server a `--db=postgres…` bench run stores pb's data in (issue 17): a throwaway
 * cluster (`--db=postgres`, test/support/pg.ts: initdb into a temp dir, loopback, fsync off), or an
 * existing server (`--db=postgres://user:pass@host:port/db`) on which each pb data set gets a scratch
 * database, dropped at the end. pb's own PostgreSQL driver (src/core/db/postgres.ts) runs the few
 * admin statements, so bench/ needs no database client of its own.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PostgresDb } from "../../src/core/db/postgres.ts";
import { isPostgresUrl, redactUrl } from "../../src/core/db/index.ts";
import { postgresInstalled, PG_MISSING_MESSAGE, startPostgres, type PgCluster } from "../../test/support/pg.ts";

export interface PostgresTarget {
  /** Where the databases live, for the report (no password). */
  where: string;
  /** `SHOW server_version`. */
  version: string;
  /**
   * CPU seconds the cluster's processes (postmaster, backends, and backends that already exited) used
   * so far; null for an existing server, which may be on another machine.
   */
  cpuSeconds: (() => number) | null;
  /** Creates an empty database and returns its URL (one per pb data set: the same binary with `--db=` it). */
  freshDatabase(): Promise<string>;
  /** Drops the scratch databases (existing server) or stops the cluster (throwaway). */
  close(): Promise<void>;
}

/** `postgres` or `postgres://…` (what `--db=` takes). */
export function isPostgresSpec(spec: string): boolean {
  return spec === "postgres" || isPostgresUrl(spec);
}

/** Opens the server `--db=` names: `postgres` starts a throwaway cluster, a URL uses that server. */
export async function openPostgres(spec: string): Promise<PostgresTarget> {
  let cluster: PgCluster | null = null;
  let adminUrl = spec;
  if (spec === "postgres") {
    if (!postgresInstalled()) throw new Error(PG_MISSING_MESSAGE.replace(/^skipped: /, "--db=postgres: "));
    cluster = await startPostgres();
    adminUrl = cluster.url();
  }
  // two connections at most (Bun's SQL opens its whole pool at the first query)
  const admin = new PostgresDb(adminUrl, { max: 2 });
  const created: string[] = [];
  try {
    const version = (await admin.get<{ server_version: string }>("SHOW server_version"))?.server_version ?? "?";
    return {
      where: cluster
        ? `a throwaway cluster on 127.0.0.1:${cluster.port} (test/support/pg.ts: fsync, synchronous_commit and full_page_writes off)`
        : `${redactUrl(adminUrl)} (a scratch database per pb data set, dropped afterwards)`,
      version,
      cpuSeconds: cluster ? clusterCpu(cluster) : null,
      async freshDatabase() {
        const name = `pb_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
        // CREATE DATABASE takes no parameters; the name is ours (letters, digits, _)
        await admin.exec(`CREATE DATABASE "${name}"`);
        created.push(name);
        return databaseUrl(adminUrl, name);
      },
      async close() {
        try {
          // a cluster goes away whole; on someone's server, remove what we made (FORCE: PostgreSQL 13+
          // ends a connection a stopped pb left behind; older servers get the plain form)
          if (!cluster)
            for (const name of created.splice(0)) {
              await admin
                .exec(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
                .catch(() => admin.exec(`DROP DATABASE IF EXISTS "${name}"`));
            }
        } finally {
          await admin.close();
          await cluster?.stop();
        }
      },
    };
  } catch (e) {
    await admin.close().catch(() => {});
    await cluster?.stop();
    throw e;
  }
}

/** `url` naming database `name` instead (user, password, host and query parameters kept). */
export function databaseUrl(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Reads the cluster's CPU time: the postmaster (with its reaped children) plus its live children. */
function clusterCpu(cluster: PgCluster): () => number {
  let postmaster = 0;
  return () => {
    try {
      // the first line of postmaster.pid is the postmaster's pid
      postmaster ||= Number(readFileSync(join(cluster.dir, "data/postmaster.pid"), "utf8").split("\n")[0]);
    } catch {
      return 0;
    }
    let ticks = 0;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile: its time is in the postmaster's cutime now
      }
      // after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(entry) !== postmaster && Number(f[1]) !== postmaster) continue;
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    }
    return ticks / 100; // clock ticks, 100 Hz on Linux
  };
}
