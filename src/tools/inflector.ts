/** Text helpers mirroring upstream's tools/inflector. */

/** Trims, upper-cases the first letter and ends with a period unless it ends in `.?!` already. */
export function sentenize(s: string): string {
  const t = s.trim();
  if (t === "") return "";
  const first = t[0]!.toUpperCase() + t.slice(1);
  return /[.?!]$/.test(first) ? first : first + ".";
}

/** `AddPostsTable` → `add_posts_table`, `myTestDB` → `my_test_db`: upstream's migration file names. */
export function snakeCase(s: string): string {
  const words = s
    .split(/[^\w]+/)
    .filter(Boolean)
    .join("_");
  let out = "";
  for (let i = 0; i < words.length; i++) {
    const c = words[i]!;
    const prev = words[i - 1];
    if (i > 0 && c >= "A" && c <= "Z" && prev !== undefined && !(prev >= "A" && prev <= "Z") && prev !== "_")
      out += "_";
    out += c;
  }
  return out.toLowerCase();
}
