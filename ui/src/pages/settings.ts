/** Settings screens: application, mail, storage, backups, crons, export/import collections, SQL console. */
import {
  applyAccent,
  collections,
  dbDialect,
  dbEngineName,
  errorMessage,
  isNotAvailable,
  loadCollections,
  loadSettings,
  pb,
  store,
} from "../lib/app.ts";
import { h, live, put, type Child } from "../lib/dom.ts";
import { clone, fmtBytes, fmtDate, plural, same } from "../lib/format.ts";
import { icon } from "../lib/icons.ts";
import {
  busyButton,
  clearErrors,
  confirmDialog,
  downloadBlob,
  field,
  input,
  listInput,
  notAvailable,
  notice,
  openDialog,
  pageHeader,
  select,
  showErrors,
  spinner,
  textarea,
  toast,
  toastError,
  toggle,
} from "../lib/ui.ts";
import type { Page } from "../router.ts";
import { sidebarLayout } from "./collections.ts";
import { codeBlock } from "./api_preview.ts";

const NAV: [string, string, string][] = [
  ["/settings", "Application", "gear"],
  ["/settings/mail", "Mail", "mail"],
  ["/settings/storage", "Files storage", "storage"],
  ["/settings/backups", "Backups", "archive"],
  ["/settings/crons", "Crons", "clock"],
  ["/settings/sql", "SQL console", "terminal"],
  ["/settings/export-collections", "Export collections", "upload"],
  ["/settings/import-collections", "Import collections", "download"],
];

/** True when the server keeps its data in PostgreSQL: no backups of pb_data there (health says so). */
function onPostgres(): boolean {
  return dbDialect.get() === "postgres";
}

function layout(active: string, content: HTMLElement): HTMLElement {
  const entries = onPostgres() ? NAV.filter(([path]) => path !== "/settings/backups") : NAV;
  const nav = h(
    "nav.side-list",
    { "aria-label": "Settings" },
    entries.map(([path, label, ic]) =>
      h(
        "a.side-link",
        {
          href: "#" + path,
          class: path === active ? "active" : "",
          "aria-current": path === active ? "page" : undefined,
        },
        icon(ic),
        h("span.side-label", null, label),
      ),
    ),
  );
  return h(
    "div.page.page-settings",
    null,
    sidebarLayout(
      h(
        "div.side-inner",
        null,
        h("h2.side-title", null, "Settings"),
        nav,
        // which engine runs is only worth a line when it is not the embedded SQLite
        dbDialect.get() === "sqlite"
          ? null
          : h("div.side-footer", null, h("p.muted.sm", { "data-testid": "db-engine" }, `Database: ${dbEngineName()}`)),
      ),
      h("div.content-inner", null, content),
      "Settings",
    ),
  );
}

/** A settings form over part of the settings: loads them, renders, saves only the picked keys. */
function settingsPage(
  path: string,
  title: string,
  keys: string[],
  render: (draft: any, form: HTMLElement) => Child,
  opts: { after?: (saved: any) => void; extraActions?: (draft: any) => Child } = {},
): Page {
  const content = h("div.settings-body", null, pageHeader(title), spinner());
  (async () => {
    let s: any;
    try {
      s = await pb.settings.getAll({ requestKey: null });
    } catch (err) {
      content.replaceChildren(
        pageHeader(title),
        isNotAvailable(err) ? notAvailable("Settings", "/api/settings") : h("p.error-text", null, errorMessage(err)),
      );
      return;
    }
    const draft: any = {};
    for (const k of keys) draft[k] = clone(s[k]);
    let initial = clone(draft);
    const form = h("form.settings-form.stack", {
      novalidate: true,
      onsubmit: (e: Event) => (e.preventDefault(), save()),
    });
    const saveBtn = h("button.btn.primary", { type: "submit", "data-testid": "settings-save" }, "Save changes");
    const reset = h("button.btn.ghost", { type: "button", onclick: () => location.reload() }, "Reset");
    form.append(
      h("div.stack", null, render(draft, form)),
      h("div.form-actions", null, opts.extraActions?.(draft), h("div.spacer"), reset, saveBtn),
    );
    form.addEventListener("keydown", (ev) => {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") {
        ev.preventDefault();
        save();
      }
    });
    async function save() {
      if (saveBtn.classList.contains("busy")) return;
      clearErrors(form);
      const payload = clone(draft);
      stripEmptySecrets(payload);
      saveBtn.classList.add("busy");
      try {
        const saved = await pb.settings.update(payload, { requestKey: null });
        await loadSettings();
        initial = clone(draft);
        toast("Settings saved.");
        opts.after?.(saved);
      } catch (err) {
        const unmatched = showErrors(form, (err as any)?.response?.data ?? {});
        toast(
          errorMessage(err) + (unmatched.length ? "\n" + unmatched.map(([p, m]) => `${p}: ${m}`).join("\n") : ""),
          "error",
          7000,
        );
      } finally {
        saveBtn.classList.remove("busy");
      }
    }
    void initial;
    content.replaceChildren(pageHeader(title), form);
    form.querySelector<HTMLElement>("input")?.focus();
  })();
  return { el: layout(path, content), title };
}

