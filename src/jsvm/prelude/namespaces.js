// Part 4: the `$` namespaces ($security, $os, $filepath, $http, $apis, $mails, $filesystem, $dbx),
// FormData and the query builder behind `$app.db()`.

// ---- $security (served by the worker itself) ---------------------------------------------------------

const sec = (name) =>
  function () {
    return local("security." + name, Array.prototype.slice.call(arguments));
  };

G.$security = {
  md5: sec("md5"),
  sha256: sec("sha256"),
  sha512: sec("sha512"),
  hs256: sec("hs256"),
  hs512: sec("hs512"),
  equal: sec("equal"),
  randomString: sec("randomString"),
  randomStringWithAlphabet: sec("randomStringWithAlphabet"),
  pseudorandomString: sec("pseudorandomString"),
  pseudorandomStringWithAlphabet: sec("pseudorandomStringWithAlphabet"),
  randomStringByRegex: sec("randomStringByRegex"),
  encrypt: sec("encrypt"),
  decrypt: sec("decrypt"),
  createJWT: sec("createJWT"),
  parseJWT: sec("parseJWT"),
  parseUnverifiedJWT: sec("parseUnverifiedJWT"),
};

// ---- $os ------------------------------------------------------------------------------------------------

class FileInfo {
  constructor(d) {
    defineHidden(this, "_d", d);
  }
  name() {
    return this._d.name;
  }
  size() {
    return this._d.size;
  }
  mode() {
    return this._d.mode;
  }
  modTime() {
    return new GoTime(Date.parse(this._d.modTime));
  }
  isDir() {
    return this._d.isDir;
  }
  sys() {
    return null;
  }
}

class DirEntry {
  constructor(d) {
    defineHidden(this, "_d", d);
  }
  name() {
    return this._d.name;
  }
  isDir() {
    return this._d.isDir;
  }
  type() {
    return this._d.isDir ? 0o20000000000 : 0;
  }
  info() {
    return new FileInfo(local("os.lstat", [this._d.path]));
  }
}

/** exec.Cmd: run synchronously with `output()`, `combinedOutput()` or `run()`. */
class Cmd {
  constructor(name, args) {
    this.path = String(name);
    this.args = [String(name)].concat(args.map(String));
    this.dir = "";
    this.env = [];
    this.stdin = null;
  }
  _exec(combined) {
    const stdin =
      this.stdin === null || this.stdin === undefined
        ? null
        : readAll(this.stdin) || (typeof this.stdin === "string" ? utf8Encode(this.stdin) : this.stdin);
    const r = local("os.exec", [
      {
        name: this.path,
        args: this.args.slice(1),
        dir: this.dir,
        env: this.env,
        stdin: stdin ? toGoBytes(stdin) : null,
        combined,
      },
    ]);
    if (r.code !== 0) {
      const e = new Error(r.code < 0 ? "signal: killed" : "exit status " + r.code);
      e.stdout = r.stdout;
      throw e;
    }
    return r.stdout;
  }
  output() {
    return this._exec(false);
  }
  combinedOutput() {
    return this._exec(true);
  }
  run() {
    this._exec(false);
  }
  start() {
    throw new Error("$os.cmd(...).start() is not supported: use run(), output() or combinedOutput()");
  }
  wait() {
    throw new Error("$os.cmd(...).wait() is not supported: use run(), output() or combinedOutput()");
  }
}

/** os.DirFS: a directory usable with $apis.static and $template.loadFS. */
class DirFS {
  constructor(dir) {
    this.dir = String(dir);
  }
  __pbEncode() {
    return { [T]: "fs", dir: this.dir };
  }
}

const osf = (name) =>
  function () {
    return local("os." + name, Array.prototype.slice.call(arguments));
  };

G.$os = {
  readFile: osf("readFile"),
  writeFile: osf("writeFile"),
  readDir: (p) => local("os.readDir", [p]).map((d) => new DirEntry(d)),
  stat: (p) => new FileInfo(local("os.stat", [p])),
  lstat: (p) => new FileInfo(local("os.lstat", [p])),
  mkdir: osf("mkdir"),
  mkdirAll: osf("mkdirAll"),
  rename: osf("rename"),
  remove: osf("remove"),
  removeAll: osf("removeAll"),
  truncate: osf("truncate"),
  tempDir: osf("tempDir"),
  getwd: osf("getwd"),
  getenv: osf("getenv"),
  exit: (code) => hcall(0, "os.exit", [code]),
  get args() {
    return local("os.args", []);
  },
  cmd: (name, ...args) => new Cmd(name, args),
  exec: (name, ...args) => new Cmd(name, args),
  dirFS: (dir) => new DirFS(dir),
  openRoot: notSupported("$os.openRoot"),
  openInRoot: notSupported("$os.openInRoot"),
};

