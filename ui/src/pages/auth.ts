/** Guest screens: installer, superuser login (password, OTP, MFA), password reset and the email-link pages. */
import { ClientResponseError, getTokenPayload, isTokenExpired } from "pocketbase";
import { errorMessage, isNotAvailable, pb } from "../lib/app.ts";
import { add, h, live } from "../lib/dom.ts";
import { icon } from "../lib/icons.ts";
import { clearErrors, confirmDialog, field, input, notice, showErrors, toast, toastError } from "../lib/ui.ts";
import type { Page, Route } from "../router.ts";

const SU = "_superusers";

/** A form whose submit runs `action` with a busy submit button and API errors shown inline. */
function authForm(
  children: (HTMLElement | null)[],
  submitLabel: string,
  action: (form: HTMLFormElement) => Promise<void>,
): HTMLFormElement {
  const submit = h("button.btn.primary.block", { type: "submit" }, submitLabel, icon("right"));
  const form = h("form.auth-form", { novalidate: true }, ...children, submit) as HTMLFormElement;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (submit.classList.contains("busy")) return;
    submit.classList.add("busy");
    clearErrors(form);
    try {
      await action(form);
    } catch (err) {
      const data = err instanceof ClientResponseError ? (err.response?.data ?? {}) : {};
      const unmatched = showErrors(form, data);
      if (!Object.keys(data).length || unmatched.length) toast(errorMessage(err), "error", 6000);
    } finally {
      submit.classList.remove("busy");
    }
  });
  return form;
}

function passwordInput(obj: any, key: string, autocomplete: string, autofocus = false): HTMLElement {
  const el = input(obj, key, { type: "password", autocomplete, required: true, autofocus });
  const btn = h(
    "button.icon-btn.sm.inline-end",
    {
      type: "button",
      "aria-label": "Show password",
      onclick: () => {
        el.type = el.type === "password" ? "text" : "password";
        btn.setAttribute("aria-label", el.type === "password" ? "Show password" : "Hide password");
      },
    },
    icon("eye"),
  );
  return h("div.input-group", null, el, btn);
}

// ---------- installer ----------
export function installerPage(r: Route): Page {
  const token = r.params.token ?? "";
  const payload = getTokenPayload(token);
  if (payload.type !== "auth" || isTokenExpired(token)) {
    return {
      title: "Installer",
      el: h(
        "div.auth-page",
        null,
        h("h1", null, "Installer link expired"),
        h(
          "p.muted",
          null,
          "This installer link is invalid or has expired. Restart the server to print a fresh one, or create a superuser with ",
          h("code", null, "pb superuser upsert EMAIL PASS"),
          ".",
        ),
        h("a.btn.block", { href: "#/login" }, "Go to login"),
      ),
    };
  }
  const data = { email: "", password: "", passwordConfirm: "" };
  const form = authForm(
    [
      field(
        "Email",
        input(data, "email", { type: "email", autocomplete: "username", required: true, autofocus: true }),
        { err: "email", required: true },
      ),
      field("Password", passwordInput(data, "password", "new-password"), {
        err: "password",
        required: true,
        help: "At least 10 characters.",
      }),
      field("Confirm password", passwordInput(data, "passwordConfirm", "new-password"), {
        err: "passwordConfirm",
        required: true,
      }),
    ],
    "Create superuser and log in",
    async () => {
      await pb.collection(SU).create(data, { headers: { Authorization: token } });
      await pb.collection(SU).authWithPassword(data.email, data.password);
      toast("Welcome! Your superuser account is ready.");
      location.hash = "#/collections";
    },
  );

  const fileInput = h("input", { type: "file", accept: ".zip,application/zip", hidden: true }) as HTMLInputElement;
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files?.[0];
    fileInput.value = "";
    if (!file) return;
    const ok = await confirmDialog(
      `Backups are not validated before they are restored. Only continue if you trust "${file.name}". Upload and restore it now?`,
      { yes: "Upload and restore" },
    );
    if (!ok) return;
    try {
      await pb.backups.upload({ file }, { headers: { Authorization: token } });
      await pb.backups.restore(file.name, { headers: { Authorization: token } });
      toast("Restoring the backup… the server restarts and the page reloads shortly.", "info", 8000);
      setTimeout(() => (location.hash = "#/login"), 3000);
    } catch (err) {
      if (isNotAvailable(err)) toast("Backups are not available in this server yet.", "error");
      else toastError(err);
    }
  });

  return {
    title: "Installer",
    el: h(
      "div.auth-page",
      null,
      h("h1", null, "Create your first superuser"),
      h("p.muted", null, "Superusers manage collections, records and settings from this dashboard."),
      form,
      h("div.divider", null, h("span", null, "or")),
      h(
        "button.btn.ghost.block",
        { type: "button", onclick: () => fileInput.click() },
        icon("upload"),
        "Initialize from a backup",
      ),
      fileInput,
    ),
  };
}

