/** Light/dark theme: follows the system until the user picks one (kept in localStorage). */
import { store } from "./lib/app.ts";
import { h } from "./lib/dom.ts";
import { icon } from "./lib/icons.ts";

type Theme = "light" | "dark";
const media = matchMedia("(prefers-color-scheme: dark)");

export function currentTheme(): Theme {
  return store.get<Theme | null>("theme", null) ?? (media.matches ? "dark" : "light");
}

export function applyTheme(): void {
  document.documentElement.dataset.theme = currentTheme();
}
media.addEventListener("change", applyTheme);

export function themeButton(): HTMLElement {
  const btn = h("button.rail-btn", { type: "button", dataset: { testid: "theme-toggle" } });
  const paint = () => {
    const dark = currentTheme() === "dark";
    btn.replaceChildren(icon(dark ? "sun" : "moon"));
    btn.setAttribute("aria-label", dark ? "Switch to light theme" : "Switch to dark theme");
    btn.title = btn.getAttribute("aria-label")!;
  };
  btn.addEventListener("click", () => {
    store.set("theme", currentTheme() === "dark" ? "light" : "dark");
    applyTheme();
    paint();
  });
  paint();
  return btn;
}
