/**
 * A random string matching a regular expression, for autogenerate patterns such as `[a-z0-9]{15}`
 * (upstream's security.RandomStringByRegex). Supports literals, escapes (\d \w \s and escaped
 * punctuation), classes with ranges and negation, groups with alternation, and the quantifiers
 * `? * + {n} {n,} {n,m}` (unbounded repeats are capped). Anchors are ignored.
 */
import { randomInt } from "node:crypto";

const MAX_REPEAT = 10;
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const DIGITS = "0123456789".split("");
const WORD = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", ...DIGITS, "_"];
const SPACE = [" ", "\t", "\n", "\r", "\f", "\v"];

type Node =
  | { kind: "set"; chars: string[] }
  | { kind: "group"; alternatives: Node[][] }
  | { kind: "repeat"; node: Node; min: number; max: number };

export class PatternError extends Error {}

/** Generates one random string for `pattern`; throws PatternError for syntax it cannot handle. */
export function randomStringByRegex(pattern: string): string {
  return render({ kind: "group", alternatives: new Parser(pattern).parseAlternatives(true) });
}

function render(node: Node): string {
  switch (node.kind) {
    case "set":
      if (node.chars.length === 0) throw new PatternError("empty character class");
      return node.chars[randomInt(node.chars.length)]!;
    case "group": {
      const alt = node.alternatives[randomInt(node.alternatives.length)]!;
      return alt.map(render).join("");
    }
    case "repeat": {
      const n = node.min + randomInt(node.max - node.min + 1);
      let out = "";
      for (let i = 0; i < n; i++) out += render(node.node);
      return out;
    }
  }
}

class Parser {
  private i = 0;
  constructor(private readonly src: string) {}

  parseAlternatives(top: boolean): Node[][] {
    const alts: Node[][] = [[]];
    while (this.i < this.src.length) {
      const c = this.src[this.i]!;
      if (c === ")") {
        if (top) throw new PatternError("unexpected )");
        break;
      }
      if (c === "|") {
        this.i++;
        alts.push([]);
        continue;
      }
      if (c === "^" || c === "$") {
        this.i++;
        continue;
      }
      const atom = this.parseAtom();
      alts[alts.length - 1]!.push(this.parseQuantifier(atom));
    }
    return alts;
  }

  private parseAtom(): Node {
    const c = this.src[this.i++]!;
    if (c === "(") {
      if (this.src.startsWith("?:", this.i)) this.i += 2;
      const alternatives = this.parseAlternatives(false);
      if (this.src[this.i] !== ")") throw new PatternError("missing )");
      this.i++;
      return { kind: "group", alternatives };
    }
    if (c === "[") return this.parseClass();
    if (c === ".") return { kind: "set", chars: PRINTABLE };
    if (c === "\\") return { kind: "set", chars: this.parseEscape() };
    if ("*+?{".includes(c)) throw new PatternError(`missing argument to repetition operator: ${c}`);
    return { kind: "set", chars: [c] };
  }

  private parseEscape(): string[] {
    const e = this.src[this.i++];
    if (e === undefined) throw new PatternError("trailing backslash");
    if (e === "d") return DIGITS;
    if (e === "w") return WORD;
    if (e === "s") return SPACE;
    if (/[A-Za-z0-9]/.test(e)) throw new PatternError(`unsupported escape \\${e}`);
    return [e];
  }

  private parseClass(): Node {
    let negate = false;
    if (this.src[this.i] === "^") {
      negate = true;
      this.i++;
    }
    const chars = new Set<string>();
    let first = true;
    while (this.i < this.src.length && (this.src[this.i] !== "]" || first)) {
      first = false;
      let items: string[];
      if (this.src[this.i] === "\\") {
        this.i++;
        items = this.parseEscape();
      } else items = [this.src[this.i++]!];
      if (items.length === 1 && this.src[this.i] === "-" && this.src[this.i + 1] !== "]" && this.i + 1 < this.src.length) {
        this.i++;
        let end = this.src[this.i++]!;
        if (end === "\\") end = this.parseEscape()[0]!;
        const a = items[0]!.codePointAt(0)!;
        const b = end.codePointAt(0)!;
        if (b < a) throw new PatternError("invalid character class range");
        if (b - a > 0xffff) throw new PatternError("character class range too large");
        for (let cp = a; cp <= b; cp++) chars.add(String.fromCodePoint(cp));
      } else for (const ch of items) chars.add(ch);
    }
    if (this.src[this.i] !== "]") throw new PatternError("missing closing ]");
    this.i++;
    const list = negate ? PRINTABLE.filter((ch) => !chars.has(ch)) : [...chars];
    return { kind: "set", chars: list };
  }

  private parseQuantifier(node: Node): Node {
    const c = this.src[this.i];
    if (c === "?") return this.after({ kind: "repeat", node, min: 0, max: 1 });
    if (c === "*") return this.after({ kind: "repeat", node, min: 0, max: MAX_REPEAT });
    if (c === "+") return this.after({ kind: "repeat", node, min: 1, max: MAX_REPEAT });
    if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) return node;
      this.i += m[0].length;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === "" ? min + MAX_REPEAT : Number(m[3]);
      if (max < min || max > 1000) throw new PatternError("invalid repeat count");
      if (this.src[this.i] === "?") this.i++;
      return this.parseQuantifier({ kind: "repeat", node, min, max });
    }
    return node;
  }

  private after(node: Node): Node {
    this.i++;
    if (this.src[this.i] === "?") this.i++; // lazy modifier changes nothing here
    return node;
  }
}
