/** Shared widgets: toasts, dialogs/drawers, confirm, menus, tabs, form fields and error display. */
import { h, nextId, setProps, type Child, type Props } from "./dom.ts";
import { icon } from "./icons.ts";
import { errorData, errorMessage } from "./app.ts";

// ---------- toasts ----------
let toastBox: HTMLElement | null = null;
export function toast(message: string, kind: "info" | "success" | "error" = "success", ms = 4000): void {
  if (!toastBox || !toastBox.isConnected) {
    toastBox = h("div.toasts", { role: "status", "aria-live": "polite" });
    document.body.appendChild(toastBox);
  }
  const el = h(
    `div.toast.${kind}`,
    null,
    h("span", null, message),
    h("button.icon-btn.sm", { "aria-label": "Dismiss", onclick: () => el.remove() }, icon("x")),
  );
  toastBox.appendChild(el);
  setTimeout(() => el.remove(), ms);
}
/** Toasts a failed request (unless it was cancelled) and returns its field errors. */
export function toastError(err: unknown): Record<string, any> {
  const msg = errorMessage(err);
  if (!/cancelled/.test(msg)) toast(msg, "error", 6000);
  return errorData(err);
}

// ---------- dialogs ----------
export interface DialogHandle {
  el: HTMLDialogElement;
  body: HTMLElement;
  footer: HTMLElement;
  /** `fromHistory`: closed by the browser's Back (its history entry is already gone). */
  close(fromHistory?: boolean): void;
  setTitle(t: Child): void;
}
export interface DialogOptions {
  title: Child;
  /** "modal" (centered) or "drawer" (right side panel). */
  kind?: "modal" | "drawer";
  size?: "sm" | "md" | "lg" | "xl";
  body?: Child;
  footer?: Child;
  /** Return false to keep it open (e.g. unsaved changes). */
  beforeClose?: () => boolean | Promise<boolean>;
  onClose?: () => void;
  class?: string;
  /** The address while it is open (e.g. a record's deep link); default: the current one. */
  url?: string;
}

// Each open dialog owns one history entry (state `pbDialog` = its depth), so the browser's Back
// closes the top one instead of leaving the page under it; closing it otherwise drops its entry.
const historyStack: DialogHandle[] = [];
const depthOf = (state: any): number => (typeof state?.pbDialog === "number" ? state.pbDialog : 0);
/** The depth of the entry history is at, or is already going back to (history.go is async). */
let historyDepth = depthOf(history.state);
let unwindQueued = false;
function unwindHistory() {
  // coalesced: a confirm and its drawer closing together go back once, by both entries
  if (unwindQueued) return;
  unwindQueued = true;
  queueMicrotask(() => {
    unwindQueued = false;
    // the page the history is on now: a navigation since the dialog opened (a link, a typed address)
    // left its entry behind, and going back would undo that navigation
    const extra = Math.min(historyDepth, depthOf(history.state)) - historyStack.length;
    if (extra <= 0) {
      historyDepth = Math.min(historyDepth, depthOf(history.state));
      return;
    }
    historyDepth -= extra;
    history.go(-extra);
  });
}
window.addEventListener("popstate", (ev) => {
  const depth = (historyDepth = depthOf(ev.state));
  // Back forces the close, as upstream's modals do (unsaved-changes prompts are not asked)
  while (historyStack.length > depth) historyStack.pop()!.close(true);
});

