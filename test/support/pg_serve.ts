/**
 * `bun test/support/pg_serve.ts <pb command…>`: runs one pb server on a fresh PostgreSQL database
 * cloned from a template, for runners that start every server from a fresh copy of a fixture (the
 * conformance corpus: see test/conformance_pg.test.ts). A clone is a file copy inside the cluster,
 * far cheaper than a `pb db copy` per server.
 *
 * Environment: PB_PG_ADMIN_URL (a database to run CREATE/DROP DATABASE from) and PB_PG_TEMPLATE (the
 * template database's name). The pb command gets `--db=<url of the clone>` appended; the clone is
 * dropped again when pb exits (SIGTERM/SIGINT are passed on to it first).
 */
import { SQL } from "bun";

const adminUrl = process.env.PB_PG_ADMIN_URL ?? "";
const template = process.env.PB_PG_TEMPLATE ?? "";
const command = process.argv.slice(2);
if (!adminUrl || !template || command.length === 0) {
  console.error("usage: PB_PG_ADMIN_URL=… PB_PG_TEMPLATE=… bun pg_serve.ts <pb> serve [flags…]");
  process.exit(2);
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const name = `c_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
const dbUrl = new URL(adminUrl);
dbUrl.pathname = "/" + name;

async function admin(statement: string): Promise<void> {
  const sql = new SQL(adminUrl, { max: 1 });
  try {
    await sql.unsafe(statement);
  } finally {
    await sql.close();
  }
}

// FILE_COPY: a small template is copied as files at once (the default strategy logs every block)
await admin(`CREATE DATABASE ${quote(name)} TEMPLATE ${quote(template)} STRATEGY FILE_COPY`);

const pb = Bun.spawn([...command, `--db=${dbUrl.href}`], { stdio: ["ignore", "inherit", "inherit"] });
for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => pb.kill(signal));
const code = await pb.exited;
// FORCE: a connection pb left behind must not keep the clone alive
await admin(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`).catch(() => {});
process.exit(code);
