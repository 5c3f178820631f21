/**
 * A plain-text rendering of an HTML email (the text/plain part next to the HTML one), following
 * upstream's html2Text: whitespace collapsed, a line break before each block element and at `<br>`,
 * `- ` before list items, links as `[text](href)`, and non-content elements (style, script, img,
 * forms…) dropped.
 */
import { VOID_ELEMENTS } from "../html.ts";

const SKIPPED = new Set([
  "style",
  "script",
  "iframe",
  "applet",
  "object",
  "svg",
  "img",
  "button",
  "form",
  "textarea",
  "input",
  "select",
  "option",
  "template",
]);
const INLINE = new Set(["a", "span", "small", "strike", "strong", "sub", "sup", "em", "b", "u", "i"]);

/** Converts an HTML document or fragment to readable text. */
export function html2Text(html: string): string {
  let out = "";
  let canAddNewLine = false;
  // an open `<a>`: its text is collected apart and written as `[text](href)` when it closes
  const links: { href: string; text: string }[] = [];
  let skipDepth = 0;
  let skipTag = "";

  const write = (s: string) => {
    if (links.length) links[links.length - 1]!.text += s;
    else out += s;
  };
  const closeLink = () => {
    const link = links.pop()!;
    const text = link.text.trim() || "LINK";
    out += `[${text}]` + (link.href ? `(${link.href})` : "");
  };

  const tokens =
    /<!--[\s\S]*?(?:-->|$)|<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<![^>]*>?|<\?[^>]*>?|<\/?([a-zA-Z][^\s/>]*)((?:[^<>"']|"[^"]*"|'[^']*')*)>|[^<]+|</g;
  let m: RegExpExecArray | null;
  while ((m = tokens.exec(html))) {
    const tok = m[0];
    const name = m[1]?.toLowerCase();
    if (!name) {
      if (tok.startsWith("<!") || tok.startsWith("<?")) continue; // comments, doctype, processing instructions
      if (skipDepth) continue;
      let txt = decodeEntities(tok).replace(/[\t\n\f\r ]+/g, " "); // Go's \s: ASCII whitespace only
      if (!canAddNewLine) txt = txt.replace(/^ +/, "");
      if (txt) {
        write(txt);
        canAddNewLine = true;
      }
      continue;
    }
    const closing = tok.startsWith("</");
    if (skipDepth) {
      if (name === skipTag) skipDepth += closing ? -1 : VOID_ELEMENTS.has(name) || tok.endsWith("/>") ? 0 : 1;
      continue;
    }
    if (closing) {
      if (name === "a" && links.length) closeLink();
      continue;
    }
    if (SKIPPED.has(name)) {
      if (!VOID_ELEMENTS.has(name) && !tok.endsWith("/>")) {
        skipDepth = 1;
        skipTag = name;
      }
      continue;
    }
    if (name === "br") {
      write("\r\n");
      canAddNewLine = false;
    } else if (canAddNewLine && !INLINE.has(name)) {
      write("\r\n");
      canAddNewLine = false;
    }
    if (name === "li") write("- ");
    if (name === "a") {
      const href = /(?:^|\s)href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(m[2] ?? "");
      links.push({ href: decodeEntities(href?.[1] ?? href?.[2] ?? href?.[3] ?? ""), text: "" });
      if (tok.endsWith("/>")) closeLink();
    }
  }
  while (links.length) closeLink();
  return out.trim();
}

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
  copy: "©",
  reg: "®",
  hellip: "…",
  mdash: "—",
  ndash: "–",
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (all, body: string) => {
    if (body[0] === "#") {
      const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return NAMED[body] ?? all;
  });
}
