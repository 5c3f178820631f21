/** Logs: requests-over-time chart, level and text filters, the list, a log's details, log settings. */
import { appSettings, errorMessage, isNotAvailable, loadSettings, pb, store } from "../lib/app.ts";
import { attachAutocomplete, MACROS } from "../lib/autocomplete.ts";
import { h, live } from "../lib/dom.ts";
import { fmtDate, parseDate, truncate } from "../lib/format.ts";
import { icon } from "../lib/icons.ts";
import { codeBlock } from "./api_preview.ts";
import {
  confirmDialog,
  field,
  input,
  menuButton,
  notAvailable,
  openDialog,
  pageHeader,
  showErrors,
  toast,
  toggle,
} from "../lib/ui.ts";
import { href, type Page, type Route } from "../router.ts";

const LEVELS: [number, string][] = [
  [-4, "DEBUG"],
  [0, "INFO"],
  [4, "WARN"],
  [8, "ERROR"],
];
export function levelName(l: number): string {
  return LEVELS.find(([n]) => n === l)?.[1] ?? `LEVEL(${l})`;
}
const LOG_KEYS = [
  "id",
  "created",
  "level",
  "message",
  "data.type",
  "data.method",
  "data.url",
  "data.status",
  "data.execTime",
  "data.auth",
  "data.authId",
  "data.userIP",
  "data.remoteIP",
  "data.referer",
  "data.userAgent",
  "data.error",
  "data.details",
];

