/**
 * Go (RE2) regular expressions for the places upstream takes user-written patterns: text/password
 * field `pattern`s, `autogeneratePattern`s and the IsRegex settings check.
 *
 * One parser serves three uses: checking a pattern the way Go's regexp.Compile does (with Go's error
 * texts), running it as a JS RegExp with Go's meaning (flags like `(?i)`, `\z`, `[[:alpha:]]`,
 * `(?P<name>…)` are translated), and generating a random matching string as upstream's
 * security.RandomStringByRegex does.
 */
import { randomInt } from "node:crypto";

/** A Go regexp compile error; `message` is Go's text, e.g. "error parsing regexp: missing closing ]: `[a`". */
export class GoRegexError extends Error {}

const MAX_RUNE = 0x10ffff;
const MAX_REPEAT = 1000;

type Node =
  | { op: "literal"; runes: number[]; fold: boolean }
  | { op: "class"; pairs: number[] } // sorted, merged [lo, hi] pairs
  | { op: "any"; nl: boolean }
  | { op: "concat"; subs: Node[] }
  | { op: "alt"; subs: Node[] }
  | { op: "repeat"; sub: Node; min: number; max: number; greedy: boolean } // max -1 = unbounded
  | { op: "capture"; sub: Node }
  | { op: "prop"; negated: boolean; name: string }
  | { op: "bol" | "eol" | "bot" | "eot" | "wordb" | "nwordb" | "empty" };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

// --- character classes ------------------------------------------------------------------------------

function normalizePairs(pairs: number[]): number[] {
  const ranges: [number, number][] = [];
  for (let i = 0; i < pairs.length; i += 2) ranges.push([pairs[i]!, pairs[i + 1]!]);
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: number[] = [];
  for (const [lo, hi] of ranges) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

function negatePairs(pairs: number[]): number[] {
  const norm = normalizePairs(pairs);
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < norm.length; i += 2) {
    if (norm[i]! > next) out.push(next, norm[i]! - 1);
    next = norm[i + 1]! + 1;
  }
  if (next <= MAX_RUNE) out.push(next, MAX_RUNE);
  return out;
}

/** Adds the simple case variants of the class's letters (Go folds classes under (?i)). */
function foldPairs(pairs: number[]): number[] {
  const out = [...pairs];
  for (let i = 0; i < pairs.length; i += 2) {
    const lo = pairs[i]!;
    const hi = Math.min(pairs[i + 1]!, lo + 5000); // enough for the scripts with case
    for (let c = lo; c <= hi; c++) {
      const ch = String.fromCodePoint(c);
      for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
        if ([...v].length === 1 && v !== ch) {
          const cp = v.codePointAt(0)!;
          out.push(cp, cp);
        }
      }
    }
  }
  return normalizePairs(out);
}

const PERL_CLASSES: Record<string, number[]> = {
  d: [0x30, 0x39],
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20],
  w: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
};

const POSIX_CLASSES: Record<string, number[]> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

// --- parser ------------------------------------------------------------------------------------------

class Parser {
  private pos = 0;
  private readonly chars: string[];

  constructor(private readonly pattern: string) {
    this.chars = [...pattern];
  }

