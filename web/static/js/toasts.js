// Short messages at the bottom of the screen, some with an action such as Undo.

import { h, iconButton } from "./dom.js";

const UNDO_MS = 10_000;
const INFO_MS = 6000;
const MAX_TOASTS = 4;

let region = null;

function ensureRegion() {
  if (!region) {
    region = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  return region;
}

/**
 * toast("Card deleted", {action: {label: "Undo", run}, kind: "error"}).
 * A toast stays while the pointer or focus is on it, so Undo can't vanish under the hand.
 */
export function toast(message, { action = null, kind = "info", timeout = null } = {}) {
  const root = ensureRegion();
  const ms = timeout ?? (action ? UNDO_MS : INFO_MS);
  let timer = null;
  const close = () => {
    clearTimeout(timer);
    el.remove();
  };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(close, ms);
  };
  const button = action && h("button", {
    type: "button",
    class: "toast-action",
    onclick: () => {
      close();
      action.run();
    },
  }, action.label);
  const el = h("div", { class: `toast toast-${kind}` },
    h("span", { class: "toast-message" }, message),
    button,
    iconButton("close", "Dismiss", close, "icon-btn toast-close"));
  el.addEventListener("pointerenter", () => clearTimeout(timer));
  el.addEventListener("pointerleave", arm);
  el.addEventListener("focusin", () => clearTimeout(timer));
  el.addEventListener("focusout", arm);
  root.append(el);
  while (root.children.length > MAX_TOASTS) root.firstElementChild.remove();
  arm();
  return close;
}

export function errorToast(message) {
  return toast(message, { kind: "error" });
}