/** Opens a native <dialog> (focus trap, Escape and backdrop handled); removed from the DOM on close. */
export function openDialog(opts: DialogOptions): DialogHandle {
  const titleEl = h("h2.dialog-title", { id: nextId("dlg") }, opts.title);
  const body = h("div.dialog-body", null, opts.body);
  const footer = h("div.dialog-footer", null, opts.footer);
  const el = h("dialog", {
    class: ["dialog", opts.kind ?? "modal", opts.size ?? "md", opts.class],
    "aria-labelledby": titleEl.id,
  }) as HTMLDialogElement;
  let closing = false;
  const tryClose = async () => {
    if (closing) return;
    if (opts.beforeClose && !(await opts.beforeClose())) return;
    handle.close();
  };
  el.append(
    h(
      "header.dialog-header",
      null,
      titleEl,
      h("button.icon-btn", { type: "button", "aria-label": "Close", onclick: tryClose }, icon("x")),
    ),
    body,
    footer,
  );
  el.addEventListener("cancel", (ev) => {
    ev.preventDefault();
    tryClose();
  });
  // a click on the backdrop lands on the dialog element itself
  el.addEventListener("mousedown", (ev) => {
    if (ev.target === el) {
      const r = el.getBoundingClientRect();
      const out = ev.clientX < r.left || ev.clientX > r.right || ev.clientY < r.top || ev.clientY > r.bottom;
      if (out) tryClose();
    }
  });
  const handle: DialogHandle = {
    el,
    body,
    footer,
    close(fromHistory = false) {
      if (closing) return;
      closing = true;
      const i = historyStack.indexOf(handle);
      if (i >= 0) historyStack.splice(i, 1);
      if (!fromHistory) unwindHistory();
      el.classList.add("closing");
      setTimeout(() => {
        el.close();
        el.remove();
        opts.onClose?.();
      }, 120);
    },
    setTitle(t) {
      titleEl.replaceChildren();
      titleEl.append(
        ...[t]
          .flat()
          .filter((x) => x !== null && x !== undefined && x !== false)
          .map((x) => (x instanceof Node ? x : String(x))),
      );
    },
  };
  document.body.appendChild(el);
  el.showModal();
  // a dialog that just closed may still own the current entry (its Back is queued): reuse it
  const stale = historyDepth > historyStack.length;
  historyStack.push(handle);
  historyDepth = historyStack.length;
  const entry = [{ pbDialog: historyStack.length }, "", opts.url ?? location.href] as const;
  if (stale) history.replaceState(...entry);
  else history.pushState(...entry);
  return handle;
}

/** A yes/no question; resolves true on confirm. */
export function confirmDialog(
  message: Child,
  opts: { yes?: string; danger?: boolean; title?: string } = {},
): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = false;
    const yes = h(
      `button.btn.${opts.danger === false ? "primary" : "danger"}`,
      { type: "button", onclick: () => ((answer = true), d.close()) },
      opts.yes ?? "Yes",
    );
    const d = openDialog({
      title: opts.title ?? "Are you sure?",
      size: "sm",
      class: "confirm",
      body: h("div.confirm-msg", null, message),
      footer: [h("div.spacer"), h("button.btn.ghost", { type: "button", onclick: () => d.close() }, "Cancel"), yes],
      onClose: () => resolve(answer),
    });
    yes.focus();
  });
}

// ---------- menus ----------
export interface MenuItem {
  label: Child;
  icon?: string;
  onSelect?: () => void;
  danger?: boolean;
  href?: string;
  checked?: boolean;
  /** Keep the menu open after selecting (checkbox lists). */
  keepOpen?: boolean;
}
/** A button that opens a keyboard-navigable menu of items (built fresh each time it opens). */
export function menuButton(
  trigger: HTMLElement,
  items: () => (MenuItem | "sep" | HTMLElement)[],
  opts: { align?: "left" | "right"; class?: string; wrapClass?: string } = {},
): HTMLElement {
  const wrap = h("div.menu-wrap", { class: opts.wrapClass });
  let panel: HTMLElement | null = null;
  trigger.setAttribute("aria-haspopup", "menu");
  trigger.setAttribute("aria-expanded", "false");
  const close = (focus = false) => {
    panel?.remove();
    panel = null;
    trigger.setAttribute("aria-expanded", "false");
    document.removeEventListener("mousedown", outside, true);
    if (focus) trigger.focus();
  };
  const outside = (ev: Event) => {
    if (!wrap.contains(ev.target as Node)) close();
  };
  const open = () => {
    panel = h("div.menu", { role: "menu", class: [opts.align === "right" ? "right" : "", opts.class] });
    for (const it of items()) {
      if (it === "sep") panel.appendChild(h("div.menu-sep", { role: "separator" }));
      else if (it instanceof HTMLElement) panel.appendChild(it);
      else {
        const tag = it.href ? "a" : "button";
        const el = h(
          `${tag}.menu-item`,
          {
            role: it.checked === undefined ? "menuitem" : "menuitemcheckbox",
            "aria-checked": it.checked === undefined ? undefined : String(it.checked),
            class: it.danger ? "danger" : "",
            href: it.href,
            type: tag === "button" ? "button" : undefined,
            tabindex: "-1",
            onclick: () => {
              if (!it.keepOpen) close(true);
              it.onSelect?.();
              if (it.keepOpen && it.checked !== undefined) {
                it.checked = !it.checked;
                el.setAttribute("aria-checked", String(it.checked));
              }
            },
          },
          it.checked !== undefined ? h("span.menu-check", null, icon("check")) : it.icon ? icon(it.icon) : null,
          h("span", null, it.label),
        );
        panel.appendChild(el);
      }
    }
    panel.addEventListener("keydown", (ev) => {
      const list = [...panel!.querySelectorAll<HTMLElement>(".menu-item, input")];
      const i = list.indexOf(document.activeElement as HTMLElement);
      if (ev.key === "ArrowDown") list[(i + 1) % list.length]?.focus();
      else if (ev.key === "ArrowUp") list[(i - 1 + list.length) % list.length]?.focus();
      else if (ev.key === "Escape") close(true);
      else if (ev.key === "Tab") close();
      else return;
      ev.preventDefault();
      ev.stopPropagation();
    });
    wrap.appendChild(panel);
    trigger.setAttribute("aria-expanded", "true");
    document.addEventListener("mousedown", outside, true);
    (panel.querySelector<HTMLElement>("input, .menu-item") ?? panel).focus();
  };
  trigger.addEventListener("click", () => (panel ? close() : open()));
  trigger.addEventListener("keydown", (ev) => {
    if (ev.key === "ArrowDown" && !panel) {
      ev.preventDefault();
      open();
    }
  });
  wrap.append(trigger);
  return wrap;
}

