// Notices at the bottom of the screen: short messages, Undo, and problems that stay.
//
// Nothing that can be undone is pushed out by newer notices: each Undo stays until its time
// is up or it is dismissed. More than GROUP_AT of a kind (undos, problems) gather into one
// list: the newest in view, the others one click away. Every timer stops while the pointer
// or the focus is on the notices, so nothing vanishes under the hand.

import { h, iconButton } from "./dom.js";
import { M } from "./messages.js";

const UNDO_MS = 30_000;
const INFO_MS = 6000;
const MAX_INFO = 4;
const GROUP_AT = 3;

let region = null;
const entries = []; // {el, category, close, timer, ms}
const groups = new Map(); // category -> {el, list, toggle, open}
let held = false;

function ensureRegion() {
  if (!region) {
    region = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    const hold = () => {
      held = true;
      for (const entry of entries) clearTimeout(entry.timer);
    };
    const release = () => {
      held = false;
      for (const entry of entries) arm(entry);
    };
    region.addEventListener("pointerenter", hold);
    region.addEventListener("pointerleave", release);
    region.addEventListener("focusin", hold);
    region.addEventListener("focusout", (event) => {
      if (!region.contains(event.relatedTarget)) release();
    });
    document.body.append(region);
  }
  return region;
}

function arm(entry) {
  clearTimeout(entry.timer);
  if (entry.ms && !held) entry.timer = setTimeout(entry.close, entry.ms);
}

function group(category) {
  let found = groups.get(category);
  if (!found) {
    const list = h("div", { class: "toast-group-list", hidden: true });
    const toggle = h("button", { type: "button", class: "toast-group-toggle" });
    found = { el: h("div", { class: `toast-group toast-group-${category}` }, list, toggle), list, toggle, open: false };
    toggle.addEventListener("click", () => {
      found.open = !found.open;
      layout();
    });
    groups.set(category, found);
  }
  return found;
}

/** Put every notice where it belongs: alone, or in its category's list when there are many. */
function layout() {
  const root = ensureRegion();
  const order = [];
  for (const category of ["problem", "undo", "info"]) {
    const items = entries.filter((entry) => entry.category === category);
    if (category !== "info" && items.length > GROUP_AT) {
      const found = group(category);
      const older = items.slice(0, -1).reverse(); // newest first in the list
      found.list.replaceChildren(...older.map((entry) => entry.el));
      found.list.hidden = !found.open;
      found.toggle.textContent = found.open ? M.undoFewer
        : (category === "undo" ? M.undoMore(older.length) : M.problemsMore(older.length));
      found.toggle.setAttribute("aria-expanded", String(found.open));
      order.push(found.el, items.at(-1).el);
    } else {
      groups.get(category)?.el.remove();
      groups.delete(category);
      order.push(...items.map((entry) => entry.el));
    }
  }
  root.replaceChildren(...order);
}

/**
 * toast("Card deleted", {action: {label: "Undo", run}}) — an Undo stays UNDO_MS.
 * {kind: "error", sticky: true, details: "raw text", extra: [button]} — a problem that
 * stays until dismissed, its raw text one click away. Returns a function that closes it.
 */
export function toast(message, { action = null, kind = "info", timeout = null, sticky = false, details = null,
  extra = [] } = {}) {
  const category = action?.label === M.undo ? "undo" : sticky ? "problem" : "info";
  const entry = { category, timer: null, ms: sticky ? 0 : timeout ?? (action ? UNDO_MS : INFO_MS) };
  entry.close = () => {
    clearTimeout(entry.timer);
    const index = entries.indexOf(entry);
    if (index < 0) return;
    entries.splice(index, 1);
    entry.el.remove();
    layout();
  };
  const button = action && h("button", {
    type: "button",
    class: "toast-action",
    onclick: () => {
      entry.close();
      action.run();
    },
  }, action.label);
  const raw = details ? h("details", { class: "toast-details" }, h("summary", {}, M.details), h("code", {}, details)) : null;
  entry.el = h("div", { class: `toast toast-${kind}`, "data-category": category },
    h("div", { class: "toast-text" }, h("span", { class: "toast-message" }, message), raw),
    ...extra, button,
    iconButton("close", M.dismiss, entry.close, "icon-btn toast-close"));
  entries.push(entry);
  // Plain messages make room for newer ones; Undo and problems never do.
  const info = entries.filter((e) => e.category === "info");
  for (const old of info.slice(0, Math.max(0, info.length - MAX_INFO))) old.close();
  layout();
  arm(entry);
  return entry.close;
}

export function errorToast(message) {
  return toast(message, { kind: "error" });
}
