/** The collections screen: the collections sidebar and the records of the selected collection. */
import type { CollectionModel } from "pocketbase";
import { appSettings, collections, findCollection, store } from "../lib/app.ts";
import { h, live, onUnmount } from "../lib/dom.ts";
import { icon } from "../lib/icons.ts";
import { menuButton, pageHeader } from "../lib/ui.ts";
import { navigate, type Page, type Route } from "../router.ts";
import { openCollectionEditor } from "./collection_editor.ts";
import { recordsView } from "./records.ts";

export function typeIcon(t: string): string {
  return t === "auth" ? "user" : t === "view" ? "eye" : "db";
}

/** A collapsible section sidebar (becomes an overlay panel at phone width). */
export function sidebarLayout(sidebar: HTMLElement, content: HTMLElement, label: string): HTMLElement {
  const layout = h("div.with-sidebar");
  const toggleBtn = h(
    "button.btn.sm.ghost.sidebar-toggle",
    {
      type: "button",
      "aria-expanded": "false",
      onclick: () => {
        const open = !layout.classList.contains("sidebar-open");
        layout.classList.toggle("sidebar-open", open);
        toggleBtn.setAttribute("aria-expanded", String(open));
        if (open) sidebar.querySelector<HTMLElement>("input, a, button")?.focus();
      },
    },
    icon("menu"),
    label,
  );
  const close = (focus = false) => {
    if (!layout.classList.contains("sidebar-open")) return;
    layout.classList.remove("sidebar-open");
    toggleBtn.setAttribute("aria-expanded", "false");
    if (focus) toggleBtn.focus();
  };
  sidebar.addEventListener("click", (ev) => {
    if ((ev.target as HTMLElement).closest("a")) close();
  });
  // the dimmed area outside the overlay panel, and Escape, close it
  layout.addEventListener("click", (ev) => {
    const t = ev.target as HTMLElement;
    if (!t.closest(".sidebar") && !t.closest(".sidebar-toggle")) close();
  });
  layout.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && layout.classList.contains("sidebar-open") && !document.querySelector("dialog[open]"))
      close(true);
  });
  layout.append(
    h("aside.sidebar", { "aria-label": label }, sidebar),
    h("section.content", null, h("div.sidebar-toggle-bar", null, toggleBtn), content),
  );
  return layout;
}

export function collectionsPage(r: Route): Page {
  let search = "";
  let selectedId = "";
  const hideControls = () => !!appSettings.get()?.meta?.hideControls;

  const listEl = live(() => {
    const all = collections.get();
    const q = search.toLowerCase();
    const match = (c: CollectionModel) => !q || c.name.toLowerCase().includes(q);
    const pinned = store.get<string[]>("pinned", []);
    const user = all
      .filter((c) => !c.system && match(c))
      .sort((a, b) => Number(pinned.includes(b.id)) - Number(pinned.includes(a.id)));
    const system = all.filter((c) => c.system && match(c));
    const link = (c: CollectionModel) =>
      h(
        "a.side-link",
        {
          href: `#/collections?collection=${encodeURIComponent(c.name)}`,
          class: c.id === selectedId ? "active" : "",
          "aria-current": c.id === selectedId ? "page" : undefined,
          dataset: { collection: c.name },
        },
        icon(typeIcon(c.type)),
        h("span.side-label", null, c.name),
        pinned.includes(c.id) ? h("span.pin", { title: "Pinned" }, "•") : null,
      );
    return [
      user.length
        ? h("nav.side-list", { "aria-label": "Collections" }, user.map(link))
        : h("p.muted.sm.pad", null, q ? "No collections match." : "No collections yet."),
      system.length
        ? h(
            "details.side-group",
            { open: system.some((c) => c.id === selectedId) || !!q },
            h("summary", null, "System"),
            h("nav.side-list", { "aria-label": "System collections" }, system.map(link)),
          )
        : null,
    ];
  });
  const unwatch = collections.watch(() => listEl.refresh());

  const searchInput = h("input.search", {
    type: "search",
    placeholder: "Search collections…",
    "aria-label": "Search collections",
  }) as HTMLInputElement;
  searchInput.addEventListener("input", () => {
    search = searchInput.value;
    listEl.refresh();
  });
  const newBtn = live(() =>
    hideControls()
      ? null
      : h(
          "button.btn.block.primary.new-collection",
          { type: "button", "data-testid": "new-collection", onclick: () => createCollection() },
          icon("plus"),
          "New collection",
        ),
  );
  const sidebar = h(
    "div.side-inner",
    null,
    h("div.side-search", null, searchInput),
    listEl,
    h("div.side-footer", null, newBtn),
  );

  const content = h("div.content-inner");
  const layout = sidebarLayout(sidebar, content, "Collections");
  onUnmount(layout, unwatch);

  async function createCollection() {
    const c = await openCollectionEditor({ type: "base" });
    if (c) navigate("/collections", { collection: c.name });
  }

  let currentView: { collection: CollectionModel; update(q: URLSearchParams): void } | null = null;
  const show = (route: Route) => {
    const all = collections.get();
    const wanted = route.query.get("collection") || store.get<string>("lastCollection", "");
    const c = (wanted && findCollection(wanted)) || all.find((c) => !c.system) || all[0];
    if (!c) {
      selectedId = "";
      currentView = null;
      content.replaceChildren(
        pageHeader("Collections"),
        h(
          "div.empty",
          null,
          icon("db"),
          h("h3", null, "No collections yet"),
          h("p", null, "A collection is a table of records with its own fields and API rules."),
          hideControls()
            ? null
            : h(
                "button.btn.primary",
                { type: "button", onclick: () => createCollection() },
                icon("plus"),
                "Create your first collection",
              ),
        ),
      );
      listEl.refresh();
      return;
    }
    store.set("lastCollection", c.name);
    if (currentView && currentView.collection.id === c.id && currentView.collection === c) {
      currentView.update(route.query);
    } else {
      selectedId = c.id;
      const view = recordsView(c, route.query, {
        onEditCollection: async (tab?: string) => {
          const res = await openCollectionEditor({ collection: c, tab });
          if (!res) return;
          // the collections watcher below re-renders the view with the saved collection
          if ((res as any).deleted) navigate("/collections");
          else if (res.name !== c.name) navigate("/collections", { collection: res.name });
        },
        onDuplicate: async () => {
          const res = await openCollectionEditor({ duplicateOf: c });
          if (res) navigate("/collections", { collection: res.name });
        },
        hideControls,
      });
      currentView = { collection: c, update: view.update };
      content.replaceChildren(view.el);
    }
    listEl.refresh();
  };
  // re-render when the collections list changes (created/renamed/deleted elsewhere)
  const unwatch2 = collections.watch(() => {
    if (currentView && !collections.get().includes(currentView.collection)) {
      const same = findCollection(currentView.collection.id);
      currentView = null;
      if (same) show({ ...r, query: new URLSearchParams({ collection: same.name }) });
    }
  });
  onUnmount(layout, unwatch2);
  show(r);
  return {
    el: h("div.page.page-collections", null, layout),
    title: "Collections",
    update: (route) => show(route),
  };
}

export { menuButton };
