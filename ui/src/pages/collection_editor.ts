/**
 * The collection editor drawer: name and type, fields with their options (or the view query with a
 * preview), indexes, API rules with autocomplete, and the auth options of auth collections.
 */
import type { CollectionModel } from "pocketbase";
import { collections, errorMessage, findCollection, isNotAvailable, loadCollections, pb } from "../lib/app.ts";
import { attachAutocomplete, ruleSuggestions } from "../lib/autocomplete.ts";
import { h, live, put, type Child } from "../lib/dom.ts";
import { clone, randomId, same } from "../lib/format.ts";
import { icon } from "../lib/icons.ts";
import {
  clearErrors,
  confirmDialog,
  copyText,
  field,
  flattenErrors,
  input,
  menuButton,
  openDialog,
  showErrors,
  tabs,
  textarea,
  toast,
  toggle,
  type DialogHandle,
} from "../lib/ui.ts";
import { FIELD_TYPES, TYPE_ORDER, type Field } from "../fields/types.ts";

type Draft = Record<string, any> & { name: string; type: string; fields: Field[]; indexes: string[] };

let scaffolds: Record<string, any> | null = null;
async function getScaffolds(): Promise<Record<string, any>> {
  if (!scaffolds) scaffolds = await pb.collections.getScaffolds({ requestKey: null });
  return scaffolds!;
}

/** New base/auth collections get `created`/`updated` autodate fields, like upstream's dashboard. */
function autodateFields(): Field[] {
  return [
    {
      id: "",
      name: "created",
      type: "autodate",
      system: false,
      hidden: false,
      presentable: false,
      onCreate: true,
      onUpdate: false,
    },
    {
      id: "",
      name: "updated",
      type: "autodate",
      system: false,
      hidden: false,
      presentable: false,
      onCreate: true,
      onUpdate: true,
    },
  ];
}

/**
 * Opens the editor for an existing collection, a new one (`type`), or a copy (`duplicateOf`).
 * Resolves with the saved collection (or null when closed without saving).
 */
