import { afterAll, describe, expect, test } from "bun:test";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createArchive, extractArchive, isSkipped, walkFiles, ZipReader, ZipWriter } from "./index.ts";

const root = mkdtempSync(join(tmpdir(), "pb-archive-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Deterministic pseudo-random bytes (incompressible enough to exercise the streaming path). */
function noise(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x >> 16;
  }
  return out;
}

function makeTree(dir: string) {
  mkdirSync(join(dir, "storage/abc/rec1/thumbs_a.png"), { recursive: true });
  mkdirSync(join(dir, "backups"), { recursive: true });
  mkdirSync(join(dir, ".pb_temp_to_delete/x"), { recursive: true });
  mkdirSync(join(dir, "empty_dir"), { recursive: true });
  writeFileSync(join(dir, "data.db"), "live database bytes");
  writeFileSync(join(dir, "auxiliary.db"), "aux");
  writeFileSync(join(dir, "storage/abc/rec1/a.png"), noise(1000));
  writeFileSync(join(dir, "storage/abc/rec1/a.png.attrs"), '{"user.content_type":"image/png"}');
  writeFileSync(join(dir, "storage/abc/rec1/thumbs_a.png/100x100_a.png"), "thumb");
  writeFileSync(join(dir, "storage/abc/rec1/ünïcode name.txt"), "héllo");
  writeFileSync(join(dir, "storage/abc/big.bin"), noise(3 << 20, 7)); // streamed
  writeFileSync(join(dir, "storage/abc/zeros.bin"), new Uint8Array(2 << 20)); // compresses well
  writeFileSync(join(dir, "backups/old.zip"), "skip me");
  writeFileSync(join(dir, ".pb_temp_to_delete/x/tmp"), "skip me");
  symlinkSync(join(dir, "data.db"), join(dir, "link.db"));
}

describe("isSkipped", () => {
  test("exact names and folder prefixes, as upstream", () => {
    expect(isSkipped("backups", ["backups"])).toBe(true);
    expect(isSkipped("backups/a.zip", ["backups"])).toBe(true);
    expect(isSkipped("backups2/a.zip", ["backups"])).toBe(false);
    expect(isSkipped("data.db-wal", ["data.db"])).toBe(false);
    expect(isSkipped("a/b/c", ["a/b"])).toBe(true);
  });
});

describe("createArchive / extractArchive", () => {
  const src = join(root, "src");
  const zipPath = join(root, "out.zip");
  makeTree(src);

  test("walks files in sorted order, skipping folders, links and skipped paths", async () => {
    const files: string[] = [];
    for await (const f of walkFiles(src, ["backups", ".pb_temp_to_delete"])) files.push(f);
    expect(files).toEqual([
      "auxiliary.db",
      "data.db",
      "storage/abc/big.bin",
      "storage/abc/rec1/a.png",
      "storage/abc/rec1/a.png.attrs",
      "storage/abc/rec1/thumbs_a.png/100x100_a.png",
      "storage/abc/rec1/ünïcode name.txt",
      "storage/abc/zeros.bin",
    ]);
  });

  test("round trip, with a replaced entry; other zip tools read the result", async () => {
    const snapshot = join(root, "snapshot.db");
    writeFileSync(snapshot, "consistent snapshot bytes");
    const { count, md5 } = await createArchive(src, zipPath, {
      skip: ["backups", ".pb_temp_to_delete"],
      replace: { "data.db": snapshot, "extra/added.txt": snapshot },
      md5: true,
    });
    expect(count).toBe(9);
    expect(md5).toBe(new Bun.CryptoHasher("md5").update(readFileSync(zipPath)).digest("base64"));
    // zeros compress; noise is stored deflated at about its size
    expect(statSync(zipPath).size).toBeLessThan((3 << 20) + 200_000);

    if (Bun.which("unzip")) {
      const unzip = Bun.spawnSync(["unzip", "-tq", zipPath]);
      expect(unzip.stdout.toString()).toContain("No errors detected");
    }
    const py = Bun.spawnSync([
      "python3",
      "-c",
      "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist()))",
      zipPath,
    ]);
    if (py.success) expect(py.stdout.toString().trim()).toBe("9");

    const out = join(root, "extracted");
    await extractArchive(zipPath, out);
    expect(readFileSync(join(out, "data.db"), "utf8")).toBe("consistent snapshot bytes");
    expect(readFileSync(join(out, "extra/added.txt"), "utf8")).toBe("consistent snapshot bytes");
    expect(readFileSync(join(out, "auxiliary.db"), "utf8")).toBe("aux");
    expect(
      Buffer.compare(readFileSync(join(out, "storage/abc/big.bin")), readFileSync(join(src, "storage/abc/big.bin"))),
    ).toBe(0);
    expect(readFileSync(join(out, "storage/abc/zeros.bin")).byteLength).toBe(2 << 20);
    expect(readFileSync(join(out, "storage/abc/rec1/ünïcode name.txt"), "utf8")).toBe("héllo");
    expect(existsSync(join(out, "backups"))).toBe(false);
    expect(existsSync(join(out, "link.db"))).toBe(false);
    expect(existsSync(join(out, "empty_dir"))).toBe(false);
  });

  test("reads archives made by zip(1), stored and deflated", async () => {
    const made = join(root, "made-by-zip.zip");
    const z = Bun.spawnSync(["zip", "-qr", made, "storage"], { cwd: src });
    if (!z.success) return; // no zip(1) here
    const out = join(root, "from-zip");
    await extractArchive(made, out);
    expect(
      Buffer.compare(readFileSync(join(out, "storage/abc/big.bin")), readFileSync(join(src, "storage/abc/big.bin"))),
    ).toBe(0);
    const stored = join(root, "stored.zip");
    Bun.spawnSync(["zip", "-q0r", stored, "storage/abc/rec1"], { cwd: src });
    const out2 = join(root, "from-stored");
    await extractArchive(stored, out2);
    expect(readFileSync(join(out2, "storage/abc/rec1/a.png.attrs"), "utf8")).toContain("image/png");
  });

  test("refuses entries that escape the destination (zip slip)", async () => {
    const evil = join(root, "evil.zip");
    const w = await ZipWriter.create(evil);
    await w.addBytes("ok.txt", Buffer.from("fine"));
    await w.addBytes("../../escaped.txt", Buffer.from("bad"));
    await w.close();
    await expect(extractArchive(evil, join(root, "slip/dest"))).rejects.toThrow("invalid file path");
    expect(existsSync(join(root, "escaped.txt"))).toBe(false);
  });

  test("detects corrupted data and non-zip files", async () => {
    const bad = join(root, "corrupt.zip");
    const w = await ZipWriter.create(bad);
    await w.addBytes("a.txt", Buffer.from("x".repeat(5000)), { level: 0 });
    await w.close();
    const bytes = readFileSync(bad);
    bytes[200] = bytes[200]! ^ 0xff; // inside the stored data
    writeFileSync(bad, bytes);
    await expect(extractArchive(bad, join(root, "corrupt-out"))).rejects.toThrow("checksum error");
    const notZip = join(root, "not.zip");
    writeFileSync(notZip, "definitely not a zip archive at all");
    await expect(ZipReader.open(notZip)).rejects.toThrow("not a valid zip file");
  });

  test("ZIP64 data descriptors (entries announced as huge) read back everywhere", async () => {
    const p = join(root, "z64.zip");
    const w = await ZipWriter.create(p);
    async function* chunks() {
      for (let i = 0; i < 4; i++) yield noise(100_000, i + 3);
    }
    await w.addStream("big-announced.bin", chunks(), {}, 0xffffffff);
    await w.addBytes("after.txt", Buffer.from("after"));
    await w.close();
    const r = await ZipReader.open(p);
    expect(r.entries.map((e) => [e.name, e.size])).toEqual([
      ["big-announced.bin", 400_000],
      ["after.txt", 5],
    ]);
    let total = 0;
    for await (const c of r.read(r.entries[0]!)) total += c.byteLength;
    expect(total).toBe(400_000);
    await r.close();
    const py = Bun.spawnSync([
      "python3",
      "-c",
      "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print('ok')",
      p,
    ]);
    if (py.exitCode === 0) expect(py.stdout.toString().trim()).toBe("ok");
    if (Bun.which("unzip"))
      expect(Bun.spawnSync(["unzip", "-tq", p]).stdout.toString()).toContain("No errors detected");
  });
});