export function logsPage(r?: Route): Page {
  const state = {
    filter: "",
    level: store.get<number | null>("logsLevel", null),
    withSuperusers: store.get<boolean>("logsWithSuperusers", true),
    items: [] as any[],
    page: 1,
    totalPages: 0,
    total: 0,
    loading: true,
    missing: false,
    error: "",
  };
  const fullFilter = () => {
    const parts: string[] = [];
    if (state.filter) parts.push(`(${state.filter})`);
    if (state.level !== null) parts.push(`level=${state.level}`);
    if (!state.withSuperusers) parts.push(`data.auth!="_superusers"`);
    return parts.join(" && ");
  };

  let seq = 0;
  async function load(page = 1) {
    const my = ++seq;
    state.loading = true;
    list.refresh();
    const filter = fullFilter();
    const [listRes, statsRes] = await Promise.allSettled([
      pb.logs.getList(page, 50, { filter, sort: "-@rowid", requestKey: null }),
      page === 1 ? pb.logs.getStats({ filter, requestKey: null }) : Promise.resolve(null),
    ]);
    if (my !== seq) return;
    state.loading = false;
    if (listRes.status === "rejected") {
      if (isNotAvailable(listRes.reason)) state.missing = true;
      else state.error = errorMessage(listRes.reason);
      state.items = [];
    } else {
      state.error = "";
      const r = listRes.value;
      state.items = page === 1 ? r.items : [...state.items, ...r.items];
      state.page = r.page;
      state.totalPages = r.totalPages;
      state.total = r.totalItems;
    }
    if (statsRes.status === "fulfilled" && statsRes.value) chart.replaceChildren(statsChart(statsRes.value));
    else if (statsRes.status === "rejected")
      chart.replaceChildren(
        h(
          "p.muted.sm",
          null,
          isNotAvailable(statsRes.reason)
            ? "Request stats are not available in this server yet."
            : errorMessage(statsRes.reason),
        ),
      );
    if (state.missing) body.replaceChildren(notAvailable("Logs", "/api/logs"));
    list.refresh();
  }

  const filterInput = h("input.search.mono", {
    type: "search",
    placeholder: 'Filter logs, e.g. data.status >= 400 || data.url ~ "/api/"',
    "aria-label": "Filter logs",
    "data-testid": "logs-filter",
  }) as HTMLInputElement;
  const apply = () => {
    state.filter = filterInput.value.trim();
    load();
  };
  filterInput.addEventListener("keydown", (e) => e.key === "Enter" && (e.preventDefault(), apply()));
  filterInput.addEventListener("search", () => !filterInput.value && apply());
  attachAutocomplete(filterInput, () => [...LOG_KEYS, ...MACROS]);

  const levels = live(() =>
    h(
      "div.segmented",
      { role: "group", "aria-label": "Level" },
      [[null, "All"] as [number | null, string], ...LEVELS].map(([n, label]) =>
        h(
          "button.seg",
          {
            type: "button",
            "aria-pressed": String(state.level === n),
            onclick: () => {
              state.level = n;
              store.set("logsLevel", n);
              levels.refresh();
              load();
            },
          },
          label,
        ),
      ),
    ),
  );
  const suToggle = toggle(state, "withSuperusers", "Include superuser requests", (v) => {
    store.set("logsWithSuperusers", v);
    load();
  });

  const chart = h("div.chart-box", { "data-testid": "logs-chart" }, h("div.loader"));

  const list = live(() => {
    if (state.error) return h("p.error-text.pad", null, state.error);
    return [
      h(
        "div.table-wrap",
        { class: state.loading ? "loading" : "" },
        h(
          "table.table.logs",
          { "data-testid": "logs-table" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", null, "Level"),
              h("th", null, "Message"),
              h("th.hide-sm", null, "Details"),
              h("th", null, "Created"),
            ),
          ),
          h(
            "tbody",
            null,
            !state.items.length && !state.loading
              ? h(
                  "tr",
                  null,
                  h(
                    "td.empty-cell",
                    { colspan: 4 },
                    h("div.empty.sm", null, icon("logs"), h("p", null, "No logs found.")),
                  ),
                )
              : null,
            state.items.map((log) =>
              h(
                "tr.trow",
                { onclick: () => openLog(log), dataset: { id: log.id } },
                h("td", null, h(`span.level.l${log.level}`, null, levelName(log.level))),
                h(
                  "td.log-msg",
                  null,
                  h(
                    "button.link",
                    { type: "button", onclick: (e: Event) => (e.stopPropagation(), openLog(log)) },
                    truncate(log.message || "(no message)", 90),
                  ),
                ),
                h("td.hide-sm", null, logChips(log)),
                h("td.nowrap.mono.sm", null, fmtDate(log.created)),
              ),
            ),
          ),
        ),
      ),
      h(
        "div.table-footer",
        null,
        h("span.muted", null, state.loading && !state.items.length ? "Loading…" : `Total found: ${state.total}`),
        state.page < state.totalPages
          ? h("button.btn.sm.ghost", { type: "button", onclick: () => load(state.page + 1) }, "Load more")
          : null,
      ),
    ];
  });

  const body = h("div.logs-body", null, chart, list);
  const el = h(
    "div.page.page-logs",
    null,
    h(
      "div.content-inner",
      null,
      pageHeader(
        "Logs",
        h(
          "button.icon-btn",
          { type: "button", "aria-label": "Refresh", title: "Refresh", onclick: () => load() },
          icon("refresh"),
        ),
        menuButton(
          h("button.icon-btn", { type: "button", "aria-label": "Logs options", title: "Options" }, icon("dots")),
          () => [
            { label: "Logs settings", icon: "gear", onSelect: () => logsSettings() },
            {
              label: "Delete all logs",
              icon: "trash",
              danger: true,
              onSelect: async () => {
                if (!(await confirmDialog("Delete all logs? This cannot be undone.", { yes: "Delete all" }))) return;
                try {
                  await pb.send("/api/logs", { method: "DELETE", requestKey: null });
                  toast("Deleted all logs.");
                  load();
                } catch (err) {
                  toast(
                    isNotAvailable(err) ? "Deleting logs is not available in this server yet." : errorMessage(err),
                    "error",
                  );
                }
              },
            },
          ],
          { align: "right" },
        ),
      ),
      h(
        "div.toolbar.wrap",
        null,
        h(
          "form.searchbar",
          { role: "search", onsubmit: (e: Event) => (e.preventDefault(), apply()) },
          icon("search"),
          filterInput,
        ),
        levels,
        suToggle,
      ),
      body,
    ),
  );
  load();
  // upstream's deep link to one log: `#/logs?logId=<id>`
  let openId = "";
  const openLinked = async (q: URLSearchParams) => {
    const id = q.get("logId");
    if (!id || id === openId) return;
    history.replaceState(history.state, "", href("/logs"));
    openId = id;
    try {
      openLog(await pb.logs.getOne(id, { requestKey: null }), () => (openId = ""));
    } catch (err) {
      openId = "";
      toast(`Log ${id}: ${errorMessage(err)}`, "error");
    }
  };
  if (r) openLinked(r.query);
  return { el, title: "Logs", update: (route) => openLinked(route.query) };
}

function logChips(log: any): HTMLElement {
  const d = log.data ?? {};
  return h(
    "span.chips.nowrap",
    null,
    d.method ? h("span.chip.mono", null, d.method) : null,
    d.status
      ? h(`span.chip.mono.${d.status >= 500 ? "bad" : d.status >= 400 ? "warn" : "okc"}`, null, String(d.status))
      : null,
    d.url ? h("span.chip.mono", { title: d.url }, truncate(d.url, 48)) : null,
    d.execTime !== undefined ? h("span.chip.mono", null, `${Math.round(d.execTime * 100) / 100}ms`) : null,
    d.auth ? h("span.chip", null, d.auth) : null,
  );
}