export async function openCollectionEditor(
  opts: { collection?: CollectionModel; type?: string; duplicateOf?: CollectionModel; tab?: string } = {},
): Promise<CollectionModel | null> {
  let draft: Draft;
  const original = opts.collection ? (clone(opts.collection) as Draft) : null;
  if (original) draft = clone(original);
  else if (opts.duplicateOf) {
    draft = clone(opts.duplicateOf) as Draft;
    draft.id = "";
    draft.name = opts.duplicateOf.name + "_duplicate";
    draft.system = false;
    draft.created = draft.updated = undefined;
    for (const f of draft.fields) if (!f.system) f.id = "";
    draft.indexes = draft.indexes.map((ix) =>
      ix.replace(/INDEX\s+`?(\w+)`?/i, (_m, n) => `INDEX \`${n}_${randomId(5)}\``),
    );
  } else {
    const sc = await getScaffolds();
    draft = clone(sc[opts.type ?? "base"]) as Draft;
    if (draft.type !== "view") draft.fields.push(...autodateFields());
  }
  const isNew = !original;
  const initial = clone(draft);
  const oldName = original?.name ?? "";

  return new Promise((resolve) => {
    let saved: CollectionModel | null = null;
    let dialog: DialogHandle;
    const form = h("form.collection-form", { novalidate: true, onsubmit: (e: Event) => (e.preventDefault(), save()) });

    let tabset: ReturnType<typeof tabs>;
    const build = () => {
      // ---- header: name + type ----
      const nameInput = input(draft, "name", {
        required: true,
        autofocus: isNew,
        placeholder: 'eg. "posts"',
        spellcheck: "false",
        autocomplete: "off",
        disabled: !!draft.system,
        "data-testid": "collection-name",
      });
      nameInput.addEventListener("input", () => {
        nameInput.value = nameInput.value.replace(/\s+/g, "_");
        draft.name = nameInput.value;
      });
      const typeBadge = isNew
        ? menuButton(
            h(
              "button.btn.sm.ghost",
              { type: "button", "data-testid": "collection-type" },
              typeLabel(draft.type),
              icon("down"),
            ),
            () =>
              ["base", "auth", "view"].map((t) => ({
                label: typeLabel(t),
                onSelect: async () => {
                  if (t === draft.type) return;
                  const sc = await getScaffolds();
                  const next = clone(sc[t]) as Draft;
                  // keep the user's custom fields when switching between base and auth
                  const custom = draft.fields.filter((f) => !f.system);
                  next.name = draft.name;
                  if (t !== "view") next.fields.push(...(custom.length ? custom : autodateFields()));
                  for (const k of Object.keys(draft)) delete draft[k];
                  Object.assign(draft, next);
                  build();
                },
              })),
          )
        : h("span.badge", null, typeLabel(draft.type));
      const head = h(
        "div.collection-head",
        null,
        field("Name", nameInput, { err: "name", required: true }),
        h("div.field", null, h("span.label", null, "Type"), typeBadge),
      );

      // ---- tabs ----
      const tabList = [
        draft.type === "view"
          ? { id: "query", label: "Query", render: () => viewQueryTab(draft) }
          : { id: "fields", label: "Fields", render: () => fieldsTab(draft) },
        { id: "rules", label: "API rules", render: () => rulesTab(draft) },
        ...(draft.type === "auth" ? [{ id: "options", label: "Options", render: () => authOptionsTab(draft) }] : []),
      ];
      tabset = tabs(tabList, opts.tab && tabList.some((t) => t.id === opts.tab) ? opts.tab : tabList[0]!.id);
      form.replaceChildren(head, tabset);
    };
    build();

    const saveBtn = h(
      "button.btn.primary",
      { type: "button", onclick: () => save(), "data-testid": "collection-save" },
      isNew ? "Create" : "Save changes",
    );
    const more = !isNew
      ? menuButton(
          h("button.icon-btn", { type: "button", "aria-label": "More collection actions" }, icon("dots")),
          () => [
            { label: "Copy raw JSON", icon: "copy", onSelect: () => copyText(JSON.stringify(original, null, 2)) },
            {
              label: "Duplicate",
              icon: "duplicate",
              onSelect: async () => {
                dialog.close();
                resolve(await openCollectionEditor({ duplicateOf: original as unknown as CollectionModel }));
              },
            },
            ...(draft.type !== "view"
              ? [{ label: "Delete all records", icon: "trash", danger: true, onSelect: () => truncate() }]
              : []),
            ...(!draft.system
              ? ["sep" as const, { label: "Delete collection", icon: "trash", danger: true, onSelect: () => remove() }]
              : []),
          ],
          { align: "left", class: "up" },
        )
      : null;

    dialog = openDialog({
      title: isNew
        ? opts.duplicateOf
          ? `Duplicate ${opts.duplicateOf.name}`
          : "New collection"
        : h("span", null, "Edit collection ", h("strong", null, original!.name)),
      kind: "drawer",
      size: "lg",
      body: form,
      footer: [
        more,
        h("div.spacer"),
        h("button.btn.ghost", { type: "button", onclick: () => dialog.close() }, "Cancel"),
        saveBtn,
      ],
      beforeClose: async () =>
        saved !== null ||
        same(draft, initial) ||
        (await confirmDialog("You have unsaved changes. Close without saving?", { yes: "Discard changes" })),
      onClose: () => resolve(saved),
    });
    form.addEventListener("keydown", (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") {
        ev.preventDefault();
        save();
      }
    });

    async function save() {
      if (saveBtn.classList.contains("busy")) return;
      const payload = clone(draft);
      // keep index table names in step with the collection name
      payload.indexes = (payload.indexes ?? []).map((ix: string) =>
        ix.replace(/\bON\s+`[^`]*`/i, "ON `" + payload.name + "`"),
      );
      for (const f of payload.fields) if (!f.id) delete (f as any).id;
      if (payload.type === "view") delete (payload as Partial<Draft>).fields;
      if (!isNew) {
        const removed = (original!.fields ?? []).filter((f) => !draft.fields.some((d) => d.id === f.id));
        const renamed = oldName !== payload.name;
        if ((removed.length && draft.type !== "view") || renamed) {
          const ok = await confirmDialog(
            h(
              "div",
              null,
              renamed
                ? h(
                    "p",
                    null,
                    "Rename the collection from ",
                    h("strong", null, oldName),
                    " to ",
                    h("strong", null, payload.name),
                    ". Update any client code that uses the old name.",
                  )
                : null,
              removed.length
                ? h(
                    "p",
                    null,
                    "These fields and all their data will be deleted: ",
                    h("strong", null, removed.map((f) => f.name).join(", ")),
                    ".",
                  )
                : null,
            ),
            { yes: "Save anyway", title: "Confirm changes" },
          );
          if (!ok) return;
        }
      }
      saveBtn.classList.add("busy");
      clearErrors(form);
      try {
        const res = isNew ? await pb.collections.create(payload) : await pb.collections.update(original!.id, payload);
        saved = res;
        await loadCollections();
        toast(isNew ? `Created collection ${res.name}.` : `Saved collection ${res.name}.`);
        dialog.close();
      } catch (err) {
        const data = (err as any)?.response?.data ?? {};
        const unmatched = showErrors(form, data);
        const paths = flattenErrors(data).map(([p]) => p);
        tabset.markErrors([
          ...(paths.some((p) => p.startsWith("fields") || p.startsWith("indexes")) ? ["fields"] : []),
          ...(paths.some((p) => p.startsWith("viewQuery")) ? ["query"] : []),
          ...(paths.some((p) => /Rule$/.test(p)) ? ["rules"] : []),
          ...(paths.some((p) =>
            /^(passwordAuth|oauth2|otp|mfa|authAlert|authToken|passwordResetToken|emailChangeToken|verificationToken|fileToken|verificationTemplate|resetPasswordTemplate|confirmEmailChangeTemplate)/.test(
              p,
            ),
          )
            ? ["options"]
            : []),
        ]);
        const msg = unmatched.length ? unmatched.map(([p, m]) => `${p}: ${m}`).join("\n") : "";
        toast(errorMessage(err) + (msg ? "\n" + msg : ""), "error", 8000);
      } finally {
        saveBtn.classList.remove("busy");
      }
    }

    async function truncate() {
      const ok = await confirmDialog(
        h(
          "p",
          null,
          "Delete ",
          h("strong", null, "all records"),
          " of ",
          h("strong", null, original!.name),
          " (and their files)? This cannot be undone.",
        ),
        { yes: "Delete all records" },
      );
      if (!ok) return;
      try {
        await pb.collections.truncate(original!.id);
        toast(`Deleted all records of ${original!.name}.`);
        saved = original as unknown as CollectionModel;
        dialog.close();
      } catch (err) {
        toast(errorMessage(err), "error");
      }
    }
    async function remove() {
      const ok = await confirmDialog(
        h(
          "p",
          null,
          "Delete the collection ",
          h("strong", null, original!.name),
          " with all its records and files? This cannot be undone.",
        ),
        { yes: "Delete collection" },
      );
      if (!ok) return;
      try {
        await pb.collections.delete(original!.id);
        await loadCollections();
        toast(`Deleted collection ${original!.name}.`);
        saved = { ...(original as any), deleted: true };
        dialog.close();
      } catch (err) {
        toast(errorMessage(err), "error", 8000);
      }
    }
  });
}

function typeLabel(t: string): string {
  return t === "auth" ? "Auth collection" : t === "view" ? "View collection" : "Base collection";
}

// ---------------- fields ----------------
function fieldsTab(draft: Draft): HTMLElement {
  const list = live(() => draft.fields.map((f, i) => fieldCard(draft, f, i, () => list.refresh())), "div", {
    class: "field-list",
  });
  const addMenu = menuButton(
    h("button.btn.block.dashed", { type: "button", "data-testid": "add-field" }, icon("plus"), "New field"),
    () =>
      TYPE_ORDER.map((t) => ({
        label: FIELD_TYPES[t]!.label,
        icon: FIELD_TYPES[t]!.icon,
        onSelect: () => {
          const ft = FIELD_TYPES[t]!;
          let n = 1;
          let name = "field";
          while (draft.fields.some((f) => f.name === name)) name = "field" + ++n;
          const f: Field = {
            id: "",
            name,
            type: t,
            system: false,
            hidden: false,
            presentable: false,
            required: false,
            help: "",
            ...ft.defaults(),
            _open: true,
          } as Field;
          // keep autodate fields last, like a fresh collection
          const firstAuto = draft.fields.findIndex((x) => x.type === "autodate" && !x.system && t !== "autodate");
          if (firstAuto >= 0) draft.fields.splice(firstAuto, 0, f);
          else draft.fields.push(f);
          list.refresh();
          const idx = draft.fields.indexOf(f);
          const nameEl = list.querySelectorAll<HTMLInputElement>(".field-name")[idx];
          nameEl?.focus();
          nameEl?.select();
        },
      })),
    { class: "grid-menu", wrapClass: "block" },
  );
  return h("div", null, list, addMenu, indexesSection(draft));
}

/** Which field cards have their options open (kept across re-renders of the list). */
const openFields = new WeakSet<Field>();

function fieldCard(draft: Draft, f: Field, i: number, refresh: () => void): HTMLElement {
  const ft = FIELD_TYPES[f.type];
  const err = `fields.${i}`;
  const nameEl = h("input.field-name", {
    value: f.name,
    disabled: f.system,
    "aria-label": "Field name",
    spellcheck: "false",
    autocomplete: "off",
    "data-testid": "field-name",
  }) as HTMLInputElement;
  nameEl.addEventListener("input", () => {
    nameEl.value = nameEl.value.replace(/\s+/g, "_");
    f.name = nameEl.value;
  });
  if ((f as any)._open) openFields.add(f);
  delete (f as any)._open;
  let open = openFields.has(f);
  const body = h("div.field-options", { hidden: !open });
  const renderBody = () => {
    put(
      body,
      ft?.settings ? h("div", null, ft.settings(f, err)) : null,
      h(
        "div.field-common",
        null,
        ft?.requirable ? toggle(f, "required", "Nonempty", undefined, { "data-err": `${err}.required` }) : null,
        toggle(f, "hidden", "Hidden", (v) => {
          if (v) f.presentable = false;
          renderBody();
        }),
        toggle(f, "presentable", "Presentable", undefined, {
          disabled: f.hidden,
          title: "Shown when this record is displayed in a relation",
        }),
      ),
      field("Help text", input(f, "help", { placeholder: "Optional hint shown in the record form" }), {
        err: `${err}.help`,
      }),
    );
  };
  renderBody();
  const optsBtn = h(
    "button.icon-btn",
    {
      type: "button",
      "aria-label": `Options of ${f.name || "field"}`,
      "aria-expanded": String(open),
      onclick: () => {
        open = !open;
        if (open) openFields.add(f);
        else openFields.delete(f);
        body.hidden = !open;
        optsBtn.setAttribute("aria-expanded", String(open));
        card.classList.toggle("open", open);
      },
    },
    icon("gear"),
  );
  const move = (d: number) => {
    const j = i + d;
    if (j < 0 || j >= draft.fields.length) return;
    [draft.fields[i], draft.fields[j]] = [draft.fields[j]!, draft.fields[i]!];
    refresh();
  };
  const actions = menuButton(
    h("button.icon-btn", { type: "button", "aria-label": `More actions for ${f.name || "field"}` }, icon("dots")),
    () => [
      { label: "Move up", icon: "up", onSelect: () => move(-1) },
      { label: "Move down", icon: "down", onSelect: () => move(1) },
      ...(f.system
        ? []
        : [
            {
              label: "Duplicate",
              icon: "duplicate",
              onSelect: () => {
                const copy = { ...clone(f), id: "", name: f.name + "_copy", _open: true };
                draft.fields.splice(i + 1, 0, copy as Field);
                refresh();
              },
            },
            "sep" as const,
            {
              label: "Delete",
              icon: "trash",
              danger: true,
              onSelect: () => {
                draft.fields.splice(i, 1);
                refresh();
              },
            },
          ]),
    ],
    { align: "right" },
  );
  const card = h(
    "div.field-card",
    { class: [open ? "open" : "", f.system ? "system" : ""], dataset: { err, type: f.type } },
    h(
      "div.field-head",
      null,
      h("span.field-type", { title: ft?.label ?? f.type }, icon(ft?.icon ?? "dots")),
      h("div.field-name-wrap", { dataset: { err: `${err}.name` } }, nameEl),
      h(
        "span.field-tags",
        null,
        h("span.tag", null, ft?.label ?? f.type),
        f.system ? h("span.tag", null, "System") : null,
        f.required ? h("span.tag.warn", null, "Nonempty") : null,
        f.hidden ? h("span.tag", null, "Hidden") : null,
      ),
      optsBtn,
      actions,
    ),
    body,
  );
  return card;
}

// ---------------- indexes ----------------
function indexesSection(draft: Draft): HTMLElement {
  const list = live(() =>
    h(
      "div.index-list",
      null,
      draft.indexes.length ? null : h("span.muted", null, "No indexes."),
      draft.indexes.map((ix, i) => {
        const p = parseIndex(ix);
        return h(
          "button.chip.index-chip",
          { type: "button", dataset: { err: `indexes.${i}` }, title: ix, onclick: () => editIndex(i) },
          p.unique ? h("strong", null, "Unique: ") : null,
          p.columns.join(", ") || ix,
        );
      }),
      h(
        "button.btn.sm.ghost",
        { type: "button", onclick: () => editIndex(-1), "data-testid": "add-index" },
        icon("plus"),
        "New index",
      ),
    ),
  );
  const editIndex = (i: number) => {
    const table = draft.name || "table";
    const current =
      i >= 0
        ? draft.indexes[i]!
        : `CREATE INDEX \`idx_${(draft.name || "c").replace(/\W/g, "")}_${randomId(6)}\` ON \`${table}\` ()`;
    const state = { sql: current };
    const ta = textarea(state, "sql", { rows: 4, class: "mono", spellcheck: "false", "aria-label": "Index SQL" });
    const sync = () => {
      const p = parseIndex(state.sql);
      uniq.checked = p.unique;
      cols
        .querySelectorAll<HTMLButtonElement>("button")
        .forEach((b) => b.setAttribute("aria-pressed", String(p.columns.includes(b.dataset.col!))));
    };
    const uniq = h("input", { type: "checkbox", id: "ix-unique" }) as HTMLInputElement;
    uniq.addEventListener("change", () => {
      state.sql = state.sql.replace(
        /^CREATE\s+(UNIQUE\s+)?INDEX/i,
        uniq.checked ? "CREATE UNIQUE INDEX" : "CREATE INDEX",
      );
      ta.value = state.sql;
    });
    const cols = h(
      "div.chip-toggles",
      null,
      draft.fields
        .filter((f) => f.name)
        .map((f) =>
          h(
            "button.chip-toggle",
            {
              type: "button",
              dataset: { col: f.name },
              onclick: () => {
                const p = parseIndex(state.sql);
                const next = p.columns.includes(f.name)
                  ? p.columns.filter((c) => c !== f.name)
                  : [...p.columns, f.name];
                state.sql = state.sql.replace(
                  /\(([^)]*)\)\s*(WHERE.*)?$/is,
                  (_m, _c, where) => `(${next.map((c) => "`" + c + "`").join(", ")})${where ? " " + where : ""}`,
                );
                ta.value = state.sql;
                sync();
              },
            },
            f.name,
          ),
        ),
    );
    ta.addEventListener("input", sync);
    const d = openDialog({
      title: i >= 0 ? "Edit index" : "New index",
      size: "md",
      body: h(
        "div.stack",
        null,
        h("div.toggle-field", null, uniq, h("label", { for: "ix-unique" }, "Unique")),
        field("Columns", cols),
        field("SQL", ta),
      ),
      footer: [
        i >= 0
          ? h(
              "button.btn.danger.ghost",
              { type: "button", onclick: () => (draft.indexes.splice(i, 1), list.refresh(), d.close()) },
              "Remove",
            )
          : null,
        h("div.spacer"),
        h("button.btn.ghost", { type: "button", onclick: () => d.close() }, "Cancel"),
        h(
          "button.btn.primary",
          {
            type: "button",
            onclick: () => {
              if (!parseIndex(state.sql).columns.length) return toast("Pick at least one column.", "error");
              if (i >= 0) draft.indexes[i] = state.sql;
              else draft.indexes.push(state.sql);
              list.refresh();
              d.close();
            },
          },
          "Set index",
        ),
      ],
    });
    sync();
  };
  return h("section.subsection", null, h("h3", null, "Indexes"), list);
}

function parseIndex(sql: string): { unique: boolean; columns: string[] } {
  const unique = /^\s*CREATE\s+UNIQUE/i.test(sql);
  const m = /\(([^)]*)\)/.exec(sql);
  const columns = m
    ? m[1]!
        .split(",")
        .map((c) =>
          c
            .trim()
            .replace(/[`"[\]]/g, "")
            .replace(/\s+(ASC|DESC|COLLATE.*)$/i, ""),
        )
        .filter(Boolean)
    : [];
  return { unique, columns };
}

// ---------------- view query ----------------
function viewQueryTab(draft: Draft): HTMLElement {
  const ta = textarea(draft, "viewQuery", {
    rows: 8,
    class: "mono code",
    spellcheck: "false",
    placeholder: "SELECT id, title, created FROM posts WHERE published = true",
    "data-testid": "view-query",
  });
  const out = h("div.view-preview");
  const run = async () => {
    out.replaceChildren(h("div.loader"));
    try {
      const res: any = await pb.send("/api/collections/meta/dry-run-view", {
        method: "POST",
        body: { query: draft.viewQuery ?? "" },
        requestKey: null,
      });
      const fields: Field[] = res.fields ?? [];
      const sample: any[] = res.sample ?? (Array.isArray(res) ? res : []);
      out.replaceChildren(
        h("h4", null, "Resulting fields"),
        h(
          "div.chips",
          null,
          fields.map((f) =>
            h(
              "span.chip",
              null,
              icon(FIELD_TYPES[f.type]?.icon ?? "dots"),
              f.name,
              h("span.muted", null, " " + (FIELD_TYPES[f.type]?.label ?? f.type)),
            ),
          ),
        ),
        h("h4", null, `Sample rows (${sample.length})`),
        sample.length
          ? h(
              "div.table-wrap",
              null,
              h(
                "table.table.compact",
                null,
                h(
                  "thead",
                  null,
                  h(
                    "tr",
                    null,
                    fields.map((f) => h("th", null, f.name)),
                  ),
                ),
                h(
                  "tbody",
                  null,
                  sample.map((row) =>
                    h(
                      "tr",
                      null,
                      fields.map((f) => h("td", null, fmtCell(row[f.name]))),
                    ),
                  ),
                ),
              ),
            )
          : h("p.muted", null, "The query returned no rows."),
      );
    } catch (err) {
      if (isNotAvailable(err))
        out.replaceChildren(h("p.muted", null, "Query preview is not available in this server yet."));
      else
        out.replaceChildren(
          h(
            "pre.error-box",
            null,
            errorMessage(err) +
              flattenErrors((err as any)?.response?.data ?? {})
                .map(([p, m]) => `\n${p}: ${m}`)
                .join(""),
          ),
        );
    }
  };
  ta.addEventListener("keydown", (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") {
      ev.preventDefault();
      run();
    }
  });
  return h(
    "div.stack",
    null,
    field("Select query", ta, {
      err: "viewQuery",
      help: "A single SELECT statement. Each column becomes a field; include an id column. Ctrl+Enter previews.",
    }),
    h(
      "div",
      null,
      h("button.btn.sm", { type: "button", onclick: run, "data-testid": "view-preview" }, icon("play"), "Preview"),
    ),
    out,
  );
}
function fmtCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

// ---------------- rules ----------------
const RULES: [string, string, string][] = [
  ["listRule", "List/Search rule", "Who can list and search records."],
  ["viewRule", "View rule", "Who can view a single record."],
  ["createRule", "Create rule", "Who can create records."],
  ["updateRule", "Update rule", "Who can update records."],
  ["deleteRule", "Delete rule", "Who can delete records."],
];

function rulesTab(draft: Draft): HTMLElement {
  const list: [string, string, string][] = draft.type === "view" ? RULES.slice(0, 2) : [...RULES];
  if (draft.type === "auth") {
    list.push([
      "authRule",
      "Authentication rule",
      "Extra check after a successful authentication (e.g. verified = true). Empty = any account of this collection may log in.",
    ]);
    list.push([
      "manageRule",
      "Manage rule",
      "Who can manage other accounts of this collection (change their email, password, ...) without their old password.",
    ]);
  }
  return h(
    "div.stack",
    null,
    h(
      "p.muted",
      null,
      "Leave a rule empty to allow everyone; lock it to allow superusers only. Use fields, ",
      h("code", null, "@request.*"),
      ", ",
      h("code", null, "@collection.*"),
      " and macros such as ",
      h("code", null, "@now"),
      " — suggestions appear as you type (Ctrl+Space).",
    ),
    list.map(([key, label, help]) => ruleField(draft, key, label, help)),
  );
}

export function ruleField(draft: Draft, key: string, label: string, help: string): HTMLElement {
  let lastRule = draft[key] ?? "";
  const wrap = h("div.rule", { dataset: { err: key, rule: key } });
  const render = () => {
    const locked = draft[key] === null || draft[key] === undefined;
    const lockBtn = h(
      "button.btn.sm.ghost",
      {
        type: "button",
        "aria-pressed": String(locked),
        "data-testid": `${key}-lock`,
        onclick: () => {
          if (locked) draft[key] = lastRule;
          else {
            lastRule = draft[key];
            draft[key] = null;
          }
          render();
          if (!locked) return;
          wrap.querySelector<HTMLElement>("textarea")?.focus();
        },
      },
      icon(locked ? "unlock" : "lock"),
      locked ? "Unlock and set a rule" : "Set superusers only",
    );
    let box: HTMLElement;
    if (locked) box = h("div.rule-locked", null, icon("lock"), "Superusers only");
    else {
      const ta = h("textarea.mono.rule-input", {
        rows: 1,
        "aria-label": label,
        placeholder: 'Empty = everyone (public). Example: @request.auth.id != ""',
        "data-testid": `${key}-input`,
      }) as HTMLTextAreaElement;
      ta.value = draft[key] ?? "";
      ta.addEventListener("input", () => {
        const wasPublic = draft[key] === "";
        draft[key] = ta.value;
        autoGrow(ta);
        // the "Public" tag follows the text as it is typed, not only after a save and reopen
        if (wasPublic !== (ta.value === "")) publicTag();
      });
      queueMicrotask(() => autoGrow(ta));
      box = h("div.rule-box", null, ta);
      attachAutocomplete(ta, () => ruleSuggestions(draft));
    }
    const labelEl = h("label.label", null, label);
    const publicTag = () => {
      labelEl.querySelector(".tag")?.remove();
      if (draft[key] === "") labelEl.append(h("span.tag.warn", { "data-testid": `${key}-public` }, "Public"));
    };
    publicTag();
    wrap.replaceChildren(h("div.rule-head", null, labelEl, lockBtn), box, h("div.help", null, help));
    // the label targets the textarea when unlocked
    const ta = wrap.querySelector("textarea");
    if (ta) {
      ta.id = `rule-${key}`;
      wrap.querySelector("label")!.setAttribute("for", ta.id);
    }
  };
  render();
  return wrap;
}

export function autoGrow(ta: HTMLTextAreaElement): void {
  ta.style.height = "auto";
  ta.style.height = Math.min(ta.scrollHeight + 2, 320) + "px";
}

// ---------------- auth options ----------------
function section(title: string, children: Child, open = false, err?: string): HTMLElement {
  return h(
    "details.accordion",
    { open, dataset: err ? { err } : undefined },
    h("summary", null, title, icon("down")),
    h("div.accordion-body", null, children),
  );
}

function authOptionsTab(draft: Draft): HTMLElement {
  const identityOpts = draft.fields
    .filter((f) => (f.type === "text" || f.type === "email") && !f.hidden && f.name !== "tokenKey")
    .map((f) => f.name);
  const ident = h(
    "div.chip-toggles",
    null,
    identityOpts.map((n) => {
      const b = h(
        "button.chip-toggle",
        { type: "button", "aria-pressed": String(draft.passwordAuth.identityFields.includes(n)) },
        n,
      );
      b.addEventListener("click", () => {
        const list: string[] = draft.passwordAuth.identityFields;
        draft.passwordAuth.identityFields = list.includes(n) ? list.filter((x) => x !== n) : [...list, n];
        b.setAttribute("aria-pressed", String(draft.passwordAuth.identityFields.includes(n)));
      });
      return b;
    }),
  );
  const durations: [string, string][] = [
    ["authToken", "Auth token"],
    ["verificationToken", "Email verification token"],
    ["passwordResetToken", "Password reset token"],
    ["emailChangeToken", "Email change token"],
    ["fileToken", "Protected file access token"],
  ];
  const invalidate = h(
    "div.stack",
    null,
    durations.map(([k, label]) => {
      draft[k] ??= { duration: 0 };
      return h(
        "div.grid-2.align-end",
        null,
        field(`${label} duration (seconds)`, input(draft[k], "duration", { type: "number", min: 0 }), {
          err: `${k}.duration`,
        }),
        h(
          "div.field",
          null,
          h(
            "button.btn.sm.ghost",
            {
              type: "button",
              onclick: (ev: Event) => {
                draft[k].secret = randomId(50);
                (ev.currentTarget as HTMLElement).replaceChildren(icon("check"), "Will invalidate on save");
              },
            },
            icon("refresh"),
            "Invalidate all previously issued tokens",
          ),
        ),
      );
    }),
  );
  const templates: [string, string, string][] = [
    ["verificationTemplate", "Verification email", "{APP_NAME}, {APP_URL}, {TOKEN}, {RECORD:*}"],
    ["resetPasswordTemplate", "Password reset email", "{APP_NAME}, {APP_URL}, {TOKEN}, {RECORD:*}"],
    ["confirmEmailChangeTemplate", "Email change email", "{APP_NAME}, {APP_URL}, {TOKEN}, {RECORD:*}"],
  ];
  const tpl = (obj: any, key: string, errKey: string, hint: string) => {
    obj[key] ??= { subject: "", body: "" };
    return h(
      "div.stack",
      null,
      field("Subject", input(obj[key], "subject"), { err: `${errKey}.subject` }),
      field("Body (HTML)", textarea(obj[key], "body", { rows: 7, class: "mono" }), {
        err: `${errKey}.body`,
        help: "Placeholders: " + hint,
      }),
    );
  };
  return h(
    "div.stack",
    null,
    section(
      "Password authentication",
      h(
        "div.stack",
        null,
        toggle(draft.passwordAuth, "enabled", "Enable"),
        field("Unique identity fields", ident, {
          err: "passwordAuth.identityFields",
          help: "Fields users may log in with (each needs a unique index).",
        }),
      ),
      true,
      "passwordAuth",
    ),
    section("OAuth2", oauth2Options(draft), false, "oauth2"),
    section(
      "One-time password (OTP)",
      h(
        "div.stack",
        null,
        toggle(draft.otp, "enabled", "Enable"),
        h(
          "div.grid-2",
          null,
          field("Duration (seconds)", input(draft.otp, "duration", { type: "number", min: 0 }), {
            err: "otp.duration",
          }),
          field("Password length", input(draft.otp, "length", { type: "number", min: 0 }), { err: "otp.length" }),
        ),
        tpl(draft.otp, "emailTemplate", "otp.emailTemplate", "{APP_NAME}, {APP_URL}, {OTP}, {OTP_ID}, {RECORD:*}"),
      ),
      false,
      "otp",
    ),
    section(
      "Multi-factor authentication (MFA)",
      h(
        "div.stack",
        null,
        toggle(draft.mfa, "enabled", "Enable"),
        h("p.help", null, "Requires two different auth methods (e.g. password + OTP) to log in."),
        field("Duration (seconds)", input(draft.mfa, "duration", { type: "number", min: 0 }), { err: "mfa.duration" }),
        ruleField(draft.mfa as Draft, "rule", "MFA rule", "Which accounts need MFA; empty = all."),
      ),
      false,
      "mfa",
    ),
    section(
      "Login alerts",
      h(
        "div.stack",
        null,
        toggle(draft.authAlert, "enabled", "Email users when they log in from a new location"),
        tpl(
          draft.authAlert,
          "emailTemplate",
          "authAlert.emailTemplate",
          "{APP_NAME}, {APP_URL}, {ALERT_INFO}, {RECORD:*}",
        ),
      ),
      false,
      "authAlert",
    ),
    section(
      "Email templates",
      h(
        "div.stack",
        null,
        templates.map(([k, label, hint]) => h("div", null, h("h4", null, label), tpl(draft, k, k, hint))),
      ),
    ),
    section("Token options", invalidate),
  );
}

function oauth2Options(draft: Draft): HTMLElement {
  draft.oauth2 ??= { enabled: false, providers: [], mappedFields: {} };
  draft.oauth2.mappedFields ??= {};
  let available: { name: string; displayName: string; logo?: string }[] = [];
  const list = live(() =>
    h(
      "div.stack",
      null,
      draft.oauth2.providers.length ? null : h("p.muted", null, "No providers yet."),
      draft.oauth2.providers.map((p: any, i: number) => {
        const meta = available.find((a) => a.name === p.name);
        return h(
          "div.provider-card",
          { dataset: { err: `oauth2.providers.${i}` } },
          h(
            "div.row.between",
            null,
            h(
              "strong.row.gap",
              null,
              meta?.logo
                ? h("img.logo-sm", {
                    src: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(meta.logo),
                    alt: "",
                  })
                : icon("key"),
              meta?.displayName ?? p.name,
            ),
            h(
              "button.icon-btn.sm",
              {
                type: "button",
                "aria-label": `Remove ${p.name}`,
                onclick: () => (draft.oauth2.providers.splice(i, 1), list.refresh()),
              },
              icon("trash"),
            ),
          ),
          h(
            "div.grid-2",
            null,
            field("Client ID", input(p, "clientId", { autocomplete: "off" }), {
              err: `oauth2.providers.${i}.clientId`,
            }),
            field(
              "Client secret",
              input(p, "clientSecret", {
                type: "password",
                autocomplete: "new-password",
                placeholder: p.clientSecret === undefined ? "Unchanged" : "",
              }),
              { err: `oauth2.providers.${i}.clientSecret` },
            ),
            ...(["oidc", "oidc2", "oidc3"].includes(p.name) || p.name.startsWith("oidc")
              ? [
                  field("Display name", input(p, "displayName"), { err: `oauth2.providers.${i}.displayName` }),
                  field("Auth URL", input(p, "authURL"), { err: `oauth2.providers.${i}.authURL` }),
                  field("Token URL", input(p, "tokenURL"), { err: `oauth2.providers.${i}.tokenURL` }),
                  field("User info URL", input(p, "userInfoURL"), { err: `oauth2.providers.${i}.userInfoURL` }),
                ]
              : []),
          ),
        );
      }),
    ),
  );
  const addBtn = menuButton(
    h("button.btn.sm.ghost", { type: "button" }, icon("plus"), "Add provider"),
    () =>
      available.length
        ? available
            .filter((a) => !draft.oauth2.providers.some((p: any) => p.name === a.name))
            .map((a) => ({
              label: a.displayName,
              onSelect: () => {
                draft.oauth2.providers.push({ name: a.name, clientId: "", clientSecret: "", pkce: null, extra: {} });
                list.refresh();
              },
            }))
        : [h("div.menu-note", null, "No providers available from this server.")],
    { class: "scroll" },
  );
  pb.send("/api/collections/meta/oauth2-providers", { requestKey: null })
    .then((r) => {
      available = r;
      list.refresh();
    })
    .catch(() => {});
  const mapped = h(
    "div.grid-2",
    null,
    ["name", "username", "avatarURL"].map((k) => {
      const sel = h(
        "select",
        null,
        h("option", { value: "" }, "- none -"),
        draft.fields
          .filter((f) => !f.system)
          .map((f) => h("option", { value: f.name, selected: draft.oauth2.mappedFields[k] === f.name }, f.name)),
      ) as HTMLSelectElement;
      sel.addEventListener("change", () => (draft.oauth2.mappedFields[k] = sel.value));
      return field(`OAuth2 ${k} → field`, sel, { err: `oauth2.mappedFields.${k}` });
    }),
  );
  return h(
    "div.stack",
    null,
    toggle(draft.oauth2, "enabled", "Enable"),
    list,
    h("div", null, addBtn),
    h("h4", null, "Map provider data to fields"),
    mapped,
  );
}

/** Re-exports for the collections page. */
export { findCollection, collections };