// ---------- login ----------
export async function loginPage(): Promise<Page> {
  interface Methods {
    password?: { enabled: boolean; identityFields: string[] };
    otp?: { enabled: boolean };
    mfa?: { enabled: boolean };
  }
  let methods: Methods = { password: { enabled: true, identityFields: ["email"] } };
  try {
    methods = (await pb.collection(SU).listAuthMethods({ requestKey: null })) as Methods;
  } catch {
    /* older servers: assume password auth */
  }
  const state = {
    step: (methods.password?.enabled ? "password" : "otp-request") as "password" | "otp-request" | "otp",
    identity: "",
    password: "",
    otpEmail: "",
    otpId: "",
    otpCode: "",
    mfaId: "",
  };
  const done = () => {
    toast("Logged in.", "info", 2000);
    location.hash = "#/collections";
  };
  const view = live(() => {
    if (state.step === "password") {
      return authForm(
        [
          field(
            "Email",
            input(state, "identity", {
              type: "email",
              autocomplete: "username",
              required: true,
              autofocus: true,
              name: "email",
            }),
            { err: "identity" },
          ),
          field("Password", passwordInput(state, "password", "current-password"), { err: "password" }),
          h("div.form-row.end", null, h("a.link.sm", { href: "#/request-password-reset" }, "Forgotten password?")),
        ],
        "Log in",
        async () => {
          try {
            await pb.collection(SU).authWithPassword(state.identity, state.password);
            done();
          } catch (err) {
            // MFA: the first factor passed, a second one is required
            const mfaId = err instanceof ClientResponseError ? err.response?.mfaId : "";
            if (mfaId) {
              state.mfaId = mfaId;
              state.otpEmail = state.identity;
              if (methods.otp?.enabled) {
                await requestOTP();
              } else {
                toast(
                  "Multi-factor authentication is required, but no second method (OTP) is enabled for superusers.",
                  "error",
                  8000,
                );
              }
              return;
            }
            throw err;
          }
        },
      );
    }
    if (state.step === "otp-request") {
      return authForm(
        [
          h("p.muted", null, "We will email you a one-time password."),
          field(
            "Email",
            input(state, "otpEmail", { type: "email", autocomplete: "username", required: true, autofocus: true }),
            { err: "email" },
          ),
        ],
        "Send one-time password",
        requestOTP,
      );
    }
    return authForm(
      [
        state.mfaId
          ? notice(
              "shield",
              "Multi-factor authentication: enter the one-time password we just emailed to ",
              h("strong", null, state.otpEmail),
              ".",
            )
          : h("p.muted", null, "Check your email for the one-time password."),
        field(
          "One-time password",
          input(state, "otpCode", {
            autocomplete: "one-time-code",
            required: true,
            autofocus: true,
            inputmode: "numeric",
          }),
          { err: "password" },
        ),
        h(
          "div.form-row.end",
          null,
          h("button.link.sm", { type: "button", onclick: () => requestOTP().catch(toastError) }, "Send a new code"),
        ),
      ],
      "Log in",
      async () => {
        await pb.collection(SU).authWithOTP(state.otpId, state.otpCode, state.mfaId ? { mfaId: state.mfaId } : {});
        done();
      },
    );
  });
  async function requestOTP() {
    const res = await pb.collection(SU).requestOTP(state.otpEmail);
    state.otpId = res.otpId;
    state.step = "otp";
    view.refresh();
    switcher.refresh();
    view.querySelector<HTMLElement>("[autofocus]")?.focus();
  }
  const switcher = live(() => {
    if (state.mfaId || !(methods.otp?.enabled && methods.password?.enabled)) return null;
    return h(
      "div.divider",
      null,
      h(
        "button.link.sm",
        {
          type: "button",
          onclick: () => {
            state.step = state.step === "password" ? "otp-request" : "password";
            view.refresh();
            switcher.refresh();
            view.querySelector<HTMLElement>("[autofocus]")?.focus();
          },
        },
        state.step === "password" ? "Log in with a one-time password instead" : "Log in with a password instead",
      ),
    );
  });
  return { title: "Login", el: h("div.auth-page", null, h("h1", null, "Superuser login"), view, switcher) };
}