// ---------- tabs ----------
export interface Tab {
  id: string;
  label: Child;
  render: () => Child;
  badge?: () => boolean;
}
/** Accessible tabs (arrow keys move between them); panels render lazily and are kept. */
export function tabs(
  list: Tab[],
  initial?: string,
  onChange?: (id: string) => void,
): HTMLElement & { select(id: string): void; markErrors(ids: string[]): void } {
  const bar = h("div.tabs", { role: "tablist" });
  const panels = h("div.tab-panels");
  const rendered = new Map<string, HTMLElement>();
  const buttons = new Map<string, HTMLElement>();
  const root = h("div.tabset", null, bar, panels) as unknown as HTMLElement & {
    select(id: string): void;
    markErrors(ids: string[]): void;
  };
  const select = (id: string) => {
    for (const [tid, b] of buttons) {
      b.setAttribute("aria-selected", String(tid === id));
      b.tabIndex = tid === id ? 0 : -1;
    }
    for (const [tid, p] of rendered) p.hidden = tid !== id;
    if (!rendered.has(id)) {
      const t = list.find((t) => t.id === id)!;
      const p = h("div.tab-panel", { role: "tabpanel", id: `panel-${id}-${bar.id}` }, t.render());
      rendered.set(id, p);
      panels.appendChild(p);
    }
    onChange?.(id);
  };
  bar.id = nextId("tabs");
  for (const t of list) {
    const b = h(
      "button.tab",
      {
        type: "button",
        role: "tab",
        dataset: { tab: t.id },
        onclick: () => select(t.id),
        onkeydown: (ev: KeyboardEvent) => {
          const ids = list.map((x) => x.id);
          const i = ids.indexOf(t.id);
          let next = -1;
          if (ev.key === "ArrowRight") next = (i + 1) % ids.length;
          else if (ev.key === "ArrowLeft") next = (i - 1 + ids.length) % ids.length;
          if (next >= 0) {
            ev.preventDefault();
            select(ids[next]!);
            buttons.get(ids[next]!)!.focus();
          }
        },
      },
      t.label,
      h("span.tab-dot", { "aria-hidden": "true" }),
    );
    buttons.set(t.id, b);
    bar.appendChild(b);
  }
  root.select = select;
  root.markErrors = (ids) => {
    for (const [tid, b] of buttons) b.classList.toggle("has-error", ids.includes(tid));
  };
  select(initial ?? list[0]!.id);
  return root;
}

