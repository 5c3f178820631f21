/**
 * Generators of random and hostile filter/sort text for the fuzz test and bench/fuzz-filters.ts:
 * grammar-shaped filters over a given identifier vocabulary, mutated with quotes, control characters,
 * unicode, huge numbers, deep nesting, SQL injection attempts and raw noise. Seeded, so a failing
 * case can be replayed from its seed.
 *
 * Every text literal carries a unique marker (see MARKER) so a harness can assert that literal
 * values never reach the SQL text; identifiers never contain it.
 */

/** The marker every generated text literal contains. */
export const MARKER = "QZXV";

/** A small seeded PRNG (mulberry32); returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const chance = (rng: Rng, p: number) => rng() < p;

const OPERATORS = ["=", "!=", "~", "!~", "<", "<=", ">", ">=", "?=", "?!=", "?~", "?!~", "?<", "?<=", "?>", "?>="];
const BAD_OPERATORS = ["==", "=!", "<>", "!", "?", "=~", "&", "|", ";", "+", "-", "*", "%", "IS", "LIKE"];
const MODIFIERS = [":each", ":length", ":lower", ":isset", ":changed", ":nope", "::", ":each:lower"];
const MACROS = [
  "@now",
  "@todayStart",
  "@todayEnd",
  "@monthStart",
  "@monthEnd",
  "@yearStart",
  "@yearEnd",
  "@second",
  "@minute",
  "@hour",
  "@day",
  "@month",
  "@weekday",
  "@year",
  "@yesterday",
  "@tomorrow",
];
const SPECIAL_IDENTS = [
  "null",
  "NULL",
  "true",
  "False",
  "id",
  "_rowid_",
  "rowid",
  "sqlite_master",
  "@request.method",
  "@request.context",
  "@rowid",
  "@random",
];
const REQUEST_PREFIXES = [
  "@request.auth.",
  "@request.body.",
  "@request.query.",
  "@request.headers.",
  "@request.data.",
  "@collection.",
];

/** Payloads that would break naive SQL splicing; wrapped into text literals. */
const INJECTIONS = [
  "'); DROP TABLE canary; --",
  '"; DROP TABLE canary; --',
  "' OR 1=1 --",
  "`; DELETE FROM canary; --",
  "\\'; DROP TABLE canary; --",
  "%' OR '%'='",
  "_%_\\%\\_",
  "1; ATTACH DATABASE '/tmp/x' AS x; --",
  "' UNION SELECT * FROM sqlite_master --",
  "*/ DROP TABLE canary /*",
];

const NOISE_CHARS = [..."()'\"`\\/&|=!<>~?:.,;@#_-+*%$^[]{} \t\n\r\0\x01\x1b\u00e9\u2028\u202e\ufeff🎉あ"];

function randomText(rng: Rng, id: number): string {
  const parts: string[] = [MARKER + id];
  const n = Math.floor(rng() * 4);
  for (let i = 0; i < n; i++) {
    switch (Math.floor(rng() * 7)) {
      case 0:
        parts.push(pick(rng, INJECTIONS));
        break;
      case 1:
        parts.push(String.fromCharCode(Math.floor(rng() * 32))); // control characters
        break;
      case 2:
        parts.push(pick(rng, ["é", "ß", "Ω", "🎉", "\u2028", "\u202e", "\ufeff", "ｱ", "\u{10ffff}"]));
        break;
      case 3:
        parts.push(pick(rng, ["%", "_", "\\", "\\%", "\\_", "%%"]));
        break;
      case 4:
        parts.push("x".repeat(Math.floor(rng() * 300)));
        break;
      default:
        parts.push(pick(rng, ["", " ", "a", "0", "-1", "null", "1e308"]));
    }
  }
  const body = parts.join("");
  const quote = chance(rng, 0.5) ? "'" : '"';
  // escape the enclosing quote and backslashes so the literal stays one token (mostly)
  const escaped = chance(rng, 0.95) ? body.replaceAll("\\", "\\\\").replaceAll(quote, "\\" + quote) : body;
  return quote + escaped + (chance(rng, 0.97) ? quote : "");
}

function randomNumber(rng: Rng): string {
  switch (Math.floor(rng() * 6)) {
    case 0:
      return "9".repeat(1 + Math.floor(rng() * 400)); // beyond float64
    case 1:
      return "-" + Math.floor(rng() * 1e9);
    case 2:
      return (rng() * 1e6).toFixed(Math.floor(rng() * 8));
    case 3:
      return "0";
    case 4:
      return "00012.50";
    default:
      return String(Math.floor(rng() * 100));
  }
}

/**
 * Identifiers to draw from: `vocab` words are combined into paths (mostly invalid ones); `paths`,
 * when given, are known-valid identifiers used as they are most of the time.
 */
export interface Vocabulary {
  words: readonly string[];
  paths?: readonly string[];
}