  private fail(code: string, expr: string): never {
    throw new GoRegexError(`error parsing regexp: ${code}: \`${expr}\``);
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  private rest(from: number): string {
    return this.chars.slice(from).join("");
  }

  parse(): Node {
    const node = this.parseAlt({ i: false, m: false, s: false, U: false }, 0);
    if (this.pos < this.chars.length) this.fail("unexpected )", this.pattern);
    return node;
  }

  private parseAlt(flags: Flags, depth: number): Node {
    if (depth > 1000) this.fail("expression nests too deeply", this.pattern);
    const branches: Node[] = [];
    const f = { ...flags };
    for (;;) {
      branches.push(this.parseConcat(f, depth));
      if (this.peek() === "|") {
        this.pos++;
        continue;
      }
      break;
    }
    return branches.length === 1 ? branches[0]! : { op: "alt", subs: branches };
  }

  /** Parses until `|`, `)` or the end; inline flag groups `(?i)` change `flags` for the rest of the group. */
  private parseConcat(flags: Flags, depth: number): Node {
    const items: Node[] = [];
    let lastRepeatText = ""; // set right after a repetition operator (Go rejects `a**`)
    while (this.pos < this.chars.length) {
      const c = this.peek()!;
      if (c === "|" || c === ")") break;
      if (c === "*" || c === "+" || c === "?" || (c === "{" && this.repeatAhead())) {
        const opText = this.repeatText();
        const prev = items[items.length - 1];
        if (lastRepeatText !== "") this.fail("invalid nested repetition operator", lastRepeatText + opText);
        if (!prev || prev.op === "empty") this.fail("missing argument to repetition operator", opText);
        const { min, max } = this.consumeRepeat();
        let greedy = true;
        if (this.peek() === "?") {
          this.pos++;
          greedy = false;
        }
        if (flags.U) greedy = !greedy;
        if (min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) this.fail("invalid repeat count", opText);
        items[items.length - 1] = { op: "repeat", sub: prev, min, max, greedy };
        lastRepeatText = opText;
        continue;
      }
      lastRepeatText = "";
      const atom = this.parseAtom(flags, depth);
      if (atom) items.push(atom);
    }
    if (items.length === 0) return { op: "empty" };
    return items.length === 1 ? items[0]! : { op: "concat", subs: items };
  }

  private repeatAhead(): boolean {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.rest(this.pos));
    return m !== null;
  }

  private repeatText(): string {
    const c = this.peek()!;
    if (c !== "{") return this.peek(1) === "?" ? c + "?" : c;
    const m = /^\{\d+(,\d*)?\}\??/.exec(this.rest(this.pos))!;
    return m[0];
  }

