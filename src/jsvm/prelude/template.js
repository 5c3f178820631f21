// Part 6: $template — a JS implementation of the Go html/template language as PocketBase exposes
// it: `{{.field}}`, pipelines, variables, if/else/range/with/define/template/block, the built-in
// functions plus `raw`, and HTML escaping of every printed value (simplified contextual escaping:
// text and attribute values are HTML-escaped; `raw` output is not).

const TPL_CACHE = Object.create(null);

function htmlEscape(s) {
  return String(s).replace(
    /[&<>"'\u0000]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "\u0000": "\uFFFD" })[c],
  );
}

class RawHTML {
  constructor(s) {
    this.s = String(s);
  }
  toString() {
    return this.s;
  }
}

/** Go's fmt %v of a value. */
function goPrint(v) {
  if (v === null || v === undefined) return "";
  if (v instanceof RawHTML) return v.s;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v instanceof DateTime) return v.string();
  if (Array.isArray(v)) return "[" + v.map(goPrint).join(" ") + "]";
  if (v && v[H] !== undefined) {
    try {
      return JSON.stringify(v);
    } catch (e) {
      return "";
    }
  }
  if (typeof v === "object")
    return (
      "map[" +
      Object.keys(v)
        .sort()
        .map((k) => k + ":" + goPrint(v[k]))
        .join(" ") +
      "]"
    );
  return String(v);
}

function truthy(v) {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object" && !(v instanceof DateTime) && v[H] === undefined) return Object.keys(v).length > 0;
  return true;
}

// ---- lexer/parser --------------------------------------------------------------------------------------

function tplTokens(src) {
  // splits into text and action chunks, honouring {{- and -}} trim markers and comments
  const out = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const start = src.indexOf("{{", i);
    let text = start < 0 ? src.slice(i) : src.slice(i, start);
    if (trimNext) text = text.replace(/^\s+/, "");
    trimNext = false;
    if (start < 0) {
      if (text) out.push({ t: "text", v: text });
      break;
    }
    let inner = start + 2;
    let trimLeft = false;
    if (src[inner] === "-" && /\s/.test(src[inner + 1] || "")) {
      trimLeft = true;
      inner += 1;
    }
    if (trimLeft) text = text.replace(/\s+$/, "");
    if (text) out.push({ t: "text", v: text });
    // find the closing }} outside string literals
    let j = inner;
    let q = null;
    for (; j < src.length; j++) {
      const c = src[j];
      if (q) {
        if (c === "\\" && q !== "`") j++;
        else if (c === q) q = null;
      } else if (c === '"' || c === "`" || c === "'") q = c;
      else if (c === "}" && src[j + 1] === "}") break;
    }
    if (j >= src.length) throw new Error("template: unclosed action");
    let body = src.slice(inner, j);
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      trimNext = true;
    }
    body = body.trim();
    if (!/^\/\*[\s\S]*\*\/$/.test(body)) out.push({ t: "action", v: body });
    i = j + 2;
  }
  return out;
}

function lexArgs(s) {
  const toks = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === "\\" ? 2 : 1;
      toks.push({ k: "str", v: JSON.parse(s.slice(i, j + 1)) });
      i = j + 1;
    } else if (c === "`") {
      const j = s.indexOf("`", i + 1);
      toks.push({ k: "str", v: s.slice(i + 1, j) });
      i = j + 1;
    } else if (c === "'") {
      const j = s.indexOf("'", i + 1);
      toks.push({ k: "num", v: s.slice(i + 1, j).charCodeAt(0) });
      i = j + 1;
    } else if (c === "(" || c === ")" || c === "|") {
      toks.push({ k: c });
      i++;
    } else if (c === ":" && s[i + 1] === "=") {
      toks.push({ k: ":=" });
      i += 2;
    } else if (c === "=" && s[i + 1] !== "=") {
      toks.push({ k: "=" });
      i++;
    } else if (c === ",") {
      toks.push({ k: "," });
      i++;
    } else {
      let j = i;
      while (j < s.length && !/[\s()|,]/.test(s[j]) && !(s[j] === ":" && s[j + 1] === "=")) j++;
      const w = s.slice(i, j);
      if (/^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+|0[xX][0-9a-fA-F]+)$/.test(w)) toks.push({ k: "num", v: Number(w) });
      else if (w === "true" || w === "false") toks.push({ k: "bool", v: w === "true" });
      else if (w === "nil") toks.push({ k: "nil" });
      else toks.push({ k: "word", v: w });
      i = j;
    }
  }
  return toks;
}

