/**
 * The field type registry: for each type, its label and icon, the defaults of a new field, the
 * options form in the collection editor, how a value shows in the records table, and its input in
 * the record editor. Adding a type is adding one entry.
 */
import type { CollectionModel, RecordModel } from "pocketbase";
import { collections, pb } from "../lib/app.ts";
import { h, type Child } from "../lib/dom.ts";
import { fmtBytes, fmtDate, isImageName, truncate } from "../lib/format.ts";
import { icon } from "../lib/icons.ts";
import { field, input, listInput, mimeTypesInput, toggle } from "../lib/ui.ts";
import { editorInput } from "./editor.ts";
import { geoPointInput } from "./geo_point.ts";

export interface Field {
  id: string;
  name: string;
  type: string;
  system: boolean;
  hidden: boolean;
  presentable: boolean;
  required?: boolean;
  help?: string;
  [key: string]: any;
}

/** What a record input needs besides the field. */
export interface InputCtx {
  collection: CollectionModel;
  /** Values being edited (field name → value). */
  data: Record<string, any>;
  /** The stored record (for file URLs, expand); undefined when creating. */
  record?: RecordModel;
  /** A file token for protected files (superusers get one on demand). */
  fileToken?: string;
  /** Called after a value changes outside a plain input (pickers, uploads). */
  changed(): void;
}

export interface FieldType {
  label: string;
  icon: string;
  /** Type-specific defaults for a new field. */
  defaults(): Record<string, any>;
  /** The options form (type specific part); `err` prefixes error paths (e.g. "fields.3"). */
  settings?(f: Field, err: string): Child;
  /** Whether the common "Nonempty" toggle applies. */
  requirable?: boolean;
  /** Table cell. */
  cell(v: any, f: Field, rec: RecordModel): Child;
  /** Record editor input. */
  input?(f: Field, ctx: InputCtx): HTMLElement;
  /** Normalizes an edited value before sending (may throw a message for the field). */
  serialize?(v: any, f: Field): any;
}

const muted = (t: string) => h("span.muted", null, t);
const empty = () => h("span.muted", null, "N/A");

function numberInput(obj: any, key: string, props: Record<string, unknown> = {}) {
  const el = input(obj, key, { type: "number", ...props });
  // 0 means "default/no limit" for most options: show the placeholder that says so
  if (props.placeholder && (obj[key] === 0 || obj[key] === null)) el.value = "";
  // an empty number option means "no limit": keep it as 0 / null like upstream
  el.addEventListener("input", () => {
    if (el.value === "") obj[key] = props.nullable ? null : 0;
  });
  return el;
}

const grid = (...c: Child[]) => h("div.grid-2", null, ...c);

