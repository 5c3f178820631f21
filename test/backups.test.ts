/**
 * Backups end to end over the official SDK against a real server process: create → wipe → restore
 * round trip (records and files equal, same PID), the archive's content, upload, download with a
 * superuser file token, delete, auto backups with retention, and the same round trip on S3.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { App } from "../src/core/app.ts";
import { newBaseCollection } from "../src/core/collection.ts";
import { saveCollection } from "../src/core/collection_save.ts";
import { FileField, TextField } from "../src/core/fields/index.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { extractArchive, ZipReader, ZipWriter } from "../src/tools/archive/index.ts";
import { type TestServer, failure, startServer, tempDir } from "./harness.ts";
import { withDb } from "./support/db.ts";
import { startS3rver, type S3Server } from "./support/s3rver.ts";

// restores start a second after their 204 and the runs are slower on a busy machine
// Backups and restores run real archives against a real s3rver; on a loaded 2-core box they can take a while.
setDefaultTimeout(120_000);

const PASSWORD = "1234567890";
let srv: TestServer;
let pb: PocketBase;
let s3: S3Server;
const scratch = tempDir("pb-backups-test-");

async function prepare(dataDir: string) {
  const app = new App({ dataDir });
  await app.bootstrap();
  const notes = newBaseCollection("notes");
  notes.fields.add(new TextField({ name: "title" }), new FileField({ name: "doc", maxSelect: 1, maxSize: 10 << 20 }));
  notes.listRule = notes.viewRule = "";
  await saveCollection(app, notes);
  await createSuperuser(app, "root@example.com", PASSWORD);
  await app.terminate();
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await Bun.sleep(100);
  }
  throw new Error("timed out");
}

/** Waits until the restore (which starts ~1 s after its 204) has swapped the data in. */
async function waitForRestore(expectCount: number) {
  await waitFor(async () => (await pb.collection("notes").getList(1, 1)).totalItems === expectCount);
  await waitFor(async () => (await pb.health.check()).data.canBackup === true);
}

beforeAll(async () => {
  s3 = await startS3rver("pb-backups");
  const work = tempDir();
  await prepare(join(work, "pb_data"));
  srv = await startServer({ workDir: work });
  pb = srv.sdk();
  await pb.collection("_superusers").authWithPassword("root@example.com", PASSWORD);
});

