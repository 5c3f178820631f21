/**
 * The records of one collection: filter bar (autocomplete + history), sortable columns, column
 * picker, paging, bulk select/delete, JSON export, and the record editor.
 */
import type { CollectionModel, RecordModel } from "pocketbase";
import { errorData, errorMessage, pb, store } from "../lib/app.ts";
import { attachAutocomplete, filterSuggestions } from "../lib/autocomplete.ts";
import { h, live, onUnmount } from "../lib/dom.ts";
import { plural } from "../lib/format.ts";
import { icon } from "../lib/icons.ts";
import { confirmDialog, copyText, downloadBlob, flattenErrors, menuButton, toast, type MenuItem } from "../lib/ui.ts";
import { href, replaceQuery } from "../router.ts";
import { FIELD_TYPES, type Field } from "../fields/types.ts";
import { openApiPreview } from "./api_preview.ts";
import { openRecordEditor } from "./record_editor.ts";
import { typeIcon } from "./collections.ts";

const PER_PAGE = 30;

interface Opts {
  onEditCollection(tab?: string): Promise<void>;
  onDuplicate(): Promise<void>;
  hideControls(): boolean;
}

/** Turns plain search text into a filter over the text-like fields; a real filter passes through. */
export function normalizeFilter(text: string, c: CollectionModel): string {
  const t = text.trim();
  if (!t) return "";
  if (/[=~<>!]|&&|\|\||\(/.test(t)) return t;
  const q = JSON.stringify(t);
  const names = (c.fields as Field[])
    .filter(
      (f) => ["text", "email", "url", "editor", "select"].includes(f.type) && !(f.hidden && f.name === "tokenKey"),
    )
    .map((f) => f.name);
  if (!names.includes("id") && (c.fields as Field[]).some((f) => f.name === "id")) names.unshift("id");
  return names.map((n) => `${n}~${q}`).join(" || ");
}

export function recordsView(
  c: CollectionModel,
  query: URLSearchParams,
  opts: Opts,
): { el: HTMLElement; update(q: URLSearchParams): void } {
  const fields = c.fields as Field[];
  const defaultSort = c.type === "view" ? "" : "-@rowid";
  const state = {
    filter: query.get("filter") ?? "",
    sort: query.get("sort") ?? defaultSort,
    page: 1,
    items: [] as RecordModel[],
    total: 0,
    totalPages: 0,
    loading: true,
    error: "",
    /** The API's field details of a rejected filter (`data`), shown under the search bar. */
    errorDetails: [] as string[],
    /** The filter the API rejected with a 400 (its message is generic, as upstream's). */
    badFilter: "",
    selected: new Set<string>(),
  };
  const hiddenKey = `hiddenCols_${c.id}`;
  let hiddenCols = new Set(
    store.get<string[]>(
      hiddenKey,
      fields.filter((f) => f.hidden || f.type === "password").map((f) => f.name),
    ),
  );
  const columns = () => fields.filter((f) => f.type !== "password" && f.name !== "id" && !hiddenCols.has(f.name));
  const relExpand = fields
    .filter((f) => f.type === "relation" && !hiddenCols.has(f.name))
    .map((f) => f.name)
    .join(",");
  let loadSeq = 0;

  async function load(page = 1) {
    const seq = ++loadSeq;
    state.loading = true;
    state.error = "";
    state.errorDetails = [];
    state.badFilter = "";
    table.refresh();
    try {
      const res = await pb.collection(c.id).getList(page, PER_PAGE, {
        filter: normalizeFilter(state.filter, c),
        sort: state.sort,
        expand: relExpand || undefined,
        requestKey: null,
      });
      if (seq !== loadSeq) return;
      state.items = page === 1 ? res.items : [...state.items, ...res.items];
      state.page = res.page;
      state.total = res.totalItems;
      state.totalPages = res.totalPages;
    } catch (err) {
      if (seq !== loadSeq) return;
      state.items = [];
      state.total = 0;
      state.error = errorMessage(err);
      state.errorDetails = flattenErrors(errorData(err)).map(([p, m]) => (p ? `${p}: ${m}` : m));
      // the API's 400 for a bad filter is generic (as upstream's): say what to check
      const status = (err as { status?: number }).status;
      state.badFilter = status === 400 && state.filter ? normalizeFilter(state.filter, c) : "";
    }
    state.loading = false;
    filterError.refresh();
    table.refresh();
    footer.refresh();
    bulk.refresh();
  }

  // ---- filter bar ----
  const historyKey = `filters_${c.id}`;
  const filterInput = h("input.search.mono", {
    type: "search",
    value: state.filter,
    placeholder:
      c.type === "view" ? "Search or filter, e.g. total > 10" : 'Search term or filter like created > "2024-01-01"',
    "aria-label": "Search or filter records",
    "data-testid": "records-filter",
  }) as HTMLInputElement;
  const applyFilter = () => {
    state.filter = filterInput.value.trim();
    if (state.filter) {
      const hist = store.get<string[]>(historyKey, []).filter((x) => x !== state.filter);
      store.set(historyKey, [state.filter, ...hist].slice(0, 10));
    }
    syncQuery();
    load();
  };
  filterInput.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      ev.preventDefault();
      applyFilter();
    }
  });
  filterInput.addEventListener("search", () => {
    if (!filterInput.value) applyFilter();
  });
  const searchForm = h(
    "form.searchbar",
    { role: "search", onsubmit: (e: Event) => (e.preventDefault(), applyFilter()) },
    icon("search"),
    filterInput,
  );
  attachAutocomplete(filterInput, () => filterSuggestions(c));
  // why the list failed (a bad filter answers 400 with its reason), right under the search bar
  const filterError = live(() =>
    state.error
      ? h(
          "div.filter-error",
          { role: "alert", "data-testid": "records-filter-error" },
          icon("info"),
          h(
            "div",
            null,
            h("strong", null, state.error),
            state.errorDetails.map((d) => h("div.sm", null, d)),
            state.badFilter
              ? h(
                  "div.sm",
                  null,
                  "The filter ",
                  h("code", null, state.badFilter),
                  " was rejected: check the field names, the operators (= != > >= < <= ~ !~ ?= …) and the quotes around text.",
                )
              : null,
          ),
        )
      : null,
  );
  const historyBtn = menuButton(
    h("button.icon-btn", { type: "button", "aria-label": "Search history", title: "Search history" }, icon("history")),
    () => {
      const hist = store.get<string[]>(historyKey, []);
      if (!hist.length) return [h("div.menu-note", null, "No recent searches.")];
      return [
        ...hist.map((f): MenuItem => ({
          label: h("span.mono", null, f),
          onSelect: () => ((filterInput.value = f), applyFilter()),
        })),
        "sep",
        { label: "Clear history", icon: "trash", onSelect: () => store.set(historyKey, []) },
      ];
    },
    { align: "right" },
  );
  const colsBtn = menuButton(
    h("button.icon-btn", { type: "button", "aria-label": "Choose columns", title: "Columns" }, icon("columns")),
    () =>
      fields
        .filter((f) => f.name !== "id" && f.type !== "password")
        .map((f): MenuItem => ({
          label: f.name,
          checked: !hiddenCols.has(f.name),
          keepOpen: true,
          onSelect: () => {
            if (hiddenCols.has(f.name)) hiddenCols.delete(f.name);
            else hiddenCols.add(f.name);
            store.set(hiddenKey, [...hiddenCols]);
            table.refresh();
          },
        })),
    { align: "right" },
  );

  // ---- table ----
  const sortState = (name: string): "asc" | "desc" | "" => {
    const parts = state.sort.split(",");
    if (parts.includes(name) || parts.includes("+" + name)) return "asc";
    if (parts.includes("-" + name)) return "desc";
    return "";
  };
  const toggleSort = (name: string) => {
    const cur = sortState(name);
    state.sort = cur === "desc" ? "+" + name : cur === "asc" ? defaultSort : "-" + name;
    syncQuery();
    load();
  };
  const th = (f: Field | { name: string; type: string }) => {
    const s = sortState(f.name);
    const ft = FIELD_TYPES[f.type];
    const sortable = f.type !== "json" && f.type !== "file" && f.type !== "geoPoint";
    return h(
      "th",
      { "aria-sort": s === "asc" ? "ascending" : s === "desc" ? "descending" : undefined, class: `col-${f.type}` },
      sortable
        ? h(
            "button.th-btn",
            {
              type: "button",
              onclick: () => toggleSort(f.name),
              title: `Sort by ${f.name}`,
              dataset: { sort: f.name },
            },
            icon(ft?.icon ?? "key"),
            f.name,
            s ? icon(s === "asc" ? "sortup" : "sortdown") : null,
          )
        : h("span.th-btn", null, icon(ft?.icon ?? "key"), f.name),
    );
  };
  const readOnly = c.type === "view";
  const table = live(() => {
    const cols = columns();
    const allChecked = state.items.length > 0 && state.items.every((r) => state.selected.has(r.id));
    const head = h(
      "tr",
      null,
      readOnly
        ? null
        : h(
            "th.col-check",
            null,
            h("input", {
              type: "checkbox",
              "aria-label": "Select all on this page",
              checked: allChecked,
              onchange: (ev: Event) => {
                const on = (ev.target as HTMLInputElement).checked;
                for (const r of state.items) on ? state.selected.add(r.id) : state.selected.delete(r.id);
                table.refresh();
                bulk.refresh();
              },
            }),
          ),
      th({ name: "id", type: "text" }),
      cols.map(th),
      h("th.col-actions", null, h("span.sr-only", null, "Actions")),
    );
    let body: HTMLElement[];
    if (state.error) {
      body = [
        h(
          "tr",
          null,
          h(
            "td.empty-cell",
            { colspan: cols.length + 3 },
            h("div.empty.sm", null, icon("search"), h("p", null, "No records loaded (see above).")),
          ),
        ),
      ];
    } else if (!state.items.length && !state.loading)
      body = [
        h(
          "tr",
          null,
          h(
            "td.empty-cell",
            { colspan: cols.length + 3 },
            h(
              "div.empty.sm",
              null,
              icon(state.filter ? "search" : typeIcon(c.type)),
              h("p", null, state.filter ? "No records match the filter." : "No records yet."),
              state.filter
                ? h(
                    "button.btn.sm.ghost",
                    { type: "button", onclick: () => ((filterInput.value = ""), applyFilter()) },
                    "Clear filter",
                  )
                : readOnly
                  ? null
                  : h(
                      "button.btn.sm.primary",
                      { type: "button", onclick: () => editRecord() },
                      icon("plus"),
                      "New record",
                    ),
            ),
          ),
        ),
      ];
    else
      body = state.items.map((r) =>
        h(
          "tr.trow",
          {
            class: state.selected.has(r.id) ? "selected" : "",
            dataset: { id: r.id },
            onclick: (ev: MouseEvent) => {
              if ((ev.target as HTMLElement).closest("input,button,a")) return;
              editRecord(r);
            },
          },
          readOnly
            ? null
            : h(
                "td.col-check",
                null,
                h("input", {
                  type: "checkbox",
                  "aria-label": `Select record ${r.id}`,
                  checked: state.selected.has(r.id),
                  onchange: (ev: Event) => {
                    (ev.target as HTMLInputElement).checked ? state.selected.add(r.id) : state.selected.delete(r.id);
                    (ev.target as HTMLElement).closest("tr")!.classList.toggle("selected", state.selected.has(r.id));
                    bulk.refresh();
                  },
                }),
              ),
          h(
            "td.col-id",
            null,
            h(
              "button.link.mono",
              { type: "button", onclick: () => editRecord(r), "aria-label": `Open record ${r.id}` },
              r.id,
            ),
          ),
          cols.map((f) =>
            h(
              "td",
              { class: `col-${f.type}`, dataset: { field: f.name } },
              FIELD_TYPES[f.type]?.cell(r[f.name], f, r) ?? String(r[f.name] ?? ""),
            ),
          ),
          h("td.col-actions", null, icon("right")),
        ),
      );
    return h(
      "div.table-wrap",
      { class: state.loading ? "loading" : "" },
      h("table.table.records", { "data-testid": "records-table" }, h("thead", null, head), h("tbody", null, body)),
      state.loading ? h("div.table-loader", null, h("div.loader")) : null,
    );
  });

  const footer = live(() =>
    h(
      "div.table-footer",
      null,
      h(
        "span.muted",
        { "data-testid": "records-total" },
        state.loading && !state.items.length ? "Loading…" : `Total found: ${state.total}`,
      ),
      state.page < state.totalPages
        ? h("button.btn.sm.ghost", { type: "button", onclick: () => load(state.page + 1) }, "Load more")
        : null,
    ),
  );

  const bulk = live(() => {
    const n = state.selected.size;
    if (!n) return null;
    return h(
      "div.bulkbar",
      { role: "region", "aria-label": "Bulk actions" },
      h("span", null, `Selected ${plural(n, "record")}`),
      h(
        "button.btn.sm.ghost",
        { type: "button", onclick: () => (state.selected.clear(), table.refresh(), bulk.refresh()) },
        "Reset",
      ),
      h("div.spacer"),
      h(
        "button.btn.sm.ghost",
        { type: "button", onclick: () => exportJSON([...state.selected]) },
        icon("download"),
        "Export JSON",
      ),
      h(
        "button.btn.sm.danger",
        { type: "button", onclick: () => bulkDelete(), "data-testid": "bulk-delete" },
        icon("trash"),
        "Delete selected",
      ),
    );
  });

  async function bulkDelete() {
    const ids = [...state.selected];
    if (
      !(await confirmDialog(`Delete ${plural(ids.length, "selected record")}? This cannot be undone.`, {
        yes: "Delete",
      }))
    )
      return;
    let failed = 0;
    // a few at a time: keeps the server responsive and the order of errors readable
    for (let i = 0; i < ids.length; i += 5) {
      const res = await Promise.allSettled(
        ids.slice(i, i + 5).map((id) => pb.collection(c.id).delete(id, { requestKey: null })),
      );
      failed += res.filter((r) => r.status === "rejected").length;
    }
    state.selected.clear();
    if (failed) toast(`${failed} of ${ids.length} records could not be deleted.`, "error");
    else toast(`Deleted ${plural(ids.length, "record")}.`);
    load();
  }

  async function exportJSON(ids?: string[]) {
    try {
      const filter = ids?.length
        ? ids.map((id) => `id=${JSON.stringify(id)}`).join("||")
        : normalizeFilter(state.filter, c);
      const all = await pb.collection(c.id).getFullList({ batch: 500, filter, sort: state.sort, requestKey: null });
      downloadBlob(
        `${c.name}_${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.json`,
        JSON.stringify(all, null, 2),
      );
      toast(`Exported ${plural(all.length, "record")}.`, "info");
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  }

  /** The id of the record whose editor is open (its deep link is in the address). */
  let openId = "";
  async function editRecord(r?: RecordModel) {
    // upstream's deep link: `record=<id>` next to the collection, filter and sort
    const url = r ? href("/collections", { ...queryOf(), record: r.id }) : undefined;
    openId = r?.id ?? "";
    const res = await openRecordEditor(c, r, undefined, url);
    if (r && openId === r.id) openId = "";
    if (res) load();
  }
  /** Opens the record a link names (`record`, or `recordId` from upstream's older dashboard). */
  async function openLinked(q: URLSearchParams) {
    const id = q.get("record") || q.get("recordId");
    if (!id || id === openId) return;
    // the entry without the record stays below the editor's, so Back lands on the list
    syncQuery();
    openId = id;
    try {
      const r = await pb.collection(c.id).getOne(id, { requestKey: null });
      if (openId !== id || !el.isConnected) return;
      await editRecord(r);
    } catch (err) {
      if (openId === id) openId = "";
      toast(`Record ${id}: ${errorMessage(err)}`, "error");
    }
  }

  const queryOf = () => ({
    collection: c.name,
    filter: state.filter,
    sort: state.sort !== defaultSort ? state.sort : "",
  });
  const syncQuery = () => replaceQuery(queryOf());

  const header = h(
    "header.page-header",
    null,
    h(
      "div.crumbs",
      null,
      h("span.muted", null, "Collections"),
      icon("right"),
      h("h1", null, c.name),
      c.type !== "base" ? h("span.badge", null, c.type) : null,
    ),
    h(
      "div.page-actions",
      null,
      opts.hideControls()
        ? null
        : h(
            "button.icon-btn",
            {
              type: "button",
              "aria-label": "Edit collection",
              title: "Edit collection",
              "data-testid": "edit-collection",
              onclick: async () => {
                await opts.onEditCollection();
                load();
              },
            },
            icon("gear"),
          ),
      h(
        "button.icon-btn",
        { type: "button", "aria-label": "Refresh", title: "Refresh", onclick: () => load() },
        icon("refresh"),
      ),
      menuButton(
        h("button.icon-btn", { type: "button", "aria-label": "More", title: "More" }, icon("dots")),
        () => [
          { label: "Export all as JSON", icon: "download", onSelect: () => exportJSON() },
          { label: "Copy collection JSON", icon: "copy", onSelect: () => copyText(JSON.stringify(c, null, 2)) },
          ...(opts.hideControls()
            ? []
            : [{ label: "Duplicate collection", icon: "duplicate", onSelect: () => opts.onDuplicate() }]),
          {
            label: store.get<string[]>("pinned", []).includes(c.id) ? "Unpin" : "Pin to top",
            icon: "pin",
            onSelect: () => {
              const p = store.get<string[]>("pinned", []);
              store.set("pinned", p.includes(c.id) ? p.filter((x) => x !== c.id) : [c.id, ...p]);
              toast(p.includes(c.id) ? "Unpinned." : "Pinned to the top of the list.", "info", 1500);
            },
          },
        ],
        { align: "right" },
      ),
      h(
        "button.btn.ghost",
        { type: "button", onclick: () => openApiPreview(c), "data-testid": "api-preview" },
        icon("code"),
        h("span.hide-sm", null, "API preview"),
      ),
      readOnly
        ? null
        : h(
            "button.btn.primary",
            { type: "button", onclick: () => editRecord(), "data-testid": "new-record" },
            icon("plus"),
            h("span", null, "New record"),
          ),
    ),
  );

  const el = h(
    "div.records-view",
    null,
    header,
    h("div.toolbar", null, searchForm, historyBtn, colsBtn),
    filterError,
    table,
    footer,
    bulk,
  );
  // "/" focuses the filter from anywhere on the page
  const slash = (ev: KeyboardEvent) => {
    if (
      ev.key === "/" &&
      !(ev.target as HTMLElement).closest("input,textarea,select,[contenteditable]") &&
      !document.querySelector("dialog[open]") &&
      el.isConnected
    ) {
      ev.preventDefault();
      filterInput.focus();
    }
  };
  document.addEventListener("keydown", slash);
  onUnmount(el, () => document.removeEventListener("keydown", slash));

  load();
  openLinked(query);
  return {
    el,
    update(q) {
      openLinked(q);
      const f = q.get("filter") ?? "";
      const s = q.get("sort") ?? defaultSort;
      if (f !== state.filter || s !== state.sort) {
        state.filter = f;
        state.sort = s;
        filterInput.value = f;
        load();
      }
    },
  };
}
