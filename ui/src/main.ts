/** Dashboard entry: theme, auth guard, layout and routes. */
import { appSettings, collections, isSuperuser, loadCollections, loadDbDialect, loadSettings, pb } from "./lib/app.ts";
import { h, runUnmounts } from "./lib/dom.ts";
import { icon } from "./lib/icons.ts";
import { menuButton, toast } from "./lib/ui.ts";
import { match, parseHash, route, type Layout, type Page, type Route } from "./router.ts";
import { applyTheme, themeButton } from "./theme.ts";
import * as auth from "./pages/auth.ts";
import { collectionsPage } from "./pages/collections.ts";
import { logsPage } from "./pages/logs.ts";
import * as settings from "./pages/settings.ts";

applyTheme();

// ---- routes (upstream's paths) ----
route("/pbinstall/{token}", "guest", auth.installerPage);
route("/login", "guest", auth.loginPage);
route("/request-password-reset", "guest", auth.requestResetPage);
route("/auth/confirm-password-reset/{token}", "blank", auth.confirmPasswordResetPage);
route("/auth/confirm-verification/{token}", "blank", auth.confirmVerificationPage);
route("/auth/confirm-email-change/{token}", "blank", auth.confirmEmailChangePage);
route("/auth/oauth2-redirect-success", "blank", () => auth.oauth2ResultPage(true));
route("/auth/oauth2-redirect-failure", "blank", () => auth.oauth2ResultPage(false));
route("/collections", "app", collectionsPage);
route("/logs", "app", logsPage);
route("/settings", "app", settings.applicationPage);
route("/settings/mail", "app", settings.mailPage);
route("/settings/storage", "app", settings.storagePage);
route("/settings/backups", "app", settings.backupsPage);
route("/settings/crons", "app", settings.cronsPage);
route("/settings/export-collections", "app", settings.exportPage);
route("/settings/import-collections", "app", settings.importPage);
route("/settings/sql", "app", settings.sqlPage);

const root = document.getElementById("app")!;
let current: { pattern: string; layout: Layout; page: Page; path: string } | null = null;
let shellMain: HTMLElement | null = null;
let bootstrapped = false;

// A 401 on anything but an auth call means the session is gone.
pb.afterSend = (res, data) => {
  if (res.status === 401 && pb.authStore.isValid && !/\/(auth-with-|request-otp)/.test(res.url)) {
    pb.authStore.clear();
    toast("Your session has expired. Please log in again.", "info");
  }
  return data;
};
pb.authStore.onChange(() => {
  if (!pb.authStore.isValid && current?.layout === "app") location.hash = "#/login";
});

async function render(): Promise<void> {
  const { path, query } = parseHash();
  const m = match(path);
  if (!m) {
    location.replace("#" + (isSuperuser() ? "/collections" : "/login"));
    return;
  }
  const { def, params } = m;
  if (def.layout === "app" && !isSuperuser()) {
    location.replace("#/login");
    return;
  }
  if (def.layout === "guest" && isSuperuser()) {
    location.replace("#/collections");
    return;
  }
  const r: Route = { path, params, query };
  // same page, only the query changed → let the page update itself
  if (current && current.pattern === def.pattern && current.path === path && current.page.update) {
    current.page.update(r);
    runUnmounts();
    return;
  }
  if (def.layout === "app" && !bootstrapped) {
    root.replaceChildren(h("div.boot", null, h("div.loader")));
    try {
      await Promise.all([loadCollections(), loadSettings(), loadDbDialect()]);
      bootstrapped = true;
    } catch (err) {
      if (!pb.authStore.isValid) return; // the 401 handler redirects
      root.replaceChildren(
        h(
          "div.boot",
          null,
          h("p", null, "Could not load the dashboard: " + ((err as Error).message ?? err)),
          h("button.btn", { onclick: () => location.reload() }, "Retry"),
        ),
      );
      return;
    }
  }
  let page: Page;
  try {
    page = await def.handler(r);
  } catch (err) {
    console.warn(err);
    page = { el: h("div.page", null, h("p.error-text", null, "This page failed to load: " + (err as Error).message)) };
  }
  if (parseHash().path !== path) return; // navigated away while loading
  current = { pattern: def.pattern, layout: def.layout, page, path };
  if (def.layout === "app") {
    if (!shellMain || !shellMain.isConnected) root.replaceChildren(shell());
    shellMain!.replaceChildren(page.el);
    markActiveNav(path);
  } else {
    shellMain = null;
    root.replaceChildren(
      def.layout === "guest"
        ? h("div.guest", null, h("div.guest-card", null, brand(), page.el))
        : h("div.guest", null, h("div.guest-card", null, page.el)),
    );
  }
  const appName = appSettings.get()?.meta?.appName;
  document.title = [page.title, appName || "pb"].filter(Boolean).join(" · ");
  runUnmounts();
  (page.el.querySelector<HTMLElement>("[autofocus]") ?? null)?.focus();
  // the first screen is interactive: tests read this mark as "time to interactive"
  if (!document.body.dataset.ready) performance.mark("pb-ready");
  document.body.dataset.ready = "1";
}

