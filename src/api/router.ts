/**
 * Routes and middlewares as upstream's router: every request runs a priority-ordered chain of
 * middlewares (global ones first by priority, then the route's) ending in the route's action,
 * each step continuing with `e.next()`. Elysia only matches paths; the chain is ours so that JS hooks
 * (`routerAdd`, `routerUse`) see upstream's model.
 */
import { Elysia } from "elysia";
import type { App } from "../core/app.ts";
import { toApiError } from "../core/errors.ts";
import { RequestEvent } from "../core/request_event.ts";
import { runChain, type HandlerFunc } from "../tools/hook.ts";

export interface Middleware {
  id?: string;
  /** Lower runs earlier (upstream's default middlewares sit around -1000). */
  priority?: number;
  func: HandlerFunc<RequestEvent>;
}

export interface Route {
  method: string;
  /** Upstream's pattern syntax: `/api/collections/{collection}/records/{id}`, `/{path...}`. */
  path: string;
  action: HandlerFunc<RequestEvent>;
  middlewares: Middleware[];
  /** Ids of global middlewares this route opts out of (upstream's route.Unbind). */
  excluded: Set<string>;
}

/** A bound route; `unbind` removes global middlewares from it by id. */
export class RouteHandle {
  constructor(readonly route: Route) {}
  unbind(...ids: string[]): this {
    for (const id of ids) this.route.excluded.add(id);
    return this;
  }
  bind(...mws: Middleware[]): this {
    this.route.middlewares.push(...mws);
    return this;
  }
}

export const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export class Router {
  readonly routes: Route[] = [];
  readonly globals: Middleware[] = [];

  /** Binds a middleware that runs for every request, matched or not. */
  use(mw: Middleware | HandlerFunc<RequestEvent>): this {
    this.globals.push(typeof mw === "function" ? { func: mw } : mw);
    return this;
  }

  /** Adds a route; `method` "*" matches any method. GET routes also answer HEAD, as upstream. */
  add(method: string, path: string, action: HandlerFunc<RequestEvent>, ...middlewares: Middleware[]): RouteHandle {
    const route: Route = { method: method.toUpperCase(), path, action, middlewares, excluded: new Set() };
    this.routes.push(route);
    return new RouteHandle(route);
  }

  get(path: string, action: HandlerFunc<RequestEvent>, ...mws: Middleware[]) {
    return this.add("GET", path, action, ...mws);
  }
  post(path: string, action: HandlerFunc<RequestEvent>, ...mws: Middleware[]) {
    return this.add("POST", path, action, ...mws);
  }
  patch(path: string, action: HandlerFunc<RequestEvent>, ...mws: Middleware[]) {
    return this.add("PATCH", path, action, ...mws);
  }
  put(path: string, action: HandlerFunc<RequestEvent>, ...mws: Middleware[]) {
    return this.add("PUT", path, action, ...mws);
  }
  delete(path: string, action: HandlerFunc<RequestEvent>, ...mws: Middleware[]) {
    return this.add("DELETE", path, action, ...mws);
  }

  /** True when a GET route already takes the whole path space (the user's own `/{path...}`). */
  hasCatchAllGet(): boolean {
    return this.routes.some((r) => (r.method === "GET" || r.method === "*") && /^\/\{[^}]+\.\.\.\}$/.test(r.path));
  }

  /**
   * Compiles the routes onto an Elysia instance. `fallback` answers whatever no route matches.
   * `ipOf` resolves the client IP of a request (socket peer plus trusted proxy headers) and the peer's own.
   */
  compile(app: App, fallback: HandlerFunc<RequestEvent>, ipOf: (req: Request, server: unknown) => { realIP: string; remoteIP: string }): Elysia {
    const elysia = new Elysia({ aot: true, strictPath: true });
    const globals = sortByPriority(this.globals);
    const dispatcher = (route: Pick<Route, "action" | "middlewares" | "excluded">, paramNames: Map<string, string>) => {
      const own = globals.filter((m) => !m.id || !route.excluded.has(m.id));
      const chain = [...sortByPriority([...own, ...route.middlewares]).map((m) => m.func), route.action];
      return (ctx: { request: Request; params?: Record<string, string>; server?: unknown }) =>
        dispatch(app, chain, ctx.request, mapParams(ctx.params, paramNames), ipOf(ctx.request, ctx.server), ctx.server);
    };
    for (const route of this.routes) {
      const { path, names } = toElysiaPath(route.path);
      const handler = dispatcher(route, names);
      const methods = route.method === "*" ? METHODS : route.method === "GET" ? ["GET", "HEAD"] : [route.method];
      for (const m of methods) elysia.route(m, path, handler as never);
    }
    const notFound = dispatcher({ action: fallback, middlewares: [], excluded: new Set() }, new Map());
    for (const m of METHODS) {
      if (!this.routes.some((r) => r.path === "/{path...}" && (r.method === m || r.method === "*"))) {
        elysia.route(m, "/*", notFound as never);
      }
    }
    elysia.onError(({ request, server }) => notFound({ request, server }) as never);
    return elysia;
  }
}

function sortByPriority(mws: Middleware[]): Middleware[] {
  return mws
    .map((m, i) => ({ m, i }))
    .sort((a, b) => (a.m.priority ?? 0) - (b.m.priority ?? 0) || a.i - b.i)
    .map((x) => x.m);
}

/** `{name}` → `:name`, `{name...}` → `*` (remembering that `*` means `name`). */
function toElysiaPath(path: string): { path: string; names: Map<string, string> } {
  const names = new Map<string, string>();
  const out = path.replace(/\{([^}.]+)(\.\.\.)?\}/g, (_, name: string, rest?: string) => {
    if (rest) {
      names.set("*", name);
      return "*";
    }
    return ":" + name;
  });
  return { path: out, names };
}

function mapParams(params: Record<string, string> | undefined, names: Map<string, string>): Record<string, string> {
  if (!params) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const key = names.get(k) ?? k;
    try {
      out[key] = decodeURIComponent(v);
    } catch {
      out[key] = v;
    }
  }
  return out;
}

async function dispatch(
  app: App,
  chain: HandlerFunc<RequestEvent>[],
  request: Request,
  params: Record<string, string>,
  ip: { realIP: string; remoteIP: string },
  server: unknown,
): Promise<Response> {
  const e = new RequestEvent(app, request, ip.realIP, undefined, ip.remoteIP);
  e.params = params;
  e.state.server = server;
  try {
    await runChain(e, chain);
  } catch (err) {
    if (!e.written) e.error(toApiError(err));
    else if (app.isDev) console.error(err);
  }
  return e.response ?? e.send(200, null);
}
