/**
 * `custom`: upstream compares a pb_hooks route (`GET /js`) with the same route written natively,
 * and an `onRecordUpdateRequest` hook in JS vs native. Only the native route runs here
 * (bench/native_server.ts on the same pb_data); the JS route and the hook comparison are left to the
 * JS hooks benchmark work, and their rows say so.
 */
import { join } from "node:path";
import { auth, type Bench } from "../lib/bench.ts";
import { freePort, spawnServer } from "../lib/proc.ts";
import { noteRow } from "../lib/report.ts";

const SECTION = "custom";
const NATIVE_SERVER = join(import.meta.dir, "../native_server.ts");

export async function custom(b: Bench): Promise<void> {
  const su = b.api.token;
  const port = await freePort();
  const native = await spawnServer({
    name: "native-route server",
    cmd: [process.execPath, "--max-http-header-size=1052672", NATIVE_SERVER, `--http=127.0.0.1:${port}`, `--dir=${b.dataDir}`, "--queryTimeout=90"],
    port,
    cwd: b.workDir,
    logFile: join(b.workDir, "native_server.log"),
  });
  try {
    for (const m of b.modesFor("all")) {
      for (const [n, c] of b.profile.custom) {
        await b.cooldown();
        await b.load({
          section: SECTION,
          name: "native route GET /native",
          requests: [{ method: "GET", path: "/native", headers: auth(su) }],
          total: n,
          conc: c,
          mode: m,
          server: native,
          note: "findRecordsByFilter(posts10k, 20 rows); a TS route in pb's router, run from source",
        });
      }
    }
  } finally {
    await native.stop();
  }
  b.add(noteRow(SECTION, "JS route GET /js (pb_hooks routerAdd)", "not measured yet: the pb_hooks twin of the native route is left to the JS hooks benchmark work"));
  b.add(noteRow(SECTION, "JS vs native onRecordUpdateRequest hook, 100 PATCH @10", "not measured yet: left to the JS hooks benchmark work"));
}