// ---- $filepath (Go path/filepath on Unix) -------------------------------------------------------------

function cleanPath(p) {
  p = String(p);
  if (p === "") return ".";
  const rooted = p[0] === "/";
  const parts = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length && parts[parts.length - 1] !== "..") parts.pop();
      else if (!rooted) parts.push("..");
    } else parts.push(seg);
  }
  const out = (rooted ? "/" : "") + parts.join("/");
  return out === "" ? "." : out;
}

/** filepath.Match: `*`, `?`, `[...]` classes (with `^` negation and ranges) and `\\` escapes. */
function matchPattern(pattern, name) {
  let re = "^";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\") re += "\\" + (pattern[++i] || "\\");
    else if (c === "[") {
      const j = pattern.indexOf("]", i + 1);
      if (j < 0) throw new Error("syntax error in pattern");
      let cls = pattern.slice(i + 1, j);
      if (cls[0] === "^") cls = "^" + cls.slice(1);
      re += "[" + cls.replace(/\\/g, "\\\\") + "]";
      i = j;
    } else re += c.replace(/[.+^${}()|]/g, "\\$&");
  }
  return new RegExp(re + "$").test(name);
}

const filepath = {
  base(p) {
    p = String(p);
    if (p === "") return ".";
    p = p.replace(/\/+$/, "");
    if (p === "") return "/";
    return p.slice(p.lastIndexOf("/") + 1);
  },
  clean: cleanPath,
  dir(p) {
    p = String(p);
    const i = p.lastIndexOf("/");
    return cleanPath(p.slice(0, i + 1));
  },
  ext(p) {
    p = String(p);
    for (let i = p.length - 1; i >= 0 && p[i] !== "/"; i--) if (p[i] === ".") return p.slice(i);
    return "";
  },
  fromSlash: (p) => String(p),
  toSlash: (p) => String(p),
  isAbs: (p) => String(p).startsWith("/"),
  join() {
    const parts = Array.prototype.slice
      .call(arguments)
      .map(String)
      .filter((s) => s !== "");
    return parts.length ? cleanPath(parts.join("/")) : "";
  },
  split(p) {
    p = String(p);
    const i = p.lastIndexOf("/");
    return [p.slice(0, i + 1), p.slice(i + 1)];
  },
  splitList: (p) => (String(p) === "" ? [] : String(p).split(":")),
  match: (pattern, name) => matchPattern(String(pattern), String(name)),
  rel(base, target) {
    const b = cleanPath(base);
    const t = cleanPath(target);
    if ((b[0] === "/") !== (t[0] === "/")) throw new Error(`Rel: can't make ${target} relative to ${base}`);
    if (b === t) return ".";
    const bs = b === "." ? [] : b.split("/").filter(Boolean);
    const ts = t === "." ? [] : t.split("/").filter(Boolean);
    let i = 0;
    while (i < bs.length && i < ts.length && bs[i] === ts[i]) i++;
    if (bs.slice(i).indexOf("..") >= 0) throw new Error(`Rel: can't make ${target} relative to ${base}`);
    const up = bs.slice(i).map(() => "..");
    return up.concat(ts.slice(i)).join("/") || ".";
  },
  glob: (pattern) => local("fs.glob", [String(pattern)]),
  walk(root, fn) {
    walkEntries(root, (e, err) => fn(e.path, err ? null : new FileInfo(e), err));
  },
  walkDir(root, fn) {
    walkEntries(root, (e, err) => fn(e.path, err ? null : new DirEntry(e), err));
  },
  skipDir: "skip this directory",
  skipAll: "skip everything and stop the walk",
};