afterAll(async () => {
  await srv?.stop();
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe("round trip", () => {
  test("create → wipe → restore: every record and file is back; the process (PID) stays", async () => {
    const pid = srv.proc.pid;
    const created = [];
    for (let i = 0; i < 20; i++) {
      const form = new FormData();
      form.append("title", `note ${i}`);
      if (i % 5 === 0) form.append("doc", new File([`file content ${i}`], `doc${i}.txt`, { type: "text/plain" }));
      created.push(await pb.collection("notes").create(form));
    }
    const before = await pb.collection("notes").getFullList({ sort: "title" });
    expect(before).toHaveLength(20);

    expect(await pb.backups.create("round_trip.zip")).toBe(true);
    const list = await pb.backups.getFullList();
    expect(list.map((b) => b.key)).toContain("round_trip.zip");
    const info = list.find((b) => b.key === "round_trip.zip")!;
    expect(info.size).toBeGreaterThan(1000);
    expect(info.modified).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}Z$/);

    // wipe: delete everything, add something that must disappear
    for (const r of created) await pb.collection("notes").delete(r.id);
    await pb.collection("notes").create({ title: "after the backup" });
    expect((await pb.collection("notes").getList(1, 1)).totalItems).toBe(1);

    expect(await pb.backups.restore("round_trip.zip")).toBe(true);
    await waitForRestore(20);

    const after = await pb.collection("notes").getFullList({ sort: "title" });
    expect(after).toEqual(before);
    for (const r of after.filter((x) => x.doc)) {
      const res = await fetch(pb.files.getURL(r, r.doc));
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^file content \d+$/);
    }
    expect(srv.proc.pid).toBe(pid);
    expect(srv.proc.exitCode).toBeNull();
    // the old data went to the temp folder, which the re-bootstrap cleared
    expect(() => readFileSync(join(srv.dataDir, ".pb_temp_to_delete", "x"))).toThrow();
    // the superuser token still works (same superuser in the backup)
    expect((await pb.backups.getFullList()).length).toBeGreaterThan(0);
  });

  test("the archive: snapshots of both databases (integrity ok), storage with .attrs, nothing excluded", async () => {
    const token = await pb.files.getToken();
    const res = await fetch(pb.backups.getDownloadURL(token, "round_trip.zip"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe("attachment; filename=round_trip.zip");
    const zipPath = join(scratch, "download.zip");
    writeFileSync(zipPath, new Uint8Array(await res.arrayBuffer()));
    const zip = await ZipReader.open(zipPath);
    const names = zip.entries.map((e) => e.name);
    await zip.close();
    expect(names).toContain("data.db");
    expect(names).toContain("auxiliary.db");
    expect(names.some((n) => n.startsWith("storage/") && n.endsWith(".txt"))).toBe(true);
    expect(names.some((n) => n.startsWith("storage/") && n.endsWith(".txt.attrs"))).toBe(true);
    for (const n of names) {
      expect(n).not.toMatch(/^(backups|\.pb_temp_to_delete|\.notify|\.autocert_cache|lost\+found)(\/|$)/);
      expect(n).not.toMatch(/-(wal|shm|journal)$/);
    }
    const out = join(scratch, "extracted");
    await extractArchive(zipPath, out);
    for (const db of ["data.db", "auxiliary.db"]) {
      expect(await withDb(join(out, db), (d) => d.get("PRAGMA integrity_check"))).toEqual({ integrity_check: "ok" });
    }
  });
});

describe("create, list, delete", () => {
  test("names: generated by default, validated when given, unique", async () => {
    expect(await pb.backups.create("")).toBe(true);
    const keys = (await pb.backups.getFullList()).map((b) => b.key);
    expect(keys.some((k) => /^pb_backup_acme_\d{14}\.zip$/.test(k))).toBe(true);

    let err = await failure(pb.backups.create("Invalid Name.zip"));
    expect(err.status).toBe(400);
    expect(err.response.data.name.code).toBe("validation_match_invalid");
    err = await failure(pb.backups.create("round_trip.zip"));
    expect(err.response.data.name.code).toBe("validation_backup_name_exists");
    err = await failure(pb.backups.create("a".repeat(148) + ".zip"));
    expect(err.response.data.name.code).toBe("validation_length_out_of_range");
  });

  test("delete: 204, then 400 for a missing file", async () => {
    await pb.backups.create("to_delete.zip");
    expect(await pb.backups.delete("to_delete.zip")).toBe(true);
    const err = await failure(pb.backups.delete("to_delete.zip"));
    expect(err.status).toBe(400);
    expect(err.response.message).toStartWith("Invalid or already deleted backup file. Raw error:");
  });

  test("restore of a missing file: 400", async () => {
    const err = await failure(pb.backups.restore("missing.zip"));
    expect(err.status).toBe(400);
    expect(err.response.message).toBe("Missing or invalid backup file.");
  });
});

describe("download", () => {
  test("only with a superuser file token", async () => {
    const url = (token: string, key = "round_trip.zip") =>
      `${srv.url}/api/backups/${encodeURIComponent(key)}?token=${encodeURIComponent(token)}`;
    expect(
      (await fetch(`${srv.url}/api/backups/round_trip.zip`, { headers: { Authorization: pb.authStore.token } })).status,
    ).toBe(403);
    expect((await fetch(url(pb.authStore.token))).status).toBe(403); // an auth token is not a file token
    expect((await fetch(url(""))).status).toBe(403);
    const fileToken = await pb.files.getToken();
    expect((await fetch(url(fileToken, "missing.zip"))).status).toBe(404);
    const res = await fetch(url(fileToken));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/zip");
    expect((await res.arrayBuffer()).byteLength).toBe(
      (await pb.backups.getFullList()).find((b) => b.key === "round_trip.zip")!.size,
    );
  });
});

describe("upload", () => {
  test("a zip under its own name; existing names, non-zips and missing files are refused", async () => {
    const zipBytes = readFileSync(join(scratch, "download.zip"));
    expect(await pb.backups.upload({ file: new File([zipBytes], "uploaded.zip") })).toBe(true);
    expect((await pb.backups.getFullList()).find((b) => b.key === "uploaded.zip")?.size).toBe(zipBytes.byteLength);

    let err = await failure(pb.backups.upload({ file: new File([zipBytes], "uploaded.zip") }));
    expect(err.response.data.file.code).toBe("validation_backup_name_exists");
    err = await failure(pb.backups.upload({ file: new File(["just text"], "text.zip") }));
    expect(err.response.data.file.code).toBe("validation_invalid_mime_type");
    err = await failure(pb.backups.upload({}));
    expect(err.response.data.file.code).toBe("validation_required");
  });

  test("no body limit: a 40 MB archive is streamed in", async () => {
    const big = join(scratch, "big.zip");
    const w = await ZipWriter.create(big);
    async function* chunks() {
      const chunk = new Uint8Array(1 << 20);
      for (let i = 0; i < 40; i++) yield chunk.fill(i);
    }
    await w.addStream("payload.bin", chunks(), { level: 0 });
    await w.close();
    const bytes = readFileSync(big);
    const res = await fetch(`${srv.url}/api/backups/upload`, {
      method: "POST",
      headers: { Authorization: pb.authStore.token },
      body: (() => {
        const f = new FormData();
        f.append("file", new File([bytes], "big_upload.zip"));
        return f;
      })(),
    });
    expect(res.status).toBe(204);
    expect((await pb.backups.getFullList()).find((b) => b.key === "big_upload.zip")?.size).toBe(bytes.byteLength);
    await pb.backups.delete("big_upload.zip");
  });
});

describe("auto backups", () => {
  test("__pbAutoBackup__ makes @auto_pb_backup_* files and keeps the newest cronMaxKeep", async () => {
    await pb.settings.update({ backups: { cron: "0 3 * * *", cronMaxKeep: 2 } });
    for (let i = 0; i < 3; i++) {
      await pb.crons.run("__pbAutoBackup__");
      await waitFor(
        async () =>
          (await pb.health.check()).data.canBackup === true &&
          (await pb.backups.getFullList()).filter((b) => b.key.startsWith("@auto_pb_backup_")).length >=
            Math.min(i + 1, 2),
      );
      await Bun.sleep(1100); // names carry the second
    }
    const autos = (await pb.backups.getFullList()).filter((b) => b.key.startsWith("@auto_pb_backup_acme_"));
    expect(autos).toHaveLength(2);
    await pb.settings.update({ backups: { cron: "" } });
  });
});

describe("S3 backups storage", () => {
  test("create, list, download and restore through the bucket", async () => {
    await pb.settings.update({ backups: { s3: { ...s3.config, enabled: true } } });
    try {
      expect(await pb.backups.getFullList()).toEqual([]);
      expect(await pb.backups.create("on_s3.zip")).toBe(true);
      const list = await pb.backups.getFullList();
      expect(list.map((b) => b.key)).toEqual(["on_s3.zip"]);
      const token = await pb.files.getToken();
      const res = await fetch(pb.backups.getDownloadURL(token, "on_s3.zip"));
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(list[0]!.size);

      const before = (await pb.collection("notes").getList(1, 1)).totalItems;
      await pb.collection("notes").create({ title: "only after the s3 backup" });
      await pb.backups.restore("on_s3.zip");
      await waitForRestore(before);
      // the restored settings are the backup's: S3 still enabled there
      expect((await pb.backups.getFullList()).map((b) => b.key)).toEqual(["on_s3.zip"]);
      await pb.backups.delete("on_s3.zip");
    } finally {
      await pb.settings.update({ backups: { s3: { enabled: false } } });
    }
  });
});
