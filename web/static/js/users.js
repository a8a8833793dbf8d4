// Users: the admin's Users dialog (add with a one-time password, roles, disable, a new
// password) and everyone's own account (change your password).

import { describe } from "./actions.js";
import { confirmDialog } from "./dialogs.js";
import { h, icon } from "./dom.js";
import { M } from "./messages.js";
import { toast } from "./toasts.js";

const ROLES = ["admin", "editor", "author", "viewer"];

function modal(titleText, id, ...content) {
  const dialog = h("dialog", { class: "dialog dialog-wide", "aria-labelledby": id },
    h("div", { class: "dialog-form" }, h("h2", { class: "dialog-title", id }, titleText), ...content,
      h("div", { class: "dialog-buttons" },
        h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, M.close))));
  dialog.addEventListener("close", () => dialog.remove());
  dialog.addEventListener("keydown", (event) => event.stopPropagation());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** The one-time password, shown once with a Copy button. */
function oneTime(email, password) {
  const value = h("code", { class: "one-time-password" }, password);
  return h("div", { class: "one-time", role: "status" },
    h("p", {}, M.oneTime(email)), h("div", { class: "field-row" }, value,
      h("button", { type: "button", class: "btn btn-small", onclick: () => navigator.clipboard?.writeText(password)
        .then(() => toast(M.keptCopied), () => {}) }, icon("copy"), M.copy)));
}

/** The admin's Users dialog. */
export async function usersDialog({ actions, store }) {
  const list = h("table", { class: "users-table" });
  const revealed = h("div", { class: "one-time-slot" });
  const email = h("input", { id: "new-user-email", name: "email", type: "email", class: "input", required: true,
    autocomplete: "off", placeholder: "editor@newsroom.example" });
  const role = h("select", { id: "new-user-role", name: "role", class: "input" },
    ROLES.map((r) => h("option", { value: r, selected: r === "editor" }, M.roles[r])));
  const error = h("p", { class: "field-error", id: "new-user-error", hidden: true });
  email.setAttribute("aria-describedby", "new-user-error");
  const form = h("form", { class: "user-add", novalidate: true },
    h("h3", { class: "field-label" }, M.invite),
    h("div", { class: "field-row" },
      h("div", { class: "field grow" }, h("label", { class: "field-label", for: "new-user-email" }, M.email), email),
      h("div", { class: "field" }, h("label", { class: "field-label", for: "new-user-role" }, M.role), role),
      h("button", { type: "submit", class: "btn btn-primary" }, icon("plus"), M.add)),
    error, h("p", { class: "field-help" }, M.roleHelp));

  async function refresh() {
    let users;
    try {
      users = (await actions.listUsers()).items;
    } catch (failure) {
      list.replaceChildren(h("tr", {}, h("td", { class: "field-error" }, failure.message)));
      return;
    }
    const me = store.me.id;
    list.replaceChildren(h("thead", {}, h("tr", {}, h("th", {}, M.email), h("th", {}, M.role), h("th", {}, ""))),
      h("tbody", {}, users.map((user) => userRow(user, user.id === me))));
  }

  function userRow(user, self) {
    const select = h("select", { class: "input", "aria-label": `${M.role}: ${user.email}`, disabled: self },
      ROLES.map((r) => h("option", { value: r, selected: r === user.role }, M.roles[r])));
    select.addEventListener("change", async () => {
      if (await actions.updateUser({ id: user.id, role: select.value })) await refresh();
      else select.value = user.role;
    });
    const buttons = self ? [h("span", { class: "muted" }, M.you)] : [
      h("button", { type: "button", class: "btn btn-small", onclick: () => reset(user) }, M.resetPassword),
      h("button", { type: "button", class: user.disabled ? "btn btn-small" : "btn btn-small btn-danger-text",
        onclick: () => toggle(user) }, user.disabled ? M.enable : M.disable),
    ];
    return h("tr", { "data-user-id": String(user.id), class: user.disabled ? "is-disabled" : "" },
      h("td", {}, user.email, user.disabled ? h("span", { class: "badge badge-muted" }, M.disabled) : null),
      h("td", {}, select), h("td", { class: "user-buttons" }, buttons));
  }

  async function toggle(user) {
    if (!user.disabled && !await confirmDialog({ title: M.disableTitle(user.email), message: M.disableMessage,
      okLabel: M.disable, danger: true })) return;
    if (await actions.updateUser({ id: user.id, disabled: !user.disabled })) await refresh();
  }

  async function reset(user) {
    if (!await confirmDialog({ title: M.resetTitle(user.email), message: M.resetMessage, okLabel: M.resetPassword })) return;
    const result = await actions.resetPassword(user.id);
    if (result) revealed.replaceChildren(oneTime(user.email, result.password));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    email.removeAttribute("aria-invalid");
    if (!email.value.trim() || !email.checkValidity()) {
      error.textContent = email.value.trim() ? email.validationMessage : M.required;
      error.hidden = false;
      email.setAttribute("aria-invalid", "true");
      email.focus();
      return;
    }
    try {
      const result = await actions.createUser({ email: email.value.trim(), role: role.value });
      revealed.replaceChildren(oneTime(email.value.trim().toLowerCase(), result.password));
      toast(M.userAdded(email.value.trim().toLowerCase()));
      email.value = "";
      await refresh();
    } catch (failure) {
      error.textContent = failure.reason ? describe(failure) : failure.message.replace(/^user\.create: /, "");
      error.hidden = false;
      email.setAttribute("aria-invalid", "true");
    }
  });

  modal(M.usersTitle, "users-dialog-title", list, revealed, form);
  await refresh();
  email.focus();
}

/** Your account: change your own password. */
export function accountDialog({ actions, store }) {
  const input = (name, label, autocomplete) => {
    const control = h("input", { id: `account-${name}`, name, type: "password", class: "input", autocomplete,
      "aria-describedby": `account-${name}-error` });
    const error = h("p", { class: "field-error", id: `account-${name}-error`, hidden: true });
    return { control, error, el: h("div", { class: "field" },
      h("label", { class: "field-label", for: `account-${name}` }, label), control, error) };
  };
  const current = input("current", M.currentPassword, "current-password");
  const fresh = input("password", M.newPassword, "new-password");
  const again = input("again", M.repeatPassword, "new-password");
  const fail = (which, message) => {
    which.error.textContent = message;
    which.error.hidden = false;
    which.control.setAttribute("aria-invalid", "true");
    which.control.focus();
  };
  const form = h("form", { class: "account-form", novalidate: true },
    h("p", { class: "dialog-message" }, store.me.email), current.el, fresh.el, again.el,
    h("button", { type: "submit", class: "btn btn-primary" }, M.changePassword));
  const dialog = modal(M.account, "account-dialog-title", form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const which of [current, fresh, again]) {
      which.error.hidden = true;
      which.control.removeAttribute("aria-invalid");
    }
    if (!current.control.value) return fail(current, M.required);
    if (fresh.control.value.length < 8) return fail(fresh, M.passwordTooShort);
    if (fresh.control.value !== again.control.value) return fail(again, M.passwordsDiffer);
    try {
      await actions.changePassword({ current: current.control.value, password: fresh.control.value });
    } catch (failure) {
      if (failure.code === "forbidden") return fail(current, M.wrongPassword);
      return fail(fresh, failure.message.replace(/^user\.passwd: /, ""));
    }
    toast(M.passwordChanged);
    dialog.close();
    return undefined;
  });
  current.control.focus();
}
