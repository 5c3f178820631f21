/**
 * The filter language scanner and parser (the grammar of the fexpr Go module that upstream uses):
 * text such as `title ~ 'abc' && (views > 10 || @request.auth.id != '')` becomes a flat list of
 * groups, each joined to the previous one by `&&` or `||`, whose items are comparisons or nested lists.
 *
 * It knows nothing of SQL or collections; see filter.ts for turning the tree into SQL.
 */
import { FilterError } from "./errors.ts";

/** The comparison operators; the `?` forms are "any of" matches for multi-valued operands. */
export type SignOp =
  "=" | "!=" | "~" | "!~" | "<" | "<=" | ">" | ">=" | "?=" | "?!=" | "?~" | "?!~" | "?<" | "?<=" | "?>" | "?>=";

/** The group joins. */
export type JoinOp = "&&" | "||";

/** A comparison side: a field path or macro, a quoted text, a number, or a function call. */
export type Operand =
  | { type: "identifier"; literal: string }
  | { type: "text"; literal: string }
  | { type: "number"; literal: string }
  | { type: "function"; literal: string; args: Operand[] };

/** One comparison `left op right`. */
export interface Expr {
  left: Operand;
  op: SignOp;
  right: Operand;
}

/** One item of a list and the join that ties it to the previous item (`&&` for the first). */
export interface ExprGroup {
  join: JoinOp;
  item: Expr | ExprGroup[];
}

const SIGN_OPS = new Set<string>([
  "=",
  "!=",
  "~",
  "!~",
  "<",
  "<=",
  ">",
  ">=",
  "?=",
  "?!=",
  "?~",
  "?!~",
  "?<",
  "?<=",
  "?>",
  "?>=",
]);

/** How deep parentheses may nest (the JS stack must survive building the SQL of the tree). */
export const MAX_GROUP_DEPTH = 1000;

/** How deep function calls may nest (`a(b(c()))` is 3). */
export const MAX_FUNCTION_DEPTH = 3;

const isDigit = (c: string) => c >= "0" && c <= "9";
const isLetter = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");
const isIdentStart = (c: string) => isLetter(c) || c === "_" || c === "@" || c === "#";
const isIdentPart = (c: string) => isLetter(c) || isDigit(c) || c === "_" || c === "." || c === ":";
const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r";
const isSignChar = (c: string) => c === "=" || c === "!" || c === "<" || c === ">" || c === "~" || c === "?";

type Token =
  | Operand
  | { type: "sign"; literal: SignOp }
  | { type: "join"; literal: JoinOp }
  | { type: "open" }
  | { type: "close" }
  | { type: "eof" };

/** A one-pass scanner over the filter text. */
class Scanner {
  pos = 0;
  constructor(readonly src: string) {}

  private fail(message: string): never {
    throw new FilterError(`${message} (at position ${this.pos})`);
  }

  /** Skips whitespace and `//` line comments. */
  private skipTrivia(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (isSpace(c)) {
        this.pos++;
      } else if (c === "/" && s[this.pos + 1] === "/") {
        const nl = s.indexOf("\n", this.pos);
        this.pos = nl < 0 ? s.length : nl + 1;
      } else {
        return;
      }
    }
  }

  next(): Token {
    this.skipTrivia();
    const s = this.src;
    if (this.pos >= s.length) return { type: "eof" };
    const c = s[this.pos]!;
    if (c === "(") {
      this.pos++;
      return { type: "open" };
    }
    if (c === ")") {
      this.pos++;
      return { type: "close" };
    }
    if (c === "&" || c === "|") {
      if (s[this.pos + 1] !== c) this.fail(`invalid join operator ${JSON.stringify(c)}`);
      this.pos += 2;
      return { type: "join", literal: (c + c) as JoinOp };
    }
    if (isSignChar(c)) {
      const start = this.pos;
      while (this.pos < s.length && isSignChar(s[this.pos]!)) this.pos++;
      const op = s.slice(start, this.pos);
      if (!SIGN_OPS.has(op)) {
        this.pos = start;
        this.fail(`invalid operator ${JSON.stringify(op)}`);
      }
      return { type: "sign", literal: op as SignOp };
    }
    return this.operand(1);
  }

  /** An identifier, text, number or function call (`depth` counts nested calls). */
  private operand(depth: number): Operand {
    const s = this.src;
    const c = s[this.pos]!;
    if (c === "'" || c === '"') return { type: "text", literal: this.text() };
    if (isDigit(c) || c === "-") return { type: "number", literal: this.number() };
    if (isIdentStart(c)) {
      const name = this.identifier();
      if (s[this.pos] === "(") return this.call(name, depth);
      return { type: "identifier", literal: name };
    }
    this.fail(`unexpected character ${JSON.stringify(c)}`);
  }

  private identifier(): string {
    const s = this.src;
    const start = this.pos;
    this.pos++;
    while (this.pos < s.length && isIdentPart(s[this.pos]!)) this.pos++;
    const name = s.slice(start, this.pos);
    const last = name[name.length - 1]!;
    if (name.length === 1 && (name === "@" || name === "_" || name === "#"))
      this.fail(`invalid identifier ${JSON.stringify(name)}`);
    if (last === "." || last === ":") this.fail(`invalid identifier ${JSON.stringify(name)}`);
    return name;
  }

  private number(): string {
    const s = this.src;
    const start = this.pos;
    if (s[this.pos] === "-") this.pos++;
    while (this.pos < s.length && (isDigit(s[this.pos]!) || s[this.pos] === ".")) this.pos++;
    const lit = s.slice(start, this.pos);
    if (!/^-?\d+(?:\.\d+)?$/.test(lit)) {
      this.pos = start;
      this.fail(`invalid number ${JSON.stringify(lit)}`);
    }
    return lit;
  }

  /**
   * A quoted text. A backslash escapes the enclosing quote, another backslash and the usual
   * control escapes (`\n`, `\t`, `\uXXXX`, ...); any other backslash is kept as written, so LIKE
   * escapes such as `\%` and `\_` reach SQL intact.
   */
  private text(): string {
    const s = this.src;
    const quote = s[this.pos]!;
    const start = this.pos;
    this.pos++;
    let out = "";
    let chunk = this.pos;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === quote) {
        out += s.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c !== "\\") {
        this.pos++;
        continue;
      }
      out += s.slice(chunk, this.pos);
      const e = s[this.pos + 1];
      const decoded = e === undefined ? undefined : decodeEscape(s, this.pos + 1);
      if (decoded) {
        out += decoded.value;
        this.pos = decoded.end;
      } else {
        out += "\\";
        this.pos++;
      }
      chunk = this.pos;
    }
    this.pos = start;
    this.fail("unterminated quoted text");
  }

  /** A function call after its name: `(` args `)` with an optional trailing comma. */
  private call(name: string, depth: number): Operand {
    if (depth > MAX_FUNCTION_DEPTH) this.fail(`max function nesting of ${MAX_FUNCTION_DEPTH} reached`);
    const s = this.src;
    this.pos++; // (
    const args: Operand[] = [];
    for (;;) {
      this.skipTrivia();
      if (this.pos >= s.length) this.fail(`unterminated function call ${JSON.stringify(name)}`);
      if (s[this.pos] === ")") {
        this.pos++;
        return { type: "function", literal: name, args };
      }
      args.push(this.operand(depth + 1));
      this.skipTrivia();
      const c = s[this.pos];
      if (c === ",") {
        this.pos++;
      } else if (c !== ")") {
        this.fail(`expected "," or ")" in function call ${JSON.stringify(name)}`);
      }
    }
  }
}

