/**
 * The record editor drawer: one input per field (relation picker, file uploads with previews, JSON
 * editor, ...), auth account fields, save with inline errors, duplicate and delete.
 */
import type { CollectionModel, RecordModel } from "pocketbase";
import { errorMessage, findCollection, pb } from "../lib/app.ts";
import { h, live, put } from "../lib/dom.ts";
import { clone, fmtBytes, fmtDate, isImageName, same, truncate } from "../lib/format.ts";
import { icon } from "../lib/icons.ts";
import {
  clearErrors,
  confirmDialog,
  copyText,
  field,
  menuButton,
  openDialog,
  showErrors,
  toast,
  type DialogHandle,
} from "../lib/ui.ts";
import { FIELD_TYPES, fileThumb, recordLabel, toArr, type Field, type InputCtx } from "../fields/types.ts";

/**
 * Resolves with the saved record, `{deleted}` after a delete, or null when closed unchanged.
 * `url`: the address while it is open (the record's deep link); Back closes it.
 */
export async function openRecordEditor(
  c: CollectionModel,
  record?: RecordModel,
  duplicateOf?: RecordModel,
  url?: string,
): Promise<RecordModel | null> {
  const fields = c.fields as Field[];
  const isNew = !record;
  const readOnly = c.type === "view";
  const isAuth = c.type === "auth";
  const source = record ?? duplicateOf;
  const data: Record<string, any> = {};
  for (const f of fields) {
    if (f.type === "password") {
      data[f.name] = "";
      continue;
    }
    let v = source ? clone(source[f.name]) : defaultValue(f);
    if (duplicateOf && (f.name === "id" || f.type === "autodate" || f.type === "file")) v = defaultValue(f);
    data[f.name] = v;
  }
  if (isAuth) {
    data.password = "";
    data.passwordConfirm = "";
  }
  // file fields: kept stored names and newly picked files
  const files: Record<string, { kept: string[]; added: File[] }> = {};
  for (const f of fields.filter((f) => f.type === "file"))
    files[f.name] = { kept: duplicateOf ? [] : toArr(data[f.name]), added: [] };
  let initial = clone(data);
  let fileToken = "";
  if (record && fields.some((f) => f.type === "file" && f.protected)) {
    try {
      fileToken = await pb.files.getToken({ requestKey: null });
    } catch {
      /* thumbnails of protected files stay locked */
    }
  }

  return new Promise((resolve) => {
    let result: RecordModel | null = null;
    let dialog: DialogHandle;
    const form = h("form.record-form", { novalidate: true, onsubmit: (e: Event) => (e.preventDefault(), save()) });
    let filesDirty = false;
    const ctx: InputCtx = { collection: c, data, record, fileToken, changed: () => (filesDirty = true) };

    // id
    const idField = fields.find((f) => f.name === "id");
    if (record) {
      form.append(
        h(
          "div.field.id-field",
          null,
          h("span.label", null, h("span.field-label", null, icon("key"), "id")),
          h(
            "div.row.gap",
            null,
            h("code.mono", { "data-testid": "record-id" }, record.id),
            h(
              "button.icon-btn.sm",
              { type: "button", "aria-label": "Copy id", onclick: () => copyText(record.id) },
              icon("copy"),
            ),
          ),
        ),
      );
    } else if (idField && !readOnly) {
      const idIn = h("input.mono", {
        placeholder: idField.autogeneratePattern ? "Leave empty to autogenerate" : "",
        maxlength: idField.max || undefined,
        value: data.id ?? "",
      }) as HTMLInputElement;
      idIn.addEventListener("input", () => (data.id = idIn.value));
      form.append(field(h("span.field-label", null, icon("key"), "id"), idIn, { err: "id" }));
    }

    for (const f of fields) {
      if (f.name === "id" || (isAuth && (f.name === "password" || f.name === "tokenKey"))) continue;
      const ft = FIELD_TYPES[f.type];
      const label = h(
        "span.field-label",
        null,
        icon(ft?.icon ?? "dots"),
        f.name,
        f.hidden ? h("span.tag", null, "Hidden") : null,
      );
      if (f.type === "autodate" || readOnly) {
        if (!record) continue;
        form.append(
          h(
            "div.field.readonly",
            { dataset: { err: f.name } },
            h("span.label", null, label),
            h(
              "div.readonly-value",
              null,
              f.type === "autodate" || f.type === "date"
                ? fmtDate(record[f.name]) || "N/A"
                : (ft?.cell(record[f.name], f, record) ?? String(record[f.name] ?? "")),
            ),
          ),
        );
        continue;
      }
      let inputEl: HTMLElement;
      if (f.type === "file") inputEl = fileInput(f, files[f.name]!, ctx);
      else if (f.type === "relation") inputEl = relationInput(f, ctx);
      else inputEl = ft?.input?.(f, ctx) ?? h("span.muted", null, "Unsupported field type " + f.type);
      const wrap = field(label, inputEl, {
        err: f.name,
        help: f.help || undefined,
        required: !!f.required && f.type !== "bool",
      });
      wrap.dataset.fieldType = f.type;
      wrap.dataset.field = f.name;
      form.append(wrap);
    }

    if (isAuth && !readOnly) form.append(passwordSection(data, isNew));
    // inputs normalize some values (JSON text, geo points): compare against the normalized form
    initial = clone(data);

    const saveBtn = h(
      "button.btn.primary",
      { type: "button", onclick: () => save(), "data-testid": "record-save" },
      isNew ? "Create" : "Save changes",
    );
    const more = record
      ? menuButton(
          h("button.icon-btn", { type: "button", "aria-label": "More record actions" }, icon("dots")),
          () => [
            { label: "Copy raw JSON", icon: "copy", onSelect: () => copyText(JSON.stringify(record, null, 2)) },
            ...(readOnly
              ? []
              : [
                  {
                    label: "Duplicate",
                    icon: "duplicate",
                    onSelect: async () => {
                      dialog.close();
                      const r = await openRecordEditor(c, undefined, record);
                      resolve(r ?? result);
                    },
                  },
                  ...(isAuth
                    ? [
                        { label: "Impersonate", icon: "user", onSelect: () => impersonate(c, record) },
                        {
                          label: "Send verification email",
                          icon: "mail",
                          onSelect: () =>
                            pb
                              .collection(c.id)
                              .requestVerification(record.email)
                              .then(
                                () => toast(`Sent a verification email to ${record.email}.`),
                                (e) => toast(errorMessage(e), "error"),
                              ),
                        },
                        {
                          label: "Send password reset email",
                          icon: "mail",
                          onSelect: () =>
                            pb
                              .collection(c.id)
                              .requestPasswordReset(record.email)
                              .then(
                                () => toast(`Sent a password reset email to ${record.email}.`),
                                (e) => toast(errorMessage(e), "error"),
                              ),
                        },
                      ]
                    : []),
                  "sep" as const,
                  { label: "Delete", icon: "trash", danger: true, onSelect: () => remove() },
                ]),
          ],
          { align: "left", class: "up" },
        )
      : null;

    dialog = openDialog({
      title: h("span", null, isNew ? "New " : readOnly ? "View " : "Edit ", h("strong", null, c.name), " record"),
      kind: "drawer",
      size: "md",
      url,
      body: form,
      footer: [
        more,
        h("div.spacer"),
        h("button.btn.ghost", { type: "button", onclick: () => dialog.close() }, readOnly ? "Close" : "Cancel"),
        readOnly ? null : saveBtn,
      ],
      beforeClose: async () =>
        result !== null ||
        readOnly ||
        (same(data, initial) && !filesDirty) ||
        (await confirmDialog("You have unsaved changes. Close without saving?", { yes: "Discard changes" })),
      onClose: () => resolve(result),
    });
    form.addEventListener("keydown", (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") {
        ev.preventDefault();
        save();
      }
    });
    (
      form.querySelector<HTMLElement>("input:not([type=checkbox]):not([disabled]), textarea, select") ?? saveBtn
    ).focus();

    async function save() {
      if (readOnly || saveBtn.classList.contains("busy")) return;
      clearErrors(form);
      const payload: Record<string, any> = {};
      const localErrors: Record<string, any> = {};
      for (const f of fields) {
        if (f.type === "autodate" || (isAuth && f.name === "password")) continue;
        if (f.type === "password") {
          // other password fields: sent only when a new value was typed
          if (data[f.name]) payload[f.name] = data[f.name];
          continue;
        }
        if (f.name === "id") {
          if (isNew && data.id) payload.id = data.id;
          continue;
        }
        if (isAuth && f.name === "tokenKey") continue;
        if (f.type === "file") {
          const st = files[f.name]!;
          const list: (string | File)[] = [...st.kept, ...st.added];
          payload[f.name] = (f.maxSelect ?? 1) <= 1 ? (list[list.length - 1] ?? "") : list;
          continue;
        }
        let v = data[f.name];
        try {
          v = FIELD_TYPES[f.type]?.serialize ? FIELD_TYPES[f.type]!.serialize!(v, f) : v;
        } catch (err) {
          localErrors[f.name] = { code: "invalid", message: (err as Error).message };
          continue;
        }
        // unchanged values of existing records are left out (keeps PATCH minimal)
        if (!isNew && same(v, record![f.name]) && f.type !== "json") continue;
        payload[f.name] = v;
      }
      if (isAuth && (data.password || isNew)) {
        payload.password = data.password;
        payload.passwordConfirm = data.passwordConfirm;
        if (data.oldPassword) payload.oldPassword = data.oldPassword;
      }
      if (Object.keys(localErrors).length) {
        showErrors(form, localErrors);
        return;
      }
      saveBtn.classList.add("busy");
      try {
        result = isNew
          ? await pb.collection(c.id).create(payload, { requestKey: null })
          : await pb.collection(c.id).update(record!.id, payload, { requestKey: null });
        toast(isNew ? "Record created." : "Record saved.");
        dialog.close();
      } catch (err) {
        const data = (err as any)?.response?.data ?? {};
        const unmatched = showErrors(form, data);
        toast(
          errorMessage(err) + (unmatched.length ? "\n" + unmatched.map(([p, m]) => `${p}: ${m}`).join("\n") : ""),
          "error",
          7000,
        );
      } finally {
        saveBtn.classList.remove("busy");
      }
    }

    async function remove() {
      if (
        !(await confirmDialog(h("p", null, "Delete record ", h("code", null, record!.id), "? This cannot be undone."), {
          yes: "Delete",
        }))
      )
        return;
      try {
        await pb.collection(c.id).delete(record!.id, { requestKey: null });
        toast("Record deleted.");
        result = { ...record!, deleted: true } as RecordModel;
        dialog.close();
      } catch (err) {
        toast(errorMessage(err), "error");
      }
    }
  });
}