/** filepath.Walk order; a callback returning filepath.skipDir skips that directory, skipAll stops. */
function walkEntries(root, visit) {
  const entries = local("fs.walk", [String(root)]);
  let skip = null;
  for (const e of entries) {
    if (skip !== null && (e.path === skip || e.path.startsWith(skip.endsWith("/") ? skip : skip + "/"))) continue;
    skip = null;
    const r = visit(e, e.err ? new Error(e.err) : null);
    if (r === filepath.skipAll || (r instanceof Error && r.message === filepath.skipAll)) return;
    if (r === filepath.skipDir || (r instanceof Error && r.message === filepath.skipDir)) {
      if (e.isDir) skip = e.path;
      continue;
    }
    if (r instanceof Error) throw r;
  }
}
G.$filepath = filepath;

// ---- FormData and $http ------------------------------------------------------------------------------

class FormData {
  constructor() {
    defineHidden(this, "_e", []);
  }
  append(k, v) {
    this._e.push([String(k), v]);
  }
  set(k, v) {
    this.delete(k);
    this._e.push([String(k), v]);
  }
  get(k) {
    const e = this._e.find((x) => x[0] === k);
    return e ? e[1] : null;
  }
  getAll(k) {
    return this._e.filter((x) => x[0] === k).map((x) => x[1]);
  }
  has(k) {
    return this._e.some((x) => x[0] === k);
  }
  delete(k) {
    this._e = this._e.filter((x) => x[0] !== k);
  }
  keys() {
    return [...new Set(this._e.map((x) => x[0]))];
  }
  values() {
    return this._e.map((x) => x[1]);
  }
  entries() {
    return this._e.map((x) => [x[0], x[1]]);
  }
  __pbEncode(depth) {
    return {
      [T]: "fd",
      e: this._e.map(([k, v]) => [k, v && typeof v === "object" && v[H] !== undefined ? enc(v, depth + 1) : String(v)]),
    };
  }
}
G.FormData = FormData;

G.$http = {
  send(config) {
    config = config || {};
    const c = Object.assign({}, config);
    if (c.body instanceof FormData) c.body = c.body.__pbEncode(1);
    else if (c.body !== undefined && c.body !== null && typeof c.body === "object" && readAll(c.body) !== null)
      c.body = toGoBytes(readAll(c.body));
    return hcall(0, "http.send", [c]);
  },
};

// ---- $apis, $mails, $filesystem (host) ------------------------------------------------------------------

const hostFn = (name) =>
  function () {
    return hcall(0, name, Array.prototype.slice.call(arguments));
  };

G.$apis = {
  requireAuth: hostFn("apis.requireAuth"),
  requireSuperuserAuth: hostFn("apis.requireSuperuserAuth"),
  requireSuperuserOrOwnerAuth: hostFn("apis.requireSuperuserOrOwnerAuth"),
  requireGuestOnly: hostFn("apis.requireGuestOnly"),
  requireSuperuserAuthOnlyIfAny: hostFn("apis.requireSuperuserAuthOnlyIfAny"),
  bodyLimit: hostFn("apis.bodyLimit"),
  gzip: hostFn("apis.gzip"),
  skipSuccessActivityLog: hostFn("apis.skipSuccessActivityLog"),
  static: hostFn("apis.static"),
  recordAuthResponse: hostFn("apis.recordAuthResponse"),
  enrichRecord: hostFn("apis.enrichRecord"),
  enrichRecords: hostFn("apis.enrichRecords"),
};

G.$mails = {
  sendRecordPasswordReset: hostFn("mails.sendRecordPasswordReset"),
  sendRecordVerification: hostFn("mails.sendRecordVerification"),
  sendRecordChangeEmail: hostFn("mails.sendRecordChangeEmail"),
  sendRecordOTP: hostFn("mails.sendRecordOTP"),
  sendRecordAuthAlert: hostFn("mails.sendRecordAuthAlert"),
};

G.$filesystem = {
  fileFromPath: hostFn("filesystem.fileFromPath"),
  fileFromBytes: hostFn("filesystem.fileFromBytes"),
  fileFromMultipart: hostFn("filesystem.fileFromMultipart"),
  fileFromURL: hostFn("filesystem.fileFromURL"),
  s3: hostFn("filesystem.s3"),
  local: hostFn("filesystem.local"),
};

// blob.Reader: whole-content reads through toString(reader) / toBytes(reader)
extend("BlobReader", {
  __read(max) {
    return hcall(this[H], "readAll", [max]);
  },
});