// ---------- form fields ----------
export interface FieldOpts {
  help?: Child;
  /** Error path this field shows (e.g. `fields.2.name`). */
  err?: string;
  class?: string;
  required?: boolean;
}
/** A labelled form control: the input gets an id wired to the label. */
export function field(label: Child, input: HTMLElement, opts: FieldOpts = {}): HTMLElement {
  const target = input.matches("input,select,textarea")
    ? input
    : input.querySelector<HTMLElement>("input,select,textarea");
  if (target && !target.id) target.id = nextId("in");
  return h(
    "div.field",
    { class: opts.class, dataset: opts.err ? { err: opts.err } : undefined },
    // the "required" star sits outside the label so it is not part of the accessible name
    opts.required
      ? h(
          "div.label-row",
          null,
          h("label", { for: target?.id }, label),
          h("span.req", { "aria-hidden": "true", title: "Required" }, "*"),
        )
      : h("label", { for: target?.id }, label),
    input,
    opts.help ? h("div.help", null, opts.help) : null,
  );
}

/** An input bound to `obj[key]` (text-like). */
export function input(obj: any, key: string, props: Props = {}): HTMLInputElement {
  const el = h("input", { type: "text", value: obj[key] ?? "", ...props }) as HTMLInputElement;
  el.addEventListener("input", () => {
    const t = el.type;
    if (t === "number") obj[key] = el.value === "" ? (props["data-nullable"] ? null : 0) : Number(el.value);
    else obj[key] = el.value;
  });
  return el;
}
export function textarea(obj: any, key: string, props: Props = {}): HTMLTextAreaElement {
  const el = h("textarea", { ...props }) as HTMLTextAreaElement;
  el.value = obj[key] ?? "";
  el.addEventListener("input", () => (obj[key] = el.value));
  return el;
}
/** A labelled switch bound to `obj[key]`. */
export function toggle(
  obj: any,
  key: string,
  label: Child,
  onChange?: (v: boolean) => void,
  props: Props = {},
): HTMLElement {
  const id = nextId("sw");
  const el = h("input.switch", {
    type: "checkbox",
    id,
    role: "switch",
    checked: !!obj[key],
    ...props,
  }) as HTMLInputElement;
  el.addEventListener("change", () => {
    obj[key] = el.checked;
    onChange?.(el.checked);
  });
  return h(
    "div.toggle-field",
    { dataset: { err: String(props["data-err"] ?? key) } },
    el,
    h("label", { for: id }, label),
  );
}
/** A <select> bound to `obj[key]`. */
export function select(
  obj: any,
  key: string,
  options: (string | [string, string])[],
  props: Props = {},
  onChange?: (v: string) => void,
): HTMLSelectElement {
  const el = h("select", props) as HTMLSelectElement;
  for (const o of options) {
    const [value, label] = Array.isArray(o) ? o : [o, o];
    el.appendChild(h("option", { value, selected: String(obj[key] ?? "") === value }, label));
  }
  el.addEventListener("change", () => {
    obj[key] = el.value;
    onChange?.(el.value);
  });
  return el;
}

/** Comma-separated list input bound to a string array. */
export function listInput(obj: any, key: string, props: Props = {}): HTMLInputElement {
  const el = h("input", { type: "text", value: (obj[key] ?? []).join(", "), ...props }) as HTMLInputElement;
  el.addEventListener("input", () => {
    obj[key] = el.value
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  });
  return el;
}

/** The presets of a file field's allowed MIME types (upstream's "Choose presets" lists). */
export const MIME_PRESETS: [string, string[]][] = [
  ["Images (jpg, png, svg, gif, webp)", ["image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"]],
  [
    "Documents (pdf, doc/docx, xls/xlsx)",
    [
      "application/pdf",
      "application/msword",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
      "application/vnd.ms-excel",
      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ],
  ],
  [
    "Videos (mp4, mpeg, avi, mov, 3gp)",
    ["video/mp4", "video/mpeg", "video/x-msvideo", "video/quicktime", "video/3gpp"],
  ],
  ["Archives (zip, 7zip, rar)", ["application/zip", "application/x-7z-compressed", "application/x-rar-compressed"]],
];
/** A file field's MIME types: a comma-separated list with a "Choose presets" menu that fills it. */
export function mimeTypesInput(obj: any, key = "mimeTypes", props: Props = {}): HTMLElement {
  const el = listInput(obj, key, props);
  const presets = menuButton(
    h("button.btn.sm.ghost", { type: "button", "data-testid": "mime-presets" }, "Choose presets", icon("down")),
    () =>
      MIME_PRESETS.map(([label, types]): MenuItem => ({
        label,
        onSelect: () => {
          obj[key] = [...types];
          el.value = types.join(", ");
          el.dispatchEvent(new Event("change", { bubbles: true }));
        },
      })),
  );
  return h("div.mime-types", null, el, presets);
}