/** Issues a non-refreshable auth token for an auth record (superusers only) and shows it. */
function impersonate(c: CollectionModel, record: RecordModel): void {
  const data = { duration: 0 };
  const out = h("div.stack");
  const d = openDialog({
    title: h("span", null, "Impersonate ", h("strong", null, record.email || record.id)),
    size: "md",
    body: h(
      "div.stack",
      null,
      h(
        "p.help",
        null,
        "Generates an auth token for this account, for testing what the account can see. The token cannot be refreshed.",
      ),
      field(
        "Token duration (seconds)",
        h("input", {
          type: "number",
          min: 0,
          placeholder: "Default to the collection's auth token duration",
          oninput: (e: Event) => (data.duration = Number((e.target as HTMLInputElement).value) || 0),
        }),
        { err: "duration" },
      ),
      out,
    ),
    footer: [
      h("div.spacer"),
      h("button.btn.ghost", { type: "button", onclick: () => d.close() }, "Close"),
      h(
        "button.btn.primary",
        {
          type: "button",
          onclick: async () => {
            try {
              const client = await pb.collection(c.id).impersonate(record.id, data.duration, { requestKey: null });
              const token = client.authStore.token;
              put(
                out,
                h("label.label", null, "Auth token"),
                h(
                  "div.input-group",
                  null,
                  h("input.mono", { readOnly: true, value: token, "aria-label": "Auth token" }),
                  h(
                    "button.icon-btn",
                    { type: "button", "aria-label": "Copy token", onclick: () => copyText(token) },
                    icon("copy"),
                  ),
                ),
              );
            } catch (err) {
              toast(errorMessage(err), "error");
            }
          },
        },
        "Generate token",
      ),
    ],
  });
}

