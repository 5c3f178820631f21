/**
 * `GET /{path...}` from pb_public, as upstream's apis.Static: SPA index fallback, canonical
 * redirects for directories and `index.html`, no escaping the folder, Last-Modified and Range.
 */
import { statSync, type Stats } from "node:fs";
import { join, normalize } from "node:path";
import { notFound } from "../core/errors.ts";
import type { RequestEvent } from "../core/request_event.ts";

const INDEX = "index.html";

/**
 * Serves `dir` for the request path below `prefix` (e.g. `/_` for the dashboard); redirects keep the
 * full request path.
 */
export function staticHandler(dir: string, indexFallback: boolean, prefix = "") {
  const fileNotFound = () => notFound("File not found.");

  const serveFile = (e: RequestEvent, name: string): void => {
    let path = join(dir, name);
    let st = statOrNull(path);
    if (st?.isDirectory()) {
      path = join(path, INDEX);
      st = statOrNull(path);
    }
    if (!st || !st.isFile()) throw fileNotFound();
    sendFile(e, path, st);
  };

  const serveIndex = (e: RequestEvent, name: string): void => {
    if (indexFallback && name !== INDEX) return serveFile(e, INDEX);
    throw fileNotFound();
  };

  return (e: RequestEvent): void => {
    e.store.set("skipSuccessActivityLog", true);
    const urlPath = safeDecode(e.url.pathname).slice(prefix.length);
    const name = normalize(urlPath.replace(/^\/+/, "")).replace(/\\/g, "/").replace(/\/+$/, "") || ".";
    if (name === ".." || name.startsWith("../") || name.startsWith("..\\")) return serveIndex(e, name);

    const st = statOrNull(join(dir, name));
    if (!st) return serveIndex(e, name);
    if (st.isDirectory()) {
      if (!urlPath.endsWith("/")) return redirect(e, e.url.pathname + "/");
    } else if (urlPath.endsWith("/")) {
      const trimmed = e.url.pathname.replace(/\/+$/, "");
      if (trimmed) return redirect(e, trimmed);
    } else if (urlPath.endsWith(INDEX)) {
      return redirect(e, e.url.pathname.slice(0, -INDEX.length));
    }
    try {
      serveFile(e, name);
    } catch (err) {
      if (indexFallback && name !== INDEX) return serveFile(e, INDEX);
      throw err;
    }
  };
}

function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** A leading `//` or `\\` would make the target another host; collapse it to one slash. */
function redirect(e: RequestEvent, target: string): void {
  if (target.length > 1 && (target[0] === "/" || target[0] === "\\") && (target[1] === "/" || target[1] === "\\")) {
    target = "/" + target.replace(/^[/\\]+/, "");
  }
  e.responseHeaders.set("Location", target);
  e.send(301, null);
}

/** Serves a file with http.ServeContent's essentials: Last-Modified/If-Modified-Since and single ranges. */
export function sendFile(e: RequestEvent, path: string, st: Stats): void {
  const file = Bun.file(path);
  const modified = new Date(Math.floor(st.mtimeMs / 1000) * 1000);
  // Embedded files have no mtime; like Go's ServeContent, send no Last-Modified for a zero time.
  if (st.mtimeMs > 0) e.responseHeaders.set("Last-Modified", modified.toUTCString());
  e.responseHeaders.set("Accept-Ranges", "bytes");
  if (file.type) e.responseHeaders.set("Content-Type", file.type);
  const since = Date.parse(e.request.headers.get("If-Modified-Since") ?? "");
  if (st.mtimeMs > 0 && !Number.isNaN(since) && modified.getTime() <= since) {
    e.send(304, null);
    return;
  }
  const range = /^bytes=(\d*)-(\d*)$/.exec(e.request.headers.get("Range") ?? "");
  if (range && (range[1] || range[2])) {
    const size = st.size;
    let start = range[1] ? Number(range[1]) : size - Number(range[2]);
    let end = range[1] && range[2] ? Number(range[2]) : size - 1;
    start = Math.max(0, start);
    end = Math.min(end, size - 1);
    if (start > end || start >= size) {
      e.responseHeaders.set("Content-Range", `bytes */${size}`);
      e.send(416, null);
      return;
    }
    e.responseHeaders.set("Content-Range", `bytes ${start}-${end}/${size}`);
    e.send(206, file.slice(start, end + 1));
    return;
  }
  e.send(200, file);
}