/** Flattens `{a: {b: {code, message}}}` into `[["a.b", message]]`. */
export function flattenErrors(data: any, prefix = ""): [string, string][] {
  const out: [string, string][] = [];
  if (!data || typeof data !== "object") return out;
  if (typeof data.message === "string" && typeof data.code === "string") return [[prefix, data.message]];
  for (const [k, v] of Object.entries(data)) out.push(...flattenErrors(v, prefix ? `${prefix}.${k}` : k));
  return out;
}

/** Shows API field errors next to matching `[data-err]` elements; returns the unmatched ones. */
export function showErrors(root: HTMLElement, data: Record<string, any>): [string, string][] {
  clearErrors(root);
  const unmatched: [string, string][] = [];
  for (const [path, msg] of flattenErrors(data)) {
    const target = root.querySelector<HTMLElement>(`[data-err="${CSS.escape(path)}"]`);
    if (!target) {
      unmatched.push([path, msg]);
      continue;
    }
    target.classList.add("invalid");
    target.appendChild(h("div.err", { role: "alert" }, msg));
    target.querySelector<HTMLElement>("input,select,textarea")?.setAttribute("aria-invalid", "true");
  }
  root
    .querySelector<HTMLElement>(".invalid input, .invalid textarea, .invalid select")
    ?.focus({ preventScroll: false });
  return unmatched;
}
export function clearErrors(root: HTMLElement): void {
  root.querySelectorAll(".err").forEach((e) => e.remove());
  root.querySelectorAll(".invalid").forEach((e) => e.classList.remove("invalid"));
  root.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
}

/** A button that shows a spinner while its async action runs. */
export function busyButton(label: Child, action: () => Promise<unknown>, props: Props = {}): HTMLButtonElement {
  const b = h("button.btn", { type: "button", ...props }, label) as HTMLButtonElement;
  b.addEventListener("click", async (ev) => {
    ev.preventDefault();
    if (b.classList.contains("busy")) return;
    b.classList.add("busy");
    b.setAttribute("aria-busy", "true");
    try {
      await action();
    } finally {
      b.classList.remove("busy");
      b.removeAttribute("aria-busy");
    }
  });
  return b;
}

/** Copies text to the clipboard with a toast. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toast("Copied to clipboard.", "info", 1500);
  } catch {
    toast("Could not copy (clipboard not available).", "error");
  }
}
export function copyButton(text: () => string, label = "Copy"): HTMLElement {
  return h(
    "button.icon-btn.sm",
    { type: "button", "aria-label": label, title: label, onclick: () => copyText(text()) },
    icon("copy"),
  );
}

/** A "not available in this server yet" placeholder for features whose endpoint is missing. */
/** A notice box: an icon beside a block of (inline) content. */
export function notice(ic: string, ...content: Child[]): HTMLElement {
  return h("p.notice", null, icon(ic), h("span", null, ...content));
}

export function notAvailable(what: string, endpoint: string): HTMLElement {
  return h(
    "div.empty.not-available",
    { "data-testid": "not-available" },
    icon("info"),
    h("h3", null, "Not available in this server yet"),
    h(
      "p",
      null,
      `${what} needs `,
      h("code", null, endpoint),
      ", and this server answered 404. This screen starts working as soon as the server provides the endpoint.",
    ),
  );
}

export function spinner(): HTMLElement {
  return h("div.loader", { role: "progressbar", "aria-label": "Loading" });
}

/** Downloads text/blob content as a file. */
export function downloadBlob(name: string, content: BlobPart, type = "application/json"): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = h("a", { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 2000);
}

export function pageHeader(title: Child, ...actions: Child[]): HTMLElement {
  return h("header.page-header", null, h("h1", null, title), h("div.page-actions", null, ...actions));
}

/** Sets props on an existing element (re-exported for callers). */
export { setProps };