function defaultValue(f: Field): any {
  switch (f.type) {
    case "bool":
      return false;
    case "number":
      return null;
    case "json":
      return null;
    case "geoPoint":
      return { lon: 0, lat: 0 };
    case "select":
    case "relation":
    case "file":
      return (f.maxSelect ?? 1) > 1 ? [] : "";
    default:
      return "";
  }
}

function passwordSection(data: Record<string, any>, isNew: boolean): HTMLElement {
  const box = h("div.password-box");
  const render = (open: boolean) => {
    if (!open) {
      box.replaceChildren(
        h("button.btn.sm.ghost", { type: "button", onclick: () => render(true) }, icon("key"), "Change password"),
      );
      return;
    }
    const pw = h("input", { type: "password", autocomplete: "new-password" }) as HTMLInputElement;
    const pw2 = h("input", { type: "password", autocomplete: "new-password" }) as HTMLInputElement;
    pw.addEventListener("input", () => (data.password = pw.value));
    pw2.addEventListener("input", () => (data.passwordConfirm = pw2.value));
    put(
      box,
      h(
        "div.grid-2",
        null,
        field("Password", pw, { err: "password", required: isNew }),
        field("Password confirm", pw2, { err: "passwordConfirm", required: isNew }),
      ),
      isNew
        ? null
        : h(
            "button.link.sm",
            { type: "button", onclick: () => ((data.password = data.passwordConfirm = ""), render(false)) },
            "Keep the current password",
          ),
    );
    if (!isNew) pw.focus();
  };
  render(isNew);
  return box;
}