  private consumeRepeat(): { min: number; max: number } {
    const c = this.chars[this.pos++]!;
    if (c === "*") return { min: 0, max: -1 };
    if (c === "+") return { min: 1, max: -1 };
    if (c === "?") return { min: 0, max: 1 };
    const m = /^(\d+)(,(\d*))?\}/.exec(this.rest(this.pos))!;
    this.pos += [...m[0]].length;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : m[3] === "" ? -1 : Number(m[3]);
    return { min: lo, max: hi };
  }

  private parseAtom(flags: Flags, depth: number): Node | null {
    const c = this.chars[this.pos]!;
    switch (c) {
      case "(":
        return this.parseGroup(flags, depth);
      case "[":
        return this.parseClass(flags);
      case ".":
        this.pos++;
        return { op: "any", nl: flags.s };
      case "^":
        this.pos++;
        return { op: flags.m ? "bol" : "bot" };
      case "$":
        this.pos++;
        return { op: flags.m ? "eol" : "eot" };
      case "\\":
        return this.parseEscape(flags);
      default:
        this.pos++;
        return { op: "literal", runes: [c.codePointAt(0)!], fold: flags.i };
    }
  }

  private parseGroup(flags: Flags, depth: number): Node | null {
    const start = this.pos;
    this.pos++; // (
    let capture = true;
    if (this.peek() === "?") {
      const rest = this.rest(this.pos);
      const named = /^\?P?<(\w*)>/.exec(rest);
      if (named) {
        if (named[1] === "") this.fail("invalid named capture", "(" + named[0]);
        this.pos += named[0].length;
      } else if (rest.startsWith("?P")) {
        this.fail("invalid named capture", this.rest(start));
      } else {
        const m = /^\?([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
        if (!m || m[2] === "" || (m[1] === "" && m[2] === undefined && m[3] === ")")) {
          this.fail("invalid or unsupported Perl syntax", m ? "(" + m[0] : this.rest(start).slice(0, 3));
        }
        this.pos += m![0].length;
        const next = { ...flags };
        for (const f of m![1]!) next[f as keyof Flags] = true;
        for (const f of m![2] ?? "") next[f as keyof Flags] = false;
        if (m![3] === ")") {
          Object.assign(flags, next); // flags for the rest of the current group
          return null;
        }
        capture = false;
        const sub = this.parseAlt(next, depth + 1);
        if (this.peek() !== ")") this.fail("missing closing )", this.pattern);
        this.pos++;
        return sub;
      }
    }
    const sub = this.parseAlt({ ...flags }, depth + 1);
    if (this.peek() !== ")") this.fail("missing closing )", this.pattern);
    this.pos++;
    return capture ? { op: "capture", sub } : sub;
  }

  private parseClass(flags: Flags): Node {
    const start = this.pos;
    this.pos++; // [
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.pos++;
    }
    const pairs: number[] = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail("missing closing ]", this.rest(start));
      if (c === "]" && !first) {
        this.pos++;
        break;
      }
      first = false;
      // POSIX class
      if (c === "[" && this.peek(1) === ":") {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.rest(this.pos));
        if (m) {
          const cls = POSIX_CLASSES[m[2]!];
          if (!cls) this.fail("invalid character class range", m[0]);
          pairs.push(...(m[1] ? negatePairs(cls) : cls));
          this.pos += m[0].length;
          continue;
        }
      }
      const lo = this.classAtom(pairs);
      if (lo === null) continue; // a whole class (\d…) was added
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        const rangeStart = this.pos - 1;
        this.pos++; // -
        const hi = this.classAtom(pairs, true);
        if (hi === null || hi < lo) this.fail("invalid character class range", this.rest(rangeStart).slice(0, 3));
        pairs.push(lo, hi);
      } else pairs.push(lo, lo);
    }
    let result = normalizePairs(pairs);
    if (flags.i) result = foldPairs(result);
    if (negated) result = negatePairs(result);
    return { op: "class", pairs: result };
  }

  /** One class item: a code point, or null after adding a whole escape class to `pairs`. */
  private classAtom(pairs: number[], inRange = false): number | null {
    const c = this.chars[this.pos]!;
    if (c !== "\\") {
      this.pos++;
      return c.codePointAt(0)!;
    }
    const e = this.peek(1);
    if (e === undefined) this.fail("trailing backslash at end of expression", "");
    if (!inRange && e && /[dswDSW]/.test(e)) {
      this.pos += 2;
      const base = PERL_CLASSES[e.toLowerCase()]!;
      pairs.push(...(e === e.toUpperCase() ? negatePairs(base) : base));
      return null;
    }
    if (!inRange && (e === "p" || e === "P")) {
      // unicode classes inside a class are kept only for matching (see toJS); approximate as letters
      this.parseProp();
      pairs.push(0x41, 0x5a, 0x61, 0x7a);
      return null;
    }
    return this.escapedRune();
  }

  private parseProp(): { negated: boolean; name: string } {
    const negated = this.chars[this.pos + 1] === "P";
    this.pos += 2;
    let name: string;
    if (this.peek() === "{") {
      const m = /^\{(\^?)(\w+)\}/.exec(this.rest(this.pos));
      if (!m) this.fail("invalid character class range", "\\p" + this.rest(this.pos).slice(0, 5));
      this.pos += m[0].length;
      name = m[2]!;
      return { negated: negated !== (m[1] === "^"), name };
    }
    const ch = this.peek();
    if (ch === undefined) this.fail("invalid character class range", "\\p");
    this.pos++;
    return { negated, name: ch };
  }

  /** An escape that stands for one code point (the backslash at `pos`). */
  private escapedRune(): number {
    const start = this.pos;
    this.pos++; // backslash
    const e = this.chars[this.pos++];
    if (e === undefined) this.fail("trailing backslash at end of expression", "");
    switch (e) {
      case "a":
        return 7;
      case "f":
        return 12;
      case "t":
        return 9;
      case "n":
        return 10;
      case "r":
        return 13;
      case "v":
        return 11;
      case "x": {
        const rest = this.rest(this.pos);
        const braced = /^\{([0-9a-fA-F]{1,8})\}/.exec(rest);
        if (braced) {
          this.pos += braced[0].length;
          const v = parseInt(braced[1]!, 16);
          if (v > MAX_RUNE) this.fail("invalid escape sequence", "\\x" + braced[0]);
          return v;
        }
        const two = /^[0-9a-fA-F]{2}/.exec(rest);
        if (!two) this.fail("invalid escape sequence", this.rest(start).slice(0, 4));
        this.pos += 2;
        return parseInt(two[0], 16);
      }
    }
    if (e >= "0" && e <= "7") {
      // octal: \0 or \1-\7 only when followed by more octal digits (Go rejects backreferences)
      if (e !== "0" && !(this.peek() && /[0-7]/.test(this.peek()!))) this.fail("invalid escape sequence", "\\" + e);
      let digits = e;
      while (digits.length < 3 && this.peek() && /[0-7]/.test(this.peek()!)) digits += this.chars[this.pos++];
      return parseInt(digits, 8);
    }
    const cp = e.codePointAt(0)!;
    // punctuation may be escaped; letters, digits and others may not
    if (cp < 0x80 && !/[A-Za-z0-9_]/.test(e)) return cp;
    this.fail("invalid escape sequence", "\\" + e);
  }

  private parseEscape(flags: Flags): Node {
    const e = this.peek(1);
    if (e === undefined) this.fail("trailing backslash at end of expression", "");
    switch (e) {
      case "A":
        this.pos += 2;
        return { op: "bot" };
      case "z":
        this.pos += 2;
        return { op: "eot" };
      case "b":
        this.pos += 2;
        return { op: "wordb" };
      case "B":
        this.pos += 2;
        return { op: "nwordb" };
      case "d":
      case "s":
      case "w":
      case "D":
      case "S":
      case "W": {
        this.pos += 2;
        const base = PERL_CLASSES[e.toLowerCase()]!;
        return { op: "class", pairs: e === e.toUpperCase() ? negatePairs(base) : base };
      }
      case "p":
      case "P": {
        const { negated, name } = this.parseProp();
        return { op: "prop", negated, name };
      }
      case "Q": {
        this.pos += 2;
        const rest = this.rest(this.pos);
        const end = rest.indexOf("\\E");
        const text = end < 0 ? rest : rest.slice(0, end);
        this.pos += [...text].length + (end < 0 ? 0 : 2);
        if (text === "") return { op: "empty" };
        return { op: "literal", runes: [...text].map((ch) => ch.codePointAt(0)!), fold: flags.i };
      }
    }
    return { op: "literal", runes: [this.escapedRune()], fold: flags.i };
  }
}

