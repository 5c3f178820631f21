/** HTML text helpers (Go's html package). */

/** Go's html.EscapeString: `& ' < > "` as entities. */
export function escapeHTML(s: string): string {
  return s.replace(/[&'<>"]/g, (c) => ({ "&": "&amp;", "'": "&#39;", "<": "&lt;", ">": "&gt;", '"': "&#34;" })[c]!);
}
