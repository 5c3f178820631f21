/**
 * Statement placeholders rewritten into PostgreSQL's numbered form. Our SQL is written once for every
 * engine with SQLite's placeholders — named `:p0` bound from an object (`{ p0: v }`, the filter
 * compiler's `SqlParams`), or positional `?` bound from an array (the dialect's catalog queries, core's
 * hand-written statements) — while PostgreSQL (Bun's `sql.unsafe(text, params)`) takes only `$1, $2…`
 * bound from an array. `toNumbered` turns a text and its bindings into that form. Pure and app-agnostic:
 * no I/O, nothing of core. Our own: upstream runs SQLite only and has no twin.
 *
 * The text is scanned the way PostgreSQL's lexer reads it, so that placeholder-looking characters
 * inside single-quoted strings ('' escaped; E'' strings also take backslash escapes), "double-quoted"
 * and `backtick` identifiers, dollar-quoted strings ($$…$$, $tag$…$tag$), -- line comments and
 * (nested, as PostgreSQL nests them) block comments stay as written; `::` is a cast, never a named
 * parameter. Out of scope because we never emit them: PostgreSQL's `?`-operators (`?`, `?|`, `?&` on
 * jsonb — every `?` outside quotes is a placeholder here), array slices `a[1:2]` (`:2` would read as
 * a name), and SQLite's `?NNN`, `$name`, `@name` forms (`?NNN` and an already numbered `$1` are
 * errors rather than silently renumbered). Only the first statement of a text is kept (see `scan`).
 *
 * A statement's analysis is cached per distinct text (bounded like the SQLite driver's statement cache,
 * evicting the least recently used roughly), so a hot statement costs a map lookup plus building its
 * params array.
 */

/** A statement's placeholders or bindings do not fit (a programming error, never a user's). */
export class PlaceholderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlaceholderError";
  }
}

/** What one statement text holds, computed once per distinct text. */
interface Analysis {
  /** The text with `$1…$n` in place of the placeholders (the input itself when it has none). */
  readonly sql: string;
  readonly kind: "none" | "positional" | "named";
  /** How many `?` (positional). */
  readonly count: number;
  /** Each distinct name once, in first-use order: `$k` stands for names[k-1] (named). */
  readonly names: readonly string[];
}

/** How many distinct texts keep their analysis at most (the driver's statement cache holds as many). */
export const PLACEHOLDER_CACHE_MAX = 500;

/**
 * Two generations of analyses, each up to half the bound: a hit in `recent` is a plain lookup, a hit
 * in `older` moves the entry up, and a full `recent` becomes `older` (dropping the previous one). So
 * texts used within the last few hundred distinct ones stay, as with an LRU, without the
 * delete-and-reinsert an exact LRU pays on every hit (measured ~0.6 µs, most of a hit's cost).
 */
let recent = new Map<string, Analysis>();
let older = new Map<string, Analysis>();

/** The number of cached analyses, at most PLACEHOLDER_CACHE_MAX (for tests and benches). */
export function placeholderCacheSize(): number {
  return recent.size + older.size;
}

/**
 * `sql` and its bindings in PostgreSQL's form: `?` become `$1…$n` in order and the array is copied;
 * `:name` become `$k`, a name used twice getting the same number, and `params` lists each name's
 * value once in first-use order (looked up as `name`, else `:name`, the key a non-strict SQLite
 * binding uses; keys the text does not use are ignored, as the filter compiler may leave some).
 * Throws PlaceholderError when the text mixes both kinds, when an array is given for names or an
 * object for `?`, when a name has no value, or when the number of values differs from the `?`.
 */