extend("FilesystemSystem", {
  // Go's serve(res, req, key, name): the host answers the request event behind the response writer
  serve(res, req, key, name) {
    const ev = (res && res._ev) || (req && req._ev);
    if (!ev) throw new Error("serve expects the request event's response and request (e.response, e.request)");
    const status = hcall(this[H], "serve", [ev, String(key), String(name === undefined ? "" : name)]);
    ev[WRITTEN] ??= status;
  },
});

// ---- $dbx expressions and the query builder ------------------------------------------------------------

class DbxExp {
  constructor(spec) {
    Object.assign(this, spec);
  }
}

class LikeExp extends DbxExp {
  match(left, right) {
    this.left = !!left;
    this.right = !!right;
    return this;
  }
  escape() {
    this.escapes = Array.prototype.slice.call(arguments).map(String);
    return this;
  }
}

const like = (op, or) =>
  function (col) {
    return new LikeExp({
      __dbx: "like",
      col: String(col),
      values: Array.prototype.slice.call(arguments, 1).map(String),
      not: op,
      or,
      left: true,
      right: true,
    });
  };

G.$dbx = {
  exp: (sql, params) => new DbxExp({ __dbx: "exp", sql: String(sql), params: params || {} }),
  hashExp: (h) => new DbxExp({ __dbx: "hash", h: h || {} }),
  not: (e) => new DbxExp({ __dbx: "not", e }),
  and: (...list) => new DbxExp({ __dbx: "and", list }),
  or: (...list) => new DbxExp({ __dbx: "or", list }),
  in: (col, ...values) => new DbxExp({ __dbx: "in", col: String(col), values }),
  notIn: (col, ...values) => new DbxExp({ __dbx: "in", col: String(col), values, not: true }),
  like: like(false, false),
  notLike: like(true, false),
  orLike: like(false, true),
  orNotLike: like(true, true),
  exists: (e) => new DbxExp({ __dbx: "exists", e }),
  notExists: (e) => new DbxExp({ __dbx: "exists", e, not: true }),
  between: (col, a, b) => new DbxExp({ __dbx: "between", col: String(col), a, b }),
  notBetween: (col, a, b) => new DbxExp({ __dbx: "between", col: String(col), a, b, not: true }),
};

/** A query ready to run: raw SQL (`newQuery`) or one built by a select/insert/update/delete builder. */
class DbxQuery {
  constructor(db, spec) {
    defineHidden(this, "_db", db);
    this.spec = spec;
  }
  bind(params) {
    this.spec.params = Object.assign({}, params || {});
    return this;
  }
  andBind(params) {
    this.spec.params = Object.assign(this.spec.params || {}, params || {});
    return this;
  }
  sql() {
    return this.spec.sql || "";
  }
  execute() {
    return hcall(this._db.__app, "db.execute", [this.spec]);
  }
  one(dst) {
    // host targets (new Record / new Collection) get models; DynamicModels and plain objects get the row
    const isHost = !!(dst && dst[H] !== undefined);
    const row = hcall(this._db.__app, "db.one", [this.spec, isHost ? this._db.__records || "*" : null]);
    if (row === null || row === undefined) throw new Error("sql: no rows in result set");
    if (isHost) {
      dst[H] = row[H];
      dst[REF] = row[REF];
    } else fillOne(dst, row);
  }
  all(dst) {
    const model = dst && dst.__of;
    const plainModel = model !== undefined && model !== null && model[H] === undefined;
    const records = plainModel ? null : this._db.__records || (model && model[H] !== undefined ? "*" : null);
    const rows = hcall(this._db.__app, "db.all", [this.spec, records]);
    if (Array.isArray(dst)) fillOut(dst, rows);
  }
  column(dst) {
    const vals = hcall(this._db.__app, "db.column", [this.spec]);
    if (Array.isArray(dst)) {
      dst.length = 0;
      for (const v of vals) dst.push(v);
    }
  }
  row() {
    return hcall(this._db.__app, "db.row", [this.spec]);
  }
  withContext() {
    return this;
  }
}

function fillOne(dst, row) {
  if (row === null || row === undefined) throw new Error("sql: no rows in result set");
  if (dst instanceof DynamicModel) loadDynamicModel(dst, row);
  else if (dst && typeof dst === "object") Object.assign(dst, row);
}

