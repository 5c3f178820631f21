// Part 5: what differs by context kind — the loader gets the registrars (`on*`, `routerAdd`,
// `routerUse`), executors get `$app` and `cronAdd`, migration contexts get `migrate` and no `$app`.

/** A handler as upstream serialises it: the function's source text (or a string of source). */
function handlerSource(fn, what) {
  if (typeof fn === "string") return fn;
  if (typeof fn === "function") return Function.prototype.toString.call(fn);
  throw new Error(`${what}: the handler must be a function or a string of function source`);
}

/** A route handler or middleware: serialised source, a Middleware, or a host ($apis) handler. */
function handlerSpec(h, what) {
  if (h === null || h === undefined) throw new Error(`${what} must be non-nil`);
  if (h instanceof Middleware) return h;
  if (typeof h === "object" && h[H] !== undefined) return h;
  return { [T]: "m", src: handlerSource(h, what), priority: 0, id: "" };
}

// Collections' field lists are Go slices: iterable and indexable.
extend("FieldsList", {
  length: {
    get() {
      return hcall(this[H], "len", []);
    },
  },
  [Symbol.iterator]: function () {
    return hcall(this[H], "all", [])[Symbol.iterator]();
  },
  forEach(fn, self) {
    hcall(this[H], "all", []).forEach(fn, self);
  },
  map(fn, self) {
    return hcall(this[H], "all", []).map(fn, self);
  },
  filter(fn, self) {
    return hcall(this[H], "all", []).filter(fn, self);
  },
  find(fn, self) {
    return hcall(this[H], "all", []).find(fn, self);
  },
  some(fn, self) {
    return hcall(this[H], "all", []).some(fn, self);
  },
  at(i) {
    return hcall(this[H], "at", [i]);
  },
});

// Go slices held by host structs (collection.indexes, select values…): edits write back.
function liveArray(owner, prop, arr) {
  if (!Array.isArray(arr)) return arr;
  let syncing = false;
  const proxy = new Proxy(arr, {
    set(t, k, v) {
      t[k] = v;
      if (!syncing) {
        syncing = true;
        try {
          hcall(owner[H], "=" + prop, [t.slice()]);
        } finally {
          syncing = false;
        }
      }
      return true;
    },
    deleteProperty(t, k) {
      delete t[k];
      hcall(owner[H], "=" + prop, [t.slice()]);
      return true;
    },
  });
  return proxy;
}

function installArrayProps(name) {
  const s = INIT.schema[name];
  if (!s.arr) return;
  const C = classes[name];
  for (const p of s.arr) {
    const writable = s.w.indexOf(p) >= 0;
    Object.defineProperty(C.prototype, p, {
      configurable: true,
      enumerable: true,
      get() {
        return writable ? liveArray(this, p, hcall(this[H], "." + p, [])) : hcall(this[H], "." + p, []);
      },
      set(v) {
        if (!writable) throw new TypeError(`Cannot assign to read only property '${p}'`);
        hcall(this[H], "=" + p, [v]);
      },
    });
  }
}

// Forms kept by upstream for backward compatibility: not provided here.
for (const name of ["RecordUpsertForm", "AppleClientSecretCreateForm", "TestEmailSendForm", "TestS3FilesystemForm"]) {
  G[name] = function () {
    throw new Error(`${name} is not supported by this server: use $app.save / the API instead`);
  };
}

// Constructors of host types (built on first use).
for (const name of Object.keys(INIT.schema)) {
  if (!INIT.schema[name].n) continue;
  Object.defineProperty(G, name, {
    configurable: true,
    enumerable: false,
    get() {
      const C = makeClass(name);
      Object.defineProperty(G, name, { value: C, writable: true, configurable: true, enumerable: false });
      return C;
    },
    set(v) {
      Object.defineProperty(G, name, { value: v, writable: true, configurable: true, enumerable: false });
    },
  });
}

if (KIND === "loader" || KIND === "executor") {
  G.$app = dec(INIT.app);
  const rootCmd = {
    addCommand() {
      throw new Error(
        "$app.rootCmd.addCommand is not supported: custom CLI commands cannot be added from JS hooks here",
      );
    },
  };
  if (G.$app) Object.defineProperty(G.$app, "rootCmd", { value: rootCmd, configurable: true });
}

if (KIND === "loader") {
  for (const name of INIT.hooks) {
    G[name] = function (handler) {
      const tags = Array.prototype.slice.call(arguments, 1).map(String);
      hcall(0, "hook", [name, handlerSource(handler, name), tags]);
    };
  }
  G.routerAdd = function (method, path, handler) {
    const mws = Array.prototype.slice.call(arguments, 3).map((m) => handlerSpec(m, "[routerAdd] middleware"));
    hcall(0, "routerAdd", [String(method), String(path), handlerSpec(handler, "[routerAdd] handler"), mws]);
  };
  G.routerUse = function () {
    const mws = Array.prototype.slice.call(arguments).map((m) => handlerSpec(m, "[routerUse] middleware"));
    hcall(0, "routerUse", [mws]);
  };
  G.Command = function Command() {
    throw new Error("new Command(...) is not supported: custom CLI commands cannot be added from JS hooks here");
  };
}

if (KIND === "loader" || KIND === "executor") {
  G.cronAdd = function (id, expr, handler) {
    hcall(0, "cronAdd", [String(id), String(expr), handlerSource(handler, "cronAdd")]);
  };
  G.cronRemove = function (id) {
    hcall(0, "cronRemove", [String(id)]);
  };
  G.$apis.static = function (dirOrFS, indexFallback) {
    if (!(dirOrFS instanceof DirFS) && typeof dirOrFS !== "string")
      throw new Error("$apis.static expects the first argument to be either a plain string path or fs.FS value");
    return hcall(0, "apis.static", [dirOrFS, !!indexFallback]);
  };
} else {
  delete G.$apis;
  for (const n of [
    "ApiError",
    "NotFoundError",
    "BadRequestError",
    "ForbiddenError",
    "UnauthorizedError",
    "TooManyRequestsError",
    "InternalServerError",
  ])
    delete G[n];
}

if (KIND === "migration") {
  let registered = false;
  G.migrate = function (up, down) {
    const pin = (fn) => (typeof fn === "function" ? { [T]: "f", i: registerCallback(fn, true), x: CTX } : null);
    hcall(0, "migrate", [pin(up), pin(down), registered]);
    registered = true;
  };
}

delete G.__pbInvokeSetup;
