import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { loadQuickJS, quickjsWasmPath } from "./quickjs.ts";

test("loadQuickJS instantiates the embedded wasm once and evaluates code", async () => {
  expect(existsSync(quickjsWasmPath)).toBe(true);
  const [a, b] = await Promise.all([loadQuickJS(), loadQuickJS()]);
  expect(a).toBe(b);
  const vm = a.newContext();
  try {
    const add = vm.newFunction("hostAdd", (x, y) => vm.newNumber(vm.getNumber(x) + vm.getNumber(y)));
    vm.setProp(vm.global, "hostAdd", add);
    add.dispose();
    const res = vm.unwrapResult(vm.evalCode(`[1, 2, 3].map((n) => hostAdd(n, 10)).join(",")`));
    expect(vm.dump(res)).toBe("11,12,13");
    res.dispose();
  } finally {
    vm.dispose();
  }
});

test("an interrupt handler stops a runaway script", async () => {
  const rt = (await loadQuickJS()).newRuntime();
  let ticks = 0;
  rt.setInterruptHandler(() => ++ticks > 1000);
  const vm = rt.newContext();
  try {
    const res = vm.evalCode("while (true) {}");
    expect(res.error).toBeDefined();
    const err = vm.dump(res.error!);
    res.error!.dispose();
    expect(String(err?.message ?? err)).toContain("interrupted");
  } finally {
    vm.dispose();
    rt.dispose();
  }
});
