/**
 * Cross-process change notices through `pb_data/.notify` (upstream v0.38+): after a settings save or a
 * collection change, a process creates and removes `settings@<id>` / `collections@<id>`; every other
 * process sharing the pb_data (a CLI command next to a live server, upstream or ours) reloads.
 */
import { mkdirSync, rmSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { join } from "node:path";
import { pseudorandomString } from "../tools/security/random.ts";

export const NOTIFY_DIR = ".notify";

export interface NotifyTarget {
  readonly dataDir: string;
  readonly isBootstrapped: boolean;
  reloadSettings(): Promise<void>;
  reloadCollections(): Promise<void>;
}

export class NotifyWatcher {
  /** This process's suffix; its own notices are ignored. */
  readonly instanceId = "@" + pseudorandomString(10);
  private watcher: FSWatcher | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Where notices also go beyond this host (the cluster bus, on a shared PostgreSQL). */
  relay: ((kind: "settings" | "collections") => void) | null = null;

  constructor(private readonly target: NotifyTarget) {}

  private get dir() {
    return join(this.target.dataDir, NOTIFY_DIR);
  }

  /** Starts watching; failures only disable cross-process reloads. */
  start(): void {
    this.stop();
    try {
      mkdirSync(this.dir, { recursive: true });
      this.watcher = watch(this.dir, (event, filename) => this.onEvent(event, filename ? String(filename) : ""));
      this.watcher.on("error", () => {});
    } catch {
      this.watcher = null;
    }
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const kind of ["settings", "collections"]) rmSync(join(this.dir, kind + this.instanceId), { force: true });
  }

  /** Tells other processes that settings changed. */
  settingsChanged(): void {
    this.relay?.("settings");
    this.touch("settings");
  }

  /** Tells other processes that collections changed. */
  collectionsChanged(): void {
    this.relay?.("collections");
    this.touch("collections");
  }

  private touch(kind: string): void {
    if (!this.watcher) return;
    const file = join(this.dir, kind + this.instanceId);
    try {
      writeFileSync(file, "");
    } catch {
      /* a notice is best effort */
    }
    rmSync(file, { force: true });
  }

  private onEvent(_event: string, filename: string): void {
    // fs.watch reports creates and removes alike as "rename"; the debounce folds the pair into one reload.
    if (!filename || filename.endsWith(this.instanceId) || !this.target.isBootstrapped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (filename.startsWith("settings@")) this.target.reloadSettings().catch(() => {});
      else if (filename.startsWith("collections@")) this.target.reloadCollections().catch(() => {}); // keep the old cache
    }, 50);
  }
}