const parsedCache = new Map<string, Node>();

function parse(pattern: string): Node {
  let node = parsedCache.get(pattern);
  if (!node) {
    node = new Parser(pattern).parse();
    if (parsedCache.size > 500) parsedCache.clear();
    parsedCache.set(pattern, node);
  }
  return node;
}

/** Throws a GoRegexError with Go's message when Go's regexp.Compile would reject `pattern`. */
export function checkGoRegex(pattern: string): void {
  parse(pattern);
}

// --- JS translation ------------------------------------------------------------------------------------

function hex(cp: number): string {
  return "\\u{" + cp.toString(16) + "}";
}

function emitRune(cp: number): string {
  const ch = String.fromCodePoint(cp);
  return /[A-Za-z0-9]/.test(ch) ? ch : hex(cp);
}

function emitPairs(pairs: number[]): string {
  if (pairs.length === 0) return "[^\\u{0}-\\u{10ffff}]"; // matches nothing
  let s = "[";
  for (let i = 0; i < pairs.length; i += 2) {
    const lo = pairs[i]!;
    const hi = pairs[i + 1]!;
    s += lo === hi ? hex(lo) : hex(lo) + "-" + hex(hi);
  }
  return s + "]";
}

function emit(node: Node): string {
  switch (node.op) {
    case "literal":
      return node.runes
        .map((cp) => {
          if (!node.fold) return emitRune(cp);
          const ch = String.fromCodePoint(cp);
          const variants = new Set([ch, ch.toLowerCase(), ch.toUpperCase()].filter((v) => [...v].length === 1));
          return variants.size > 1
            ? emitPairs(normalizePairs([...variants].flatMap((v) => [v.codePointAt(0)!, v.codePointAt(0)!])))
            : emitRune(cp);
        })
        .join("");
    case "class":
      return emitPairs(node.pairs);
    case "any":
      return node.nl ? "[\\s\\S]" : "[^\\n]";
    case "concat":
      return node.subs.map(emit).join("");
    case "alt":
      return "(?:" + node.subs.map(emit).join("|") + ")";
    case "repeat": {
      const q =
        node.min === 0 && node.max === -1
          ? "*"
          : node.min === 1 && node.max === -1
            ? "+"
            : node.min === 0 && node.max === 1
              ? "?"
              : node.max === -1
                ? `{${node.min},}`
                : node.min === node.max
                  ? `{${node.min}}`
                  : `{${node.min},${node.max}}`;
      return "(?:" + emit(node.sub) + ")" + q + (node.greedy ? "" : "?");
    }
    case "capture":
      return "(" + emit(node.sub) + ")";
    case "prop": {
      const name = node.name === "Any" ? null : node.name.length <= 2 ? node.name : "Script=" + node.name;
      if (name === null) return node.negated ? "[^\\s\\S]" : "[\\s\\S]";
      return (node.negated ? "\\P{" : "\\p{") + name + "}";
    }
    case "bol":
      return "(?<=^|\\n)";
    case "eol":
      return "(?=\\n|$)";
    case "bot":
      return "^";
    case "eot":
      return "$";
    case "wordb":
      return "\\b";
    case "nwordb":
      return "\\B";
    case "empty":
      return "(?:)";
  }
}