/** Secrets are never sent back by the server; an empty one means "keep the stored value". */
function stripEmptySecrets(p: any): void {
  if (p.smtp && !p.smtp.password) delete p.smtp.password;
  if (p.s3 && !p.s3.secret) delete p.s3.secret;
  if (p.backups?.s3 && !p.backups.s3.secret) delete p.backups.s3.secret;
}

function section(title: string, ...children: Child[]): HTMLElement {
  return h("section.card", null, h("h3", null, title), ...children);
}

// ---------- application ----------
export function applicationPage(): Page {
  return settingsPage(
    "/settings",
    "Application",
    ["meta", "batch", "rateLimits", "trustedProxy", "superuserIPs"],
    (d) => {
      const color = h("input", {
        type: "color",
        value: d.meta.accentColor || "#1055c9",
        "aria-label": "Accent color",
      }) as HTMLInputElement;
      color.addEventListener("input", () => {
        d.meta.accentColor = color.value;
        applyAccent(color.value);
      });
      return [
        section(
          "General",
          h(
            "div.grid-2",
            null,
            field("Application name", input(d.meta, "appName", { required: true, "data-testid": "app-name" }), {
              err: "meta.appName",
              required: true,
            }),
            field("Application URL", input(d.meta, "appURL", { type: "url", required: true }), {
              err: "meta.appURL",
              required: true,
              help: "Used in emails and OAuth2 redirects.",
            }),
            d.meta.accentColor !== undefined ? field("Accent color", color, { err: "meta.accentColor" }) : null,
          ),
          toggle(d.meta, "hideControls", "Hide collection create and edit controls", undefined, {
            "data-err": "meta.hideControls",
          }),
          h("p.help", null, "Useful on production to prevent accidental schema changes."),
        ),
        section(
          "Batch API",
          toggle(d.batch, "enabled", "Enable batch requests (/api/batch)"),
          h(
            "div.grid-3",
            null,
            field("Max requests per batch", input(d.batch, "maxRequests", { type: "number", min: 0 }), {
              err: "batch.maxRequests",
            }),
            field("Timeout (seconds)", input(d.batch, "timeout", { type: "number", min: 0 }), { err: "batch.timeout" }),
            field(
              "Max body size (bytes)",
              input(d.batch, "maxBodySize", { type: "number", min: 0, placeholder: "Default to 128MB" }),
              { err: "batch.maxBodySize" },
            ),
          ),
        ),
        section("Rate limiting", rateLimits(d.rateLimits)),
        section(
          "Trusted proxy",
          h(
            "p.help",
            null,
            "When behind a reverse proxy, name the headers that carry the client IP (e.g. X-Forwarded-For, X-Real-IP).",
          ),
          field(
            "Client IP headers",
            listInput(d.trustedProxy, "headers", { placeholder: "X-Forwarded-For, X-Real-IP" }),
            { err: "trustedProxy.headers" },
          ),
          toggle(d.trustedProxy, "useLeftmostIP", "Use the leftmost IP (instead of the rightmost)"),
        ),
        d.superuserIPs !== undefined
          ? section(
              "Superuser IPs",
              field("Allowed IPs or CIDR ranges", listInput(d, "superuserIPs", { placeholder: "Empty = any IP" }), {
                err: "superuserIPs",
                help: "Superuser requests from other addresses are rejected. Careful not to lock yourself out.",
              }),
            )
          : null,
      ];
    },
  );
}

