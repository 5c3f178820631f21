/**
 * `custom`: upstream's JS-vs-Go comparison. `GET /js` is a pb_hooks route served by dist/pb
 * (upstream benchmark's pb_hooks/main.pb.js, rewritten: a middleware sets `total` = 20, the
 * handler answers `$app.findRecordsByFilter("posts10k", "title != ''", "-created", total)`);
 * `GET /native` is the same route in TypeScript (bench/native_server.ts, pb's router and App from
 * source). Then the hook test: 100 PATCHes @10 through an `onRecordUpdateRequest` hook that
 * rewrites `title`, in JS (collection `js`, on the JS server) and in TypeScript (collection `go`,
 * on the native server). Each JS row is followed by its native twin; the ratios are printed last.
 * Last, "writes while a slow hook runs elsewhere": creates in `fast` on the JS server, alone and
 * while creates in `slow` keep an `onRecordCreate` hook asleep for 800 ms (a hook's wait must not
 * hold other writes: they should show the same latency).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { auth, JSON_HEADERS, type Bench } from "../lib/bench.ts";
import { freePort, spawnServer, type ServerProc } from "../lib/proc.ts";
import { fmtMs, fmtRps, type Row } from "../lib/report.ts";
import { postsFields } from "../lib/schema.ts";

const SECTION = "custom";
const NATIVE_SERVER = join(import.meta.dir, "../native_server.ts");
/** The hook twins' collections (upstream renames posts10k to these for the hook test). */
const HOOK_COLLECTIONS = { js: "js", native: "go" } as const;
const HOOK_ROWS = 100;
/** The slow hook's wait and how many slow creates keep it busy at once. */
const SLOW_HOOK_MS = 800;
const SLOW_CONC = 2;

const HOOKS = `// upstream benchmark's pb_hooks/main.pb.js, same shape
function customMiddleware(e) {
  e.set("total", 20)
  return e.next()
}

routerAdd("GET", "/js", (e) => {
  const records = $app.findRecordsByFilter("posts10k", "title != ''", "-created", e.get("total"))
  return e.json(200, records)
}, customMiddleware)

onRecordUpdateRequest((e) => {
  if (e.record.get("title") != "") {
    e.record.set("title", "js_update")
  }
  return e.next()
}, "${HOOK_COLLECTIONS.js}")

// a hook that waits (on a peer, a mail server…) while other requests write elsewhere
onRecordCreate((e) => {
  sleep(${SLOW_HOOK_MS})
  return e.next()
}, "slow")
`;