export const FIELD_TYPES: Record<string, FieldType> = {
  text: {
    label: "Plain text",
    icon: "text",
    requirable: true,
    defaults: () => ({ min: 0, max: 0, pattern: "", autogeneratePattern: "", primaryKey: false }),
    settings: (f, e) =>
      grid(
        field("Min length", numberInput(f, "min", { min: 0, placeholder: "No min limit" }), { err: `${e}.min` }),
        field("Max length", numberInput(f, "max", { min: 0, placeholder: "Default to max 5000 characters" }), {
          err: `${e}.max`,
        }),
        field("Validation pattern", input(f, "pattern", { placeholder: "ex. ^[a-z0-9]+$", class: "mono" }), {
          err: `${e}.pattern`,
        }),
        field(
          "Autogenerate pattern",
          input(f, "autogeneratePattern", { placeholder: "ex. [a-z0-9]{30}", class: "mono" }),
          {
            err: `${e}.autogeneratePattern`,
            help: "A value is generated from this pattern when the field is empty on create.",
          },
        ),
      ),
    cell: (v) => (v === "" || v === undefined ? empty() : h("span.cell-text", null, truncate(String(v), 120))),
    input: (f, ctx) => {
      const long = f.max === 0 || f.max > 200;
      const props: Record<string, unknown> = {
        placeholder: f.autogeneratePattern ? "Leave empty to autogenerate" : "",
        maxlength: f.max || undefined,
      };
      if (long && !f.primaryKey) {
        const ta = h("textarea.autogrow", { rows: 1, ...props }) as HTMLTextAreaElement;
        ta.value = ctx.data[f.name] ?? "";
        ta.addEventListener("input", () => (ctx.data[f.name] = ta.value));
        return ta;
      }
      return input(ctx.data, f.name, props);
    },
  },
  editor: {
    label: "Rich editor",
    icon: "para",
    requirable: true,
    defaults: () => ({ maxSize: 0, convertURLs: false }),
    settings: (f, e) =>
      grid(
        field("Max size (bytes)", numberInput(f, "maxSize", { min: 0, placeholder: "Default to max ~5MB" }), {
          err: `${e}.maxSize`,
        }),
        h("div.field.pt", null, toggle(f, "convertURLs", "Convert URLs to relative paths")),
      ),
    cell: (v) => (v ? h("span.cell-text", null, truncate(stripHtml(String(v)), 120)) : empty()),
    input: editorInput,
  },
  number: {
    label: "Number",
    icon: "hash",
    requirable: true,
    defaults: () => ({ min: null, max: null, onlyInt: false }),
    settings: (f, e) =>
      grid(
        field("Min", numberInput(f, "min", { step: "any", nullable: true }), { err: `${e}.min` }),
        field("Max", numberInput(f, "max", { step: "any", nullable: true }), { err: `${e}.max` }),
        h("div.field.pt", null, toggle(f, "onlyInt", "No decimals (integers only)")),
      ),
    cell: (v) => h("span.mono", null, String(v ?? 0)),
    input: (f, ctx) => {
      const el = h("input", {
        type: "number",
        step: f.onlyInt ? "1" : "any",
        min: f.min ?? undefined,
        max: f.max ?? undefined,
        value: ctx.data[f.name] ?? "",
      }) as HTMLInputElement;
      el.addEventListener("input", () => (ctx.data[f.name] = el.value === "" ? null : Number(el.value)));
      return el;
    },
  },
  bool: {
    label: "Bool",
    icon: "toggle",
    requirable: true,
    defaults: () => ({}),
    cell: (v) => h(`span.badge.${v ? "ok" : "off"}`, null, v ? "True" : "False"),
    input: (f, ctx) => {
      const t = toggle(ctx.data, f.name, ctx.data[f.name] ? "On" : "Off", (v) => (lbl.textContent = v ? "On" : "Off"));
      const lbl = t.querySelector("label")!;
      return t;
    },
  },
  email: {
    label: "Email",
    icon: "mail",
    requirable: true,
    defaults: () => ({ exceptDomains: null, onlyDomains: null }),
    settings: (f, e) => domainSettings(f, e),
    cell: (v) => (v ? h("span.cell-text", null, v) : empty()),
    input: (f, ctx) => input(ctx.data, f.name, { type: "email", autocomplete: "off" }),
  },
  url: {
    label: "URL",
    icon: "link",
    requirable: true,
    defaults: () => ({ exceptDomains: null, onlyDomains: null }),
    settings: (f, e) => domainSettings(f, e),
    cell: (v) => (v ? h("span.cell-text", null, truncate(v, 80)) : empty()),
    input: (f, ctx) => input(ctx.data, f.name, { type: "url", placeholder: "https://" }),
  },
  date: {
    label: "DateTime",
    icon: "calendar",
    requirable: true,
    defaults: () => ({ min: "", max: "" }),
    settings: (f, e) =>
      grid(
        field("Min date (UTC)", input(f, "min", { placeholder: "YYYY-MM-DD HH:MM:SS.sssZ", class: "mono" }), {
          err: `${e}.min`,
        }),
        field("Max date (UTC)", input(f, "max", { placeholder: "YYYY-MM-DD HH:MM:SS.sssZ", class: "mono" }), {
          err: `${e}.max`,
        }),
      ),
    cell: (v) => (v ? h("span.mono.nowrap", null, fmtDate(v)) : empty()),
    input: (f, ctx) => dateInput(ctx.data, f.name),
  },
  autodate: {
    label: "Autodate",
    icon: "clock",
    defaults: () => ({ onCreate: true, onUpdate: false }),
    settings: (f) =>
      h("div.row.gap", null, toggle(f, "onCreate", "Set on create"), toggle(f, "onUpdate", "Set on update")),
    cell: (v) => (v ? h("span.mono.nowrap", null, fmtDate(v)) : empty()),
  },
  select: {
    label: "Select",
    icon: "list",
    requirable: true,
    defaults: () => ({ values: [], maxSelect: 1 }),
    settings: (f, e) =>
      grid(
        field("Choices", listInput(f, "values", { placeholder: "Comma separated, ex. draft, published" }), {
          err: `${e}.values`,
          required: true,
        }),
        field("Max select", numberInput(f, "maxSelect", { min: 1 }), {
          err: `${e}.maxSelect`,
          help: "1 = single choice, more = a multiple select.",
        }),
      ),
    cell: (v) => {
      const list = toArr(v);
      return list.length
        ? h(
            "span.chips",
            null,
            list.map((x) => h("span.chip", null, x)),
          )
        : empty();
    },
    input: (f, ctx) => {
      if ((f.maxSelect ?? 1) <= 1) {
        const el = h(
          "select",
          null,
          h("option", { value: "" }, "- Select -"),
          (f.values ?? []).map((v: string) => h("option", { value: v, selected: ctx.data[f.name] === v }, v)),
        ) as HTMLSelectElement;
        el.addEventListener("change", () => (ctx.data[f.name] = el.value));
        return el;
      }
      const chosen = new Set<string>(toArr(ctx.data[f.name]));
      return h(
        "div.chip-toggles",
        { role: "group" },
        (f.values ?? []).map((v: string) => {
          const b = h("button.chip-toggle", { type: "button", "aria-pressed": String(chosen.has(v)) }, v);
          b.addEventListener("click", () => {
            if (chosen.has(v)) chosen.delete(v);
            else if (chosen.size < f.maxSelect) chosen.add(v);
            b.setAttribute("aria-pressed", String(chosen.has(v)));
            ctx.data[f.name] = (f.values as string[]).filter((x) => chosen.has(x));
          });
          return b;
        }),
      );
    },
  },
  file: {
    label: "File",
    icon: "image",
    requirable: true,
    defaults: () => ({ maxSelect: 1, maxSize: 0, mimeTypes: [], thumbs: [], protected: false }),
    settings: (f, e) =>
      grid(
        field("Max files", numberInput(f, "maxSelect", { min: 1 }), { err: `${e}.maxSelect` }),
        field("Max file size (bytes)", numberInput(f, "maxSize", { min: 0, placeholder: "Default to max ~5MB" }), {
          err: `${e}.maxSize`,
        }),
        field(
          "Allowed MIME types",
          mimeTypesInput(f, "mimeTypes", { placeholder: "ex. image/png, application/pdf (empty = any)" }),
          { err: `${e}.mimeTypes` },
        ),
        field("Thumb sizes", listInput(f, "thumbs", { placeholder: "ex. 100x100, 0x300, 600x0f" }), {
          err: `${e}.thumbs`,
          help: "WxH (crop center), WxHt (top), WxHb (bottom), WxHf (fit), 0xH, Wx0.",
        }),
        h(
          "div.field.pt",
          null,
          toggle(f, "protected", "Protected", undefined, { title: "Protected files need a file token to download" }),
          h("div.help", null, "Protected files are served only with a short-lived file token."),
        ),
      ),
    cell: (v, f, rec) => {
      const list = toArr(v);
      if (!list.length) return empty();
      return h(
        "span.thumbs",
        null,
        list.slice(0, 4).map((name) => fileThumb(rec, name, f, undefined, true)),
        list.length > 4 ? muted(`+${list.length - 4}`) : null,
      );
    },
  },
  relation: {
    label: "Relation",
    icon: "swap",
    requirable: true,
    defaults: () => ({ collectionId: "", cascadeDelete: false, minSelect: 0, maxSelect: 1 }),
    settings: (f, e) => {
      const sel = h(
        "select",
        null,
        h("option", { value: "" }, "- Select collection -"),
        collections
          .get()
          .map((c) =>
            h("option", { value: c.id, selected: f.collectionId === c.id }, c.name + (c.system ? " (system)" : "")),
          ),
      ) as HTMLSelectElement;
      sel.addEventListener("change", () => (f.collectionId = sel.value));
      return grid(
        field("Related collection", sel, { err: `${e}.collectionId`, required: true }),
        field("Max select", numberInput(f, "maxSelect", { min: 1 }), {
          err: `${e}.maxSelect`,
          help: "1 = single relation, more = multiple.",
        }),
        field("Min select", numberInput(f, "minSelect", { min: 0 }), { err: `${e}.minSelect` }),
        h(
          "div.field.pt",
          null,
          toggle(f, "cascadeDelete", "Cascade delete"),
          h("div.help", null, "Delete this record when the related record is deleted."),
        ),
      );
    },
    cell: (v, f, rec) => {
      const ids = toArr(v);
      if (!ids.length) return empty();
      const expanded = toArr(rec.expand?.[f.name]);
      return h(
        "span.chips",
        null,
        ids.slice(0, 3).map((id) => {
          const r = expanded.find((x: RecordModel) => x?.id === id);
          return h("span.chip", { title: id }, r ? recordLabel(r) : id);
        }),
        ids.length > 3 ? muted(`+${ids.length - 3}`) : null,
      );
    },
  },
  json: {
    label: "JSON",
    icon: "braces",
    requirable: true,
    defaults: () => ({ maxSize: 0 }),
    settings: (f, e) =>
      grid(
        field("Max size (bytes)", numberInput(f, "maxSize", { min: 0, placeholder: "Default to max ~1MB" }), {
          err: `${e}.maxSize`,
        }),
      ),
    cell: (v) => (v === null || v === undefined ? empty() : h("code.cell-json", null, truncate(JSON.stringify(v), 80))),
    input: (f, ctx) => jsonEditor(ctx.data, f.name),
    serialize: (v) => {
      if (v === "" || v === null || v === undefined) return null;
      if (typeof v !== "string") return JSON.stringify(v);
      try {
        JSON.parse(v);
      } catch (err) {
        throw new Error("Invalid JSON: " + (err as Error).message);
      }
      return v;
    },
  },
  password: {
    label: "Password",
    icon: "key",
    requirable: true,
    defaults: () => ({ min: 0, max: 0, pattern: "", cost: 0 }),
    settings: (f, e) =>
      grid(
        field("Min length", numberInput(f, "min", { min: 0 }), { err: `${e}.min` }),
        field("Max length", numberInput(f, "max", { min: 0, placeholder: "Up to 71 bytes" }), { err: `${e}.max` }),
        field("Validation pattern", input(f, "pattern", { class: "mono" }), { err: `${e}.pattern` }),
        field("Bcrypt cost", numberInput(f, "cost", { min: 0, max: 31, placeholder: "Default (10)" }), {
          err: `${e}.cost`,
        }),
      ),
    cell: () => muted("******"),
    input: (f, ctx) =>
      input(ctx.data, f.name, {
        type: "password",
        autocomplete: "new-password",
        placeholder: ctx.record ? "Leave empty to keep the current value" : "",
      }),
  },
  geoPoint: {
    label: "Geo point",
    icon: "pin",
    requirable: true,
    defaults: () => ({}),
    cell: (v) => (v && (v.lon || v.lat) ? h("span.mono", null, `${v.lat}, ${v.lon}`) : empty()),
    input: geoPointInput,
  },
};