// ---------------- files ----------------
function fileInput(f: Field, st: { kept: string[]; added: File[] }, ctx: InputCtx): HTMLElement {
  const max = f.maxSelect ?? 1;
  const picker = h("input", {
    type: "file",
    multiple: max > 1,
    hidden: true,
    accept: (f.mimeTypes ?? []).join(",") || undefined,
    "data-testid": `file-input-${f.name}`,
  }) as HTMLInputElement;
  const urls = new Map<File, string>();
  const list = live(() => {
    const total = st.kept.length + st.added.length;
    return h(
      "div.file-input",
      null,
      h(
        "ul.file-list",
        null,
        st.kept.map((name) =>
          h(
            "li.file-item",
            null,
            ctx.record ? fileThumb(ctx.record, name, f, ctx.fileToken) : h("span.file-tile", null, icon("file")),
            h("span.file-name", { title: name }, truncate(name, 40)),
            h(
              "button.icon-btn.sm",
              {
                type: "button",
                "aria-label": `Remove ${name}`,
                onclick: () => ((st.kept = st.kept.filter((n) => n !== name)), ctx.changed(), list.refresh()),
              },
              icon("trash"),
            ),
          ),
        ),
        st.added.map((file) => {
          if (isImageName(file.name) && !urls.has(file)) urls.set(file, URL.createObjectURL(file));
          const u = urls.get(file);
          return h(
            "li.file-item.new",
            null,
            h(
              "span.file-tile",
              null,
              u
                ? h("img", { src: u, alt: file.name })
                : h("span.file-ext", null, (file.name.split(".").pop() ?? "").slice(0, 4)),
            ),
            h(
              "span.file-name",
              { title: file.name },
              truncate(file.name, 40),
              h("span.muted.sm", null, ` ${fmtBytes(file.size)} · new`),
            ),
            h(
              "button.icon-btn.sm",
              {
                type: "button",
                "aria-label": `Remove ${file.name}`,
                onclick: () => ((st.added = st.added.filter((x) => x !== file)), list.refresh()),
              },
              icon("x"),
            ),
          );
        }),
      ),
      h(
        "button.btn.sm.ghost",
        { type: "button", onclick: () => picker.click() },
        icon("upload"),
        max <= 1 && total ? "Replace file" : "Upload new file",
      ),
      h("span.muted.sm", null, max > 1 ? ` ${total}/${max} files` : ""),
    );
  });
  picker.addEventListener("change", () => {
    const picked = [...(picker.files ?? [])];
    picker.value = "";
    if (max <= 1) {
      st.kept = [];
      st.added = picked.slice(-1);
    } else {
      st.added = [...st.added, ...picked].slice(0, Math.max(0, max - st.kept.length));
      if (st.kept.length + st.added.length < st.kept.length + picked.length) toast(`At most ${max} files.`, "info");
    }
    ctx.changed();
    list.refresh();
  });
  // dropping files on the field works too
  const wrap = h(
    "div.file-drop",
    {
      ondragover: (e: DragEvent) => (e.preventDefault(), wrap.classList.add("drag")),
      ondragleave: () => wrap.classList.remove("drag"),
      ondrop: (e: DragEvent) => {
        e.preventDefault();
        wrap.classList.remove("drag");
        const dt = new DataTransfer();
        for (const file of e.dataTransfer?.files ?? []) dt.items.add(file);
        picker.files = dt.files;
        picker.dispatchEvent(new Event("change"));
      },
    },
    list,
    picker,
  );
  return wrap;
}

