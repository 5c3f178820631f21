/**
 * What the READMEs promise that a machine can check: commands that run on a fresh clone (Bun comes
 * from npm, so never a bare `bun`), one set of performance figures taken from the newest bench
 * results file, the supported Node versions, and `npm start -- <flags>` reaching `serve`.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { join } from "node:path";
import { REPO, tempDir } from "./harness.ts";

const read = (p: string) => readFileSync(join(REPO, p), "utf8");
const DOCS = ["README.md", "bench/README.md", "hooks/README.md"];

/** Fenced code blocks and inline code spans: the text a reader copies into a shell. */
function codeOf(md: string): string[] {
  const fenced = [...md.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  const prose = md.replace(/^```[^\n]*\n[\s\S]*?^```/gm, "");
  const inline = [...prose.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  return [...fenced, ...inline];
}

/** The `## <title>` section of a markdown file, up to the next `## ` heading. */
function section(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}\n`);
  if (start < 0) return "";
  const end = md.indexOf("\n## ", start + 1);
  return md.slice(start, end < 0 ? undefined : end);
}

/** The newest bench/results/*.md by the run time in its header (file names sort by commit, not time). */
function newestResults(): { name: string; text: string } {
  const dir = join(REPO, "bench/results");
  const runs = readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .map((name) => {
      const text = readFileSync(join(dir, name), "utf8");
      const when = /^# pb benchmark — (\d{4}-\d\d-\d\d \d\d:\d\d) UTC/m.exec(text)?.[1] ?? "";
      return { name, text, when };
    })
    .sort((a, b) => (a.when < b.when ? 1 : a.when > b.when ? -1 : 0));
  expect(runs.length).toBeGreaterThan(0);
  expect(runs[0]!.when).not.toBe("");
  return runs[0]!;
}

describe("README commands", () => {
  for (const doc of DOCS) {
    test(`${doc}: every bun command is run through npx (Bun is not on PATH after npm install)`, () => {
      const bare: string[] = [];
      for (const code of codeOf(read(doc))) {
        for (const m of code.matchAll(/(^|[^\w./:-])bun\s/g)) {
          const before = code.slice(0, m.index! + m[1]!.length);
          if (!/npx\s+$/.test(before)) bare.push(code.trim().split("\n")[0]!);
        }
      }
      expect(bare).toEqual([]);
    });
  }

  test("npm start -- <flags> passes them to serve (another address, another data dir)", async () => {
    const dir = tempDir("pb-readme-");
    const proc = Bun.spawn(["npm", "start", "--", "--http=127.0.0.1:0", `--dir=${dir}`], {
      cwd: REPO,
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
      detached: true, // its own process group: npm → sh → bun all stop together
    });
    let out = "";
    const dec = new TextDecoder();
    const collect = async (s: ReadableStream<Uint8Array>) => {
      for await (const c of s) out += dec.decode(c, { stream: true });
    };
    collect(proc.stdout as ReadableStream<Uint8Array>);
    collect(proc.stderr as ReadableStream<Uint8Array>);
    try {
      let url = "";
      for (let i = 0; i < 1500 && !url && proc.exitCode === null; i++) {
        url = /Server started at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? "";
        if (!url) await Bun.sleep(20);
      }
      expect(url, out).not.toBe("");
      // --http=127.0.0.1:0 took effect: a port the OS chose, not the default 8090
      expect(url).not.toBe("http://127.0.0.1:8090");
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
      // the later --dir wins over the script's --dir=./pb_data
      expect(existsSync(join(dir, "data.db"))).toBe(true);
    } finally {
      try {
        process.kill(-proc.pid, "SIGTERM");
      } catch {}
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("README figures", () => {
  test("Performance quotes the newest bench results file: binary size, cold start, idle RSS", () => {
    const { name, text } = newestResults();
    const m = /^- cold start median (\d+) ms, idle RSS (\d+) MB, binary ([\d.]+) MB$/m.exec(text);
    expect(m, `${name} has no startup figures`).not.toBeNull();
    const [, coldMs, rssMb, binaryMb] = m!;
    const perf = section(read("README.md"), "Performance");
    expect(perf).toContain(`bench/results/${name}`);
    expect(perf).toContain(`binary ${binaryMb} MB`);
    expect(perf).toContain(`cold start ${coldMs} ms`);
    expect(perf).toContain(`idle RSS ${rssMb} MB`);
  });

  test("no other section states its own binary size, memory or start-up time", () => {
    const sizeOrStart = new RegExp(
      [
        String.raw`(binary|executable|RSS|gzipped)[^.]{0,80}?\d[\d.,]* ?MB`,
        String.raw`\d[\d.,]* ?MB[^.]{0,40}?(binary|executable|RSS|gzipped)`,
        String.raw`(cold start|first request|starts)[^.]{0,60}?\d+ ms`,
      ].join("|"),
      "gi",
    );
    const readme = read("README.md");
    const outside = readme.replace(section(readme, "Performance"), "");
    const found = [outside, read("bench/README.md"), read("hooks/README.md")].flatMap((t) =>
      [...t.matchAll(sizeOrStart)].map((m) => m[0]),
    );
    expect(found).toEqual([]);
  });
});

describe("Node versions", () => {
  const engines: string | undefined = JSON.parse(read("package.json")).engines?.node;

  test("package.json declares engines.node and the README names the same versions", () => {
    expect(engines).toBeString();
    const mins = [...engines!.matchAll(/(?:\^|>=)(\d+(?:\.\d+)?)/g)].map((m) => `${m[1]}+`);
    expect(mins.length).toBeGreaterThan(0);
    const quick = section(read("README.md"), "Quick start");
    for (const v of mins) expect(quick).toContain(v);
  });

  test("the Node.js that runs npm here satisfies engines.node", () => {
    const node = Bun.spawnSync(["node", "--version"]).stdout.toString().trim().replace(/^v/, "");
    expect(node).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Bun.semver.satisfies(node, engines!)).toBe(true);
    // and the engines range is not so loose that anything passes
    expect(Bun.semver.satisfies("18.20.0", engines!)).toBe(false);
  });
});