const jsCache = new Map<string, RegExp>();

/** The JS RegExp with the meaning of the Go pattern (throws GoRegexError when Go would reject it). */
export function goRegExp(pattern: string): RegExp {
  let re = jsCache.get(pattern);
  if (!re) {
    re = new RegExp(emit(parse(pattern)), "u");
    if (jsCache.size > 500) jsCache.clear();
    jsCache.set(pattern, re);
  }
  return re;
}

/** Go's regexp.MatchString: true when the pattern matches anywhere in `s`; false for invalid patterns. */
export function goRegexMatch(pattern: string, s: string): boolean {
  try {
    return goRegExp(pattern).test(s);
  } catch {
    return false;
  }
}

// --- random strings by regex -----------------------------------------------------------------------------

const DEFAULT_MAX_REPEAT = 6;
const ANY_CHAR_PAIRS = [0x41, 0x5a, 0x61, 0x7a, 0x30, 0x39];

function randomRune(pairs: number[]): number {
  let total = 0;
  for (let i = 0; i < pairs.length; i += 2) total += pairs[i + 1]! - pairs[i]! + 1;
  if (total === 0) throw new Error("no runes to choose from");
  let n = randomInt(total);
  for (let i = 0; i < pairs.length; i += 2) {
    const size = pairs[i + 1]! - pairs[i]! + 1;
    if (n < size) return pairs[i]! + n;
    n -= size;
  }
  throw new Error("unreachable");
}

function generate(node: Node, out: string[]): void {
  switch (node.op) {
    case "class":
      out.push(String.fromCodePoint(randomRune(node.pairs)));
      return;
    case "any":
      out.push(String.fromCodePoint(randomRune(ANY_CHAR_PAIRS)));
      return;
    case "alt":
      generate(node.subs[randomInt(node.subs.length)]!, out);
      return;
    case "concat":
      for (const sub of node.subs) generate(sub, out);
      return;
    case "repeat": {
      let maxN = node.max < 0 ? DEFAULT_MAX_REPEAT : node.max;
      if (maxN < node.min) maxN = node.min;
      // as upstream: the random part is drawn from [0, max-min), so `max` itself is never produced
      const n = node.min + (maxN !== node.min ? randomInt(maxN - node.min) : 0);
      for (let i = 0; i < n; i++) generate(node.sub, out);
      return;
    }
    case "capture":
      generate(node.sub, out);
      return;
    case "literal":
      out.push(String.fromCodePoint(...node.runes));
      return;
    default:
      throw new Error(`unsupported pattern operator ${OP_CODES[node.op] ?? 0}`);
  }
}

// Go's regexp/syntax Op numbers, for the same error text upstream gives
const OP_CODES: Record<string, number> = { empty: 2, bol: 7, eol: 8, bot: 9, eot: 10, wordb: 11, nwordb: 12, prop: 4 };

/**
 * A random string matching `pattern` (upstream's security.RandomStringByRegex): used for text fields'
 * `autogeneratePattern`. Throws for invalid patterns and for anchors or other operators it cannot produce.
 */
export function generateFromPattern(pattern: string): string {
  const out: string[] = [];
  generate(parse(pattern), out);
  return out.join("");
}
