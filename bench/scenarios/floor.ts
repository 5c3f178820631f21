/**
 * `floor`: pb against the floor server (bench/floor_server.ts: Bun.serve + bun:sqlite, no
 * validation, rules or hooks) on insert, getOne and list, keep-alive, interleaved round by round
 * (pb, floor, pb, floor, …) so both see the same machine state. Prints ours ÷ floor from the
 * median round of each.
 *
 * pb runs them on `floorcmp`, a collection with the posts schema and open rules; the floor on a
 * table of the same shape. Both tables grow by the same rows, so the lists count the same rows.
 */
import { join } from "node:path";
import { JSON_HEADERS, type Bench } from "../lib/bench.ts";
import type { HttpRequest } from "../lib/http_client.ts";
import { freePort, spawnServer, type ServerProc } from "../lib/proc.ts";
import { fmtRps, type Row } from "../lib/report.ts";
import { createPosts } from "../lib/schema.ts";
import { postBody } from "./create.ts";

const SECTION = "floor";
const COL = "floorcmp";
export const FLOOR_SOURCE = join(import.meta.dir, "../floor_server.ts");

/** Compiles the floor server into `dir` (a binary, as pb is); falls back to running the source. */
export async function floorCommand(dir: string): Promise<string[]> {
  const outfile = join(dir, "floor");
  try {
    const r = await Bun.build({
      entrypoints: [FLOOR_SOURCE],
      target: "bun",
      format: "esm",
      minify: true,
      bytecode: true,
      compile: { outfile },
      throw: false,
    });
    if (r.success) return [outfile];
  } catch {}
  return [process.execPath, FLOOR_SOURCE];
}

export async function startFloor(b: Bench, name = "floor"): Promise<ServerProc> {
  const port = await freePort();
  const cmd = await floorCommand(b.workDir);
  return spawnServer({
    name,
    cmd: [...cmd, `--port=${port}`, `--dir=${join(b.workDir, name + "_data")}`],
    port,
    cwd: b.workDir,
    logFile: join(b.workDir, name + ".log"),
  });
}

export interface FloorRatio {
  what: string;
  /** Median requests/s. */
  ours: number;
  floor: number;
  /** Median server CPU per request, µs. */
  oursCpu: number;
  floorCpu: number;
}

export async function floor(b: Bench): Promise<FloorRatio[]> {
  const p = b.profile.floor;
  const fl = await startFloor(b);
  const mode = "keepalive" as const;
  const ratios: FloorRatio[] = [];
  try {
    const usersId = (await b.api.collection("users")).id;
    await createPosts(b.api, COL, usersId);
    const path = `/api/collections/${COL}/records`;
    const servers: [string, ServerProc][] = [
      ["pb", b.pb],
      ["floor", fl],
    ];
    const rounds = async (what: string, run: readonly [number, number], requests: (who: string) => HttpRequest[]) => {
      const got: { [who: string]: Row[] } = { pb: [], floor: [] };
      for (let r = 0; r < p.rounds; r++) {
        for (const [who, server] of servers) {
          await b.cooldown();
          got[who]!.push(
            await b.load({
              section: SECTION,
              name: `${what} — ${who === "pb" ? "pb" : "floor"} (round ${r + 1})`,
              requests: requests(who),
              total: run[0],
              conc: run[1],
              mode,
              server,
              usesDb: who === "pb",
            }),
          );
        }
      }
      const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      ratios.push({
        what: `${what} @${run[1]}`,
        ours: med(got.pb!.map((x) => x.rps)),
        floor: med(got.floor!.map((x) => x.rps)),
        oursCpu: med(got.pb!.map((x) => x.cpuPerReq)),
        floorCpu: med(got.floor!.map((x) => x.cpuPerReq)),
      });
    };

    // insert: the same post bodies as the create scenario
    await rounds("insert", p.create, () => {
      const reqs: HttpRequest[] = [];
      for (let i = 0; i < p.create[0]; i++)
        reqs.push({ method: "POST", path, headers: JSON_HEADERS, body: postBody(`${COL}${i}`, i, b.userIds) });
      return reqs;
    });
    // getOne: random ids of each side's own rows
    const pbIds = await b.api.randomIds(COL, 1000);
    const flIds = (
      (await (await fetch(`http://127.0.0.1:${fl.port}${path}?perPage=1000&skipTotal=1`)).json()) as {
        items: { id: string }[];
      }
    ).items.map((x) => x.id);
    await rounds("getOne", p.getOne, (who) =>
      (who === "pb" ? pbIds : flIds).map((id) => ({ method: "GET", path: `${path}/${id}` })),
    );
    // list, perPage=20 with the total count (the default)
    await rounds("list perPage=20", p.list, () => [{ method: "GET", path: `${path}?perPage=20` }]);
  } finally {
    await fl.stop();
  }
  await b.api.deleteCollection(COL).catch(() => {});

  const lines = ["", "ours ÷ floor (keep-alive, median of the interleaved rounds):"];
  for (const r of ratios) {
    lines.push(
      `  ${r.what.padEnd(22)} pb ${fmtRps(r.ours).padStart(8)} req/s   floor ${fmtRps(r.floor).padStart(8)} req/s   ratio ${(r.ours / r.floor).toFixed(2)}   server CPU/req pb ${r.oursCpu.toFixed(0)} µs, floor ${r.floorCpu.toFixed(0)} µs`,
    );
  }
  for (const l of lines) b.print(l);
  b.extra.markdown.push(
    [
      "### ours ÷ floor",
      "",
      `Keep-alive, ${p.rounds} interleaved round(s) each, median round. Floor = plain Bun.serve + bun:sqlite (WAL, synchronous=NORMAL), no validation, rules or hooks.`,
      "",
      "| operation | pb req/s | floor req/s | pb ÷ floor | pb server CPU/req | floor server CPU/req |",
      "|---|---:|---:|---:|---:|---:|",
      ...ratios.map(
        (r) =>
          `| ${r.what} | ${fmtRps(r.ours)} | ${fmtRps(r.floor)} | **${(r.ours / r.floor).toFixed(2)}** | ${r.oursCpu.toFixed(0)} µs | ${r.floorCpu.toFixed(0)} µs |`,
      ),
      "",
    ].join("\n"),
  );
  return ratios;
}
