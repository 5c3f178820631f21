/**
 * A tiny DOM toolkit: `h()` builds real elements, `live()` is a region that re-renders itself on
 * demand. No virtual DOM — pages keep their inputs stable and refresh only the parts that change.
 */

export type Child = Node | string | number | boolean | null | undefined | Child[];
type Handler<E extends Event = Event> = (ev: E) => void;
export interface Props {
  class?: string | (string | false | null | undefined)[];
  style?: string;
  dataset?: Record<string, string>;
  ref?: (el: any) => void;
  [key: string]: unknown;
}

/** Properties set as DOM properties rather than attributes. */
const PROPS = new Set([
  "value",
  "checked",
  "selected",
  "disabled",
  "indeterminate",
  "multiple",
  "readOnly",
  "innerHTML",
  "textContent",
  "hidden",
  "open",
]);

/**
 * `h("button.btn.primary", { onclick }, "Save")`: a tag with optional `.class` suffixes,
 * props (on* = listeners, known DOM properties set directly, the rest as attributes), children.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K | `${K}.${string}`,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function h(tag: string, props?: Props | null, ...children: Child[]): HTMLElement;
export function h(tag: string, props?: Props | null, ...children: Child[]): HTMLElement {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name || "div");
  if (classes.length) el.className = classes.join(" ");
  if (props) setProps(el, props);
  append(el, children);
  return el;
}

export function setProps(el: HTMLElement, props: Props): void {
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k === "class") {
      const extra = Array.isArray(v) ? v.filter(Boolean).join(" ") : String(v ?? "");
      if (extra) el.className = el.className ? el.className + " " + extra : extra;
    } else if (k === "style") el.setAttribute("style", String(v));
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "ref") (v as (e: HTMLElement) => void)(el);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    else if (PROPS.has(k)) (el as any)[k] = v;
    else if (v === false || v === null) el.removeAttribute(k);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
}

/** Replaces the children of `el` (null/false children are skipped). */
export function put(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}
/** Appends children to `el` (null/false children are skipped). */
export function add(el: Element, ...children: Child[]): void {
  append(el, children);
}

export function append(el: Node, children: Child[]): void {
  for (const c of children.flat(Infinity as 1) as Child[]) {
    if (c === null || c === undefined || c === false || c === true) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A region re-rendered by calling `.refresh()`; `render` returns its new children. */
export interface Live extends HTMLElement {
  refresh(): void;
}
export function live(render: () => Child, tag = "div", props?: Props): Live {
  const el = h(tag, props ?? { style: "display:contents" }) as Live;
  el.refresh = () => {
    const frag = document.createDocumentFragment();
    append(frag, [render()]);
    el.replaceChildren(frag);
  };
  el.refresh();
  return el;
}

/** A small observable value: `v.get()`, `v.set(x)`, `v.watch(fn)` (returns an unsubscribe). */
export class Signal<T> {
  private subs = new Set<(v: T) => void>();
  constructor(private value: T) {}
  get(): T {
    return this.value;
  }
  set(v: T): void {
    this.value = v;
    for (const s of [...this.subs]) s(v);
  }
  watch(fn: (v: T) => void): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }
}

/** Runs cleanup functions when `el` leaves the document (checked lazily on route changes). */
const cleanups = new Map<Element, (() => void)[]>();
export function onUnmount(el: Element, fn: () => void): void {
  const list = cleanups.get(el) ?? [];
  list.push(fn);
  cleanups.set(el, list);
}
export function runUnmounts(): void {
  for (const [el, fns] of cleanups) {
    if (!el.isConnected) {
      cleanups.delete(el);
      for (const f of fns) f();
    }
  }
}

/** Debounces calls by `ms`. */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let t: ReturnType<typeof setTimeout> | undefined;
  return (...a: A) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

let uid = 0;
/** A document-unique id for label/aria wiring. */
export function nextId(prefix = "f"): string {
  return `${prefix}${++uid}`;
}

export function $(sel: string, root: ParentNode = document): HTMLElement | null {
  return root.querySelector(sel);
}
