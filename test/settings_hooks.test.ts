/** Settings request and reload hooks, with the server in-process. */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import PocketBase from "pocketbase";
import { startServer, type RunningServer } from "../src/api/server.ts";
import { App } from "../src/core/app.ts";
import { createSuperuser } from "../src/core/superusers.ts";
import { failure, tempDir, testAppConfig } from "./harness.ts";

setDefaultTimeout(20_000);

let app: App;
let server: RunningServer;
let dir: string;
let pb: PocketBase;

beforeAll(async () => {
  dir = tempDir();
  app = new App(await testAppConfig({ dataDir: join(dir, "pb_data") }));
  await app.bootstrap();
  await createSuperuser(app, "root@example.com", "1234567890");
  server = await startServer(app, { http: "127.0.0.1:0" });
  pb = new PocketBase(server.url);
  await pb.collection("_superusers").authWithPassword("root@example.com", "1234567890");
});

afterAll(async () => {
  await server.stop();
  await app.terminate();
  rmSync(dir, { recursive: true, force: true });
});

describe("settings hooks", () => {
  test("onSettingsListRequest sees a copy it may change; onSettingsUpdateRequest may refuse; onSettingsReload follows a save", async () => {
    const reloads: string[] = [];
    const ids = [
      app.onSettingsListRequest.bindFunc(async (e) => {
        e.settings.meta.appName = "From the hook";
        await e.next();
      }),
      app.onSettingsUpdateRequest.bindFunc(async (e) => {
        if (e.newSettings.meta.appName === "forbidden") throw e.badRequestError("Not that name.");
        expect(e.oldSettings.meta.appName).toBe("Acme");
        await e.next();
      }),
      app.onSettingsReload.bindFunc(async (e) => {
        reloads.push(e.app.settings().meta.appName);
        await e.next();
      }),
    ];
    try {
      expect((await pb.settings.getAll()).meta.appName).toBe("From the hook");
      expect(app.settings().meta.appName).toBe("Acme"); // the live settings are untouched
      const err = await failure(pb.settings.update({ meta: { appName: "forbidden" } }));
      expect(err.response.message).toBe("Not that name.");
      expect(app.settings().meta.appName).toBe("Acme");
      await pb.settings.update({ meta: { appName: "Acme" }, logs: { maxDays: 7 } });
      expect(reloads).toEqual(["Acme"]);
      expect(app.settings().logs.maxDays).toBe(7);
    } finally {
      app.onSettingsListRequest.unbind(ids[0]!);
      app.onSettingsUpdateRequest.unbind(ids[1]!);
      app.onSettingsReload.unbind(ids[2]!);
    }
  });
});