export async function custom(b: Bench): Promise<void> {
  const su = b.api.token;
  // the hook twins: posts-shaped collections with 100 rows each, made before the servers start
  const users = await b.api.collection("users");
  const ids: { [name: string]: string[] } = {};
  for (const name of Object.values(HOOK_COLLECTIONS)) {
    await b.api.createCollection({
      name,
      type: "base",
      listRule: "",
      viewRule: "",
      createRule: "",
      updateRule: "",
      deleteRule: "",
      fields: postsFields(users.id),
    });
    ids[name] = [];
    for (let i = 0; i < HOOK_ROWS; i++) {
      const r = await b.api.call("POST", `/api/collections/${name}/records`, {
        title: `row ${i}`,
        description: "hook test",
        public: i % 2 === 0,
        type: ["a"],
        author: b.userIds[i % Math.max(1, b.userIds.length)] ?? "",
      });
      ids[name]!.push(r.id);
    }
  }
  for (const name of ["slow", "fast"]) {
    await b.api.createCollection({ name, type: "base", createRule: "", fields: [{ type: "text", name: "title" }] });
  }

  const hooksDir = join(b.workDir, "custom_pb_hooks");
  mkdirSync(hooksDir, { recursive: true });
  writeFileSync(join(hooksDir, "main.pb.js"), HOOKS);
  const jsPort = await freePort();
  const js = await spawnServer({
    name: "pb with pb_hooks",
    cmd: [
      b.binary,
      "serve",
      `--http=127.0.0.1:${jsPort}`,
      `--dir=${b.dataDir}`,
      ...b.dbArgs,
      `--hooksDir=${hooksDir}`,
      "--hooksWatch=false",
      "--queryTimeout=90",
    ],
    port: jsPort,
    cwd: b.workDir,
    logFile: join(b.workDir, "pb_hooks_server.log"),
    timeoutMs: 60_000,
  });
  let native: ServerProc | null = null;
  const pairs: [string, Row, Row][] = [];
  try {
    const nativePort = await freePort();
    native = await spawnServer({
      name: "native-route server",
      cmd: [
        process.execPath,
        "--max-http-header-size=1052672",
        NATIVE_SERVER,
        `--http=127.0.0.1:${nativePort}`,
        `--dir=${b.dataDir}`,
        ...b.dbArgs,
        "--queryTimeout=90",
        `--hookCollection=${HOOK_COLLECTIONS.native}`,
      ],
      port: nativePort,
      cwd: b.workDir,
      logFile: join(b.workDir, "native_server.log"),
    });
    // unmeasured warm-up: pb grows its QuickJS worker pool on demand and both JITs start cold
    for (const [server, path] of [
      [js, "/js"],
      [native, "/native"],
    ] as const) {
      await b.load({
        section: SECTION,
        name: "warm-up",
        requests: [{ method: "GET", path, headers: auth(su) }],
        total: 200,
        conc: 50,
        mode: "keepalive",
        server,
        record: false,
      });
    }
    for (const m of b.modesFor("all")) {
      for (const [n, c] of b.profile.custom) {
        await b.cooldown();
        const rj = await b.load({
          section: SECTION,
          name: "JS route GET /js (pb_hooks)",
          requests: [{ method: "GET", path: "/js", headers: auth(su) }],
          total: n,
          conc: c,
          mode: m,
          server: js,
          note: "dist/pb + pb_hooks/main.pb.js",
        });
        await b.cooldown();
        const rn = await b.load({
          section: SECTION,
          name: "native route GET /native",
          requests: [{ method: "GET", path: "/native", headers: auth(su) }],
          total: n,
          conc: c,
          mode: m,
          server: native,
          note: "a TS route in pb's router, run from source",
        });
        pairs.push([`route ${n} @${c}, ${m === "close" ? "new conn" : "keep-alive"}`, rj, rn]);
      }
      const [n, c] = [HOOK_ROWS, 10];
      const patch = (name: string) =>
        ids[name]!.map((id) => ({
          method: "PATCH",
          path: `/api/collections/${name}/records/${id}`,
          headers: { ...auth(su), ...JSON_HEADERS },
          body: JSON.stringify({ title: "hook_update" }),
        }));
      await b.cooldown();
      const hj = await b.load({
        section: SECTION,
        name: "PATCH + JS onRecordUpdateRequest hook",
        requests: patch(HOOK_COLLECTIONS.js),
        total: n,
        conc: c,
        mode: m,
        server: js,
        note: "title rewritten in pb_hooks",
      });
      await b.cooldown();
      const hn = await b.load({
        section: SECTION,
        name: "PATCH + native onRecordUpdateRequest hook",
        requests: patch(HOOK_COLLECTIONS.native),
        total: n,
        conc: c,
        mode: m,
        server: native,
        note: "title rewritten in TypeScript",
      });
      pairs.push([`update hook ${n} @${c}, ${m === "close" ? "new conn" : "keep-alive"}`, hj, hn]);
    }
    await slowHookElsewhere(b, js);
  } finally {
    await js.stop();
    if (native) await native.stop();
  }
  // the hooks must really have run: every twin row carries its own hook's title
  for (const [name, title] of [
    [HOOK_COLLECTIONS.js, "js_update"],
    [HOOK_COLLECTIONS.native, "native_update"],
  ] as const) {
    const r = await b.api.call<{ totalItems: number }>(
      "GET",
      `/api/collections/${name}/records?perPage=1&filter=${encodeURIComponent(`title = '${title}'`)}`,
    );
    if (r.totalItems !== HOOK_ROWS)
      throw new Error(
        `${r.totalItems} of ${HOOK_ROWS} ${name} rows carry "${title}": the ${name} hook did not run on every PATCH`,
      );
  }
  const lines = [
    "",
    "JS ÷ native (time per request = native req/s ÷ JS req/s; server CPU per request):",
    ...pairs.map(
      ([what, j, n]) =>
        `  ${what.padEnd(34)} JS ${fmtRps(j.rps).padStart(7)} req/s  native ${fmtRps(n.rps).padStart(7)} req/s  time ${(n.rps / j.rps).toFixed(2)}×  CPU ${(j.cpuPerReq / n.cpuPerReq).toFixed(2)}×`,
    ),
  ];
  for (const l of lines) b.print(l);
  b.extra.markdown.push(
    [
      "### JS hooks ÷ native",
      "",
      "Target: a pb_hooks route costs ≤ 1.3× the same route written natively. Time ratio = native req/s ÷ JS req/s; CPU ratio = server CPU per request, JS ÷ native (the JS workers are threads of pb, so their CPU counts).",
      "",
      "| run | JS req/s | native req/s | time ratio | CPU ratio |",
      "|---|---:|---:|---:|---:|",
      ...pairs.map(
        ([what, j, n]) =>
          `| ${what} | ${fmtRps(j.rps)} | ${fmtRps(n.rps)} | **${(n.rps / j.rps).toFixed(2)}×** | ${(j.cpuPerReq / n.cpuPerReq).toFixed(2)}× |`,
      ),
      "",
    ].join("\n"),
  );
}

