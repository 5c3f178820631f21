/**
 * Routes and middlewares as upstream's router (tools/router): every request runs a priority-ordered
 * chain of middlewares (global ones first by priority, then the route's) ending in the route's
 * action, each step continuing with `e.next()`. Route paths are Go `http.ServeMux` patterns, matched
 * by tools/router/mux.ts with ServeMux's precedence; Elysia only listens and hands every request to
 * one catch-all. The chain is ours so that JS hooks (`routerAdd`, `routerUse`) see upstream's model.
 */
import { Elysia } from "elysia";
import type { App } from "../core/app.ts";
import { toApiError } from "../core/errors.ts";
import { escapeHTML } from "../tools/html.ts";
import { RequestEvent } from "../core/request_event.ts";
import { runChain, type HandlerFunc } from "../tools/hook.ts";
import { hostWithoutPort, Mux } from "../tools/router/mux.ts";

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
  /** Where it was added (`file:line`), named by conflict errors as Go names the registering call. */
  loc?: string;
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
    const route: Route = {
      method: method.toUpperCase(),
      path,
      action,
      middlewares,
      excluded: new Set(),
      loc: callerLocation(),
    };
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

  /**
   * True when a GET route already takes the whole path space: `/{path...}` as upstream's
   * `HasRoute`, but also any `/{name...}` or a bare `/` — ServeMux patterns equivalent to the
   * pb_public route, which upstream would refuse as a conflict; here the user's route wins.
   */
  hasCatchAllGet(): boolean {
    return this.routes.some((r) => r.method === "GET" && /^\/(\{[^}]+\.\.\.\})?$/.test(r.path));
  }

  /**
   * Compiles the routes onto an Elysia instance. `fallback` answers whatever no route matches (upstream's
   * method-less `/` route). Throws, as Go's ServeMux panics, on an invalid pattern or two conflicting ones.
   * `ipOf` resolves the client IP of a request (socket peer plus trusted proxy headers) and the peer's own.
   */
  compile(
    app: App,
    fallback: HandlerFunc<RequestEvent>,
    ipOf: (req: Request, server: unknown) => { realIP: string; remoteIP: string },
  ): Elysia {
    const elysia = new Elysia({ aot: true, strictPath: true });
    const globals = sortByPriority(this.globals);
    const chainOf = (route: Pick<Route, "action" | "middlewares" | "excluded">): HandlerFunc<RequestEvent>[] => {
      const own = globals.filter((m) => !m.id || !route.excluded.has(m.id));
      return [...sortByPriority([...own, ...route.middlewares]).map((m) => m.func), route.action];
    };
    const mux = new Mux<HandlerFunc<RequestEvent>[]>();
    for (const route of this.routes)
      mux.handle(route.method === "*" ? route.path : `${route.method} ${route.path}`, chainOf(route), route.loc);
    const notFoundChain = chainOf({ action: fallback, middlewares: [], excluded: new Set() });
    // upstream's not-found route, unless the user registered that very pattern (as its HasRoute("", "/"))
    if (!this.routes.some((r) => r.method === "*" && r.path === "/"))
      mux.handle("/", notFoundChain, "router.ts (not found)");
    const handler = ({ request, server }: { request: Request; server?: unknown }) => {
      const url = request.url;
      const start = url.indexOf("/", url.indexOf("//") + 2);
      const q = start < 0 ? -1 : url.indexOf("?", start);
      const path = start < 0 ? "/" : q < 0 ? url.slice(start) : url.slice(start, q);
      const m = mux.match(request.method, mux.hasHosts ? hostOf(request) : "", path, q < 0 ? "" : url.slice(q));
      if (!m) return dispatch(app, notFoundChain, request, {}, ipOf(request, server), server);
      if ("redirect" in m) return redirect(request.method, m.redirect);
      return dispatch(app, m.value, request, m.params, ipOf(request, server), server);
    };
    // `all`, not one route per method: Elysia answers HEAD on a wildcard GET route itself (empty length)
    elysia.all("/*", handler as never);
    elysia.onError(
      ({ request, server }) => dispatch(app, notFoundChain, request, {}, ipOf(request, server), server) as never,
    );
    return elysia;
  }
}

/** The `file:line` that called into the router (skipping the router's own frames). */
function callerLocation(): string {
  const lines = new Error().stack?.split("\n") ?? [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.includes("router.ts")) continue;
    const m = /\(?([^\s()]+:\d+):\d+\)?\s*$/.exec(line);
    if (m) return m[1]!;
  }
  return "unknown location";
}

/** The request's host without its port (for host-bound patterns). */
function hostOf(request: Request): string {
  return hostWithoutPort(request.headers.get("host") ?? "");
}

/** ServeMux's 301 to the trailing-slash form, as Go's `http.Redirect` writes it (outside any middleware, as there). */
function redirect(method: string, to: string): Response {
  const headers: Record<string, string> = { location: to };
  if (method === "GET" || method === "HEAD") headers["content-type"] = "text/html; charset=utf-8";
  const body = method === "GET" ? `<a href="${escapeHTML(to)}">Moved Permanently</a>.\n\n` : null;
  return new Response(body, { status: 301, headers });
}

function sortByPriority(mws: Middleware[]): Middleware[] {
  return mws
    .map((m, i) => ({ m, i }))
    .sort((a, b) => (a.m.priority ?? 0) - (b.m.priority ?? 0) || a.i - b.i)
    .map((x) => x.m);
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
