/**
 * The "editor" field's input: a Quill rich-text editor (upstream uses TinyMCE) that stores HTML in
 * the field, with an "HTML source" switch for what the toolbar cannot do. Quill is loaded on first
 * use (its own chunk), so the dashboard's start does not pay for it.
 *
 * Stored HTML is never put into the page as is: Quill parses it in a detached document
 * (DOMParser, no scripts or handlers run) into its own model, which keeps only the formats it
 * knows and sanitizes link and image URLs.
 */
import type Quill from "quill";
import { h } from "../lib/dom.ts";
import type { Field, InputCtx } from "./types.ts";

let quillModule: Promise<typeof import("quill")> | undefined;
const loadQuill = () => (quillModule ??= import("quill"));

const TOOLBAR = [
  [{ header: [1, 2, 3, false] }],
  ["bold", "italic", "underline", "strike"],
  [{ list: "ordered" }, { list: "bullet" }, "blockquote"],
  ["link", "image", "code", "code-block"],
  ["clean"],
];

const TITLES: [string, string][] = [
  [".ql-header", "Heading"],
  [".ql-bold", "Bold (Ctrl+B)"],
  [".ql-italic", "Italic (Ctrl+I)"],
  [".ql-underline", "Underline (Ctrl+U)"],
  [".ql-strike", "Strikethrough"],
  ['.ql-list[value="ordered"]', "Numbered list"],
  ['.ql-list[value="bullet"]', "Bulleted list"],
  [".ql-blockquote", "Quote"],
  [".ql-link", "Link"],
  [".ql-image", "Image by URL"],
  [".ql-code", "Inline code"],
  [".ql-code-block", "Code block"],
  [".ql-clean", "Clear formatting"],
];
const CODE_BLOCK_ICON =
  '<svg viewBox="0 0 18 18"><rect class="ql-stroke" x="2" y="3" width="14" height="12" rx="1.5" fill="none"/>' +
  '<polyline class="ql-stroke" points="7 7 5 9 7 11" fill="none"/><polyline class="ql-stroke" points="11 7 13 9 11 11" fill="none"/></svg>';

/**
 * Quill's semantic HTML writes every space as &nbsp; (it only ever escapes real U+00A0 as the
 * character, so the entity is always its own): keep plain spaces, and &nbsp; only where a run of
 * spaces would otherwise collapse.
 */
export function tidyQuillHtml(html: string): string {
  const out = html.replace(/(?:&nbsp;)+/g, (run) => "&nbsp;".repeat(run.length / 6 - 1) + " ");
  return out === "<p></p>" || out === "<p><br></p>" ? "" : out;
}

export function editorInput(f: Field, ctx: InputCtx): HTMLElement {
  const host = h("div.rich-editor-body");
  const source = h("textarea.mono.code", {
    rows: 8,
    hidden: true,
    spellcheck: "false",
    "aria-label": `${f.name} HTML source`,
  }) as HTMLTextAreaElement;
  const urlIn = h("input", {
    type: "url",
    placeholder: "https://example.com/image.png",
    "aria-label": "Image URL",
  }) as HTMLInputElement;
  const imageRow = h(
    "div.rich-editor-image",
    { hidden: true },
    urlIn,
    h("button.btn.sm", { type: "button", onclick: () => insertImage() }, "Insert image"),
    h("button.btn.sm.ghost", { type: "button", onclick: () => (imageRow.hidden = true) }, "Cancel"),
  );
  const status = h("span.muted.sm", null, "Loading editor…");
  let quill: Quill | undefined;
  let imageAt = 0;

  const load = (html: string) => {
    if (!quill) return;
    quill.setContents(quill.clipboard.convert({ html }), "silent");
  };
  const insertImage = () => {
    const url = urlIn.value.trim();
    imageRow.hidden = true;
    if (!quill || !url) return;
    quill.insertEmbed(imageAt, "image", url, "user");
    quill.setSelection(imageAt + 1, 0, "user");
    urlIn.value = "";
  };
  urlIn.addEventListener("keydown", (e) => {
    if (e.key === "Enter") (e.preventDefault(), insertImage());
    if (e.key === "Escape") (e.preventDefault(), e.stopPropagation(), (imageRow.hidden = true));
  });

  const toggle = h(
    "button.link.sm",
    {
      type: "button",
      onclick: () => {
        const toSource = source.hidden;
        if (toSource) source.value = ctx.data[f.name] ?? "";
        else load(source.value);
        source.hidden = !toSource;
        host.parentElement!.hidden = toSource;
        toggle.textContent = toSource ? "Rich editor" : "HTML source";
      },
    },
    "HTML source",
  );
  source.addEventListener("input", () => (ctx.data[f.name] = source.value));

  const wrap = h(
    "div.rich-editor",
    { "data-testid": `editor-${f.name}` },
    h("div.rich-editor-frame", null, host),
    imageRow,
    source,
    h("div.form-row.between", null, status, toggle),
  );

  loadQuill().then(
    ({ default: QuillCtor }) => {
      // Quill draws inline code and code blocks with one icon: give the block its own
      const icons = QuillCtor.import("ui/icons") as Record<string, string>;
      icons["code-block"] = CODE_BLOCK_ICON;
      quill = new QuillCtor(host, {
        theme: "snow",
        modules: {
          toolbar: {
            container: TOOLBAR,
            handlers: {
              image: () => {
                imageAt = quill!.getSelection(true)?.index ?? quill!.getLength() - 1;
                imageRow.hidden = false;
                urlIn.focus();
              },
            },
          },
        },
      });
      for (const [sel, title] of TITLES) wrap.querySelector(`.ql-toolbar ${sel}`)?.setAttribute("title", title);
      // Quill's own "Enter link" tooltip: give its input a name for assistive tech and tests
      wrap.querySelector(".ql-tooltip input")?.setAttribute("aria-label", "Link URL");
      load(ctx.data[f.name] ?? "");
      // only user edits write back: loading alone must not mark the record as changed
      quill.on("text-change", (_d, _o, src) => {
        if (src === "user") ctx.data[f.name] = tidyQuillHtml(quill!.getSemanticHTML());
      });
      status.textContent = "";
    },
    (err) => {
      // the HTML source still edits the value without the rich editor
      status.textContent = "The rich editor failed to load: " + (err as Error).message;
      toggle.click();
    },
  );
  return wrap;
}