/**
 * Creates in `fast` @10, alone and then while SLOW_CONC clients keep creating in `slow` (each
 * create waits SLOW_HOOK_MS in its hook); prints both latencies and how many slow creates ran.
 */
async function slowHookElsewhere(b: Bench, js: ServerProc): Promise<void> {
  const m = b.modesFor("primary")[0]!;
  // enough writes to span several slow creates
  const [n, c] = [4 * HOOK_ROWS, 10];
  const creates = [
    {
      method: "POST",
      path: "/api/collections/fast/records",
      headers: JSON_HEADERS,
      body: JSON.stringify({ title: "fast" }),
    },
  ];
  await b.cooldown();
  const alone = await b.load({
    section: SECTION,
    name: "writes, no slow hook running",
    requests: creates,
    total: n,
    conc: c,
    mode: m,
    server: js,
    note: "POST fast (JS server)",
  });
  await b.cooldown();
  let stop = false;
  const slowMs: number[] = [];
  const slowLoops = Array.from({ length: SLOW_CONC }, async () => {
    while (!stop) {
      const t = performance.now();
      const res = await fetch(`http://127.0.0.1:${js.port}/api/collections/slow/records`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ title: "slow" }),
      });
      await res.text();
      if (res.status !== 200) throw new Error(`a create in slow answered ${res.status}`);
      slowMs.push(performance.now() - t);
    }
  });
  await Bun.sleep(100); // the slow hooks are asleep now
  let busy: Row;
  try {
    busy = await b.load({
      section: SECTION,
      name: "writes while a slow hook runs elsewhere",
      requests: creates,
      total: n,
      conc: c,
      mode: m,
      server: js,
      measureCpu: false,
      note: `POST fast while ${SLOW_CONC} creates in slow wait ${SLOW_HOOK_MS} ms in onRecordCreate`,
    });
  } finally {
    stop = true;
    await Promise.all(slowLoops);
  }
  // the slow hook must really have waited, or the row measures nothing
  if (!slowMs.length || Math.min(...slowMs) < SLOW_HOOK_MS)
    throw new Error(`slow creates took ${slowMs.map((x) => x.toFixed(0)).join(", ")} ms: the slow hook did not run`);
  const line = `writes while a slow hook runs elsewhere: p50 ${fmtMs(busy.p50)}, p99 ${fmtMs(busy.p99)}, max ${fmtMs(busy.max)} (alone: p50 ${fmtMs(alone.p50)}, p99 ${fmtMs(alone.p99)}); ${slowMs.length} slow creates of ${fmtMs(Math.min(...slowMs))}–${fmtMs(Math.max(...slowMs))} alongside`;
  b.print(line);
  b.extra.markdown.push(`### A slow hook elsewhere\n\n${line}\n`);
}
