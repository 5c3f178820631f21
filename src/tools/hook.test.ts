import { describe, expect, test } from "bun:test";
import { Hook, HookEvent, TaggedHook } from "./hook.ts";

class Ev extends HookEvent {
  log: string[] = [];
  constructor(readonly tagList: string[] = []) {
    super();
  }
  tags() {
    return this.tagList;
  }
}

describe("Hook", () => {
  test("runs handlers by priority, then binding order, then the one-off handler", async () => {
    const h = new Hook<Ev>();
    h.bind({
      func: async (e) => {
        e.log.push("b0");
        await e.next();
        e.log.push("b0-after");
      },
    });
    h.bind({
      priority: -5,
      func: (e) => {
        e.log.push("a-5");
        return e.next();
      },
    });
    h.bind({
      func: (e) => {
        e.log.push("c0");
        return e.next();
      },
    });
    const e = new Ev();
    await h.trigger(e, (e) => void e.log.push("default"));
    expect(e.log).toEqual(["a-5", "b0", "c0", "default", "b0-after"]);
  });

  test("a handler that does not call next stops the chain", async () => {
    const h = new Hook<Ev>();
    h.bindFunc((e) => void e.log.push("stop"));
    const e = new Ev();
    await h.trigger(e, (e) => void e.log.push("default"));
    expect(e.log).toEqual(["stop"]);
  });

  test("binding an existing id replaces it; unbind removes it", async () => {
    const h = new Hook<Ev>();
    const id = h.bindFunc((e) => {
      e.log.push("old");
      return e.next();
    });
    h.bind({
      id,
      func: (e) => {
        e.log.push("new");
        return e.next();
      },
    });
    expect(h.length).toBe(1);
    const e = new Ev();
    await h.trigger(e);
    expect(e.log).toEqual(["new"]);
    h.unbind(id);
    expect(h.length).toBe(0);
  });

  test("errors propagate to the trigger caller and next() runs the rest only once", async () => {
    const h = new Hook<Ev>();
    h.bindFunc(async (e) => {
      await e.next();
      await e.next();
    });
    let runs = 0;
    await h.trigger(new Ev(), () => void runs++);
    expect(runs).toBe(1);
    h.bindFunc(() => {
      throw new Error("boom");
    });
    await expect(h.trigger(new Ev())).rejects.toThrow("boom");
  });

  test("a tagged view only runs for events carrying one of its tags", async () => {
    const base = new Hook<Ev>();
    new TaggedHook(base, ["posts"]).bindFunc((e) => {
      e.log.push("posts");
      return e.next();
    });
    const a = new Ev(["posts", "pbc_1"]);
    const b = new Ev(["users"]);
    await base.trigger(a, (e) => void e.log.push("done"));
    await base.trigger(b, (e) => void e.log.push("done"));
    expect(a.log).toEqual(["posts", "done"]);
    expect(b.log).toEqual(["done"]);
  });
});
