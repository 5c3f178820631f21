/**
 * Splits text on separators outside quotes and parentheses, as upstream's tools/tokenizer:
 * tokens are trimmed of whitespace and separators, empty ones dropped, unbalanced input rejected.
 */
const WHITESPACE = ["\t", "\n", "\v", "\f", "\r", " ", "\u0085", "\u00a0"];

export function tokenize(text: string, separators = [","], opts: { ignoreParenthesis?: boolean } = {}): string[] {
  const tokens: string[] = [];
  const trimSet = new Set([...WHITESPACE, ...separators]);
  const trim = (s: string) => {
    let a = 0;
    let b = s.length;
    while (a < b && trimSet.has(s[a]!)) a++;
    while (b > a && trimSet.has(s[b - 1]!)) b--;
    return s.slice(a, b);
  };
  const chars = [...text];
  let i = 0;
  while (i < chars.length) {
    let buf = "";
    let depth = 0;
    let quote = "";
    let prev = "";
    for (; i < chars.length; i++) {
      const ch = chars[i]!;
      if (prev !== "\\") {
        if (!opts.ignoreParenthesis && ch === "(" && !quote) depth++;
        else if (!opts.ignoreParenthesis && ch === ")" && depth > 0 && !quote) depth--;
        else if (ch === "'" || ch === '"' || ch === "`") {
          if (quote === ch) quote = "";
          else if (!quote) quote = ch;
        }
      }
      if (separators.includes(ch) && depth === 0 && !quote) {
        i++;
        break;
      }
      prev = ch;
      buf += ch;
    }
    if (depth > 0 || quote) throw new Error(`unbalanced parenthesis or quoted expression: ${JSON.stringify(buf)}`);
    const token = trim(buf);
    if (token !== "") tokens.push(token);
  }
  return tokens;
}
