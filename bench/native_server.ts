/**
 * pb's server with upstream benchmark's native ("Go") custom route added in TypeScript, for the
 * `custom` scenario: `GET /native` — a route middleware sets `total` = 20, the handler answers
 * `findRecordsByFilter("posts10k", "title != ''", "-created", total)` as JSON.
 *
 *   bun bench/native_server.ts --http=127.0.0.1:8092 --dir=/path/to/pb_data [--db=postgres://…] [--queryTimeout=90]
 *
 * It runs from source (same App, router and middlewares as dist/pb) because a compiled binary has
 * no way to add a route without pb_hooks. With `--hookCollection=<name>` it also binds upstream's
 * native update hook: `onRecordUpdateRequest` on that collection rewrites a non-empty `title`.
 * The pb_hooks twins are in bench/scenarios/custom.ts.
 */
import "../migrations/index.ts"; // the system migrations register themselves (an entry point imports them)
import { startServer } from "../src/api/server.ts";
import type { Router } from "../src/api/router.ts";
import { App } from "../src/core/app.ts";
import { findRecordsByFilterAsync } from "../src/core/record_search.ts";

const arg = (name: string, def: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;

const app = new App({
  dataDir: arg("dir", "./pb_data"),
  dbUrl: arg("db", "") || undefined,
  queryTimeout: Number(arg("queryTimeout", "30")),
});
await app.bootstrap();

app.onServe.bindFunc(async (e) => {
  const router = e.router as Router;
  router.get(
    "/native",
    async (re) => {
      const total = Number(re.store.get("total") ?? 0);
      // the read pool, as pb_hooks' $app.findRecordsByFilter (Go's handler gets a pooled connection too)
      const records = await findRecordsByFilterAsync(app, "posts10k", "title != ''", "-created", total);
      re.json(200, records);
    },
    {
      id: "benchTotal",
      func: (re) => {
        re.store.set("total", 20);
        return re.next();
      },
    },
  );
  await e.next();
});

const hookCollection = arg("hookCollection", "");
if (hookCollection) {
  app.onRecordUpdateRequest(hookCollection).bindFunc(async (e) => {
    if (e.record!.getString("title") !== "") e.record!.set("title", "native_update");
    await e.next();
  });
}

const server = await startServer(app, { http: arg("http", "127.0.0.1:8092") });
process.stdout.write(`native route server at ${server.url}/native\n`);
const stop = async () => {
  await server.stop();
  await app.terminate();
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
