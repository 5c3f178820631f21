/**
 * The embedded QuickJS engine (the base of the JS hooks / JSVM work).
 *
 * `quickjs-emscripten-core` with the `@jitl/quickjs-wasmfile-release-sync` variant. Its emscripten
 * glue looks for the .wasm next to itself via `import.meta.url`, which does not exist inside a
 * `bun build --compile` binary, so the .wasm is imported `with { type: "file" }` (Bun embeds it and
 * hands back a path: a real file under `bun run`, `/$bunfs/root/emscripten-module-<hash>.wasm` in
 * the binary) and its bytes are passed to emscripten as `wasmBinary`.
 *
 * Nothing is read or instantiated until the first `loadQuickJS()` call (~20 ms); later calls share
 * the same module. A failed load is not cached, so a later call retries.
 */
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSWASMModule } from "quickjs-emscripten-core";
import RELEASE_SYNC from "@jitl/quickjs-wasmfile-release-sync";
// @ts-expect-error -- the package maps "./wasm" to dist/emscripten-module.wasm; Bun returns its path.
import wasmFile from "@jitl/quickjs-wasmfile-release-sync/wasm" with { type: "file" };

/** Where the QuickJS wasm lives at run time (inside `/$bunfs/` in a compiled binary). */
export const quickjsWasmPath: string = wasmFile as unknown as string;

let loading: Promise<QuickJSWASMModule> | null = null;

/** Returns the shared QuickJS wasm module, instantiating it on first use. */
export function loadQuickJS(): Promise<QuickJSWASMModule> {
  loading ??= newQuickJSWASMModuleFromVariant(
    newVariant(RELEASE_SYNC, { wasmBinary: () => Bun.file(quickjsWasmPath).arrayBuffer() }),
  ).catch((e: unknown) => {
    loading = null;
    throw new Error(`failed to load the embedded QuickJS engine (${quickjsWasmPath}): ${(e as Error)?.message ?? e}`);
  });
  return loading;
}
