// The column dialog: add a column of any kind, or edit or delete one (admins). Each kind's
// settings and secrets come from kinds.js; secrets are write-only ("set: type to replace").
// "Check connection" asks the network who the account is, before or after saving.

import { describe } from "./actions.js";
import { confirmDialog } from "./dialogs.js";
import { h, icon } from "./dom.js";
import { KIND_ORDER, docsLink, fieldOf, kindSpec } from "./kinds.js";
import { M } from "./messages.js";
import { network } from "./networks.js";
import { RHYTHM_KEYS, mountRhythm } from "./rhythm.js";
import { toast } from "./toasts.js";

const UNITS = [["60", M.minutes], ["3600", M.hours], ["1", M.seconds]];
const DEFAULT_INTERVAL_S = 1800;

function splitInterval(seconds) {
  if (seconds % 3600 === 0 && seconds >= 7200) return [seconds / 3600, "3600"];
  if (seconds % 60 === 0) return [seconds / 60, "60"];
  return [seconds, "1"];
}

/** One labelled field with its error line under it; `control` is the input or select. */
function field(id, labelText, control, { help = null, extra = null } = {}) {
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  control.id = id;
  control.setAttribute("aria-describedby", `${id}-error`);
  return {
    el: h("div", { class: "field", "data-field": control.name },
      h("label", { class: "field-label", for: id }, labelText), control, extra,
      help ? h("p", { class: "field-help" }, help) : null, error),
    control,
    error,
  };
}

/**
 * Open the dialog. `platform` null: a new column. Resolves when it closes.
 * `actions` = createActions(): createColumn, updateColumn, deleteColumn, checkColumn, secretNames.
 */
