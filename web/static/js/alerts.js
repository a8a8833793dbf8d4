// Alerts (CONTRACT §10): the admin's Alerts dialog (targets to add, edit, test and delete),
// the top bar's button that turns red while a target is failing, and the board's deep links
// (#platform-ID, #snippet-ID) that alerts carry.

import { describe } from "./actions.js";
import { confirmDialog } from "./dialogs.js";
import { h, icon, setAttr, setText } from "./dom.js";
import { M } from "./messages.js";
import { relative } from "./time.js";
import { toast } from "./toasts.js";

const T = M.alerts;
const KINDS = ["webhook", "telegram", "email"];
const EVENTS = ["column_stopped", "card_failed", "card_needs_check", "queue_dry", "feed_failing", "token_expiring"];
// Each kind's fields: [name, where (settings or secrets), input type, required when adding].
const FIELDS = {
  webhook: [["url", "settings", "url", true]],
  telegram: [["chat_id", "settings", "text", true], ["bot_token", "secrets", "password", true],
    ["api_base", "settings", "url", false]],
  email: [["to", "settings", "text", true], ["host", "settings", "text", false], ["port", "settings", "number", false],
    ["user", "settings", "text", false], ["password", "secrets", "password", false], ["from", "settings", "email", false],
    ["tls", "settings", "select", false]],
};

let current = null; // the open dialog's {render}

function targets(store) {
  return Object.values(store.state.alerts ?? {}).sort((a, b) => a.id - b.id);
}

/** The top bar's Alerts button: admins only, flagged while a target is failing. */
export class AlertsButton {
  constructor(button, { store, conn }) {
    this.button = button;
    this.store = store;
    button.addEventListener("click", () => alertsDialog({ store, conn }));
  }

  render() {
    const admin = this.store.me?.role === "admin";
    this.button.hidden = !admin;
    const failing = admin ? targets(this.store).filter((t) => t.status === "failing") : [];
    this.button.classList.toggle("is-failing", failing.length > 0);
    setAttr(this.button, "title", failing.length ? T.failingTitle(failing.map((t) => t.name)) : T.buttonTitle);
    setText(this.button.querySelector(".alerts-count"), failing.length ? String(failing.length) : "");
    current?.render();
  }
}