// ---------------- relations ----------------
function relationInput(f: Field, ctx: InputCtx): HTMLElement {
  const multi = (f.maxSelect ?? 1) > 1;
  const target = findCollection(f.collectionId);
  const labels = new Map<string, string>();
  for (const r of toArr(ctx.record?.expand?.[f.name])) labels.set(r.id, recordLabel(r));
  const ids = () => toArr(ctx.data[f.name]) as string[];
  const missing = ids().filter((id) => !labels.has(id));
  if (missing.length && target) {
    pb.collection(target.id)
      .getFullList({ filter: missing.map((id) => `id=${JSON.stringify(id)}`).join("||"), requestKey: null })
      .then((rs) => {
        for (const r of rs) labels.set(r.id, recordLabel(r));
        view.refresh();
      })
      .catch(() => {});
  }
  const view = live(() =>
    h(
      "div.relation-input",
      null,
      h(
        "ul.chips",
        null,
        ids().map((id) =>
          h(
            "li.chip",
            null,
            h("span", { title: id }, labels.get(id) ?? id),
            h(
              "button.chip-x",
              {
                type: "button",
                "aria-label": `Remove ${labels.get(id) ?? id}`,
                onclick: () => {
                  ctx.data[f.name] = multi ? ids().filter((x) => x !== id) : "";
                  view.refresh();
                },
              },
              icon("x"),
            ),
          ),
        ),
      ),
      target
        ? h(
            "button.btn.sm.ghost",
            {
              type: "button",
              "data-testid": `relation-pick-${f.name}`,
              onclick: async () => {
                const picked = await pickRecords(target, ids(), f.maxSelect ?? 1);
                if (!picked) return;
                for (const r of picked.records) labels.set(r.id, recordLabel(r));
                ctx.data[f.name] = multi ? picked.ids : (picked.ids[0] ?? "");
                view.refresh();
              },
            },
            icon("link"),
            ids().length ? "Change" : "Select records",
          )
        : h("span.error-text", null, "The related collection no longer exists."),
    ),
  );
  return view;
}

