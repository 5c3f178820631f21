/**
 * Attack class: a second server on a busy address. With SO_REUSEPORT both processes would accept
 * connections and split the requests between two data folders (another local user could start one
 * on pb's port and receive half of its logins). Upstream's net.Listen fails with "address already
 * in use" and `serve` exits 1.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { pbCommand, startServer, tempDir, type TestServer } from "../harness.ts";

let srv: TestServer;

beforeAll(async () => {
  srv = await startServer();
});
afterAll(() => srv?.stop());

test("a second serve on a busy address exits 1 with 'address already in use' instead of sharing the port", async () => {
  const other = tempDir();
  const proc = Bun.spawn([...pbCommand(), "serve", `--http=127.0.0.1:${srv.port}`, `--dir=${join(other, "pb_data")}`], {
    cwd: other,
    env: { ...process.env, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
    stdin: "ignore",
  });
  const code = await Promise.race([proc.exited, Bun.sleep(15_000).then(() => "still running")]);
  if (code === "still running") proc.kill("SIGKILL");
  const stderr = await new Response(proc.stderr).text();
  const stdout = await new Response(proc.stdout).text();
  expect(code).toBe(1);
  expect(stderr).toContain(`listen tcp 127.0.0.1:${srv.port}: bind: address already in use`);
  expect(stdout).not.toContain("Server started");

  // the first server still answers
  expect((await fetch(srv.url + "/api/health")).status).toBe(200);
});
