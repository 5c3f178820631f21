/**
 * The floor: the least a server on this machine must do to answer the benchmark's insert, getOne
 * and list requests — plain `Bun.serve` + a raw SQLite connection opened as pb opens its own (WAL,
 * synchronous=NORMAL; src/core/db/open.ts), prepared statements run synchronously without pb's
 * async driver, the same URLs and JSON shapes as pb's records API, and no validation, rules, hooks
 * or middlewares.
 * bench/run.ts compiles it and runs it beside pb to print ours ÷ floor.
 *
 *   bun bench/floor_server.ts --port=8091 --dir=/tmp/floor
 *
 * Every collection name maps to one table with the posts schema (title, description, public,
 * type, author, created, updated), created on first use.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
// the raw connection (only src/core/db/ touches the SQLite client library)
import { openDatabase } from "../src/core/db/open.ts";

type Statement = ReturnType<ReturnType<typeof openDatabase>["query"]>;

const arg = (name: string, def: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const port = Number(arg("port", "8091"));
const dir = arg("dir", "./floor_data");
mkdirSync(dir, { recursive: true });

const db = openDatabase(join(dir, "data.db"));
db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;");

interface Table {
  insert: Statement;
  byId: Statement;
  count: Statement;
  page: Statement;
}
const tables = new Map<string, Table>();
function table(name: string): Table | null {
  let t = tables.get(name);
  if (t) return t;
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) return null;
  db.exec(`CREATE TABLE IF NOT EXISTS "${name}" (
    id TEXT PRIMARY KEY NOT NULL, title TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',
    public BOOLEAN NOT NULL DEFAULT FALSE, type JSON NOT NULL DEFAULT '[]', author TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL DEFAULT '', updated TEXT NOT NULL DEFAULT '')`);
  t = {
    insert: db.query(
      `INSERT INTO "${name}" (id, title, description, public, type, author, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    byId: db.query(`SELECT * FROM "${name}" WHERE id = ? LIMIT 1`),
    count: db.query(`SELECT COUNT(*) AS n FROM "${name}"`),
    page: db.query(`SELECT * FROM "${name}" LIMIT ? OFFSET ?`),
  };
  tables.set(name, t);
  return t;
}

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  let s = "";
  for (const b of bytes) s += ALPHABET[b % 36];
  return s;
}

type Row = {
  id: string;
  title: string;
  description: string;
  public: number;
  type: string;
  author: string;
  created: string;
  updated: string;
};
const out = (c: string, r: Row) => ({
  collectionId: c,
  collectionName: c,
  id: r.id,
  title: r.title,
  description: r.description,
  public: !!r.public,
  type: JSON.parse(r.type),
  author: r.author,
  created: r.created,
  updated: r.updated,
});
const notFound = () => Response.json({ status: 404, message: "Not found.", data: {} }, { status: 404 });

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  routes: {
    "/api/health": () => Response.json({ message: "API is healthy.", code: 200, data: {} }),
    "/api/collections/:c/records": {
      async POST(req) {
        const t = table(req.params.c);
        if (!t) return notFound();
        const b = (await req.json()) as {
          title?: string;
          description?: string;
          public?: boolean;
          type?: string[];
          author?: string;
        };
        const now = new Date().toISOString().replace("T", " ");
        const row: Row = {
          id: newId(),
          title: b.title ?? "",
          description: b.description ?? "",
          public: b.public ? 1 : 0,
          type: JSON.stringify(b.type ?? []),
          author: b.author ?? "",
          created: now,
          updated: now,
        };
        t.insert.run(row.id, row.title, row.description, row.public, row.type, row.author, row.created, row.updated);
        return Response.json(out(req.params.c, row));
      },
      GET(req) {
        const t = table(req.params.c);
        if (!t) return notFound();
        const q = new URL(req.url).searchParams;
        const perPage = Math.min(1000, Math.max(1, Number(q.get("perPage") ?? 30) || 30));
        const page = Math.max(1, Number(q.get("page") ?? 1) || 1);
        const skipTotal = q.get("skipTotal") === "1" || q.get("skipTotal") === "true";
        const totalItems = skipTotal ? -1 : (t.count.get() as { n: number }).n;
        const items = (t.page.all(perPage, (page - 1) * perPage) as Row[]).map((r) => out(req.params.c, r));
        return Response.json({
          page,
          perPage,
          totalItems,
          totalPages: skipTotal ? -1 : Math.ceil(totalItems / perPage),
          items,
        });
      },
    },
    "/api/collections/:c/records/:id": {
      GET(req) {
        const t = table(req.params.c);
        const r = t?.byId.get(req.params.id) as Row | null;
        return r ? Response.json(out(req.params.c, r)) : notFound();
      },
    },
  },
  fetch: () => notFound(),
});

process.stdout.write(`floor listening on http://127.0.0.1:${server.port}\n`);
const stop = () => {
  server.stop(true);
  db.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