export async function columnDialog({ actions, store, platform = null }) {
  const editing = platform !== null;
  const secretNames = editing ? await actions.secretNames(platform.id) : [];
  const fields = new Map(); // name -> {el, control, error, spec, where}
  const typed = new Map(); // what was typed per field name, kept across kind changes

  const kindSelect = h("select", { name: "kind", class: "input", disabled: editing },
    KIND_ORDER.map((kind) => h("option", { value: kind, selected: kind === (platform?.kind ?? "telegram") },
      network(kind).label)));
  const nameInput = h("input", { name: "name", class: "input", value: platform?.name ?? "", maxlength: "200",
    autocomplete: "off" });
  const [amount, unit] = splitInterval(platform?.interval_s ?? DEFAULT_INTERVAL_S);
  const intervalInput = h("input", { name: "interval_s", type: "number", class: "input input-amount", min: "1",
    step: "any", value: String(amount) });
  const unitSelect = h("select", { class: "input", "aria-label": M.intervalUnit },
    UNITS.map(([value, text]) => h("option", { value, selected: value === unit }, text)));
  const paused = h("input", { type: "checkbox", name: "paused" });

  const kindField = field("column-kind", M.kind, kindSelect);
  const nameField = field("column-name", M.name, nameInput);
  const intervalField = field("column-interval", M.interval, intervalInput,
    { extra: h("div", { class: "field-row interval-row" }, unitSelect) });
  intervalField.el.querySelector(".interval-row").prepend(intervalInput);
  fields.set("kind", { ...kindField, where: "top" });
  fields.set("name", { ...nameField, where: "top" });
  fields.set("interval_s", { ...intervalField, where: "top" });

  const intro = h("p", { class: "dialog-message kind-intro" });
  const guide = h("a", { class: "kind-guide", target: "_blank", rel: "noopener" });
  const kindFields = h("div", { class: "kind-fields" });
  const advancedFields = h("div", { class: "kind-fields" });
  const utm = h("input", { type: "checkbox", name: "utm" });
  const campaign = h("input", { name: "utm_campaign", class: "input", placeholder: "night", autocomplete: "off" });
  // Tracked links (CONTRACT §11): published as this server's /l/<code>, clicks counted.
  const track = h("input", { type: "checkbox", name: "track" });
  // Watching (CONTRACT §9): on by default where the network lists the account's posts.
  const watch = h("input", { type: "checkbox", name: "watch" });
  const watchLabel = h("label", { class: "check", title: M.watch.toggleTitle }, watch, M.watch.toggle);
  const advanced = h("details", { class: "advanced" }, h("summary", {}, M.advanced), advancedFields,
    h("label", { class: "check" }, utm, M.utm), field("column-utm-campaign", M.utmCampaign, campaign).el,
    h("label", { class: "check", title: M.trackTitle }, track, M.track), watchLabel);
  // The rhythm (CONTRACT §8): its editor is mounted when first opened, and only then does the
  // dialog send the rhythm's keys (else they stay as stored).
  const rhythmBox = h("details", { class: "advanced rhythm-box", open: !!platform?.settings?.rhythm?.length },
    h("summary", {}, M.rhythm.section));
  let rhythm = null;
  const openRhythm = () => {
    rhythm ??= mountRhythm(rhythmBox, {
      settings: platform?.settings ?? {}, platformId: platform?.id ?? null, preview: actions.preview, store,
      intervalS: () => Math.round(Number(intervalInput.value) * Number(unitSelect.value)),
    });
    return rhythm;
  };
  rhythmBox.addEventListener("toggle", () => rhythmBox.open && openRhythm());
  if (rhythmBox.open) openRhythm();
  for (const control of [intervalInput, unitSelect]) control.addEventListener("input", () => rhythm?.refresh());
  const formError = h("p", { class: "form-error", role: "alert", hidden: true });
  const checkResult = h("div", { class: "check-result", role: "status", "aria-live": "polite" });
  const checkButton = h("button", { type: "button", class: "btn" }, icon("check"), M.checkConnection);
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, editing ? M.save : M.add);
  const cancel = h("button", { type: "button", class: "btn" }, M.cancel);
  const remove = editing ? h("button", { type: "button", class: "btn btn-quiet btn-danger-text" }, M.deleteColumn) : null;
  const title = h("h2", { class: "dialog-title", id: "column-dialog-title" },
    editing ? M.editColumnTitle(platform.name) : M.addColumnTitle);

  const form = h("form", { class: "dialog-form column-form", novalidate: true },
    title, formError, kindField.el, intro, nameField.el, intervalField.el, kindFields, advanced, rhythmBox,
    editing ? null : h("label", { class: "check" }, paused, M.startPaused),
    h("p", { class: "field-help" }, M.secretsNote),
    h("div", { class: "check-row" }, checkButton, guide), checkResult,
    h("div", { class: "dialog-buttons" }, remove, h("span", { class: "spacer" }), cancel, submit));
  const dialog = h("dialog", { class: "dialog dialog-wide", "aria-labelledby": "column-dialog-title" }, form);

  const settingsNow = () => ({ ...(platform?.settings ?? {}) });

  function renderKind() {
    for (const [name, entry] of fields) {
      if (entry.where === "kind") {
        typed.set(name, entry.control.value);
        fields.delete(name);
      }
    }
    const kind = kindSelect.value;
    const spec = kindSpec(kind);
    intro.textContent = spec.intro;
    guide.textContent = M.setupGuide(kind);
    guide.href = docsLink(kind);
    intervalField.el.hidden = !!spec.noInterval;
    const stored = editing ? settingsNow() : {};
    const main = [];
    const more = [];
    for (const setting of spec.settings) {
      const value = typed.get(setting.name) ?? (stored[setting.name] ?? "");
      const control = setting.type === "select"
        ? h("select", { name: setting.name, class: "input" },
          setting.options.map((option) => h("option", { value: option, selected: option === (value || setting.options[0]) }, setting.optionLabels?.[option] ?? option)))
        : h("input", { name: setting.name, class: "input", type: setting.type === "number" ? "number" : setting.type === "url" ? "url" : "text",
          step: setting.type === "number" ? "any" : null, placeholder: setting.placeholder ?? "", value: String(value), autocomplete: "off" });
      const entry = field(`column-${setting.name}`, setting.label, control, { help: setting.help });
      fields.set(setting.name, { ...entry, spec: setting, where: "kind", kind: "setting" });
      (setting.advanced ? more : main).push(entry.el);
    }
    for (const secret of spec.secrets) {
      const isSet = secretNames.includes(secret.name);
      const control = h("input", { name: secret.name, class: "input", type: "password", autocomplete: "new-password",
        placeholder: editing && isSet ? M.secretSet : (secret.placeholder ?? ""), value: typed.get(secret.name) ?? "" });
      const removeBox = editing && isSet && !secret.required
        ? h("label", { class: "check secret-remove" }, h("input", { type: "checkbox", name: `${secret.name}__remove` }), M.secretRemove)
        : null;
      const state = editing ? h("span", { class: `secret-state ${isSet ? "is-set" : ""}` }, isSet ? M.secretIsSet : M.secretUnset) : null;
      const entry = field(`column-${secret.name}`, secret.label, control, { help: secret.help, extra: removeBox });
      if (state) entry.el.querySelector(".field-label").append(" ", state);
      fields.set(secret.name, { ...entry, spec: secret, where: "kind", kind: "secret", isSet, removeBox });
      main.push(entry.el);
    }
    kindFields.replaceChildren(...main);
    advancedFields.replaceChildren(...more);
    advanced.hidden = kind === "drafts";
    rhythmBox.hidden = kind === "drafts";
    const utmValue = stored.utm;
    utm.checked = utmValue !== false;
    campaign.value = typeof utmValue === "object" && utmValue ? utmValue.campaign ?? "" : "";
    track.checked = stored.track === true;
    watchLabel.hidden = !spec.watchable;
    watch.checked = stored.watch !== false;
    if (!nameInput.value && !editing) nameInput.placeholder = M.namePlaceholder(kind);
    checkResult.replaceChildren();
  }

  function clearErrors() {
    formError.hidden = true;
    for (const entry of fields.values()) {
      entry.error.hidden = true;
      entry.control.removeAttribute("aria-invalid");
    }
  }

  function showError(name, message) {
    const entry = fields.get(name);
    if (!entry) {
      formError.textContent = message;
      formError.hidden = false;
      return;
    }
    entry.error.textContent = message;
    entry.error.hidden = false;
    entry.control.setAttribute("aria-invalid", "true");
    if (entry.spec?.advanced) advanced.open = true;
  }

  /** The command's arguments from the form, or null after marking what is missing. */
  function collect({ forCheck = false } = {}) {
    clearErrors();
    const kind = kindSelect.value;
    const spec = kindSpec(kind);
    const errors = [];
    const settings = editing ? settingsNow() : {};
    const secrets = {};
    for (const [name, entry] of fields) {
      if (entry.where !== "kind") continue;
      const value = entry.control.value.trim();
      if (entry.kind === "setting") {
        if (!value) {
          delete settings[name];
          if (entry.spec.required) errors.push([name, M.required]);
        } else if (entry.spec.type === "number") {
          if (Number.isNaN(Number(value))) errors.push([name, M.notANumber]);
          settings[name] = Number(value);
        } else {
          settings[name] = value;
        }
      } else if (entry.removeBox?.querySelector("input").checked) {
        secrets[name] = null;
      } else if (value) {
        secrets[name] = value;
      } else if (entry.spec.required && !entry.isSet) {
        errors.push([name, M.required]);
      }
    }
    if (kind !== "drafts") {
      if (!utm.checked) settings.utm = false;
      else if (campaign.value.trim()) settings.utm = { campaign: campaign.value.trim() };
      else delete settings.utm;
      if (track.checked) settings.track = true;
      else delete settings.track;
    }
    if (spec.watchable && !watch.checked) settings.watch = false;
    else delete settings.watch;
    if (rhythm && kind !== "drafts") {
      for (const key of RHYTHM_KEYS) delete settings[key];
      Object.assign(settings, rhythm.values());
    }
    const args = { settings };
    if (Object.keys(secrets).length) args.secrets = secrets;
    if (!forCheck) {
      const name = nameInput.value.trim();
      if (!name) errors.push(["name", M.required]);
      const seconds = Math.round(Number(intervalInput.value) * Number(unitSelect.value));
      if (!spec.noInterval) {
        if (!(seconds > 0)) errors.push(["interval_s", M.notANumber]);
        args.interval_s = seconds;
      }
      args.name = name;
    }
    for (const [name, message] of errors) showError(name, message);
    if (errors.length) {
      fields.get(errors[0][0])?.control.focus();
      return null;
    }
    return editing ? { id: platform.id, ...args } : { kind, ...args };
  }

  function refused(error) {
    if (/settings\.(timezone|rhythm|quiet)\b/.test(error.message ?? "")) {
      rhythmBox.open = true;
      openRhythm().showError(error.message);
      showError("", error.message);
      return;
    }
    const named = error.field && fields.has(error.field) ? error.field : null;
    const name = named ?? fieldOf(error.message, [...fields.keys()]);
    showError(name ?? "", describe(error));
    fields.get(name)?.control.focus();
  }

  async function check() {
    const args = collect({ forCheck: true });
    if (!args) return;
    checkButton.disabled = true;
    checkResult.className = "check-result is-busy";
    checkResult.replaceChildren(M.checking);
    const kind = kindSelect.value;
    try {
      const answer = await actions.checkColumn(args);
      checkResult.className = `check-result ${answer.ok ? (answer.warning ? "is-warn" : "is-ok") : "is-error"}`;
      if (answer.ok) {
        checkResult.replaceChildren(...[h("p", {}, icon("check"), M.checkOk(kind, answer),
          answer.url ? h("a", { href: answer.url, target: "_blank", rel: "noopener noreferrer", "aria-label": answer.url },
            icon("external")) : null),
        answer.warning ? h("p", { class: "check-warning" }, icon("warning"), answer.warning) : null].filter(Boolean));
      } else {
        const words = M.checkFailed(kind, answer.error);
        checkResult.replaceChildren(h("p", {}, icon("warning"), words),
          h("details", { class: "raw" }, h("summary", {}, M.details), h("code", {}, answer.error.message)));
        if (answer.error.field && fields.has(answer.error.field)) showError(answer.error.field, words);
      }
    } catch (error) {
      checkResult.className = "check-result is-error";
      checkResult.replaceChildren();
      if (error.code === "bad_request") refused(error);
      else checkResult.replaceChildren(h("p", {}, icon("warning"), error.message));
    } finally {
      checkButton.disabled = false;
    }
  }

  return new Promise((resolve) => {
    const close = () => dialog.close();
    kindSelect.addEventListener("change", renderKind);
    checkButton.addEventListener("click", check);
    cancel.addEventListener("click", close);
    remove?.addEventListener("click", async () => {
      const count = store.queue(platform.id).length;
      const ok = await confirmDialog({ title: M.deleteColumnTitle(platform.name), message: M.deleteColumnMessage(count),
        okLabel: M.delete, danger: true });
      if (ok && await actions.deleteColumn(platform.id)) {
        toast(M.columnDeleted(platform.name));
        close();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const args = collect();
      if (!args) return;
      if (!editing && paused.checked) args.paused = true;
      submit.disabled = true;
      try {
        if (editing) await actions.updateColumn(args);
        else await actions.createColumn(args);
        toast(editing ? M.columnSaved(args.name) : M.columnAdded(args.name));
        close();
      } catch (error) {
        if (error.code === "bad_request" || error.code === "conflict") refused(error);
        else showError("", error.message);
      } finally {
        submit.disabled = false;
      }
    });
    form.addEventListener("keydown", (event) => event.stopPropagation());
    dialog.addEventListener("close", () => {
      rhythm?.destroy();
      dialog.remove();
      resolve();
    });
    renderKind();
    document.body.append(dialog);
    dialog.showModal();
    (editing ? nameInput : kindSelect).focus();
  });
}