function openLog(log: any, onClose?: () => void) {
  const rows: [string, unknown][] = [
    ["id", log.id],
    ["level", levelName(log.level)],
    ["created", fmtDate(log.created)],
    ["message", log.message],
    ...Object.entries(log.data ?? {}).map(([k, v]) => [`data.${k}`, v] as [string, unknown]),
  ];
  openDialog({
    title: "Log details",
    kind: "drawer",
    size: "md",
    url: href("/logs", { logId: log.id }),
    onClose,
    body: h(
      "div.stack",
      null,
      h(
        "table.table.kv",
        null,
        h(
          "tbody",
          null,
          rows.map(([k, v]) =>
            h(
              "tr",
              null,
              h("th", null, k),
              h("td", null, typeof v === "object" && v !== null ? h("code", null, JSON.stringify(v)) : String(v ?? "")),
            ),
          ),
        ),
      ),
      h("h4", null, "Raw JSON"),
      codeBlock(JSON.stringify(log, null, 2)),
    ),
  });
}

/**
 * Requests per hour as an SVG bar chart (own drawing, no chart library); axis labels are HTML so they don't stretch.
 */
export function statsChart(stats: { total: number; date: string }[]): HTMLElement {
  if (!stats.length) return h("div.chart-empty.muted", null, "No requests in the selected period.");
  const points = stats.map((s) => ({ t: parseDate(s.date)?.getTime() ?? 0, v: s.total })).sort((a, b) => a.t - b.t);
  const HOUR = 3600_000;
  const W = 1000,
    H = 150;
  // at least the last 24 hours, so a young instance's chart isn't one giant bar
  const nowHour = Math.floor(Date.now() / HOUR) * HOUR;
  const t1 = Math.max(points[points.length - 1]!.t, nowHour);
  const t0 = Math.min(points[0]!.t, t1 - 23 * HOUR);
  const slots = Math.round((t1 - t0) / HOUR) + 1;
  const vmax = Math.max(...points.map((p) => p.v), 1);
  const slotW = W / slots;
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("preserveAspectRatio", "none");
  const total = points.reduce((a, p) => a + p.v, 0);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Requests per hour: ${total} in total, at most ${vmax} in one hour.`);
  const el = (tag: string, attrs: Record<string, string | number>) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    svg.appendChild(e);
    return e;
  };
  for (const frac of [0, 0.5, 1]) el("line", { x1: 0, x2: W, y1: H - frac * H, y2: H - frac * H, class: "grid" });
  for (const p of points) {
    const i = Math.round((p.t - t0) / HOUR);
    const bh = Math.max(1, (p.v / vmax) * (H - 4));
    const r = el("rect", {
      x: i * slotW + slotW * 0.15,
      y: H - bh,
      width: Math.max(1, slotW * 0.7),
      height: bh,
      class: "bar",
    });
    const title = document.createElementNS(ns, "title");
    title.textContent = `${fmtDate(new Date(p.t).toISOString().replace("T", " "))}: ${p.v} requests`;
    r.appendChild(title);
  }
  const d = (t: number) => new Date(t).toISOString().slice(5, 16).replace("T", " ");
  return h(
    "div.chart-wrap",
    null,
    h(
      "div.chart-head",
      null,
      h("strong", null, `${total} requests`),
      h("span.muted.sm", null, ` · per hour, ${d(t0)} – ${d(t1 + HOUR)} UTC`),
    ),
    h(
      "div.chart-plot",
      null,
      svg as unknown as HTMLElement,
      h("span.chart-y", { style: "top:0" }, String(vmax)),
      h("span.chart-y", { style: "top:150px" }, "0"),
      h("span.chart-x", { style: "left:34px" }, d(t0)),
      h("span.chart-x", { style: "right:0" }, d(t1 + HOUR)),
    ),
  );
}

async function logsSettings() {
  const s = appSettings.get() ?? (await loadSettings());
  if (!s) return toast("Settings are not available in this server yet.", "error");
  const logs = { ...s.logs };
  const form = h(
    "form.stack",
    null,
    field("Max days retention", input(logs, "maxDays", { type: "number", min: 0 }), {
      err: "logs.maxDays",
      help: "0 disables logging.",
    }),
    field(
      "Min log level",
      h(
        "select",
        { onchange: (e: Event) => (logs.minLevel = Number((e.target as HTMLSelectElement).value)) },
        LEVELS.map(([n, l]) => h("option", { value: String(n), selected: logs.minLevel === n }, `${l} (${n})`)),
      ),
      { err: "logs.minLevel" },
    ),
    toggle(logs, "logIP", "Log the client IP"),
    toggle(logs, "logAuthId", "Log the auth record id"),
  );
  const d = openDialog({
    title: "Logs settings",
    size: "sm",
    body: form,
    footer: [
      h("div.spacer"),
      h("button.btn.ghost", { type: "button", onclick: () => d.close() }, "Cancel"),
      h(
        "button.btn.primary",
        {
          type: "button",
          onclick: async () => {
            try {
              await pb.settings.update({ logs }, { requestKey: null });
              await loadSettings();
              toast("Saved logs settings.");
              d.close();
            } catch (err) {
              showErrors(form, (err as any)?.response?.data ?? {});
              toast(errorMessage(err), "error");
            }
          },
        },
        "Save",
      ),
    ],
  });
}