function brand(): HTMLElement {
  return h(
    "div.brand",
    null,
    h("span.logo", { "aria-hidden": "true" }, "pb"),
    h("span.brand-name", null, appSettings.get()?.meta?.appName || "pb"),
  );
}

function navLink(path: string, label: string, ic: string): HTMLElement {
  return h(
    "a.rail-link",
    { href: "#" + path, dataset: { nav: path }, title: label },
    icon(ic),
    h("span.rail-label", null, label),
  );
}

function shell(): HTMLElement {
  shellMain = h("main#main.main", { id: "main", tabindex: "-1" });
  const user = pb.authStore.record;
  const userMenu = menuButton(
    h(
      "button.rail-btn",
      { type: "button", "aria-label": "Account menu", title: user?.email ?? "Account" },
      icon("user"),
    ),
    () => [
      h("div.menu-note", null, user?.email ?? ""),
      { label: "Manage superusers", icon: "shield", href: "#/collections?collection=_superusers" },
      "sep",
      {
        label: "Log out",
        icon: "logout",
        onSelect: () => {
          pb.authStore.clear();
          bootstrapped = false;
          collections.set([]);
          location.hash = "#/login";
        },
      },
    ],
    { class: "up" },
  );
  return h(
    "div.shell",
    null,
    h("button.skip", { type: "button", onclick: () => shellMain?.focus() }, "Skip to content"),
    h(
      "nav.rail",
      { "aria-label": "Main" },
      h("a.rail-logo", { href: "#/collections", "aria-label": "Home" }, h("span.logo", null, "pb")),
      navLink("/collections", "Collections", "db"),
      navLink("/logs", "Logs", "logs"),
      navLink("/settings", "Settings", "gear"),
      h("div.rail-spacer"),
      themeButton(),
      userMenu,
    ),
    shellMain,
  );
}

function markActiveNav(path: string): void {
  document.querySelectorAll<HTMLElement>(".rail-link").forEach((a) => {
    const active = path === a.dataset.nav || path.startsWith(a.dataset.nav + "/");
    a.classList.toggle("active", active);
    if (active) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
}

window.addEventListener("hashchange", () => void render());
// single-line textareas grow with their content
const grow = (ta: HTMLTextAreaElement) => {
  ta.style.height = "auto";
  ta.style.height = Math.min(ta.scrollHeight + 2, 320) + "px";
};
document.addEventListener("input", (ev) => {
  const t = ev.target as HTMLElement;
  if (t instanceof HTMLTextAreaElement && t.classList.contains("autogrow")) grow(t);
});
document.addEventListener("focusin", (ev) => {
  const t = ev.target as HTMLElement;
  if (t instanceof HTMLTextAreaElement && t.classList.contains("autogrow")) grow(t);
});

// Refresh the session once on load (drops an expired/revoked token early).
if (pb.authStore.isValid && isSuperuser()) {
  pb.collection("_superusers")
    .authRefresh({ requestKey: null })
    .catch(() => {
      /* the 401 handler logs out; network errors keep the current session */
    });
}
void render();