const SIMPLE_ESCAPES: { [c: string]: string } = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** The escape starting at `i` (just after the backslash), or undefined when it is not one we decode. */
function decodeEscape(s: string, i: number): { value: string; end: number } | undefined {
  const e = s[i]!;
  const simple = SIMPLE_ESCAPES[e];
  if (simple !== undefined) return { value: simple, end: i + 1 };
  const hexLen = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
  if (hexLen === 0) return undefined;
  const hex = s.slice(i + 1, i + 1 + hexLen);
  if (hex.length !== hexLen || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  const code = parseInt(hex, 16);
  if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return undefined;
  return { value: String.fromCodePoint(code), end: i + 1 + hexLen };
}

interface Frame {
  groups: ExprGroup[];
  /** The join of this frame within its parent. */
  join: JoinOp;
  /** The join for the next item of this frame. */
  pending: JoinOp;
  state: "start" | "sign" | "right" | "after";
  left?: Operand;
  op?: SignOp;
}

/**
 * Parses a filter into its groups. Throws FilterError on any syntax error, including an expression
 * that is empty or holds only comments.
 */
export function parseFilter(text: string): ExprGroup[] {
  const sc = new Scanner(text);
  const stack: Frame[] = [{ groups: [], join: "&&", pending: "&&", state: "start" }];
  const fail = (message: string): never => {
    throw new FilterError(`${message} (at position ${sc.pos})`);
  };
  for (;;) {
    const tok = sc.next();
    const f = stack[stack.length - 1]!;
    switch (tok.type) {
      case "eof":
        if (stack.length > 1) fail("missing closing parenthesis");
        if (f.state === "start" && f.groups.length === 0) throw new FilterError("empty filter expression");
        if (f.state !== "after") fail("incomplete expression");
        return f.groups;
      case "open":
        if (f.state !== "start") fail("unexpected opening parenthesis");
        if (stack.length >= MAX_GROUP_DEPTH) fail(`max nesting of ${MAX_GROUP_DEPTH} parentheses reached`);
        stack.push({ groups: [], join: f.pending, pending: "&&", state: "start" });
        break;
      case "close": {
        if (stack.length === 1) fail("unexpected closing parenthesis");
        if (f.state !== "after")
          fail(f.groups.length === 0 && f.state === "start" ? "empty parentheses" : "incomplete expression");
        stack.pop();
        const parent = stack[stack.length - 1]!;
        parent.groups.push({ join: f.join, item: f.groups });
        parent.state = "after";
        break;
      }
      case "join":
        if (f.state !== "after") fail(`unexpected ${tok.literal}`);
        f.pending = tok.literal;
        f.state = "start";
        break;
      case "sign":
        if (f.state !== "sign") fail(`unexpected operator ${tok.literal}`);
        f.op = tok.literal;
        f.state = "right";
        break;
      default:
        // an operand
        if (f.state === "start") {
          f.left = tok;
          f.state = "sign";
        } else if (f.state === "right") {
          f.groups.push({ join: f.pending, item: { left: f.left!, op: f.op!, right: tok } });
          f.left = undefined;
          f.op = undefined;
          f.state = "after";
        } else if (f.state === "sign") {
          fail("expected an operator after the left operand");
        } else {
          fail("expected && or || between expressions");
        }
    }
  }
}

/** True for the `?` operators (match any value of a multi-valued operand). */
export function isAnyMatchOp(op: SignOp): boolean {
  return op.startsWith("?");
}
