/**
 * Autocomplete for filter/rule inputs: completes the identifier before the caret from a list of
 * suggestions (fields, `@request.*`, `@collection.*`, macros). Arrow keys move, Enter/Tab accept,
 * Escape closes, Ctrl+Space opens.
 */
import type { CollectionModel } from "pocketbase";
import { collections } from "./app.ts";
import { h, nextId } from "./dom.ts";
import type { Field } from "../fields/types.ts";

export const MACROS = [
  "@now",
  "@second",
  "@minute",
  "@hour",
  "@weekday",
  "@day",
  "@month",
  "@year",
  "@yesterday",
  "@tomorrow",
  "@todayStart",
  "@todayEnd",
  "@monthStart",
  "@monthEnd",
  "@yearStart",
  "@yearEnd",
];

const MULTI = (f: Field) =>
  (f.type === "select" || f.type === "file" || f.type === "relation") && (f.maxSelect ?? 1) > 1;

function fieldKeys(fields: Field[], prefix: string, depth: number, out: string[], body = false): void {
  for (const f of fields) {
    if (!f.name) continue;
    const k = prefix + f.name;
    out.push(k);
    if (body) out.push(k + ":isset", k + ":changed");
    if (MULTI(f)) out.push(k + ":length", k + ":each");
    if (f.type === "text" || f.type === "email" || f.type === "editor" || f.type === "url") out.push(k + ":lower");
    if (f.type === "relation" && depth > 0) {
      const target = collections.get().find((c) => c.id === f.collectionId);
      if (target) fieldKeys(target.fields as Field[], k + ".", depth - 1, out);
    }
  }
}

/** Identifiers usable in the rules/filters of `collection` (its fields may be an unsaved draft). */
export function ruleSuggestions(
  collection: { name?: string; fields?: Field[]; id?: string; type?: string },
  opts: { request?: boolean } = { request: true },
): string[] {
  const out: string[] = [];
  const fields = (collection.fields ?? []) as Field[];
  fieldKeys(fields, "", 1, out);
  // back relations: other collections pointing at this one
  for (const c of collections.get()) {
    for (const f of c.fields as Field[]) {
      if (f.type === "relation" && collection.id && f.collectionId === collection.id)
        out.push(`${c.name}_via_${f.name}`);
    }
  }
  if (opts.request !== false) {
    out.push(
      "@request.context",
      "@request.method",
      "@request.headers.",
      "@request.query.",
      "@request.auth.id",
      "@request.auth.collectionId",
      "@request.auth.collectionName",
    );
    const authFields = new Set<string>();
    for (const c of collections.get())
      if (c.type === "auth")
        for (const f of c.fields as Field[]) if (f.name !== "password" && f.name !== "tokenKey") authFields.add(f.name);
    for (const n of authFields) if (n !== "id") out.push("@request.auth." + n);
    fieldKeys(fields, "@request.body.", 0, out, true);
    for (const c of collections.get()) {
      out.push(`@collection.${c.name}.`);
      for (const f of c.fields as Field[]) out.push(`@collection.${c.name}.${f.name}`);
    }
  }
  out.push(...MACROS, "geoDistance(", "strftime(");
  return [...new Set(out)];
}

/** Suggestions for a records filter of a stored collection. */
export function filterSuggestions(c: CollectionModel): string[] {
  return ruleSuggestions(c as any, { request: false });
}

const TOKEN = /[\w@.:]*$/;

/** Attaches an autocomplete list to a textarea/input. */
export function attachAutocomplete(el: HTMLInputElement | HTMLTextAreaElement, source: () => string[]): void {
  const listId = nextId("ac");
  const list = h("ul.ac-list", { id: listId, role: "listbox", hidden: true });
  let items: string[] = [];
  let active = 0;
  el.setAttribute("role", "combobox");
  el.setAttribute("aria-autocomplete", "list");
  el.setAttribute("aria-controls", listId);
  el.setAttribute("aria-expanded", "false");
  el.setAttribute("autocomplete", "off");
  el.setAttribute("spellcheck", "false");
  const wrap = h("div.ac-wrap");
  el.replaceWith(wrap);
  wrap.append(el, list);

  const token = () => TOKEN.exec(el.value.slice(0, el.selectionStart ?? el.value.length))?.[0] ?? "";
  const close = () => {
    list.hidden = true;
    items = [];
    el.setAttribute("aria-expanded", "false");
    el.removeAttribute("aria-activedescendant");
  };
  const paint = () => {
    list.replaceChildren(
      ...items.map((s, i) =>
        h(
          "li.ac-item",
          {
            id: `${listId}-${i}`,
            role: "option",
            "aria-selected": String(i === active),
            onmousedown: (ev: Event) => {
              ev.preventDefault();
              accept(i);
            },
          },
          s,
        ),
      ),
    );
    el.setAttribute("aria-activedescendant", `${listId}-${active}`);
    list.children[active]?.scrollIntoView({ block: "nearest" });
  };
  const open = (force = false) => {
    const t = token();
    if (!t && !force) return close();
    const lower = t.toLowerCase();
    const all = source();
    const starts = all.filter((s) => s.toLowerCase().startsWith(lower) && s !== t);
    const contains =
      lower.length > 1 ? all.filter((s) => !s.toLowerCase().startsWith(lower) && s.toLowerCase().includes(lower)) : [];
    items = [...starts, ...contains].slice(0, 40);
    if (!items.length) return close();
    active = 0;
    list.hidden = false;
    el.setAttribute("aria-expanded", "true");
    paint();
  };
  const accept = (i: number) => {
    const s = items[i];
    if (s === undefined) return;
    const caret = el.selectionStart ?? el.value.length;
    const t = token();
    el.setRangeText(s, caret - t.length, caret, "end");
    el.dispatchEvent(new Event("input", { bubbles: true }));
    close();
    if (s.endsWith(".")) open();
    el.focus();
  };
  el.addEventListener("input", () => open());
  el.addEventListener("blur", () => setTimeout(close, 100));
  el.addEventListener("keydown", (ev: Event) => {
    const e = ev as KeyboardEvent;
    if (e.key === " " && e.ctrlKey) {
      e.preventDefault();
      open(true);
      return;
    }
    if (list.hidden) return;
    if (e.key === "ArrowDown") active = (active + 1) % items.length;
    else if (e.key === "ArrowUp") active = (active - 1 + items.length) % items.length;
    else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      e.stopPropagation();
      accept(active);
      return;
    } else if (e.key === "Escape") {
      e.stopPropagation();
      e.preventDefault();
      close();
      return;
    } else return;
    e.preventDefault();
    paint();
  });
}