/** A modal to search and pick records of `c`; resolves with the chosen ids (null = cancelled). */
export function pickRecords(
  c: CollectionModel,
  selected: string[],
  max: number,
): Promise<{ ids: string[]; records: RecordModel[] } | null> {
  return new Promise((resolve) => {
    const chosen = new Set(selected);
    const known = new Map<string, RecordModel>();
    let items: RecordModel[] = [];
    let page = 1;
    let totalPages = 0;
    let q = "";
    let done = false;
    const search = h("input.search", {
      type: "search",
      placeholder: "Search records…",
      "aria-label": "Search records",
      autofocus: true,
    }) as HTMLInputElement;
    const load = async (p = 1) => {
      const textFields = (c.fields as Field[])
        .filter((f) => ["text", "email", "url", "editor", "select"].includes(f.type))
        .map((f) => f.name);
      const filter = q ? textFields.map((n) => `${n}~${JSON.stringify(q)}`).join("||") : "";
      try {
        const res = await pb
          .collection(c.id)
          .getList(p, 30, { filter, sort: c.type === "view" ? "" : "-@rowid", requestKey: null });
        items = p === 1 ? res.items : [...items, ...res.items];
        for (const r of res.items) known.set(r.id, r);
        page = res.page;
        totalPages = res.totalPages;
      } catch (err) {
        toast(errorMessage(err), "error");
      }
      list.refresh();
    };
    let t: ReturnType<typeof setTimeout>;
    search.addEventListener("input", () => {
      clearTimeout(t);
      t = setTimeout(() => {
        q = search.value.trim();
        load();
      }, 250);
    });
    const list = live(() =>
      h(
        "div.picker-list",
        { role: "listbox", "aria-multiselectable": String(max > 1), "aria-label": `${c.name} records` },
        items.length ? null : h("p.muted.pad", null, "No records found."),
        items.map((r) => {
          const on = chosen.has(r.id);
          return h(
            "button.picker-item",
            {
              type: "button",
              role: "option",
              "aria-selected": String(on),
              dataset: { id: r.id },
              onclick: () => {
                if (on) chosen.delete(r.id);
                else {
                  if (max <= 1) chosen.clear();
                  else if (chosen.size >= max) return toast(`At most ${max} records.`, "info");
                  chosen.add(r.id);
                }
                list.refresh();
                list.querySelector<HTMLElement>(`[data-id="${CSS.escape(r.id)}"]`)?.focus();
              },
            },
            h("span.picker-check", null, on ? icon("check") : null),
            h("span.picker-label", null, recordLabel(r)),
            h("code.muted.sm", null, r.id),
          );
        }),
        page < totalPages
          ? h("button.btn.sm.ghost.block", { type: "button", onclick: () => load(page + 1) }, "Load more")
          : null,
      ),
    );
    const d = openDialog({
      title: `Select ${c.name} record${max > 1 ? "s" : ""}`,
      size: "md",
      body: h("div.stack", null, search, list),
      footer: [
        h("span.muted.sm", null, max > 1 ? `Selected ${chosen.size} of max ${max}` : ""),
        h("div.spacer"),
        h("button.btn.ghost", { type: "button", onclick: () => d.close() }, "Cancel"),
        h(
          "button.btn.primary",
          { type: "button", "data-testid": "picker-confirm", onclick: () => ((done = true), d.close()) },
          "Set selection",
        ),
      ],
      onClose: () =>
        resolve(
          done
            ? { ids: [...chosen], records: [...chosen].map((id) => known.get(id)).filter(Boolean) as RecordModel[] }
            : null,
        ),
    });
    search.focus();
    load();
  });
}
