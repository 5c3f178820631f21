/** HTML text helpers (Go's html package). */

/** Go's html.EscapeString: `& ' < > "` as entities. */
export function escapeHTML(s: string): string {
  return s.replace(/[&'<>"]/g, (c) => ({ "&": "&amp;", "'": "&#39;", "<": "&lt;", ">": "&gt;", '"': "&#34;" })[c]!);
}

/** The HTML void elements (they have no closing tag): a parser must not wait for one. */
export const VOID_ELEMENTS: ReadonlySet<string> = new Set([
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "link",
  "meta",
  "param",
  "source",
  "track",
  "wbr",
]);