/** A random identifier over the vocabulary (field paths), sometimes invalid or hostile. */
export function randomIdentifier(rng: Rng, voc: Vocabulary | readonly string[]): string {
  const { words: vocab, paths } = "words" in voc ? voc : { words: voc, paths: undefined };
  if (paths && paths.length > 0 && chance(rng, 0.6)) return pick(rng, paths);
  const r = rng();
  if (r < 0.7) {
    let path = pick(rng, vocab);
    const hops = chance(rng, 0.3) ? 1 + Math.floor(rng() * 3) : 0;
    for (let i = 0; i < hops; i++) path += "." + pick(rng, vocab);
    if (chance(rng, 0.15)) path += pick(rng, MODIFIERS);
    return path;
  }
  if (r < 0.78) return pick(rng, REQUEST_PREFIXES) + pick(rng, vocab) + (chance(rng, 0.3) ? pick(rng, MODIFIERS) : "");
  if (r < 0.86) return pick(rng, MACROS);
  if (r < 0.92) return pick(rng, SPECIAL_IDENTS);
  if (r < 0.96) return pick(rng, vocab) + "_via_" + pick(rng, vocab) + "." + pick(rng, vocab);
  // hostile / invalid identifiers
  return pick(rng, [
    "a.",
    "a:",
    "@",
    "_",
    "#x",
    "a..b",
    "a b",
    "é",
    "a-b",
    "a`b",
    "a'b",
    "x".repeat(300),
    "a." + "b.".repeat(20) + "c",
    "sqlite_master.sql",
  ]);
}

function randomOperand(rng: Rng, vocab: Vocabulary | readonly string[], counter: { n: number }, depth = 0): string {
  const r = rng();
  if (r < 0.45) return randomIdentifier(rng, vocab);
  if (r < 0.75) return randomText(rng, counter.n++);
  if (r < 0.95) return randomNumber(rng);
  if (depth > 2) return "x";
  const fn = pick(rng, ["geoDistance", "strftime", "unknownFn", "lower", "sqlite_version"]);
  const n = Math.floor(rng() * 6);
  const args = Array.from({ length: n }, () => randomOperand(rng, vocab, counter, depth + 1));
  return `${fn}(${args.join(", ")}${chance(rng, 0.1) ? "," : ""})`;
}

function randomComparison(rng: Rng, vocab: Vocabulary | readonly string[], counter: { n: number }): string {
  const op = chance(rng, 0.97) ? pick(rng, OPERATORS) : pick(rng, BAD_OPERATORS);
  const ws = () => pick(rng, ["", " ", "  ", "\n", "\t", " // c\n"]);
  return randomOperand(rng, vocab, counter) + ws() + op + ws() + randomOperand(rng, vocab, counter);
}

function randomExpr(rng: Rng, vocab: Vocabulary | readonly string[], counter: { n: number }, depth: number): string {
  const n = 1 + Math.floor(rng() * (depth > 3 ? 1 : 3));
  const items: string[] = [];
  for (let i = 0; i < n; i++) {
    items.push(
      depth < 6 && chance(rng, 0.25)
        ? "(" + randomExpr(rng, vocab, counter, depth + 1) + ")"
        : randomComparison(rng, vocab, counter),
    );
  }
  return items.join(pick(rng, [" && ", " || ", "&&", "||", " &&\n "]));
}

/** Applies one random corruption (truncation, insertion, deletion, noise) to `s`. */
function mutate(rng: Rng, s: string): string {
  if (s.length === 0) return pick(rng, NOISE_CHARS);
  const i = Math.floor(rng() * s.length);
  switch (Math.floor(rng() * 4)) {
    case 0:
      return s.slice(0, i);
    case 1:
      return s.slice(0, i) + pick(rng, NOISE_CHARS) + s.slice(i);
    case 2:
      return s.slice(0, i) + s.slice(i + 1);
    default:
      return s.slice(0, i) + pick(rng, ["(", ")", "'", '"', "&&", "||", "\\", "//"]) + s.slice(i);
  }
}

/** A random filter: mostly grammar-shaped, sometimes mutated, deeply nested, oversized or pure noise. */
export function randomFilter(rng: Rng, vocab: Vocabulary | readonly string[], counter = { n: 0 }): string {
  const r = rng();
  if (r < 0.05) {
    const depth = 1 + Math.floor(rng() * 1500);
    return "(".repeat(depth) + randomComparison(rng, vocab, counter) + ")".repeat(depth - (chance(rng, 0.2) ? 1 : 0));
  }
  if (r < 0.1) return Array.from({ length: Math.floor(rng() * 400) }, () => pick(rng, NOISE_CHARS)).join("");
  if (r < 0.13)
    return Array.from({ length: 150 + Math.floor(rng() * 100) }, () => randomComparison(rng, vocab, counter)).join(
      " || ",
    );
  if (r < 0.15) return pick(rng, ["", " ", "//", "()", "(())", "a", "a =", "= a", "&&", "||"]);
  let f = randomExpr(rng, vocab, counter, 0);
  if (chance(rng, 0.2)) f = mutate(rng, f);
  return f;
}

/** A random sort expression over the vocabulary, sometimes invalid. */
export function randomSort(rng: Rng, vocab: Vocabulary | readonly string[]): string {
  if (chance(rng, 0.1)) return Array.from({ length: Math.floor(rng() * 40) }, () => pick(rng, NOISE_CHARS)).join("");
  const n = 1 + Math.floor(rng() * (chance(rng, 0.1) ? 12 : 3));
  return Array.from(
    { length: n },
    () =>
      pick(rng, ["", "-", "+", " -"]) +
      (chance(rng, 0.85) ? randomIdentifier(rng, vocab) : pick(rng, ["@random", "@rowid", "'x'", "1", ""])),
  ).join(pick(rng, [",", ", ", ",,"]));
}
