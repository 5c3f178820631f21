/** STUB — owned by the schema work: the settings model stored in `_params` (see the helper brief). */
import type { App } from "./app.ts";

export type Settings = Record<string, any>;

export async function loadSettings(_app: App): Promise<Settings> {
  return {};
}

export async function saveSettings(_app: App, _settings: Settings): Promise<void> {}
