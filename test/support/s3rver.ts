/** Starts s3rver in a child process on a free loopback port (never in-process). */
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { S3Config } from "../../src/tools/filesystem/index.ts";
import { BUN, tempDir } from "../harness.ts";

export interface S3Server {
  endpoint: string;
  config: S3Config;
  stop(): Promise<void>;
}

export async function startS3rver(bucket = "pb-test"): Promise<S3Server> {
  const dir = tempDir("pb-s3-");
  const proc = Bun.spawn([BUN, join(import.meta.dir, "s3rver_main.cjs"), dir, bucket], {
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  let out = "";
  (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) out += dec.decode(chunk, { stream: true });
  })();
  const deadline = Date.now() + 15_000;
  let endpoint = "";
  while (!endpoint) {
    const m = /S3RVER (http:\/\/\S+)/.exec(out);
    if (m) endpoint = m[1]!;
    else if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill();
      throw new Error(
        `s3rver did not start: ${out}${await new Response(proc.stderr as ReadableStream).text().catch(() => "")}`,
      );
    } else await Bun.sleep(20);
  }
  return {
    endpoint,
    // s3rver accepts any SigV4 signature made with its default credentials
    config: { bucket, region: "us-east-1", endpoint, accessKey: "S3RVER", secret: "S3RVER", forcePathStyle: true },
    async stop() {
      proc.kill();
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
