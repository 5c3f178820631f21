/**
 * Files end to end on S3: the same suite as test/files.test.ts, with settings.s3 pointing at an
 * s3rver process (written before the server starts, through an in-process App).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { S3Driver } from "../src/tools/filesystem/index.ts";
import { filesSuite } from "./support/files_suite.ts";
import { startS3rver, type S3Server } from "./support/s3rver.ts";

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(() => s3?.stop());

filesSuite("s3", { s3: () => s3.config });

test("s3: uploads carry their content type and original name as object metadata", async () => {
  const drv = new S3Driver(s3.config);
  await drv.write("probe/a.txt", new TextEncoder().encode("hi"), {
    contentType: "text/plain; charset=utf-8",
    metadata: { "original-filename": "Ünï code/name?.txt" },
  });
  const a = await drv.attributes("probe/a.txt");
  expect(a.contentType).toBe("text/plain; charset=utf-8");
  expect(a.metadata["original-filename"]).toBe("Ünï code/name?.txt");
  expect(a.size).toBe(2);
  expect(a.md5).toBe(new Bun.CryptoHasher("md5").update("hi").digest("base64"));
  expect((await drv.list("probe/")).map((o) => o.key)).toEqual(["probe/a.txt"]);
  expect(await drv.blob("probe/a.txt").slice(1, 2).text()).toBe("i");
  await drv.delete("probe/a.txt");
  await expect(drv.attributes("probe/a.txt")).rejects.toThrow();
});