/** dbx.SelectQuery: chainable, built on the host by `build()` or the terminal methods. */
class DbxSelect {
  constructor(db, cols) {
    defineHidden(this, "_db", db);
    this.spec = {
      kind: "select",
      select: cols || [],
      distinct: false,
      from: [],
      joins: [],
      where: null,
      orderBy: [],
      groupBy: [],
      having: null,
      limit: -1,
      offset: -1,
      params: {},
    };
  }
  select(...cols) {
    this.spec.select = cols.map(String);
    return this;
  }
  andSelect(...cols) {
    this.spec.select = this.spec.select.concat(cols.map(String));
    return this;
  }
  distinct(v) {
    this.spec.distinct = v === undefined ? true : !!v;
    return this;
  }
  selectOption(o) {
    this.spec.option = String(o);
    return this;
  }
  from(...tables) {
    this.spec.from = tables.map(String);
    return this;
  }
  where(e) {
    this.spec.where = e || null;
    return this;
  }
  andWhere(e) {
    this.spec.where =
      this.spec.where && e ? new DbxExp({ __dbx: "and", list: [this.spec.where, e] }) : this.spec.where || e || null;
    return this;
  }
  orWhere(e) {
    this.spec.where =
      this.spec.where && e ? new DbxExp({ __dbx: "or", list: [this.spec.where, e] }) : this.spec.where || e || null;
    return this;
  }
  join(type, table, on) {
    this.spec.joins.push({ type: String(type), table: String(table), on: on || null });
    return this;
  }
  innerJoin(table, on) {
    return this.join("INNER JOIN", table, on);
  }
  leftJoin(table, on) {
    return this.join("LEFT JOIN", table, on);
  }
  rightJoin(table, on) {
    return this.join("RIGHT JOIN", table, on);
  }
  orderBy(...cols) {
    this.spec.orderBy = cols.map(String);
    return this;
  }
  andOrderBy(...cols) {
    this.spec.orderBy = this.spec.orderBy.concat(cols.map(String));
    return this;
  }
  groupBy(...cols) {
    this.spec.groupBy = cols.map(String);
    return this;
  }
  andGroupBy(...cols) {
    this.spec.groupBy = this.spec.groupBy.concat(cols.map(String));
    return this;
  }
  having(e) {
    this.spec.having = e || null;
    return this;
  }
  andHaving(e) {
    this.spec.having =
      this.spec.having && e ? new DbxExp({ __dbx: "and", list: [this.spec.having, e] }) : this.spec.having || e || null;
    return this;
  }
  orHaving(e) {
    this.spec.having =
      this.spec.having && e ? new DbxExp({ __dbx: "or", list: [this.spec.having, e] }) : this.spec.having || e || null;
    return this;
  }
  limit(n) {
    this.spec.limit = Number(n);
    return this;
  }
  offset(n) {
    this.spec.offset = Number(n);
    return this;
  }
  bind(params) {
    this.spec.params = Object.assign({}, params || {});
    return this;
  }
  andBind(params) {
    this.spec.params = Object.assign(this.spec.params, params || {});
    return this;
  }
  build() {
    return new DbxQuery(this._db, this.spec);
  }
  one(dst) {
    return this.build().one(dst);
  }
  all(dst) {
    return this.build().all(dst);
  }
  column(dst) {
    return this.build().column(dst);
  }
  row() {
    return this.build().row.apply(this.build(), arguments);
  }
  withContext() {
    return this;
  }
}