export function toNumbered(
  sql: string,
  params?: readonly unknown[] | Readonly<Record<string, unknown>>,
): { sql: string; params: unknown[] } {
  const a = analyze(sql);
  switch (a.kind) {
    case "none":
      if (Array.isArray(params) && params.length > 0)
        throw new PlaceholderError(`statement has no placeholders but ${params.length} positional values were given`);
      return { sql: a.sql, params: [] };
    case "positional": {
      if (params === undefined || params === null)
        throw new PlaceholderError(`statement has ${a.count} "?" placeholders but no values were given`);
      if (!Array.isArray(params))
        throw new PlaceholderError(`statement has "?" placeholders: bind an array, not an object`);
      if (params.length !== a.count)
        throw new PlaceholderError(`statement has ${a.count} "?" placeholders but ${params.length} values were given`);
      return { sql: a.sql, params: params.slice() };
    }
    case "named": {
      if (Array.isArray(params))
        throw new PlaceholderError(`statement has named placeholders (:${a.names[0]}): bind an object, not an array`);
      const obj = (params ?? {}) as Readonly<Record<string, unknown>>;
      const out = new Array<unknown>(a.names.length);
      for (let i = 0; i < a.names.length; i++) {
        const name = a.names[i]!;
        if (Object.hasOwn(obj, name)) out[i] = obj[name];
        else if (Object.hasOwn(obj, ":" + name)) out[i] = obj[":" + name];
        else throw new PlaceholderError(`named parameter :${name} has no value`);
      }
      return { sql: a.sql, params: out };
    }
  }
}

/** The cached analysis of `sql`, computed on a miss. */
function analyze(sql: string): Analysis {
  let a = recent.get(sql);
  if (a !== undefined) return a;
  a = older.get(sql);
  if (a !== undefined) older.delete(sql);
  else a = scan(sql); // throws for texts that can never bind: those are not cached (they are bugs, not hot paths)
  if (recent.size >= PLACEHOLDER_CACHE_MAX / 2) {
    older = recent;
    recent = new Map();
  }
  recent.set(sql, a);
  return a;
}

const QUOTE = 39; // '
const DQUOTE = 34; // "
const BACKTICK = 96; // `
const DOLLAR = 36; // $
const COLON = 58; // :
const QMARK = 63; // ?
const DASH = 45; // -
const SLASH = 47; // /
const STAR = 42; // *
const BACKSLASH = 92; // \
const SEMICOLON = 59; // ;

/** A character of a name or bare word: ASCII letters, digits, `_`, and any non-ASCII (PostgreSQL's identifiers). */
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c >= 128;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** A PostgreSQL identifier character, `$` included (so `a$1` is a name, not a parameter). */
function isIdentChar(c: number): boolean {
  return isWordChar(c) || c === DOLLAR;
}