/** A pipeline: optional variable declaration, then commands joined by `|`. */
function parsePipeline(toks, pos, stop) {
  const pipe = { decl: null, assign: false, cmds: [] };
  if (toks[pos] && toks[pos].k === "word" && toks[pos].v[0] === "$") {
    let k = pos + 1;
    const names = [toks[pos].v];
    if (toks[k] && toks[k].k === ",") {
      names.push(toks[k + 1].v);
      k += 2;
    }
    if (toks[k] && (toks[k].k === ":=" || toks[k].k === "=")) {
      pipe.decl = names;
      pipe.assign = toks[k].k === "=";
      pos = k + 1;
    }
  }
  let cmd = [];
  while (pos < toks.length && toks[pos].k !== stop) {
    const t = toks[pos];
    if (t.k === "|") {
      pipe.cmds.push(cmd);
      cmd = [];
      pos++;
    } else if (t.k === "(") {
      const sub = parsePipeline(toks, pos + 1, ")");
      cmd.push({ k: "pipe", v: sub.pipe, field: null });
      pos = sub.pos + 1;
      // (pipeline).field
      if (toks[pos] && toks[pos].k === "word" && toks[pos].v[0] === ".") {
        cmd[cmd.length - 1].field = toks[pos].v;
        pos++;
      }
    } else {
      cmd.push(t);
      pos++;
    }
  }
  if (cmd.length) pipe.cmds.push(cmd);
  return { pipe, pos };
}

function parseTemplate(src, name, defs) {
  const tokens = tplTokens(src);
  let i = 0;
  function list(ends) {
    const nodes = [];
    while (i < tokens.length) {
      const tk = tokens[i];
      if (tk.t === "text") {
        nodes.push({ n: "text", v: tk.v });
        i++;
        continue;
      }
      const a = tk.v;
      const kw = (/^(\w+)/.exec(a) || [])[1];
      if (ends.includes(kw) || (kw === "else" && ends.includes("else"))) return { nodes, end: kw, rest: a };
      i++;
      if (kw === "if" || kw === "with" || kw === "range") {
        nodes.push(block(kw, a.slice(kw.length)));
      } else if (kw === "define") {
        const m = /^define\s+("(?:[^"\\]|\\.)*"|`[^`]*`)\s*$/.exec(a);
        if (!m) throw new Error(`template: ${name}: bad define`);
        const body = list(["end"]);
        i++;
        defs[m[1][0] === "`" ? m[1].slice(1, -1) : JSON.parse(m[1])] = body.nodes;
      } else if (kw === "block") {
        const m = /^block\s+("(?:[^"\\]|\\.)*"|`[^`]*`)\s*(.*)$/.exec(a);
        const tname = m[1][0] === "`" ? m[1].slice(1, -1) : JSON.parse(m[1]);
        const body = list(["end"]);
        i++;
        if (!defs[tname]) defs[tname] = body.nodes;
        nodes.push({ n: "template", name: tname, pipe: m[2].trim() ? parsePipeline(lexArgs(m[2]), 0).pipe : null });
      } else if (kw === "template") {
        const m = /^template\s+("(?:[^"\\]|\\.)*"|`[^`]*`)\s*(.*)$/.exec(a);
        if (!m) throw new Error(`template: ${name}: bad template call`);
        nodes.push({
          n: "template",
          name: m[1][0] === "`" ? m[1].slice(1, -1) : JSON.parse(m[1]),
          pipe: m[2].trim() ? parsePipeline(lexArgs(m[2]), 0).pipe : null,
        });
      } else if (kw === "break" || kw === "continue") {
        nodes.push({ n: kw });
      } else if (kw === "end" || kw === "else") {
        throw new Error(`template: ${name}: unexpected {{${kw}}}`);
      } else {
        nodes.push({ n: "action", pipe: parsePipeline(lexArgs(a), 0).pipe });
      }
    }
    if (ends.length) throw new Error(`template: ${name}: unexpected EOF`);
    return { nodes, end: null };
  }
  function block(kind, rest) {
    const pipe = parsePipeline(lexArgs(rest), 0).pipe;
    const body = list(["end", "else"]);
    let elseNodes = null;
    if (body.end === "else") {
      const elseRest = body.rest.replace(/^else\s*/, "");
      i++;
      if (elseRest.startsWith("if ") || elseRest.startsWith("with ")) {
        const k2 = elseRest.startsWith("if ") ? "if" : "with";
        elseNodes = [block(k2, elseRest.slice(k2.length))];
        return { n: kind, pipe, body: body.nodes, els: elseNodes };
      }
      const e = list(["end"]);
      elseNodes = e.nodes;
    }
    i++; // {{end}}
    return { n: kind, pipe, body: body.nodes, els: elseNodes };
  }
  const root = list([]);
  return root.nodes;
}