export function requestResetPage(): Page {
  const data = { email: "" };
  const box = h("div");
  box.append(
    authForm(
      [
        field(
          "Email",
          input(data, "email", { type: "email", autocomplete: "username", required: true, autofocus: true }),
          { err: "email" },
        ),
      ],
      "Send reset link",
      async () => {
        await pb.collection(SU).requestPasswordReset(data.email);
        box.replaceChildren(
          notice("mail", `If ${data.email} belongs to a superuser, an email with a reset link is on its way.`),
        );
      },
    ),
  );
  return {
    title: "Reset password",
    el: h(
      "div.auth-page",
      null,
      h("h1", null, "Forgotten password"),
      box,
      h("a.link.sm.center", { href: "#/login" }, icon("left"), "Back to login"),
    ),
  };
}

// ---------- links sent by email (any auth collection) ----------
function tokenCollection(token: string): string {
  return String(getTokenPayload(token).collectionId ?? "");
}

function result(ok: boolean, title: string, text: string): HTMLElement {
  return h(
    "div.auth-page.center",
    null,
    h(`div.result-icon.${ok ? "ok" : "bad"}`, null, icon(ok ? "check" : "x")),
    h("h1", null, title),
    h("p.muted", null, text),
  );
}

export function confirmPasswordResetPage(r: Route): Page {
  const token = r.params.token ?? "";
  const data = { password: "", passwordConfirm: "" };
  const box = h("div.auth-page");
  const payload = getTokenPayload(token);
  add(
    box,
    h("h1", null, "Reset your password"),
    payload.email ? h("p.muted", null, "For ", h("strong", null, String(payload.email))) : null,
    authForm(
      [
        field("New password", passwordInput(data, "password", "new-password", true), { err: "password" }),
        field("Confirm new password", passwordInput(data, "passwordConfirm", "new-password"), {
          err: "passwordConfirm",
        }),
      ],
      "Set new password",
      async () => {
        await pb.collection(tokenCollection(token)).confirmPasswordReset(token, data.password, data.passwordConfirm);
        box.replaceChildren(result(true, "Password changed", "You can now log in with your new password."));
        if (payload.collectionId && (await isSuperuserCollection(String(payload.collectionId))))
          box.append(h("a.btn.primary.block", { href: "#/login" }, "Go to login"));
      },
    ),
  );
  return { title: "Reset password", el: box };
}

async function isSuperuserCollection(id: string): Promise<boolean> {
  return id === "pbc_3142635823" || id === SU;
}

export function confirmVerificationPage(r: Route): Page {
  const token = r.params.token ?? "";
  const box = h("div.auth-page.center", null, h("div.loader"), h("p.muted", null, "Verifying your email…"));
  pb.collection(tokenCollection(token))
    .confirmVerification(token)
    .then(() => box.replaceWith(result(true, "Email verified", "Thank you. You can close this page.")))
    .catch(() =>
      box.replaceWith(
        result(
          false,
          "Verification failed",
          "The link is invalid or has expired. Request a new verification email and try again.",
        ),
      ),
    );
  return { title: "Verify email", el: h("div", null, box) };
}

export function confirmEmailChangePage(r: Route): Page {
  const token = r.params.token ?? "";
  const payload = getTokenPayload(token);
  const data = { password: "" };
  const box = h("div.auth-page");
  add(
    box,
    h("h1", null, "Confirm your new email"),
    payload.newEmail ? h("p.muted", null, "Change to ", h("strong", null, String(payload.newEmail))) : null,
    authForm(
      [field("Your password", passwordInput(data, "password", "current-password", true), { err: "password" })],
      "Confirm new email",
      async () => {
        await pb.collection(tokenCollection(token)).confirmEmailChange(token, data.password);
        box.replaceChildren(result(true, "Email changed", "You can now log in with your new email address."));
      },
    ),
  );
  return { title: "Confirm email change", el: box };
}

export function oauth2ResultPage(ok: boolean): Page {
  return {
    title: ok ? "Authenticated" : "Authentication failed",
    el: ok
      ? result(true, "Authentication complete", "You can close this window and go back to the app.")
      : result(
          false,
          "Authentication failed",
          "Something went wrong while signing in with the provider. Close this window and try again.",
        ),
  };
}