/** dbx.Builder as returned by `$app.db()` (and `recordQuery`, which scopes it to a collection). */
class DbxBuilder {
  constructor(app, records) {
    defineHidden(this, "__app", app[H]);
    defineHidden(this, "__records", records || null);
  }
  newQuery(sql) {
    return new DbxQuery(this, { kind: "raw", sql: String(sql), params: {} });
  }
  select(...cols) {
    return new DbxSelect(this, cols.map(String));
  }
  insert(table, cols) {
    return new DbxQuery(this, { kind: "insert", table: String(table), cols: cols || {}, params: {} });
  }
  upsert(table, cols, ...constraints) {
    return new DbxQuery(this, {
      kind: "upsert",
      table: String(table),
      cols: cols || {},
      constraints: constraints.map(String),
      params: {},
    });
  }
  update(table, cols, where) {
    return new DbxQuery(this, {
      kind: "update",
      table: String(table),
      cols: cols || {},
      where: where || null,
      params: {},
    });
  }
  delete(table, where) {
    return new DbxQuery(this, { kind: "delete", table: String(table), where: where || null, params: {} });
  }
  createTable(table, cols, options) {
    return new DbxQuery(this, {
      kind: "createTable",
      table: String(table),
      cols: cols || {},
      options: options || [],
      params: {},
    });
  }
  dropTable(table) {
    return new DbxQuery(this, { kind: "raw", sql: `DROP TABLE {{${table}}}`, params: {} });
  }
  truncateTable(table) {
    return new DbxQuery(this, { kind: "raw", sql: `DELETE FROM {{${table}}}`, params: {} });
  }
  renameTable(a, b) {
    return new DbxQuery(this, { kind: "raw", sql: `ALTER TABLE {{${a}}} RENAME TO {{${b}}}`, params: {} });
  }
  addColumn(table, col, type) {
    return new DbxQuery(this, { kind: "raw", sql: `ALTER TABLE {{${table}}} ADD [[${col}]] ${type}`, params: {} });
  }
  dropColumn(table, col) {
    return new DbxQuery(this, { kind: "raw", sql: `ALTER TABLE {{${table}}} DROP COLUMN [[${col}]]`, params: {} });
  }
  renameColumn(table, a, b) {
    return new DbxQuery(this, {
      kind: "raw",
      sql: `ALTER TABLE {{${table}}} RENAME COLUMN [[${a}]] TO [[${b}]]`,
      params: {},
    });
  }
  createIndex(table, name, ...cols) {
    return new DbxQuery(this, {
      kind: "raw",
      sql: `CREATE INDEX [[${name}]] ON {{${table}}} (${cols.map((c) => `[[${c}]]`).join(", ")})`,
      params: {},
    });
  }
  createUniqueIndex(table, name, ...cols) {
    return new DbxQuery(this, {
      kind: "raw",
      sql: `CREATE UNIQUE INDEX [[${name}]] ON {{${table}}} (${cols.map((c) => `[[${c}]]`).join(", ")})`,
      params: {},
    });
  }
  dropIndex(table, name) {
    return new DbxQuery(this, { kind: "raw", sql: `DROP INDEX [[${name}]]`, params: {} });
  }
  /** The identifier quote of the engine the app runs on (asked once: backtick for SQLite, " for PostgreSQL). */
  __quoteChar() {
    if (this.__qc === undefined) defineHidden(this, "__qc", hcall(this.__app, "dbDialect", []) === "sqlite" ? "`" : '"');
    return this.__qc;
  }
  quoteTableName(s) {
    const c = this.__quoteChar();
    return c + String(s).split(c).join(c + c) + c;
  }
  quoteColumnName(s) {
    const c = this.__quoteChar();
    return String(s)
      .split(".")
      .map((p) => c + p.split(c).join(c + c) + c)
      .join(".");
  }
  quoteSimpleTableName(s) {
    return this.quoteTableName(s);
  }
  quoteSimpleColumnName(s) {
    return this.quoteColumnName(s);
  }
}

extend("App", {
  /** "sqlite" or "postgres": the SQL dialect raw queries (`db().newQuery`) must be written in. */
  dbDialect() {
    return hcall(this[H], "dbDialect", []);
  },
  db() {
    return new DbxBuilder(this);
  },
  concurrentDB() {
    return new DbxBuilder(this);
  },
  nonconcurrentDB() {
    return new DbxBuilder(this);
  },
  recordQuery(collection) {
    const name = hcall(this[H], "recordQueryTable", [collection]);
    const b = new DbxBuilder(this, name);
    return new DbxSelect(b, ["{{" + name + "}}.*"]).from(name);
  },
  collectionQuery() {
    const b = new DbxBuilder(this, "_collections");
    return new DbxSelect(b, ["{{_collections}}.*"]).from("_collections");
  },
  logQuery() {
    // _logs lives in auxiliary.db: the spec says so and the host reads it there
    const q = new DbxSelect(new DbxBuilder(this, null), ["{{_logs}}.*"]).from("_logs");
    q.spec.aux = true;
    return q;
  },
});