function rateLimits(rl: any): HTMLElement {
  const rules = live(() =>
    h(
      "div.stack",
      null,
      h(
        "div.table-wrap",
        null,
        h(
          "table.table.compact.ratelimits",
          null,
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", null, "Label"),
              h("th", null, "Max requests"),
              h("th", null, "Interval (s)"),
              h("th", null, "Audience"),
              h("th", null, h("span.sr-only", null, "Remove")),
            ),
          ),
          h(
            "tbody",
            null,
            (rl.rules as any[]).map((r, i) =>
              h(
                "tr",
                null,
                h(
                  "td",
                  { dataset: { err: `rateLimits.rules.${i}.label` } },
                  input(r, "label", { "aria-label": "Label", placeholder: "tag or /path/" }),
                ),
                h(
                  "td",
                  { dataset: { err: `rateLimits.rules.${i}.maxRequests` } },
                  input(r, "maxRequests", { type: "number", min: 1, "aria-label": "Max requests" }),
                ),
                h(
                  "td",
                  { dataset: { err: `rateLimits.rules.${i}.duration` } },
                  input(r, "duration", { type: "number", min: 1, "aria-label": "Interval in seconds" }),
                ),
                h(
                  "td",
                  null,
                  select(
                    r,
                    "audience",
                    [
                      ["", "All"],
                      ["@guest", "Guest only"],
                      ["@auth", "Auth only"],
                    ],
                    { "aria-label": "Audience" },
                  ),
                ),
                h(
                  "td",
                  null,
                  h(
                    "button.icon-btn.sm",
                    {
                      type: "button",
                      "aria-label": "Remove rule",
                      onclick: () => (rl.rules.splice(i, 1), rules.refresh()),
                    },
                    icon("trash"),
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
      h(
        "div",
        null,
        h(
          "button.btn.sm.ghost",
          {
            type: "button",
            onclick: () => (
              rl.rules.push({ label: "", audience: "", duration: 10, maxRequests: 100 }),
              rules.refresh()
            ),
          },
          icon("plus"),
          "Add rule",
        ),
      ),
    ),
  );
  return h(
    "div.stack",
    null,
    toggle(rl, "enabled", "Enable rate limiting"),
    h(
      "p.help",
      null,
      "Labels: a path prefix (/api/), a method and path (POST /api/collections/), or a tag (users:create, *:auth).",
    ),
    rules,
    field("Excluded IPs", listInput(rl, "excludedIPs", { placeholder: "IPs not limited" }), {
      err: "rateLimits.excludedIPs",
    }),
  );
}

// ---------- mail ----------
export function mailPage(): Page {
  return settingsPage(
    "/settings/mail",
    "Mail settings",
    ["meta", "smtp"],
    (d) => {
      const smtpBox = live(() =>
        d.smtp.enabled
          ? h(
              "div.grid-2",
              null,
              field("SMTP server host", input(d.smtp, "host", { required: true }), {
                err: "smtp.host",
                required: true,
              }),
              field("Port", input(d.smtp, "port", { type: "number", required: true }), {
                err: "smtp.port",
                required: true,
              }),
              field("Username", input(d.smtp, "username", { autocomplete: "off" }), { err: "smtp.username" }),
              field(
                "Password",
                input(d.smtp, "password", {
                  type: "password",
                  autocomplete: "new-password",
                  placeholder: "Unchanged when empty",
                }),
                { err: "smtp.password" },
              ),
              field(
                "TLS encryption",
                select(
                  d.smtp,
                  "tls",
                  [
                    ["false", "Auto (StartTLS)"],
                    ["true", "Always (implicit TLS)"],
                  ],
                  {},
                  (v) => (d.smtp.tls = v === "true"),
                ),
                { err: "smtp.tls" },
              ),
              field(
                "AUTH method",
                select(d.smtp, "authMethod", [
                  ["", "PLAIN (default)"],
                  ["PLAIN", "PLAIN"],
                  ["LOGIN", "LOGIN"],
                ]),
                { err: "smtp.authMethod" },
              ),
              field("EHLO/HELO domain", input(d.smtp, "localName", { placeholder: "Default to localhost" }), {
                err: "smtp.localName",
              }),
            )
          : h("p.help", null, "Without SMTP the server uses the local sendmail command when available."),
      );
      // select() compares strings: show the boolean tls as "true"/"false"
      d.smtp.tls = !!d.smtp.tls;
      return [
        section(
          "Sender",
          h(
            "div.grid-2",
            null,
            field("Sender name", input(d.meta, "senderName", { required: true }), {
              err: "meta.senderName",
              required: true,
            }),
            field("Sender address", input(d.meta, "senderAddress", { type: "email", required: true }), {
              err: "meta.senderAddress",
              required: true,
            }),
          ),
        ),
        section(
          "SMTP",
          toggle(d.smtp, "enabled", "Use an SMTP mail server (recommended)", () => smtpBox.refresh()),
          smtpBox,
        ),
      ];
    },
    {
      extraActions: () =>
        h("button.btn.ghost", { type: "button", onclick: () => testEmail() }, icon("mail"), "Send test email"),
    },
  );
}

function testEmail() {
  const data = { email: store.get("lastTestEmail", ""), template: "verification", collection: "_superusers" };
  const form = h(
    "form.stack",
    null,
    field(
      "Template",
      select(data, "template", [
        ["verification", "Verification"],
        ["password-reset", "Password reset"],
        ["email-change", "Confirm email change"],
        ["otp", "OTP"],
        ["login-alert", "Login alert"],
      ]),
      { err: "template" },
    ),
    field(
      "Auth collection",
      select(
        data,
        "collection",
        collections
          .get()
          .filter((c) => c.type === "auth")
          .map((c) => c.name),
      ),
      { err: "collection" },
    ),
    field("To email address", input(data, "email", { type: "email", required: true }), {
      err: "email",
      required: true,
    }),
  );
  const d = openDialog({
    title: "Send a test email",
    size: "sm",
    body: form,
    footer: [
      h("div.spacer"),
      h("button.btn.ghost", { type: "button", onclick: () => d.close() }, "Close"),
      busyButton(
        [icon("mail"), "Send"],
        async () => {
          clearErrors(form);
          store.set("lastTestEmail", data.email);
          try {
            await pb.settings.testEmail(data.collection, data.email, data.template, { requestKey: null });
            toast("Test email sent.");
            d.close();
          } catch (err) {
            showErrors(form, toastError(err));
          }
        },
        { class: "primary" },
      ),
    ],
  });
}

// ---------- storage ----------
function s3Fields(s3: any, prefix: string, testKind: "storage" | "backups"): HTMLElement {
  const box = live(() =>
    s3.enabled
      ? h(
          "div.stack",
          null,
          h(
            "div.grid-2",
            null,
            field("Endpoint", input(s3, "endpoint", { required: true, placeholder: "https://s3.example.com" }), {
              err: `${prefix}.endpoint`,
              required: true,
            }),
            field("Bucket", input(s3, "bucket", { required: true }), { err: `${prefix}.bucket`, required: true }),
            field("Region", input(s3, "region", { required: true }), { err: `${prefix}.region`, required: true }),
            field("Access key", input(s3, "accessKey", { required: true, autocomplete: "off" }), {
              err: `${prefix}.accessKey`,
              required: true,
            }),
            field(
              "Secret",
              input(s3, "secret", {
                type: "password",
                autocomplete: "new-password",
                placeholder: "Unchanged when empty",
              }),
              { err: `${prefix}.secret` },
            ),
          ),
          toggle(s3, "forcePathStyle", "Force path-style addressing"),
          h(
            "div",
            null,
            busyButton(
              [icon("check"), "Test connection"],
              async () => {
                try {
                  await pb.settings.testS3(testKind, { requestKey: null });
                  toast("S3 connection works.");
                } catch (err) {
                  toast(
                    isNotAvailable(err)
                      ? "Testing S3 is not available in this server yet."
                      : "S3 test failed: " + errorMessage(err),
                    "error",
                    8000,
                  );
                }
              },
              { class: "ghost sm", title: "Tests the saved settings" },
            ),
          ),
          h("p.help", null, "The test uses the saved settings: save first."),
        )
      : null,
  );
  return h(
    "div.stack",
    null,
    toggle(s3, "enabled", "Use S3-compatible storage", () => box.refresh()),
    box,
  );
}

export function storagePage(): Page {
  return settingsPage("/settings/storage", "Files storage", ["s3"], (d) => [
    h(
      "p.help",
      null,
      "By default uploaded files are stored in pb_data/storage on the local disk. Switching storage does not migrate existing files.",
    ),
    section("S3 storage", s3Fields(d.s3, "s3", "storage")),
  ]);
}

// ---------- backups ----------
export function backupsPage(): Page {
  const content = h("div.settings-body");
  const state = {
    items: [] as { key: string; size: number; modified: string }[],
    loading: true,
    missing: false,
    error: "",
  };
  const load = async () => {
    state.loading = true;
    list.refresh();
    try {
      state.items = await pb.backups.getFullList({ requestKey: null });
      state.items.sort((a, b) => (a.modified < b.modified ? 1 : -1));
      state.error = "";
    } catch (err) {
      if (isNotAvailable(err)) state.missing = true;
      else state.error = errorMessage(err);
    }
    state.loading = false;
    if (state.missing) render();
    else list.refresh();
  };
  const list = live(() => {
    if (state.loading && !state.items.length) return spinner();
    if (state.error) return h("p.error-text", null, state.error);
    if (!state.items.length) return h("div.empty.sm", null, icon("archive"), h("p", null, "No backups yet."));
    return h(
      "ul.backup-list",
      { "data-testid": "backup-list" },
      state.items.map((b) =>
        h(
          "li.backup-item",
          { dataset: { key: b.key } },
          icon("archive"),
          h(
            "div.backup-meta",
            null,
            h("strong.mono", null, b.key),
            h("span.muted.sm", null, `${fmtBytes(b.size)} · ${fmtDate(b.modified)}`),
          ),
          h(
            "div.row.gap",
            null,
            h(
              "button.icon-btn",
              {
                type: "button",
                "aria-label": `Download ${b.key}`,
                title: "Download",
                "data-testid": "backup-download",
                onclick: () => download(b.key),
              },
              icon("download"),
            ),
            h(
              "button.icon-btn",
              { type: "button", "aria-label": `Restore ${b.key}`, title: "Restore", onclick: () => restore(b.key) },
              icon("refresh"),
            ),
            h(
              "button.icon-btn",
              { type: "button", "aria-label": `Delete ${b.key}`, title: "Delete", onclick: () => remove(b.key) },
              icon("trash"),
            ),
          ),
        ),
      ),
    );
  });
  async function download(key: string) {
    try {
      const token = await pb.files.getToken({ requestKey: null });
      const a = h("a", { href: pb.backups.getDownloadURL(token, key), download: key });
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  }
  async function restore(key: string) {
    const ok = await confirmDialog(
      h(
        "div",
        null,
        h("p", null, "Restore ", h("strong.mono", null, key), "?"),
        h(
          "p",
          null,
          "The current data is replaced by the backup and the app restarts in place (the server keeps ",
          "listening; this page reloads). Changes made since the backup are lost.",
        ),
      ),
      { yes: "Restore" },
    );
    if (!ok) return;
    try {
      await pb.backups.restore(key, { requestKey: null });
      toast("Restoring… the page reloads in a few seconds.", "info", 8000);
      setTimeout(() => location.reload(), 4000);
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  }
  async function remove(key: string) {
    if (!(await confirmDialog(h("p", null, "Delete backup ", h("strong.mono", null, key), "?"), { yes: "Delete" })))
      return;
    try {
      await pb.backups.delete(key, { requestKey: null });
      toast("Backup deleted.");
      load();
    } catch (err) {
      toast(errorMessage(err), "error");
    }
  }
  function createBackup() {
    const data = { name: "" };
    const form = h(
      "form.stack",
      { onsubmit: (e: Event) => e.preventDefault() },
      field(
        "Backup name",
        input(data, "name", {
          placeholder: "Leave empty to autogenerate",
          pattern: "[a-z0-9_-]+\\.zip",
          "data-testid": "backup-name",
        }),
        { err: "name", help: "Lowercase letters, digits, _ and -, ending in .zip." },
      ),
      h(
        "p.help",
        { "data-testid": "backup-writes-note" },
        "Writes keep working while the backup is made: each database is copied as a consistent snapshot (",
        h("code", null, "VACUUM INTO"),
        "), and changes made meanwhile are not in this backup.",
      ),
    );
    const d = openDialog({
      title: "Create backup",
      size: "sm",
      body: form,
      footer: [
        h("div.spacer"),
        h("button.btn.ghost", { type: "button", onclick: () => d.close() }, "Cancel"),
        busyButton(
          "Start backup",
          async () => {
            clearErrors(form);
            try {
              await pb.backups.create(data.name, { requestKey: null });
              toast("Backup created.");
              d.close();
              load();
            } catch (err) {
              showErrors(form, toastError(err));
            }
          },
          { class: "primary", "data-testid": "backup-start" },
        ),
      ],
    });
  }
  const uploadInput = h("input", {
    type: "file",
    accept: ".zip,application/zip",
    hidden: true,
    "data-testid": "backup-upload-input",
  }) as HTMLInputElement;
  uploadInput.addEventListener("change", async () => {
    const file = uploadInput.files?.[0];
    uploadInput.value = "";
    if (!file) return;
    try {
      await pb.backups.upload({ file }, { requestKey: null });
      toast(`Uploaded ${file.name}.`);
      load();
    } catch (err) {
      toastError(err);
    }
  });
  const render = () => {
    if (state.missing) {
      content.replaceChildren(pageHeader("Backups"), notAvailable("Backups", "/api/backups"));
      return;
    }
    if (onPostgres()) {
      content.replaceChildren(
        pageHeader("Backups"),
        notice(
          "info",
          "Backups are not available: the data lives in PostgreSQL. Back it up with PostgreSQL's own tools (pg_dump, continuous archiving).",
        ),
      );
      return;
    }
    content.replaceChildren(
      pageHeader(
        "Backups",
        h("button.icon-btn", { type: "button", "aria-label": "Refresh", onclick: () => load() }, icon("refresh")),
        h(
          "button.btn.ghost",
          { type: "button", onclick: () => uploadInput.click() },
          icon("upload"),
          h("span.hide-sm", null, "Upload backup"),
        ),
        h(
          "button.btn.primary",
          { type: "button", onclick: createBackup, "data-testid": "backup-create" },
          icon("plus"),
          "Create backup",
        ),
      ),
      h("p.help", null, "A backup is a zip of pb_data (the databases and local files)."),
      list,
      uploadInput,
      backupSettings(),
    );
  };
  render();
  if (!onPostgres()) load();
  return { el: layout("/settings/backups", content), title: "Backups" };
}

function backupSettings(): HTMLElement {
  const box = h("section.card", null, h("h3", null, "Automatic backups"), spinner());
  pb.settings
    .getAll({ requestKey: null })
    .then((s) => {
      const d = { backups: clone(s.backups) };
      const initial = clone(d);
      const auto = { on: !!d.backups.cron };
      const cronBox = live(() =>
        auto.on
          ? h(
              "div.grid-2",
              null,
              field("Cron expression", input(d.backups, "cron", { placeholder: "0 0 * * *", class: "mono" }), {
                err: "backups.cron",
                help: "e.g. 0 0 * * * = every day at 00:00 UTC",
              }),
              field("Max backups to keep", input(d.backups, "cronMaxKeep", { type: "number", min: 1 }), {
                err: "backups.cronMaxKeep",
              }),
            )
          : null,
      );
      const form = h(
        "form.stack",
        { onsubmit: (e: Event) => e.preventDefault() },
        toggle(auto, "on", "Enable automatic backups", (v) => {
          d.backups.cron = v ? d.backups.cron || "0 0 * * *" : "";
          cronBox.refresh();
        }),
        cronBox,
        h("h4", null, "Store backups in S3"),
        s3Fields(d.backups.s3, "backups.s3", "backups"),
        h(
          "div.form-actions",
          null,
          h("div.spacer"),
          busyButton(
            "Save backup settings",
            async () => {
              clearErrors(form);
              const payload = clone(d);
              stripEmptySecrets(payload);
              try {
                await pb.settings.update(payload, { requestKey: null });
                toast("Backup settings saved.");
              } catch (err) {
                showErrors(form, toastError(err));
              }
            },
            { class: "primary" },
          ),
        ),
      );
      void initial;
      box.replaceChildren(h("h3", null, "Automatic backups"), form);
    })
    .catch((err) =>
      box.replaceChildren(
        h("h3", null, "Automatic backups"),
        h("p.muted", null, isNotAvailable(err) ? "Settings are not available in this server yet." : errorMessage(err)),
      ),
    );
  return box;
}

// ---------- crons ----------
export function cronsPage(): Page {
  const content = h("div.settings-body", null, pageHeader("Crons"), spinner());
  const load = async () => {
    try {
      const jobs = await pb.crons.getFullList({ requestKey: null });
      content.replaceChildren(
        pageHeader(
          "Crons",
          h("button.icon-btn", { type: "button", "aria-label": "Refresh", onclick: load }, icon("refresh")),
        ),
        h("p.help", null, "Jobs registered by the app and by pb_hooks (cronAdd). Times are UTC."),
        jobs.length
          ? h(
              "div.table-wrap",
              null,
              h(
                "table.table",
                { "data-testid": "crons-table" },
                h(
                  "thead",
                  null,
                  h(
                    "tr",
                    null,
                    h("th", null, "Job"),
                    h("th", null, "Schedule"),
                    h("th", null, h("span.sr-only", null, "Run")),
                  ),
                ),
                h(
                  "tbody",
                  null,
                  jobs.map((j) =>
                    h(
                      "tr",
                      null,
                      h("td.mono", null, j.id),
                      h("td.mono", null, j.expression),
                      h(
                        "td.right",
                        null,
                        busyButton(
                          [icon("play"), "Run now"],
                          async () => {
                            try {
                              await pb.crons.run(j.id, { requestKey: null });
                              toast(`Ran ${j.id}.`);
                            } catch (err) {
                              toastError(err);
                            }
                          },
                          { class: "sm ghost", "aria-label": `Run ${j.id} now` },
                        ),
                      ),
                    ),
                  ),
                ),
              ),
            )
          : h("div.empty.sm", null, icon("clock"), h("p", null, "No cron jobs registered.")),
      );
    } catch (err) {
      content.replaceChildren(
        pageHeader("Crons"),
        isNotAvailable(err) ? notAvailable("Crons", "/api/crons") : h("p.error-text", null, errorMessage(err)),
      );
    }
  };
  load();
  return { el: layout("/settings/crons", content), title: "Crons" };
}

// ---------- export / import ----------
function exportable(c: any) {
  const { created: _c, updated: _u, ...rest } = c;
  return rest;
}

export function exportPage(): Page {
  const all = collections.get();
  const chosen = new Set(all.map((c) => c.id));
  const out = live(() => {
    const json = JSON.stringify(all.filter((c) => chosen.has(c.id)).map(exportable), null, 2);
    return h(
      "div.stack",
      null,
      h(
        "div.row.gap",
        null,
        h(
          "button.btn.primary",
          { type: "button", onclick: () => downloadBlob("pb_schema.json", json) },
          icon("download"),
          "Download JSON",
        ),
        h("span.muted.sm", null, `${plural(chosen.size, "collection")} selected`),
      ),
      codeBlock(json),
    );
  });
  const picks = h(
    "div.chip-toggles",
    { role: "group", "aria-label": "Collections to export" },
    all.map((c) => {
      const b = h("button.chip-toggle", { type: "button", "aria-pressed": "true" }, c.name);
      b.addEventListener("click", () => {
        chosen.has(c.id) ? chosen.delete(c.id) : chosen.add(c.id);
        b.setAttribute("aria-pressed", String(chosen.has(c.id)));
        out.refresh();
      });
      return b;
    }),
  );
  return {
    el: layout(
      "/settings/export-collections",
      h(
        "div.settings-body",
        null,
        pageHeader("Export collections"),
        h("p.help", null, "The collections schema as JSON, for Import collections on another instance."),
        picks,
        out,
      ),
    ),
    title: "Export collections",
  };
}

export function importPage(): Page {
  const data = { json: "", deleteMissing: false };
  const review = h("div.stack");
  const ta = textarea(data, "json", {
    rows: 12,
    class: "mono code",
    spellcheck: "false",
    placeholder: '[{"name": "posts", "type": "base", "fields": [...]}]',
    "aria-label": "Collections JSON",
  });
  const fileIn = h("input", { type: "file", accept: ".json,application/json", hidden: true }) as HTMLInputElement;
  fileIn.addEventListener("change", async () => {
    const f = fileIn.files?.[0];
    fileIn.value = "";
    if (!f) return;
    ta.value = data.json = await f.text();
    check();
  });
  const check = () => {
    let list: any[];
    try {
      list = JSON.parse(data.json);
      if (!Array.isArray(list)) throw new Error("expected a JSON array of collections");
    } catch (err) {
      put(
        review,
        data.json.trim() ? h("p.error-text", null, "Invalid collections JSON: " + (err as Error).message) : null,
      );
      return;
    }
    const current = collections.get();
    const byKey = (c: any) => current.find((x) => x.id === c.id) ?? current.find((x) => x.name === c.name);
    const added = list.filter((c) => !byKey(c));
    const changed = list.filter((c) => {
      const cur = byKey(c);
      return cur && !same(exportable(cur), { ...exportable(cur), ...exportable(c) });
    });
    const removed = data.deleteMissing
      ? current.filter((c) => !c.system && !list.some((x) => x.id === c.id || x.name === c.name))
      : [];
    review.replaceChildren(
      h(
        "div.card",
        null,
        h("h3", null, "Review"),
        h(
          "ul.plain",
          null,
          h(
            "li",
            null,
            h("span.tag.okc", null, `+${added.length}`),
            " new: ",
            added.map((c) => c.name).join(", ") || "none",
          ),
          h(
            "li",
            null,
            h("span.tag.warn", null, `~${changed.length}`),
            " changed: ",
            changed.map((c) => c.name).join(", ") || "none",
          ),
          h(
            "li",
            null,
            h("span.tag.bad", null, `-${removed.length}`),
            " deleted: ",
            removed.map((c) => c.name).join(", ") || "none",
          ),
        ),
        h(
          "div.form-actions",
          null,
          h("div.spacer"),
          busyButton(
            "Confirm and import",
            async () => {
              if (
                removed.length &&
                !(await confirmDialog(
                  `This deletes ${plural(removed.length, "collection")} and all their data: ${removed.map((c) => c.name).join(", ")}.`,
                  { yes: "Import and delete" },
                ))
              )
                return;
              try {
                await pb.collections.import(list, data.deleteMissing, { requestKey: null });
                await loadCollections();
                toast("Collections imported.");
                check();
              } catch (err) {
                const e = toastError(err);
                review.append(codeBlock(JSON.stringify(e, null, 2)));
              }
            },
            { class: "primary" },
          ),
        ),
      ),
    );
  };
  ta.addEventListener("input", check);
  return {
    el: layout(
      "/settings/import-collections",
      h(
        "div.settings-body",
        null,
        pageHeader(
          "Import collections",
          h("button.btn.ghost", { type: "button", onclick: () => fileIn.click() }, icon("upload"), "Load from file"),
        ),
        h("p.help", null, "Paste an exported collections JSON. Collections are matched by id, then by name."),
        ta,
        fileIn,
        toggle(data, "deleteMissing", "Delete collections (and their data) that are not in the import", () => check()),
        review,
      ),
    ),
    title: "Import collections",
  };
}

// ---------- SQL ----------
export function sqlPage(): Page {
  const data = {
    query: store.get<string>(
      "sqlDraft",
      onPostgres()
        ? "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"
        : "SELECT name, type FROM sqlite_master WHERE type = 'table' ORDER BY name",
    ),
  };
  const ta = textarea(data, "query", {
    rows: 6,
    class: "mono code",
    spellcheck: "false",
    "aria-label": "SQL query",
    "data-testid": "sql-input",
  });
  const result = h("div.sql-result", { "data-testid": "sql-result" });
  const historyKey = "sqlHistory";
  const run = async () => {
    const q = data.query.trim();
    if (!q) return;
    store.set("sqlDraft", q);
    store.set(historyKey, [q, ...store.get<string[]>(historyKey, []).filter((x) => x !== q)].slice(0, 20));
    result.replaceChildren(spinner());
    try {
      const r: any = await pb.send("/api/sql", { method: "POST", body: { query: q }, requestKey: null });
      const cols: { name: string; type: string }[] = r.columns ?? [];
      put(
        result,
        h(
          "p.muted.sm",
          null,
          `${plural((r.rows ?? []).length, "row")}${r.affectedRows ? ` · ${plural(r.affectedRows, "affected row")}` : ""} · ${Math.round((r.execTime ?? 0) * 100) / 100} ms`,
        ),
        cols.length
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
                    cols.map((c) => h("th", { title: c.type }, c.name)),
                  ),
                ),
                h(
                  "tbody",
                  null,
                  (r.rows ?? []).map((row: (string | null)[]) =>
                    h(
                      "tr",
                      null,
                      row.map((v) => h("td", null, v === null ? h("span.muted", null, "NULL") : v)),
                    ),
                  ),
                ),
              ),
            )
          : null,
      );
    } catch (err) {
      if (isNotAvailable(err)) result.replaceChildren(notAvailable("The SQL console", "/api/sql"));
      else result.replaceChildren(h("pre.error-box", null, errorMessage(err)));
    }
  };
  ta.addEventListener("keydown", (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") {
      ev.preventDefault();
      run();
    }
  });
  const historySel = live(() => {
    const hist = store.get<string[]>(historyKey, []);
    if (!hist.length) return null;
    const s = h(
      "select",
      { "aria-label": "Recent queries" },
      h("option", { value: "" }, "Recent queries…"),
      hist.map((q) => h("option", { value: q }, q.slice(0, 80))),
    ) as HTMLSelectElement;
    s.addEventListener("change", () => {
      if (s.value) ta.value = data.query = s.value;
      s.value = "";
    });
    return s;
  });
  return {
    el: layout(
      "/settings/sql",
      h(
        "div.settings-body",
        null,
        pageHeader("SQL console"),
        onPostgres()
          ? notice(
              "warn",
              "Queries run directly against the ",
              h("strong", { "data-testid": "sql-engine" }, dbEngineName()),
              " database, in its SQL: writes bypass validation, hooks and API rules.",
            )
          : notice("warn", "Queries run directly against data.db: writes bypass validation, hooks and API rules."),
        ta,
        h(
          "div.row.gap",
          null,
          h("button.btn.primary", { type: "button", onclick: run, "data-testid": "sql-run" }, icon("play"), "Run"),
          h("span.muted.sm", null, "Ctrl+Enter"),
          h("div.spacer"),
          historySel,
        ),
        result,
      ),
    ),
    title: "SQL console",
  };
}