/** One pass over `sql`: placeholders outside quotes and comments, replaced by their number. */
function scan(sql: string): Analysis {
  // most statements the app runs without bindings skip the character walk entirely
  if (sql.indexOf("?") === -1 && sql.indexOf(":") === -1 && sql.indexOf("$") === -1 && sql.indexOf(";") === -1)
    return { sql, kind: "none", count: 0, names: [] };

  const n = sql.length;
  let out = "";
  let copied = 0; // sql[copied, i) is still to be appended to out
  let count = 0;
  const numbers = new Map<string, number>();
  const names: string[] = [];
  let i = 0;

  const replace = (start: number, end: number, number: number) => {
    out += sql.slice(copied, start) + "$" + number;
    copied = end;
  };

  let end = n; // where the first statement ends
  while (i < n) {
    const c = sql.charCodeAt(i);
    const prev = i > 0 ? sql.charCodeAt(i - 1) : 0;
    if (c === SEMICOLON) {
      // only the first statement is kept, as SQLite compiles only the first of a text (nothing
      // stacked after it may run, whether or not the statement has parameters)
      end = i;
      break;
    } else if (c === QUOTE) {
      // E'…' (escape string syntax) also takes backslash escapes; a standard string only ''
      const escapes = (prev === 69 || prev === 101) && !(i > 1 && isIdentChar(sql.charCodeAt(i - 2)));
      i = endOfQuoted(sql, i + 1, QUOTE, escapes);
    } else if (c === DQUOTE || c === BACKTICK) {
      i = endOfQuoted(sql, i + 1, c, false);
    } else if (c === DASH && sql.charCodeAt(i + 1) === DASH) {
      const nl = sql.indexOf("\n", i + 2);
      i = nl === -1 ? n : nl + 1;
    } else if (c === SLASH && sql.charCodeAt(i + 1) === STAR) {
      i = endOfBlockComment(sql, i + 2);
    } else if (c === DOLLAR) {
      if (isIdentChar(prev)) {
        i++; // inside a name such as a$b
      } else if (isDigit(sql.charCodeAt(i + 1))) {
        throw new PlaceholderError(
          `statement already has numbered placeholders ($${sql.slice(i + 1).match(/^\d+/)![0]}): write "?" or ":name"`,
        );
      } else {
        i = endOfDollarQuoted(sql, i);
      }
    } else if (c === QMARK) {
      if (isDigit(sql.charCodeAt(i + 1)))
        throw new PlaceholderError(`numbered "?${sql.slice(i + 1).match(/^\d+/)![0]}" placeholders are not supported`);
      if (names.length > 0) throw mixed();
      replace(i, i + 1, ++count);
      i++;
    } else if (c === COLON) {
      if (sql.charCodeAt(i + 1) === COLON) {
        i += 2; // a cast: `x::text`
      } else if (isWordChar(sql.charCodeAt(i + 1))) {
        let end = i + 2;
        while (end < n && isWordChar(sql.charCodeAt(end))) end++;
        if (count > 0) throw mixed();
        const name = sql.slice(i + 1, end);
        let number = numbers.get(name);
        if (number === undefined) {
          names.push(name);
          numbers.set(name, (number = names.length));
        }
        replace(i, end, number);
        i = end;
      } else {
        i++;
      }
    } else if (isWordChar(c)) {
      // a whole word at once: its `$` and quotes belong to it (a$1, E'…' is handled from the quote)
      i++;
      while (i < n && isWordChar(sql.charCodeAt(i))) i++;
    } else {
      i++;
    }
  }

  const text = out + sql.slice(copied, end);
  if (count > 0) return { sql: text, kind: "positional", count, names: [] };
  if (names.length > 0) return { sql: text, kind: "named", count: 0, names };
  return { sql: text, kind: "none", count: 0, names: [] };
}

function mixed(): PlaceholderError {
  return new PlaceholderError(`statement mixes "?" and ":name" placeholders`);
}

/**
 * The index after the quote closing a quoted run that starts at `i` (past the opening quote): a
 * doubled quote is an escaped one, and with `backslash` a `\` escapes the next character. An
 * unterminated run ends the text (the engine reports the syntax error, not us).
 */
function endOfQuoted(sql: string, i: number, quote: number, backslash: boolean): number {
  const n = sql.length;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (backslash && c === BACKSLASH) {
      i += 2;
    } else if (c === quote) {
      if (sql.charCodeAt(i + 1) !== quote) return i + 1;
      i += 2;
    } else {
      i++;
    }
  }
  return n;
}

/** The index just past the end of a block comment whose body starts at `i`; nested ones count, as in PostgreSQL. */
function endOfBlockComment(sql: string, i: number): number {
  const n = sql.length;
  let depth = 1;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === STAR && sql.charCodeAt(i + 1) === SLASH) {
      i += 2;
      if (--depth === 0) return i;
    } else if (c === SLASH && sql.charCodeAt(i + 1) === STAR) {
      i += 2;
      depth++;
    } else {
      i++;
    }
  }
  return n;
}

/**
 * At a `$` that is not part of a name: the index after a dollar-quoted string `$tag$…$tag$` (tag
 * empty or a name not starting with a digit), or just past the `$` when none starts here.
 */
function endOfDollarQuoted(sql: string, i: number): number {
  let j = i + 1;
  if (j < sql.length && isWordChar(sql.charCodeAt(j)) && !isDigit(sql.charCodeAt(j))) {
    while (j < sql.length && isWordChar(sql.charCodeAt(j))) j++;
  }
  if (sql.charCodeAt(j) !== DOLLAR) return i + 1;
  const delimiter = sql.slice(i, j + 1);
  const close = sql.indexOf(delimiter, j + 1);
  return close === -1 ? sql.length : close + delimiter.length;
}