export const TYPE_ORDER = [
  "text",
  "editor",
  "number",
  "bool",
  "email",
  "url",
  "date",
  "autodate",
  "select",
  "file",
  "relation",
  "json",
  "geoPoint",
  "password",
];

function domainSettings(f: Field, e: string): HTMLElement {
  return grid(
    field("Except domains", listInput(f, "exceptDomains", { placeholder: "ex. example.com" }), {
      err: `${e}.exceptDomains`,
    }),
    field("Only domains", listInput(f, "onlyDomains", { placeholder: "ex. example.com" }), { err: `${e}.onlyDomains` }),
  );
}

export function toArr(v: any): any[] {
  if (v === null || v === undefined || v === "") return [];
  return Array.isArray(v) ? v : [v];
}

function stripHtml(s: string): string {
  const d = new DOMParser().parseFromString(s, "text/html");
  return (d.body.textContent ?? "").replace(/\s+/g, " ").trim();
}

/** A record's display text: its presentable fields, else a name/title/email, else its id. */
export function recordLabel(r: RecordModel): string {
  const c = collections.get().find((c) => c.id === r.collectionId);
  const pres = (c?.fields ?? [])
    .filter((f: Field) => f.presentable)
    .map((f: Field) => r[f.name])
    .filter((v: unknown) => v !== "" && v !== null && v !== undefined);
  if (pres.length) return pres.map((v: unknown) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ");
  for (const k of ["name", "title", "username", "email", "label", "slug"])
    if (typeof r[k] === "string" && r[k]) return r[k];
  return r.id;
}

/** A file thumbnail (images via `?thumb=100x100`) or a file-type tile, linking to the file. */
export function fileThumb(rec: RecordModel, name: string, f: Field, token?: string, small = false): HTMLElement {
  const params: Record<string, string> = {};
  if (f.protected) {
    if (!token)
      return h(
        "span.file-tile",
        { title: name + " (protected)" },
        icon("lock"),
        small ? null : h("span", null, truncate(name, 24)),
      );
    params.token = token;
  }
  const url = pb.files.getURL(rec, name, params);
  const body = isImageName(name)
    ? h("img", { src: pb.files.getURL(rec, name, { ...params, thumb: "100x100" }), alt: name, loading: "lazy" })
    : h("span.file-ext", null, (name.split(".").pop() ?? "file").slice(0, 4));
  return h(
    `a.file-tile${small ? ".sm" : ""}`,
    { href: url, target: "_blank", rel: "noopener", title: name, onclick: (e: Event) => e.stopPropagation() },
    body,
  );
}

/** A datetime input storing PocketBase's UTC "YYYY-MM-DD HH:MM:SS.sssZ" string. */
function dateInput(obj: any, key: string): HTMLElement {
  const toLocal = (v: string) =>
    v
      ? v
          .replace(" ", "T")
          .replace(/(\.\d+)?Z$/, "")
          .slice(0, 19)
      : "";
  const el = h("input", { type: "datetime-local", step: "1", value: toLocal(obj[key] ?? "") }) as HTMLInputElement;
  el.addEventListener("input", () => {
    obj[key] = el.value ? el.value.replace("T", " ") + (el.value.length === 16 ? ":00" : "") + ".000Z" : "";
  });
  const clear = h(
    "button.icon-btn.sm",
    { type: "button", "aria-label": "Clear date", onclick: () => ((el.value = ""), (obj[key] = "")) },
    icon("x"),
  );
  return h("div.input-group", null, el, h("span.addon", null, "UTC"), clear);
}

/** A JSON textarea with live validation. */
export function jsonEditor(obj: any, key: string): HTMLElement {
  const v = obj[key];
  const ta = h("textarea.mono.code", { rows: 6, spellcheck: "false" }) as HTMLTextAreaElement;
  ta.value = typeof v === "string" ? v : v === null || v === undefined ? "" : JSON.stringify(v, null, 2);
  obj[key] = ta.value;
  const status = h("div.help");
  const check = () => {
    obj[key] = ta.value;
    if (!ta.value.trim()) return status.replaceChildren("Empty (null).");
    try {
      JSON.parse(ta.value);
      status.replaceChildren(h("span.ok-text", null, "Valid JSON"));
      ta.removeAttribute("aria-invalid");
    } catch (err) {
      status.replaceChildren(h("span.error-text", null, (err as Error).message));
      ta.setAttribute("aria-invalid", "true");
    }
  };
  ta.addEventListener("input", check);
  ta.addEventListener("keydown", (ev) => {
    if (ev.key === "Tab" && !ev.shiftKey && !ev.ctrlKey) {
      // two-space indent instead of leaving the editor; Esc then Tab still moves focus out
      if ((ta as any)._escaped) return;
      ev.preventDefault();
      const s = ta.selectionStart;
      ta.setRangeText("  ", s, ta.selectionEnd, "end");
      check();
    }
    (ta as any)._escaped = ev.key === "Escape";
  });
  const fmt = h(
    "button.link.sm",
    {
      type: "button",
      onclick: () => {
        try {
          ta.value = JSON.stringify(JSON.parse(ta.value), null, 2);
          check();
        } catch {
          /* keep */
        }
      },
    },
    "Format",
  );
  check();
  return h("div.json-editor", null, ta, h("div.form-row.between", null, status, fmt));
}

export function fileSizeText(n: number): string {
  return fmtBytes(n);
}
