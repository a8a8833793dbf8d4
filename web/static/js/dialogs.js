// Modal questions on <dialog>: confirmations, an interval, an optional link.

import { h } from "./dom.js";
import { interval as formatInterval } from "./time.js";
import { M } from "./messages.js";

export const PRESET_MINUTES = [5, 10, 30, 60, 120];

/**
 * Show a modal whose form holds `fields`; resolves with read(form) on OK, null on cancel.
 * Escape, the Cancel button and a click outside all cancel.
 */
export function ask({ title, message, fields = [], okLabel = M.ok, danger = false, read = () => true,
  cancelLabel = M.cancel }) {
  return new Promise((resolve) => {
    const form = h("form", { method: "dialog", class: "dialog-form" },
      h("h2", { class: "dialog-title" }, title),
      message ? h("p", { class: "dialog-message" }, message) : null,
      ...fields,
      h("div", { class: "dialog-buttons" },
        cancelLabel && h("button", { type: "button", class: "btn", value: "cancel", onclick: () => dialog.close("cancel") },
          cancelLabel),
        h("button", { type: "submit", class: danger ? "btn btn-danger" : "btn btn-primary", value: "ok" },
          okLabel)));
    const dialog = h("dialog", { class: "dialog", "aria-label": title }, form);
    let result = null;
    form.addEventListener("submit", (event) => {
      if (!form.reportValidity()) {
        event.preventDefault();
        return;
      }
      result = read(form);
    });
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close("cancel");
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "cancel" ? null : result);
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = form.querySelector("input, select") ?? form.querySelector(".btn-primary, .btn-danger");
    first?.focus();
  });
}

export async function confirmDialog({ title, message, okLabel = M.ok, danger = false }) {
  return (await ask({ title, message, okLabel, danger })) === true;
}

export const UNITS = [["s", 1], ["min", 60], ["h", 3600]];

/** 7200 → [2, 3600], 1800 → [30, 60], 45 → [45, 1]: an amount and its unit's seconds. */
export function splitSeconds(seconds) {
  if (seconds && seconds % 3600 === 0 && seconds >= 7200) return [seconds / 3600, 3600];
  if (seconds && seconds % 60 === 0) return [seconds / 60, 60];
  return [seconds || 60, 1];
}

/**
 * Ask for an interval in seconds (presets plus any number of s/min/h); null if cancelled.
 * `unlike` (seconds): a value that would change nothing, refused with `unlikeMessage`.
 */
export function intervalDialog({ title, message, seconds = 3600, okLabel = M.set, unlike = null, unlikeMessage = "" }) {
  const [value, unit] = splitSeconds(seconds);
  const amount = h("input", {
    type: "number", name: "amount", min: "1", step: "any", required: true, value: String(value),
    class: "input input-amount", "aria-label": M.intervalLength,
  });
  const unitSelect = h("select", { name: "unit", class: "input", "aria-label": M.intervalUnit },
    UNITS.map(([label, factor]) => h("option", { value: String(factor), selected: factor === unit }, label)));
  const chosen = () => Math.max(1, Math.round(Number(amount.value) * Number(unitSelect.value)));
  const same = () => amount.setCustomValidity(unlike !== null && chosen() === unlike ? unlikeMessage : "");
  amount.addEventListener("input", same);
  unitSelect.addEventListener("change", same);
  const presets = h("div", { class: "preset-row", role: "group", "aria-label": M.presets },
    PRESET_MINUTES.map((minutes) => h("button", {
      type: "button",
      class: "chip",
      onclick: () => {
        amount.value = String(minutes);
        unitSelect.value = "60";
        same();
      },
    }, formatInterval(minutes * 60))));
  same();
  return ask({
    title, message, okLabel,
    fields: [presets, h("div", { class: "field-row" }, h("span", {}, M.every), amount, unitSelect)],
    read: chosen,
  });
}

/** Ask for one optional text (e.g. a link); resolves "" when left empty, null when cancelled. */
export function textDialog({ title, message, label, type = "text", okLabel = M.ok, placeholder = "" }) {
  const input = h("input", { type, name: "text", class: "input input-wide", placeholder, "aria-label": label });
  return ask({
    title, message, okLabel,
    fields: [h("label", { class: "field" }, h("span", { class: "field-label" }, label), input)],
    read: () => input.value.trim(),
  });
}

/** Show some content with a single Close button. */
export function infoDialog({ title, content }) {
  return ask({ title, fields: [content], okLabel: M.close, cancelLabel: null });
}
