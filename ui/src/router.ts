/**
 * Hash router (`#/collections?collection=posts`): upstream's paths, so links printed by the server
 * (`#/pbinstall/{token}`, `#/auth/confirm-verification/{token}`, ...) keep working.
 */
export interface Route {
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
}
export interface Page {
  el: HTMLElement;
  /** Called instead of a full re-render when only the query of the same route changed. */
  update?(route: Route): void;
  title?: string;
}
export type Layout = "app" | "guest" | "blank";
interface Def {
  pattern: string;
  regex: RegExp;
  keys: string[];
  layout: Layout;
  handler: (r: Route) => Page | Promise<Page>;
}
const defs: Def[] = [];

export function route(pattern: string, layout: Layout, handler: Def["handler"]): void {
  const keys: string[] = [];
  const src = pattern.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a, b) => {
    keys.push(a ?? b);
    return "([^/]+)";
  });
  defs.push({ pattern, regex: new RegExp(`^${src}/?$`), keys, layout, handler });
}

export function parseHash(hash = location.hash): { path: string; query: URLSearchParams } {
  const raw = hash.replace(/^#/, "") || "/";
  const i = raw.indexOf("?");
  return { path: i < 0 ? raw : raw.slice(0, i), query: new URLSearchParams(i < 0 ? "" : raw.slice(i + 1)) };
}

export function match(path: string): { def: Def; params: Record<string, string> } | null {
  for (const def of defs) {
    const m = def.regex.exec(path);
    if (m) {
      const params: Record<string, string> = {};
      def.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1]!)));
      return { def, params };
    }
  }
  return null;
}

/** Builds `#/path?query`, dropping empty values. */
export function href(path: string, query: Record<string, string | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  const s = q.toString();
  return "#" + path + (s ? "?" + s : "");
}

export function navigate(path: string, query: Record<string, string | undefined | null> = {}): void {
  location.hash = href(path, query);
}

/** Updates the query of the current route without a history entry and without re-rendering. */
export function replaceQuery(query: Record<string, string | undefined | null>): void {
  const { path } = parseHash();
  history.replaceState(history.state, "", href(path, query));
}