/** Open the board at the card or column a link names (#snippet-17, #platform-3). */
export function followLinks(show) {
  const go = () => {
    const found = location.hash.match(/^#(snippet|platform)-(\d+)$/);
    if (!found) return;
    const id = Number(found[2]);
    show(found[1] === "snippet" ? { snippetId: id } : { platformId: id });
  };
  window.addEventListener("hashchange", go);
  go();
}

function statusBadge(target) {
  const tone = { ok: "ok", failing: "danger" }[target.status] ?? "muted";
  return h("span", { class: `badge badge-${tone}` }, T.status[target.status] ?? target.status);
}

function targetRow(target, { store, conn, edit }) {
  const result = h("p", { class: "alert-result", role: "status" });
  const test = h("button", { type: "button", class: "btn btn-small" }, icon("send"), T.test);
  test.addEventListener("click", async () => {
    test.disabled = true;
    setText(result, T.testing);
    result.dataset.outcome = "";
    try {
      const answer = await conn.command("alert.test", { id: target.id });
      result.dataset.outcome = answer.delivered ? "ok" : "failed";
      setText(result, answer.delivered ? T.delivered : T.notDelivered(answer.error));
    } catch (error) {
      result.dataset.outcome = "failed";
      setText(result, T.notDelivered(describe(error)));
    } finally {
      test.disabled = false;
    }
  });
  const remove = h("button", { type: "button", class: "btn btn-small btn-danger-text" }, icon("trash"), T.delete);
  remove.addEventListener("click", async () => {
    if (!await confirmDialog({ title: T.deleteTitle(target.name), message: T.deleteMessage, okLabel: T.delete,
      danger: true })) return;
    try {
      await conn.command("alert.delete", { id: target.id });
    } catch (error) {
      toast(describe(error), { kind: "error" });
    }
  });
  const events = target.events.length === EVENTS.length ? T.allEvents
    : target.events.length ? target.events.map((e) => T.events[e]).join(", ") : T.noEvents;
  const problem = target.status === "failing" && target.last_error
    ? h("p", { class: "alert-error" }, icon("warning"), T.lastError(target.last_error,
      target.last_error_at ? relative(target.last_error_at) : ""))
    : null;
  const lastOk = target.last_ok_at ? h("span", { class: "muted" }, T.lastOk(relative(target.last_ok_at))) : null;
  return h("li", { class: "alert-target", "data-alert-id": String(target.id), "data-status": target.status },
    h("div", { class: "alert-head" },
      h("strong", { class: "alert-name" }, target.name),
      h("span", { class: "muted" }, T.kinds[target.kind] ?? target.kind),
      statusBadge(target), lastOk),
    h("p", { class: "alert-events" }, events),
    problem,
    h("div", { class: "alert-buttons" }, test,
      h("button", { type: "button", class: "btn btn-small", onclick: () => edit(target) }, icon("edit"), T.edit),
      remove),
    result);
}

function field(name, where, type, value) {
  const id = `alert-field-${name}`;
  let control;
  if (type === "select") {
    control = h("select", { id, name, class: "input" },
      ["starttls", "ssl", "none"].map((mode) => h("option", { value: mode, selected: mode === (value ?? "starttls") },
        T.tls[mode])));
  } else {
    control = h("input", { id, name, type, class: "input input-wide", autocomplete: type === "password" ? "new-password" : "off",
      value: value === undefined || value === null ? "" : Array.isArray(value) ? value.join(", ") : String(value),
      placeholder: T.placeholders[name] ?? "" });
  }
  control.dataset.where = where;
  return h("div", { class: "field" }, h("label", { class: "field-label", for: id }, T.fields[name]), control);
}

/** The add / edit form; `target` null: a new one. */
function targetForm({ conn, target, done }) {
  const kind = h("select", { id: "alert-kind", name: "kind", class: "input", disabled: Boolean(target) },
    KINDS.map((k) => h("option", { value: k, selected: k === (target?.kind ?? "webhook") }, T.kinds[k])));
  const name = h("input", { id: "alert-name", name: "name", class: "input input-wide", required: true,
    value: target?.name ?? "", placeholder: T.placeholders.name });
  const fields = h("div", { class: "alert-fields" });
  const error = h("p", { class: "field-error", id: "alert-error", role: "alert", hidden: true });
  const checks = EVENTS.map((e) => h("label", { class: "alert-event" },
    h("input", { type: "checkbox", name: "events", value: e, checked: target ? target.events.includes(e) : true }),
    T.events[e]));
  const paint = () => {
    fields.replaceChildren(...FIELDS[kind.value].map(([n, where, type]) =>
      field(n, where, type, where === "settings" ? target?.settings?.[n] : undefined)));
    if (target && FIELDS[kind.value].some(([, where]) => where === "secrets")) {
      fields.append(h("p", { class: "field-help" }, T.secretsKept));
    }
  };
  kind.addEventListener("change", paint);
  paint();
  const form = h("form", { class: "alert-form", novalidate: true },
    h("h3", { class: "field-label" }, target ? T.editTitle(target.name) : T.addTitle),
    h("div", { class: "field-row" },
      h("div", { class: "field" }, h("label", { class: "field-label", for: "alert-kind" }, T.kind), kind),
      h("div", { class: "field grow" }, h("label", { class: "field-label", for: "alert-name" }, T.name), name)),
    fields,
    h("fieldset", { class: "alert-events-set" }, h("legend", { class: "field-label" }, T.eventsLegend), checks),
    error,
    h("div", { class: "field-row" },
      target ? h("button", { type: "button", class: "btn", onclick: () => done() }, M.cancel) : null,
      h("button", { type: "submit", class: "btn btn-primary" }, target ? T.save : T.add)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const settings = {};
    const secrets = {};
    for (const control of fields.querySelectorAll("input, select")) {
      const value = control.value.trim();
      if (!value) continue;
      const into = control.dataset.where === "secrets" ? secrets : settings;
      into[control.name] = control.type === "number" ? Number(value) : value;
    }
    const args = { name: name.value.trim(), settings,
      events: checks.map((c) => c.querySelector("input")).filter((c) => c.checked).map((c) => c.value) };
    if (Object.keys(secrets).length) args.secrets = secrets;
    try {
      if (target) await conn.command("alert.update", { id: target.id, ...args });
      else await conn.command("alert.create", { kind: kind.value, ...args });
    } catch (failure) {
      setText(error, describe(failure).replace(/^alert\.(create|update): /, ""));
      error.hidden = false;
      return;
    }
    toast(target ? T.saved(args.name) : T.added(args.name));
    done();
  });
  return form;
}

/** The admin's Alerts dialog; follows the state's `alerts` live while open. */
export function alertsDialog({ store, conn }) {
  if (current) return;
  const list = h("ul", { class: "alert-list", "aria-label": T.listLabel });
  const empty = h("p", { class: "dialog-message" }, T.empty);
  const slot = h("div", { class: "alert-form-slot" });
  const showForm = (target = null) => {
    slot.replaceChildren(targetForm({ conn, target, done: () => showForm() }));
    if (target) slot.querySelector("#alert-name")?.focus();
  };
  const render = () => {
    const all = targets(store);
    const keep = new Map([...list.querySelectorAll("[data-alert-id]")].map((row) =>
      [row.dataset.alertId, row.querySelector(".alert-result")]));
    list.replaceChildren(...all.map((target) => {
      const row = targetRow(target, { store, conn, edit: showForm });
      const result = keep.get(String(target.id));
      // A test's outcome stays shown when the target's status changes under it.
      if (result?.textContent) row.querySelector(".alert-result").replaceWith(result);
      return row;
    }));
    empty.hidden = all.length > 0;
  };
  const dialog = h("dialog", { class: "dialog dialog-wide alerts-dialog", "aria-labelledby": "alerts-dialog-title" },
    h("div", { class: "dialog-form" },
      h("h2", { class: "dialog-title", id: "alerts-dialog-title" }, T.title),
      h("p", { class: "dialog-message" }, T.intro),
      empty, list, slot,
      h("div", { class: "dialog-buttons" },
        h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, M.close))));
  dialog.addEventListener("keydown", (event) => event.stopPropagation());
  dialog.addEventListener("close", () => {
    dialog.remove();
    current = null;
  });
  current = { render };
  render();
  showForm();
  document.body.append(dialog);
  dialog.showModal();
  slot.querySelector("#alert-name")?.focus();
}
