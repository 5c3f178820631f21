/**
 * `:excerpt(max, withEllipsis?)`: the plain text of an HTML value, whitespace collapsed, cut to `max`
 * characters — as upstream's picker modifier (block elements separate words; scripts, forms and
 * media are skipped).
 */
import { VOID_ELEMENTS } from "../html.ts";
const EXCLUDED = new Set([
  "head",
  "style",
  "script",
  "iframe",
  "embed",
  "applet",
  "object",
  "svg",
  "img",
  "picture",
  "dialog",
  "template",
  "button",
  "form",
  "textarea",
  "input",
  "select",
  "option",
]);
const INLINE = new Set([
  "a",
  "abbr",
  "acronym",
  "b",
  "bdo",
  "big",
  "br",
  "button",
  "cite",
  "code",
  "em",
  "i",
  "label",
  "q",
  "small",
  "span",
  "strong",
  "strike",
  "sub",
  "sup",
  "time",
]);

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

export function excerpt(value: unknown, max: number, withEllipsis: boolean): unknown {
  if (typeof value !== "string") return value;
  let out = "";
  let prevSpace = false;
  const addSpace = () => {
    if (!prevSpace) {
      out += " ";
      prevSpace = true;
    }
  };
  const skip: string[] = []; // stack of excluded elements we are inside
  const re = /<!--[\s\S]*?-->|<\/?([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*>|([^<]+)|</g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value)) && out.length <= max + 2) {
    const [whole, tag, text] = m;
    if (text !== undefined || whole === "<") {
      if (skip.length) continue;
      let txt = decodeEntities(text ?? whole).replace(/\s+/g, " ");
      if (prevSpace) txt = txt.replace(/^ +/, "");
      if (txt) {
        prevSpace = txt.endsWith(" ");
        out += txt;
      }
      continue;
    }
    if (!tag) continue; // comment
    const name = tag.toLowerCase();
    const closing = whole.startsWith("</");
    if (EXCLUDED.has(name)) {
      if (!closing && !VOID_ELEMENTS.has(name) && !whole.endsWith("/>")) skip.push(name);
      else if (closing && skip[skip.length - 1] === name) skip.pop();
      continue;
    }
    if (skip.length) continue;
    if (!INLINE.has(name)) addSpace();
  }
  let result = out.trim();
  const runes = [...result];
  if (runes.length > max) {
    result = runes.slice(0, max).join("").trim();
    if (withEllipsis) result += "...";
  }
  return result;
}