// ---- execution ----------------------------------------------------------------------------------------

const BREAK = {};
const CONTINUE = {};

const BUILTINS = {
  and: (...a) => {
    for (const x of a) if (!truthy(x)) return x;
    return a[a.length - 1];
  },
  or: (...a) => {
    for (const x of a) if (truthy(x)) return x;
    return a[a.length - 1];
  },
  not: (x) => !truthy(x),
  len: (x) =>
    x === null || x === undefined
      ? 0
      : typeof x === "string"
        ? utf8Encode(x).length
        : Array.isArray(x)
          ? x.length
          : Object.keys(x).length,
  index: (x, ...keys) => {
    for (const k of keys) x = x === null || x === undefined ? undefined : x[k];
    return x;
  },
  slice: (x, a, b) => (typeof x === "string" || Array.isArray(x) ? x.slice(a === undefined ? 0 : a, b) : x),
  print: (...a) => a.map(goPrint).join(""),
  println: (...a) => a.map(goPrint).join(" ") + "\n",
  printf: (f, ...a) => goSprintf(String(f), a),
  html: (...a) => htmlEscape(a.map(goPrint).join("")),
  js: (...a) =>
    a
      .map(goPrint)
      .join("")
      .replace(/[\\'"<>&=\u2028\u2029]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")),
  urlquery: (...a) => encodeQuery(a.map(goPrint).join("")),
  eq: (a, ...b) =>
    b.some(
      (x) => x === a || (x !== null && a !== null && typeof x === "object" && x[H] !== undefined && x[H] === a[H]),
    ),
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
  call: (fn, ...a) => fn.apply(undefined, a),
  raw: (s) => new RawHTML(s === null || s === undefined ? "" : goPrint(s)),
};

function goSprintf(f, args) {
  let i = 0;
  return f.replace(/%([-+# 0]*)(\d*)(?:\.(\d+))?([vdsqftxXboecTU%])/g, (m, flags, width, prec, verb) => {
    if (verb === "%") return "%";
    const a = args[i++];
    let s;
    switch (verb) {
      case "d":
        s = String(Math.trunc(Number(a)));
        break;
      case "f":
        s = Number(a).toFixed(prec === undefined ? 6 : Number(prec));
        break;
      case "e":
        s = Number(a).toExponential(prec === undefined ? 6 : Number(prec));
        break;
      case "q":
        s = JSON.stringify(goPrint(a));
        break;
      case "x":
        s =
          typeof a === "number"
            ? a.toString(16)
            : utf8Encode(goPrint(a))
                .map((b) => b.toString(16).padStart(2, "0"))
                .join("");
        break;
      case "X":
        s = (
          typeof a === "number"
            ? a.toString(16)
            : utf8Encode(goPrint(a))
                .map((b) => b.toString(16).padStart(2, "0"))
                .join("")
        ).toUpperCase();
        break;
      case "t":
        s = String(!!a);
        break;
      case "T":
        s = typeof a;
        break;
      default:
        s = goPrint(a);
        if (prec !== undefined && verb === "s") s = s.slice(0, Number(prec));
    }
    if (width)
      s = flags.includes("-") ? s.padEnd(Number(width)) : s.padStart(Number(width), flags.includes("0") ? "0" : " ");
    return s;
  });
}

function fieldOf(v, name) {
  if (v === null || v === undefined) return undefined;
  if (v[H] !== undefined) {
    // host objects: Go's exported names, JS-mapped (record.get for records)
    if (typeof v.get === "function" && typeof v.collection === "function") return v.get(name);
    const jsName = goFieldName(name);
    const x = v[jsName];
    return typeof x === "function" ? x.call(v) : x;
  }
  let x = v[name];
  if (x === undefined && name[0] >= "A" && name[0] <= "Z") x = v[goFieldName(name)];
  return typeof x === "function" ? x.call(v) : x;
}

function evalPipeline(pipe, st) {
  let value;
  let first = true;
  for (const cmd of pipe.cmds) {
    value = evalCommand(cmd, st, first ? undefined : { v: value });
    first = false;
  }
  if (pipe.decl) {
    if (pipe.assign) {
      for (let k = st.vars.length - 1; k >= 0; k--)
        if (hasOwn(st.vars[k], pipe.decl[0])) {
          st.vars[k][pipe.decl[0]] = value;
          return "";
        }
    }
    st.vars[st.vars.length - 1][pipe.decl[0]] = value;
    return undefined;
  }
  return value;
}

function operand(t, st) {
  switch (t.k) {
    case "str":
    case "num":
    case "bool":
      return t.v;
    case "nil":
      return null;
    case "pipe": {
      let v = evalPipeline(t.v, st);
      if (t.field) for (const part of t.field.split(".").filter(Boolean)) v = fieldOf(v, part);
      return v;
    }
    case "word": {
      const w = t.v;
      if (w === ".") return st.dot;
      if (w[0] === ".") {
        let v = st.dot;
        for (const part of w.split(".").filter(Boolean)) v = fieldOf(v, part);
        return v;
      }
      if (w[0] === "$") {
        const [base, ...parts] = w.split(".");
        let v;
        if (base === "$") v = st.root;
        else {
          let found = false;
          for (let k = st.vars.length - 1; k >= 0; k--) {
            if (hasOwn(st.vars[k], base)) {
              v = st.vars[k][base];
              found = true;
              break;
            }
          }
          if (!found) throw new Error(`template: undefined variable "${base}"`);
        }
        for (const part of parts) v = fieldOf(v, part);
        return v;
      }
      const fn = st.funcs[w] || BUILTINS[w];
      if (!fn) throw new Error(`template: function "${w}" not defined`);
      return fn();
    }
  }
  return undefined;
}

function evalCommand(cmd, st, piped) {
  const head = cmd[0];
  const isFunc = head && head.k === "word" && head.v[0] !== "." && head.v[0] !== "$";
  if (isFunc) {
    const fn = st.funcs[head.v] || BUILTINS[head.v];
    if (!fn) throw new Error(`template: function "${head.v}" not defined`);
    const args = cmd.slice(1).map((t) => operand(t, st));
    if (piped) args.push(piped.v);
    return fn.apply(undefined, args);
  }
  if (cmd.length > 1 || piped) {
    // a method call on a value: .Method arg...
    const target = operand(head, st);
    if (typeof target === "function") {
      const args = cmd.slice(1).map((t) => operand(t, st));
      if (piped) args.push(piped.v);
      return target.apply(undefined, args);
    }
    if (cmd.length > 1) throw new Error(`template: can't give argument to non-function ${head.v}`);
  }
  return operand(head, st);
}

function execNodes(nodes, st, out) {
  for (const node of nodes) {
    switch (node.n) {
      case "text":
        out.push(node.v);
        break;
      case "action": {
        const v = evalPipeline(node.pipe, st);
        if (!node.pipe.decl) out.push(v instanceof RawHTML ? v.s : htmlEscape(goPrint(v)));
        break;
      }
      case "if": {
        st.vars.push({});
        try {
          if (truthy(evalPipeline(node.pipe, st))) execNodes(node.body, st, out);
          else if (node.els) execNodes(node.els, st, out);
        } finally {
          st.vars.pop();
        }
        break;
      }
      case "with": {
        st.vars.push({});
        try {
          const v = evalPipeline({ ...node.pipe, decl: null }, st);
          if (node.pipe.decl) st.vars[st.vars.length - 1][node.pipe.decl[0]] = v;
          if (truthy(v)) {
            const saved = st.dot;
            st.dot = v;
            try {
              execNodes(node.body, st, out);
            } finally {
              st.dot = saved;
            }
          } else if (node.els) execNodes(node.els, st, out);
        } finally {
          st.vars.pop();
        }
        break;
      }
      case "range": {
        const coll = evalPipeline({ ...node.pipe, decl: null }, st);
        const entries =
          coll === null || coll === undefined
            ? []
            : typeof coll === "number"
              ? Array.from({ length: coll }, (_, i) => [i, i])
              : Array.isArray(coll) || typeof coll.length === "number"
                ? Array.from(coll, (v, i) => [i, v])
                : Object.keys(coll)
                    .sort()
                    .map((k) => [k, coll[k]]);
        if (entries.length === 0) {
          if (node.els) execNodes(node.els, st, out);
          break;
        }
        const saved = st.dot;
        try {
          for (const [k, v] of entries) {
            st.vars.push({});
            if (node.pipe.decl) {
              if (node.pipe.decl.length === 2) {
                st.vars[st.vars.length - 1][node.pipe.decl[0]] = k;
                st.vars[st.vars.length - 1][node.pipe.decl[1]] = v;
              } else st.vars[st.vars.length - 1][node.pipe.decl[0]] = v;
            }
            st.dot = v;
            try {
              execNodes(node.body, st, out);
            } catch (e) {
              if (e === BREAK) break;
              if (e !== CONTINUE) throw e;
            } finally {
              st.vars.pop();
            }
          }
        } finally {
          st.dot = saved;
        }
        break;
      }
      case "template": {
        const body = st.defs[node.name];
        if (!body) throw new Error(`template: no such template "${node.name}"`);
        const dot = node.pipe ? evalPipeline(node.pipe, st) : undefined;
        execNodes(body, { dot, root: dot, vars: [{ $: dot }], funcs: st.funcs, defs: st.defs }, out);
        break;
      }
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
    }
  }
}

/** A parsed set of templates; `render(data)` executes the root one. */
class Renderer {
  constructor(load, funcs) {
    defineHidden(this, "_load", load);
    defineHidden(this, "_funcs", funcs || {});
  }
  render(data) {
    const parsed = this._load();
    if (parsed.error) throw parsed.error;
    const out = [];
    const st = { dot: data, root: data, vars: [{ $: data }], funcs: this._funcs, defs: parsed.defs };
    execNodes(parsed.root, st, out);
    return out.join("");
  }
}

function parseSet(files) {
  try {
    const defs = Object.create(null);
    let root = null;
    for (const [name, src] of files) {
      const nodes = parseTemplate(src, name, defs);
      if (!defs[name]) defs[name] = nodes;
      if (root === null) root = nodes;
    }
    return { root: root || [], defs };
  } catch (e) {
    return { error: e };
  }
}

class TemplateRegistry {
  constructor(funcs) {
    defineHidden(this, "_funcs", funcs || {});
  }
  addFuncs(funcs) {
    return new TemplateRegistry(Object.assign({}, this._funcs, funcs || {}));
  }
  loadString(text) {
    const key = "s:" + text;
    return new Renderer(() => (TPL_CACHE[key] ??= parseSet([["", String(text)]])), this._funcs);
  }
  loadFiles() {
    const paths = Array.prototype.slice.call(arguments).map(String);
    const key = "f:" + paths.join("\u0000");
    return new Renderer(
      () =>
        (TPL_CACHE[key] ??= (() => {
          try {
            return parseSet(paths.map((p) => [filepath.base(p), utf8Decode(local("os.readFile", [p]))]));
          } catch (e) {
            return { error: e };
          }
        })()),
      this._funcs,
    );
  }
  loadFS(fs, ...globs) {
    const dir = fs instanceof DirFS ? fs.dir : String(fs);
    const key = "fs:" + dir + "\u0000" + globs.join("\u0000");
    return new Renderer(
      () =>
        (TPL_CACHE[key] ??= (() => {
          try {
            const files = [];
            for (const g of globs)
              for (const p of local("fs.glob", [filepath.join(dir, g)]))
                files.push([filepath.base(p), utf8Decode(local("os.readFile", [p]))]);
            return parseSet(files);
          } catch (e) {
            return { error: e };
          }
        })()),
      this._funcs,
    );
  }
}

G.$template = new TemplateRegistry();
